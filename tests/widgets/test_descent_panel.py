import json

import numpy as np
import plotly.graph_objects as go
import pytest

from deepscope.scenes import descent
from deepscope.widgets import DescentPanel
from deepscope.widgets.descent import LABELS


def path_of(panel, name):
    trace = panel.map_fig.trace(LABELS[name])
    return np.asarray(trace["x"], dtype=float), np.asarray(trace["y"], dtype=float)


def dot_of(fig, name):
    """Where the marker of optimizer ``name`` is drawn (a layout shape, in optimizer order)."""
    shapes = [s for s in fig.plot_layout["shapes"] if s["type"] == "circle"]
    dot = shapes[descent.OPTIMIZERS.index(name)]
    return dot["xanchor"], dot["yanchor"], dot["visible"]


def valid(panel):
    for fig in panel.figures:
        go.Figure(data=fig.traces, layout=fig.plot_layout)


def contents(monkeypatch, fig):
    """Record what each message of ``fig`` changes: (trace names, layout keys)."""
    sent = []
    names = fig.names

    def send(content, buffers=None):
        traces = sorted(names[int(i)] for i in content.get("traces", {}))
        sent.append((traces, sorted(content.get("layout", {}))))

    monkeypatch.setattr(fig, "send", send)
    return sent


def test_traitlets_drive_controls_and_the_paths():
    panel = DescentPanel(surface="bowl", optimizers=["sgd", "adam"], steps=50)
    panel.learning_rate = 0.05
    assert panel.controls["learning_rate"].value == 0.05
    start = (panel.start_x, panel.start_y)
    want = descent.descend(descent.bowl(panel.condition), "sgd", start=start, steps=50, lr=0.05)
    x, y = path_of(panel, "sgd")
    np.testing.assert_allclose(np.c_[x, y], want.positions)
    panel.controls["learning_rate"].value = 0.1
    assert panel.learning_rate == 0.1
    assert not np.allclose(path_of(panel, "sgd")[0][:10], x[:10])
    assert panel.map_fig.trace("momentum")["visible"] is False  # not ticked
    assert panel.loss_fig.trace("GD")["y"] == pytest.approx(panel.picture.walks["sgd"].losses)


def test_log_sliders_read_round_values():
    panel = DescentPanel(learning_rate=0.5, decay=0.05)
    assert panel.controls["learning_rate"].label == "0.5"
    assert ("0.05", 0.05) in panel.controls["decay"].options
    panel.controls["momentum"].value = 0.9000000000000001  # what a browser slider sends
    assert panel.momentum == 0.9 and "momentum" not in panel.query()


def test_one_message_per_figure_per_step_and_per_recompute(messages):
    panel = DescentPanel()
    map_, surface, loss = (messages(f) for f in panel.figures)
    panel.step = 10
    assert map_ == ["update"] and loss == ["update"] and surface == []  # 3-D is not shown
    for sent in (map_, loss):
        sent.clear()
    panel.learning_rate = 0.002
    assert map_ == ["update"] and loss == ["update"]
    for sent in (map_, loss):
        sent.clear()
    panel.surface = "ravine"  # brings its start and rate: still one recompute
    assert map_ == ["update"] and loss == ["update"]
    assert (panel.start_x, panel.start_y, panel.learning_rate) == (-2.5, 0.0, 0.02)
    for sent in (map_, loss):
        sent.clear()
    panel.state = {**panel.state, "optimizers": ["adam"], "noise": 0.5, "step": 3}
    assert map_ == ["update"] and loss == ["update"]


def test_a_step_moves_only_layout_shapes_and_annotations(monkeypatch):
    """The cheap redraw: a step changes no trace (the surface and paths stay computed in the
    browser), only the markers, arrows and titles."""
    panel = DescentPanel(surface="double-well", optimizers=["sgd", "momentum"])
    map_, loss = contents(monkeypatch, panel.map_fig), contents(monkeypatch, panel.loss_fig)
    panel.step = 7
    assert map_ == [([], ["annotations", "shapes", "title.subtitle.text", "title.text"])]
    assert loss == [([], ["shapes"])]


def test_scrubbing_back_and_forth_and_the_buttons():
    panel = DescentPanel(surface="ravine", optimizers=["momentum"], steps=40)
    walk = panel.picture.walks["momentum"]
    player = panel.controls["step"]
    player.slider.value = 30
    assert dot_of(panel.map_fig, "momentum") == pytest.approx((*walk[30].position, True))
    assert dot_of(panel.loss_fig, "momentum") == pytest.approx((30, walk[30].loss, True))
    player.slider.value = 5
    assert dot_of(panel.map_fig, "momentum")[:2] == pytest.approx(walk[5].position)
    player.advance()
    assert panel.step == 6 and player.slider.value == 6 and panel.state["step"] == 6
    assert player.play.value == 6  # Play goes on from here (the browser links it to the slider)
    player.reset()
    assert panel.step == 0 and panel.map_fig.plot_layout["title"]["text"].endswith("step 0 of 40")
    assert "momentum term" in panel.readout.value
    assert dot_of(panel.map_fig, "sgd")[2] is False  # not ticked: hidden


def test_arrows_show_the_gradient_term_and_the_update():
    panel = DescentPanel(surface="ravine", optimizers=["adam"], arrows_for="adam", step=3)
    grad, update = panel.map_fig.plot_layout["annotations"][:2]
    fr = panel.picture.walks["adam"][3]
    assert grad["visible"] and update["visible"]
    angle = np.arctan2(update["y"] - update["ay"], update["x"] - update["ax"])
    assert angle == pytest.approx(np.arctan2(fr.update[1], fr.update[0]))
    assert (grad["ax"], grad["ay"]) == (update["ax"], update["ay"]) == fr.position
    subtitle = panel.map_fig.plot_layout["title"]["subtitle"]["text"]
    assert subtitle == f"arrows for Adam: {descent.arrows(fr, panel.picture.surface).note}"
    assert panel.map_fig.trace("arrow: −lr·∇f")["visible"]  # the legend explains them
    panel.optimizers = ["sgd"]  # the arrows follow the ticked optimizers
    assert panel.arrows_for == "sgd"
    grad, update = panel.map_fig.plot_layout["annotations"][:2]
    assert not grad["visible"] and update["visible"]  # for GD the two are one arrow
    assert "for GD the update is −lr·∇f" in panel.map_fig.plot_layout["title"]["subtitle"]["text"]


def test_a_flat_surface_shows_x_only_and_no_absurd_arrow_scale():
    panel = DescentPanel(surface="plateau", optimizers=["sgd"], start_x=3.4)
    subtitle = panel.map_fig.plot_layout["title"]["subtitle"]["text"]
    assert "too small to draw: the slope is almost 0" in subtitle and "e+" not in subtitle
    assert not any(a["visible"] for a in panel.map_fig.plot_layout["annotations"][:2])
    table = panel.readout.value
    assert ">x</th>" in table and "position (x, y)" not in table and "(3.4" not in table
    assert f"<td>{panel.picture.walks['sgd'][0].position[0]:.4g}</td>" in table


def test_momentum_term_of_the_first_step_reads_zero():
    panel = DescentPanel(surface="rosenbrock", optimizers=["momentum"])
    assert panel.picture.walks["momentum"][0].parts["momentum term"] == (0.0, 0.0)
    assert "momentum term (0, 0)" in panel.readout.value


def test_divergence_marker_message_and_labels_that_do_not_overlap():
    panel = DescentPanel(
        surface="bowl", optimizers=["sgd", "momentum", "nesterov", "adam"], learning_rate=3.0
    )
    assert "GD left the map after step 0 and diverged at step" in panel.message.value
    assert "the learning rate is too large for this surface" in panel.message.value
    marker = panel.map_fig.trace("left the map (diverged)")
    assert len(marker["x"]) == 3 and "GD left the map after step 0" in marker["text"]
    labels = [a for a in panel.map_fig.plot_layout["annotations"] if "left after" in a["text"]]
    assert len(labels) == 3
    offsets = sorted(a["ay"] for a in labels)  # all three leave from the start
    assert min(np.diff(offsets)) >= descent.LABEL_GAP
    panel.surface = "saddle"
    panel.learning_rate = 0.3
    assert "no bottom" in panel.message.value
    valid(panel)


def test_the_loss_axis_is_log_with_decade_ticks():
    panel = DescentPanel(surface="himmelblau", optimizers=["sgd", "adam"], learning_rate=0.01)
    axis = panel.loss_fig.plot_layout["yaxis"]
    assert axis["type"] == "log" and isinstance(axis["dtick"], int) and axis["dtick"] >= 1
    assert axis["range"] == list(panel.picture.loss.range)
    panel.surface = "saddle"  # losses below zero: a linear axis
    assert panel.loss_fig.plot_layout["yaxis"]["type"] == "linear"


def test_three_d_view_takes_the_map_place_and_gives_it_back():
    panel = DescentPanel(surface="himmelblau")
    assert panel.surface_fig.layout.display == "none" and panel.map_fig.layout.display is None
    panel.view = "3-D"
    assert panel.surface_fig.layout.display is None and panel.map_fig.layout.display == "none"
    z = np.asarray(panel.surface_fig.trace("surface")["z"], dtype=float)
    assert z.shape == (descent.GRID, descent.GRID)
    now = panel.surface_fig.trace("GD now")
    assert (now["x"][0], now["y"][0]) == pytest.approx(panel.picture.walks["sgd"][0].position)
    assert panel.surface_fig.plot_layout["scene"]["zaxis"]["title"]["text"] == "f"
    valid(panel)
    panel.view = "contour"
    assert panel.map_fig.layout.display is None
    panel.surface = "parabola"  # a curve has no 3-D view
    assert panel.controls["view"].layout.display == "none"


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
    assert panel.controls["condition"].layout.display is None


def test_a_click_on_the_map_moves_the_start():
    panel = DescentPanel(surface="himmelblau", optimizers=["sgd"])
    click = {"event": "click", "points": [{"trace": "surface", "x": -3.0, "y": 3.0, "index": 7}]}
    panel.map_fig._custom_msg(panel.map_fig, click, [])
    assert (panel.start_x, panel.start_y) == (-3.0, 3.0)
    walk = panel.picture.walks["sgd"]
    assert walk[0].position == (-3.0, 3.0)
    assert walk[-1].position == pytest.approx((-2.805118, 3.131312), abs=1e-3)
    assert panel.map_fig.trace("start")["x"] == [-3.0]
    on_path = {"trace": "GD", "x": -2.9, "y": 3.05, "index": 4}  # the start goes there too
    panel.map_fig._custom_msg(panel.map_fig, {**click, "points": [on_path]}, [])
    assert (panel.start_x, panel.start_y) == (-2.9, 3.05)


def test_one_d_mode_draws_the_curve_tangent_and_derivative():
    panel = DescentPanel(surface="double-well", optimizers=["sgd"], step=4)
    fr = panel.picture.walks["sgd"][4]
    tangent = panel.map_fig.plot_layout["shapes"][-1]
    slope = (tangent["y1"] - tangent["y0"]) / (tangent["x1"] - tangent["x0"])
    assert tangent["visible"] and slope == pytest.approx(fr.grad[0])
    assert panel.map_fig.trace("tangent: its slope is f'(x)")["visible"] is True
    assert panel.map_fig.trace("surface")["visible"] is False
    assert panel.map_fig.trace("f(x)")["visible"] is True
    assert panel.map_fig.plot_layout["yaxis2"]["visible"] is True
    assert dot_of(panel.map_fig, "sgd")[:2] == pytest.approx((fr.position[0], fr.loss))
    valid(panel)


def test_custom_formula_and_bad_formula_never_raise():
    panel = DescentPanel(surface="custom", expression="(x-1)**2 + y**2", optimizers=["sgd"])
    assert panel.picture.walks["sgd"][0].position == (panel.start_x, panel.start_y)
    assert "(x-1)**2 + y**2" in panel.note.value
    assert panel.controls["expression"].layout.display is None
    panel.expression = "__import__('os').system('echo hi')"
    assert "Cannot use this formula" in panel.message.value
    assert "not an allowed function" in panel.message.value
    panel.expression = "x << 2"
    assert "operator &lt;&lt; is not allowed" in panel.message.value  # escaped
    panel.expression = "x**2 - y"
    assert "Cannot use" not in panel.message.value
    panel.surface = "ravine"
    assert panel.controls["expression"].layout.display == "none"


def test_controls_shown_only_where_they_matter():
    panel = DescentPanel(optimizers=["sgd"])
    hidden = {n for n, w in panel.controls.items() if w.layout.display == "none"}
    assert {"decay", "momentum", "beta1", "beta2", "expression", "condition"} <= hidden
    panel.state = {"optimizers": ["nesterov", "adam"], "schedule": "inverse-time"}
    shown = {n for n, w in panel.controls.items() if w.layout.display != "none"}
    assert {"decay", "momentum", "beta1", "beta2"} <= shown


def test_the_link_opens_this_setup():
    panel = DescentPanel.from_query("surface=ravine&learning_rate=0.02&hidden=learning_rate")
    assert panel.map_fig.plot_layout["title"]["text"].startswith("ravine")
    assert panel.learning_rate == 0.02 and panel.controls["learning_rate"].layout.display == "none"
    assert "surface=ravine" in panel.link.value
    other = DescentPanel.from_query(panel.query() + "&step=12")
    assert other.state == {**panel.state, "step": 12}
    assert other.controls["step"].play.value == 12  # the browser does not reset it to 0


def test_state_round_trips_as_json():
    panel = DescentPanel(surface="beale", optimizers=["adam", "rmsprop"], view="3-D", step=7)
    state = json.loads(json.dumps(panel.state))
    other = DescentPanel()
    other.state = state
    assert other.state == panel.state
    assert other.step == 7 and other.controls["step"].slider.value == 7  # not clamped to 0
    assert other.picture.walks["adam"][-1].position == panel.picture.walks["adam"][-1].position
    with pytest.raises(ValueError, match="unknown state keys"):
        other.state = {"speed": 1}
    with pytest.raises(TypeError, match="unknown argument"):
        DescentPanel(colour="red")
    with pytest.raises(ValueError, match="learning_rate"):
        DescentPanel(learning_rate=50.0)


def test_fewer_steps_bring_the_step_back_in_range():
    panel = DescentPanel(steps=200, step=150)
    panel.steps = 50
    assert panel.step == 50 and panel.controls["step"].slider.max == 50
    assert panel.map_fig.plot_layout["title"]["text"].endswith("step 50 of 50")


def test_readme_example_and_every_surface_draw_valid_figures():
    panel = DescentPanel(surface="rosenbrock", optimizers=["sgd", "adam"])
    valid(panel)
    for name in (*descent.SURFACES, "custom"):
        panel.surface = name
        assert panel.map_fig.plot_layout["title"]["text"].startswith(name)
        valid(panel)


def test_a_typed_bowl_that_diverges_is_not_called_bottomless():
    panel = DescentPanel.from_query("surface=custom&expression=x**2%2B10*y**2&learning_rate=0.2")
    assert "or it has no bottom" in panel.message.value
    assert "this surface has no bottom" not in panel.message.value
