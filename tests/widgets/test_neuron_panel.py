import json

import numpy as np
import pytest

from deepscope.scenes import neuron as scene
from deepscope.widgets import NeuronPanel


def test_traitlets_drive_sliders_and_figure():
    panel = NeuronPanel()
    panel.w1 = 2.5
    assert panel.controls["w1"].value == 2.5
    heat = panel.plane_fig.trace("output")
    line = panel.plane_fig.trace("decision line (z = 0)")
    z = scene.weighted_sum(2.5, panel.w2, panel.b, *np.meshgrid(scene.GRID, scene.GRID))
    np.testing.assert_array_equal(np.asarray(heat["z"]), (z >= 0).astype(float))
    assert line["y"][0] == pytest.approx(-(2.5 * -0.5 + panel.b) / panel.w2)
    panel.controls["w1"].value = -1.0
    assert panel.w1 == -1.0


def test_one_batched_message_per_redraw(messages):
    panel = NeuronPanel()
    plane, curve = messages(panel.plane_fig), messages(panel.curve_fig)
    panel.b = -0.5
    assert plane == ["update"] and curve == ["update"]
    plane.clear()
    panel.state = {"w1": 0.3, "w2": -0.2, "b": 0.1, "gate": "OR"}  # four changes, one message
    assert plane == ["update"]


def test_state_round_trips_as_json():
    panel = NeuronPanel(gate="OR", w1=0.5, hidden=["b"])
    state = json.loads(json.dumps(panel.state))
    other = NeuronPanel()
    other.state = state
    assert other.state == panel.state
    assert other.controls["b"].layout.display == "none"
    with pytest.raises(ValueError, match="unknown state keys"):
        other.state = {"weight": 1}
    with pytest.raises(TypeError, match="unknown argument"):
        NeuronPanel(colour="red")


def test_learn_and_scrub_back():
    panel = NeuronPanel(gate="OR", w1=0.0, w2=0.0, b=0.0, epochs=10)
    frames = panel.learn()
    assert frames[-1].correct == 4 and "all four rows right" in panel.message.value
    panel.controls["step"].slider.value = 0
    assert (panel.w1, panel.w2, panel.b) == (0.0, 0.0, 0.0)
    panel.controls["step"].slider.value = len(frames) - 1
    assert panel.w1 == frames[-1].w1 and panel.step == len(frames) - 1
    assert "epoch 10" in panel.message.value


def test_the_verdict_says_what_was_measured():
    # 3 epochs of gradient descent do not separate AND yet: the panel must not say it cannot
    panel = NeuronPanel(
        gate="AND", rule="gradient descent", learning_rate=0.1, epochs=3, w1=0.0, w2=0.0, b=0.0
    )
    panel.learn()
    assert "not separated yet after 3 epochs" in panel.message.value
    assert "no single line" not in panel.message.value
    panel.gate = "OR"  # the old gate's text goes with it
    assert panel.message.value == ""


def test_xor_fails_then_the_hidden_layer_fixes_it():
    panel = NeuronPanel(gate="XOR", w1=0.0, w2=0.0, b=0.0)
    frames = panel.learn()
    assert max(f.correct for f in frames) < 4
    assert "no single line separates XOR" in panel.message.value
    panel.train()  # no event loop here: runs to the end
    assert not panel.running
    assert "the network gets 4 of 4 right" in panel.table.value
    panel.w1 = 0.5  # a weight moved: back to the single neuron
    assert "the neuron gets" in panel.table.value


def test_train_comes_back_only_after_the_line_says_how_it_ended():
    """A page (or a student) acting on the Train button finds the bar's line final: the
    line's message goes out before the button's."""
    panel = NeuronPanel(gate="XOR")
    bar = panel.controls["train"]
    seen = []
    bar.train_button.observe(
        lambda change: seen.append(bar.label.value) if not change["new"] else None,
        names="disabled",
    )
    panel.train()
    assert len(seen) == 1 and "finished after" in seen[0], seen


def test_gradient_descent_learns_and_with_sigmoid():
    panel = NeuronPanel(gate="AND", rule="gradient descent", learning_rate=2.0, epochs=200)
    frames = panel.learn()
    assert panel.activation == "sigmoid"
    assert frames[-1].loss < frames[0].loss and frames[-1].correct == 4
    assert panel.curve_fig.plot_layout["title"]["text"].startswith("sigmoid")


def test_the_network_draws_its_hidden_neurons_lines_and_leaving_it_says_so():
    panel = NeuronPanel(gate="XOR")
    panel.train()
    assert len(panel.picture.lines) == 3 and panel.picture.activation == "tanh"
    hidden = panel.plane_fig.trace("each hidden neuron's line (z = 0)")
    assert sum(v is None for v in hidden["x"]) == 3  # three segments
    assert panel.plane_fig.trace("decision line (z = 0)")["x"] == []
    assert "tanh (the hidden neurons)" in panel.curve_fig.plot_layout["title"]["text"]
    panel.w1 = 2.0
    assert "Back to the single neuron" in panel.message.value
    assert panel.plane_fig.trace("each hidden neuron's line (z = 0)")["x"] == []


def test_no_line_when_both_weights_are_zero_and_learned_weights_are_clean():
    panel = NeuronPanel(w1=0.0, w2=0.0, b=0.5)
    assert "no line (w1 = w2 = 0" in panel.plane_fig.plot_layout["title"]["text"]
    frames = NeuronPanel(gate="OR", w1=0.0, w2=0.0, b=0.0).learn()
    assert all(repr(f.b) == repr(round(f.b, 12)) for f in frames)
