import json

import numpy as np
import pytest

from deepscope.scenes import neuron as scene
from deepscope.widgets import NeuronPanel


def test_traitlets_drive_sliders_and_figure():
    panel = NeuronPanel()
    panel.w1 = 2.5
    assert panel.w1_slider.value == 2.5
    heat, line = panel.plane_fig.data[:2]
    z = scene.weighted_sum(2.5, panel.w2, panel.b, *np.meshgrid(scene.plane(), scene.plane()))
    np.testing.assert_array_equal(np.asarray(heat.z), (z >= 0).astype(float))
    assert line.y[0] == pytest.approx(-(2.5 * -0.5 + panel.b) / panel.w2)
    panel.w1_slider.value = -1.0
    assert panel.w1 == -1.0


def test_one_batched_message_per_redraw(messages):
    panel = NeuronPanel()
    sent = messages(panel.plane_fig)
    panel.b = -0.5
    assert sent == ["update"]


def test_state_round_trips_as_json():
    panel = NeuronPanel(gate="OR", w1=0.5)
    state = json.loads(json.dumps(panel.state))
    other = NeuronPanel()
    other.state = state
    assert other.state == panel.state
    with pytest.raises(ValueError, match="unknown state keys"):
        other.state = {"weight": 1}
    with pytest.raises(TypeError, match="unknown argument"):
        NeuronPanel(colour="red")


def test_learn_and_scrub_back():
    panel = NeuronPanel(gate="OR", w1=0.0, w2=0.0, b=0.0, epochs=10)
    frames = panel.learn()
    assert frames[-1].correct == 4 and "all four rows right" in panel.message.value
    panel.player.slider.value = 0
    assert (panel.w1, panel.w2, panel.b) == (0.0, 0.0, 0.0)
    panel.player.slider.value = len(frames) - 1
    assert panel.w1 == frames[-1].w1


def test_xor_fails_then_the_hidden_layer_fixes_it():
    panel = NeuronPanel(gate="XOR", w1=0.0, w2=0.0, b=0.0)
    frames = panel.learn()
    assert max(f.correct for f in frames) < 4
    assert "no single line separates XOR" in panel.message.value
    panel.show_two_layer()
    assert "gets 4 of 4 right" in panel.table.value


def test_gradient_descent_learns_and_with_sigmoid():
    panel = NeuronPanel(gate="AND", rule="gradient descent", learning_rate=2.0, epochs=200)
    frames = panel.learn()
    assert panel.activation == "sigmoid"
    assert frames[-1].loss < frames[0].loss and frames[-1].correct == 4
