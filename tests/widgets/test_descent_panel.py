import json

import numpy as np
import pytest

from deepscope.scenes import descent
from deepscope.widgets import DescentPanel
from deepscope.widgets.descent import FIRST_OPT, PER_OPT

SGD_PATH = FIRST_OPT  # sgd is the first optimizer's block of traces


def path_of(panel, name):
    k = descent.OPTIMIZERS.index(name)
    trace = panel.fig.data[FIRST_OPT + PER_OPT * k]
    return np.asarray(trace.x, dtype=float), np.asarray(trace.y, dtype=float)


def test_traitlets_drive_sliders_and_the_paths():
    panel = DescentPanel(surface="bowl", optimizers=["sgd", "adam"], steps=50)
    panel.learning_rate = 0.05
    assert panel.lr_slider.value == pytest.approx(0.05)
    start = (panel.start_x, panel.start_y)
    bowl = descent.bowl(panel.condition)
    want = descent.descend(bowl, "sgd", start=start, steps=50, lr=0.05)
    x, y = path_of(panel, "sgd")
    np.testing.assert_allclose(np.c_[x, y], want.positions)
    panel.lr_slider.value = 0.1
    assert panel.learning_rate == pytest.approx(0.1)
    x2, _ = path_of(panel, "sgd")
    assert not np.allclose(x2[:10], x[:10])
    assert panel.fig.data[FIRST_OPT + PER_OPT * 1].visible is False  # momentum not ticked


def test_one_batched_message_per_frame(messages):
    panel = DescentPanel()
    sent = messages(panel.fig)
    panel.step = 10
    assert sent == ["update"]
    sent.clear()
    panel.learning_rate = 0.002  # a recompute is one message too
    assert sent == ["update"]


def test_scrubbing_back_and_forth_and_the_buttons():
    panel = DescentPanel(surface="ravine", optimizers=["momentum"], steps=40)
    panel.player.slider.value = 30
    k = descent.OPTIMIZERS.index("momentum")
    now = panel.fig.data[FIRST_OPT + PER_OPT * k + 1]
    at30 = (now.x[0], now.y[0])
    assert at30 == pytest.approx(panel.walks["momentum"][30].position)
    panel.player.slider.value = 5
    assert (now.x[0], now.y[0]) == pytest.approx(panel.walks["momentum"][5].position)
    panel.player.advance()
    assert panel.step == 6 and panel.player.slider.value == 6
    panel.player.reset()
    assert panel.step == 0 and "step 0 of 40" in panel.fig.layout.title.text
    assert "momentum term" in panel.readout.value


def test_arrows_show_the_gradient_term_and_the_update():
    panel = DescentPanel(surface="ravine", optimizers=["adam"], arrows_for="adam", step=3)
    arrows = [a for a in panel.fig.layout.annotations if a.showarrow]
    assert [a.text for a in arrows] == ["−lr·∇f", "update"]
    fr = panel.walks["adam"][3]
    ux, uy = arrows[1].x - arrows[1].ax, arrows[1].y - arrows[1].ay
    assert np.arctan2(uy, ux) == pytest.approx(np.arctan2(fr.update[1], fr.update[0]))


def test_divergence_marker_and_message():
    panel = DescentPanel(surface="bowl", optimizers=["sgd", "adam"], learning_rate=3.0)
    assert "GD diverged at step" in panel.message.value
    assert "learning rate too large for this surface" in panel.message.value
    marker = panel.fig.data[7]
    assert len(marker.x) == 1 and "GD leaves" in marker.text[0]
    panel.surface = "saddle"
    panel.learning_rate = 0.3
    assert "no bottom" in panel.message.value


def test_three_d_view_takes_the_map_place_and_gives_it_back():
    panel = DescentPanel(surface="himmelblau")
    assert tuple(panel.fig.layout.scene.domain.x) == (0.999, 1)  # parked: clicks reach the map
    panel.view = "3-D"
    assert tuple(panel.fig.layout.scene.domain.x) == (0, 0.5)
    assert panel.fig.data[1].visible is True and panel.fig.data[0].visible is False
    panel.view = "contour"
    assert tuple(panel.fig.layout.scene.domain.x) == (0.999, 1)


def test_surface_and_condition_bring_their_start_and_rate():
    panel = DescentPanel(surface="himmelblau", learning_rate=0.3)
    assert (panel.start_x, panel.start_y, panel.learning_rate) == (0.0, 0.0, 0.3)
    panel.surface = "rosenbrock"
    assert (panel.start_x, panel.start_y) == (-1.5, 2.0) and panel.learning_rate == 0.001
    panel.condition = 100.0  # not the bowl: the rate stays
    assert panel.learning_rate == 0.001
    panel.surface = "bowl"
    assert panel.learning_rate == pytest.approx(0.005)  # 0.5 / condition
    panel.condition = 20.0
    assert panel.learning_rate == pytest.approx(0.025)


def test_click_sets_the_start():
    panel = DescentPanel(surface="himmelblau", optimizers=["sgd"])
    panel.set_start(-3.0, 3.0)
    assert panel.walks["sgd"][0].position == (-3.0, 3.0)
    assert panel.walks["sgd"][-1].position == pytest.approx((-2.805118, 3.131312), abs=1e-3)


def test_one_d_mode_draws_the_tangent():
    panel = DescentPanel(surface="double-well", optimizers=["sgd"], step=4)
    fr = panel.walks["sgd"][4]
    tangent = panel.fig.data[6]
    slope = (tangent.y[1] - tangent.y[0]) / (tangent.x[1] - tangent.x[0])
    assert slope == pytest.approx(fr.grad[0])
    assert panel.fig.data[0].visible is False and panel.fig.data[2].visible is True


def test_custom_formula_and_bad_formula_never_raise():
    panel = DescentPanel(surface="custom", expression="(x-1)**2 + y**2", optimizers=["sgd"])
    assert panel.walks["sgd"][0].position == (panel.start_x, panel.start_y)
    assert "(x-1)**2 + y**2" in panel.surface_note.value
    panel.expression = "__import__('os').system('echo hi')"
    assert "Cannot use this formula" in panel.message.value
    assert "not an allowed function" in panel.message.value
    panel.expression = "x**2 - y"
    assert "Cannot use" not in panel.message.value


def test_state_round_trips_as_json():
    panel = DescentPanel(surface="beale", optimizers=["adam", "rmsprop"], view="3-D", step=7)
    state = json.loads(json.dumps(panel.state))
    other = DescentPanel()
    other.state = state
    assert other.state == panel.state
    assert other.step == 7 and other.player.slider.value == 7  # restored, not clamped to 0
    assert other.walks["adam"][-1].position == panel.walks["adam"][-1].position
    with pytest.raises(ValueError, match="unknown state keys"):
        other.state = {"speed": 1}
    with pytest.raises(TypeError, match="unknown argument"):
        DescentPanel(colour="red")
