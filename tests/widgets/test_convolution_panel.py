import asyncio
import json
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from deepscope.scenes import convolution as scene
from deepscope.widgets import ConvolutionPanel, DrawingCanvas


def cells(fig, name):
    return np.asarray(fig.trace(name)["z"], dtype=float)


def test_traitlets_drive_the_controls_and_the_frames():
    panel = ConvolutionPanel()
    tl = panel.timeline
    assert len(tl.conv) == 49 and len(tl.pool) == 9 and len(tl) == 49 + 1 + 9
    assert panel.controls["step"].slider.max == len(tl) - 1
    panel.stride = 2
    assert panel.controls["stride"].value == 2 and len(panel.timeline.conv) == 16
    panel.controls["padding"].value = 1
    assert panel.padding == 1
    assert "floor((9 + 2×1 − 3) / 2) + 1 = <b>5</b>" in panel.sizes.value
    want = scene.convolve(scene.lecture_image("x"), scene.KERNELS["diagonal \\"], 2, 1, True)
    np.testing.assert_allclose(panel.timeline.feature_map, want)


def test_figures_are_valid_plotly_with_named_traces():
    panel = ConvolutionPanel(padding=1)
    panel.train()  # no event loop here: runs to the end
    for fig in panel.figures:
        go.Figure(data=fig.traces, layout=fig.plot_layout)  # raises on a bad property
    assert panel.step_fig.names == ["input", "products", "output"]
    assert panel.stack_fig.names[:2] == ["input", "vote"]
    assert "conv 1 filters #1" in panel.stack_fig.names and "max pool 2 #4" in panel.stack_fig.names


def test_maps_fit_their_cells_and_write_readable_numbers():
    panel = ConvolutionPanel()
    layout = panel.step_fig.plot_layout
    assert layout["xaxis"]["range"] == [-0.5, 8.5] and layout["yaxis"]["range"] == [8.5, -0.5]
    assert layout["xaxis3"]["range"] == [-0.5, 6.5]
    for n in ("", "2", "3"):  # square cells
        assert layout[f"yaxis{n}"]["scaleanchor"] == f"x{n}"
    bars = [panel.step_fig.trace(n)["colorbar"] for n in ("input", "products", "output")]
    assert [b["title"]["text"] for b in bars] == ["pixel", "pixel × weight", "output"]
    assert bars[0]["x"] < bars[1]["x"] < bars[2]["x"]  # one each, side by side
    for name in ("input", "products", "output"):
        assert panel.step_fig.trace(name)["textfont"]["size"] >= 14
    assert panel.step_fig.trace("products")["text"][0] == ["-1×1", "-1×-1", "-1×-1"]
    assert panel.step_fig.trace("output")["text"][0][0] == "0.78"
    assert "col %{x}" in panel.step_fig.trace("products")["hovertemplate"]
    panel.source = "drawing"  # 28x28: too many cells to write numbers into
    assert panel.step_fig.trace("input")["text"] is None
    assert panel.step_fig.plot_layout["xaxis"]["range"] == [-0.5, 27.5]


def test_step_moves_the_window_and_fills_one_more_cell():
    panel = ConvolutionPanel()
    fig, player = panel.step_fig, panel.controls["step"]
    assert np.isfinite(cells(fig, "output")).sum() == 1
    x0 = fig.plot_layout["shapes"][0]["x0"]
    player.advance()
    assert panel.step == 1 and player.slider.value == 1
    assert fig.plot_layout["shapes"][0]["x0"] == x0 + 1
    assert np.isfinite(cells(fig, "output")).sum() == 2
    assert "The arithmetic" in panel.explain.value and "/ 9 = -0.1111" in panel.explain.value
    panel.step = 49  # the ReLU frame
    assert "ReLU" in fig.plot_layout["title"]["text"]
    np.testing.assert_array_equal(cells(fig, "output"), scene.relu(panel.timeline.feature_map))
    panel.step = 50  # the first pooling window
    assert "pooling" in fig.plot_layout["title"]["text"]
    assert cells(fig, "output")[0, 0] == pytest.approx(1.0)
    player.reset()
    assert panel.step == 0 and "window 1 of 49" in fig.plot_layout["title"]["text"]


def test_one_message_per_figure_per_frame(messages):
    panel = ConvolutionPanel()
    step, stack = messages(panel.step_fig), messages(panel.stack_fig)
    panel.step = 3
    assert step == ["update"] and stack == []  # the stack does not depend on the step
    step.clear()
    panel.state = {"stride": 2, "padding": 1, "preset": "laplacian", "step": 4}
    assert step == ["update"] and stack == []
    step.clear()
    panel.source = "O"  # both figures show the input
    assert step == ["update"] and stack == ["update"]
    step.clear(), stack.clear()
    panel.shuffle_input = True
    assert step == [] and stack == ["update"]
    step.clear(), stack.clear()
    panel.dataset = "MNIST"  # the stack only
    assert step == [] and stack == ["update"]


def test_bad_kernel_cells_give_messages_not_exceptions():
    panel = ConvolutionPanel()
    grid = panel.controls["kernel"].children
    grid[4].value = "one"
    assert "row 2, column 2" in panel.message.value and "&#x27;one&#x27;" in panel.message.value
    assert panel.kernel[1][1] == 1.0  # the last good kernel stays
    grid[4].value = "__import__('os')"  # parsed as a number, never evaluated
    assert "must be a number" in panel.message.value
    grid[4].value = " 2"
    assert panel.kernel[1][1] == 2.0 and panel.preset == "custom" and panel.message.value == ""
    grid[0].value = "0.1"  # kept as typed, so the link reads 0.1
    assert panel.query().startswith("preset=custom&kernel=0.1,-1.0,-1.0;")
    assert grid[4].value == "2"
    with pytest.raises(ValueError, match="kernel"):
        panel.state = {"kernel": np.ones((9, 9)).tolist()}
    assert len(panel.kernel) == 3


def test_a_map_too_small_to_pool_says_so():
    panel = ConvolutionPanel(kernel=np.ones((7, 7)).tolist(), stride=3)
    assert len(panel.timeline.feature_map) == 1 and not panel.timeline.pool
    assert "no pooling" in panel.sizes.value
    panel.step = 1
    assert "ReLU" in panel.step_fig.plot_layout["title"]["text"]


def test_presets_and_kernel_size():
    panel = ConvolutionPanel(preset="sobel x")
    grid = panel.controls["kernel"]
    assert panel.kernel == scene.KERNELS["sobel x"].tolist()
    assert [c.value for c in grid.children][:3] == ["-1", "0", "1"]
    panel.controls["kernel_size"].value = 5
    k = np.array(panel.kernel)
    assert k.shape == (5, 5) and (k[1:4, 1:4] == scene.KERNELS["sobel x"]).all()
    assert panel.preset == "custom" and len(grid.children) == 25
    panel.preset = "laplacian"
    assert panel.kernel_size == 3 and len(grid.children) == 9
    panel.kernel = scene.KERNELS["identity"].tolist()
    assert panel.preset == "identity"


def test_the_input_controls_follow_the_source():
    panel = ConvolutionPanel()
    shown = lambda name: panel.controls[name].layout.display != "none"  # noqa: E731
    assert shown("variant") and not shown("digit") and not shown("canvas")
    panel.source = "MNIST"
    assert shown("digit") and not shown("variant")
    image, label = scene.mnist_image(0)
    np.testing.assert_array_equal(cells(panel.step_fig, "input"), image)
    panel.hidden = ["digit"]
    panel.source = "drawing"
    panel.source = "MNIST"
    assert not shown("digit")  # the teacher's hiding wins


def test_drawing_reaches_the_panel():
    panel = ConvolutionPanel(source="drawing")
    img = np.zeros((28, 28), dtype=np.float32)
    img[4:24, 13:15] = 1.0
    panel.canvas.image = img
    np.testing.assert_array_equal(panel.image(), img)
    assert cells(panel.step_fig, "input").max() == 1.0
    assert "floor((28 + 2×0 − 3) / 1) + 1" in panel.sizes.value


def test_canvas_checks_its_arguments():
    canvas = DrawingCanvas(10, 12)
    assert canvas.image.shape == (10, 12) and not canvas.image.any()
    with pytest.raises(ValueError, match=r"image must be \(10, 12\)"):
        canvas.image = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"in \[0, 1\]"):
        canvas.image = np.full((10, 12), 2.0)
    with pytest.raises(ValueError, match="rows must be"):
        DrawingCanvas(0, 5)
    canvas.pixels = [0.5] * 120
    assert canvas.image[3, 4] == 0.5
    canvas.clear()
    assert not canvas.image.any()


def test_the_stack_shows_the_untrained_network_then_trains_and_votes():
    panel = ConvolutionPanel(epochs=8)
    fig = panel.stack_fig
    assert "untrained" in fig.plot_layout["title"]["text"]
    assert cells(fig, "conv 1 #1").shape == (9, 9)  # drawn before any training
    panel.train()  # no event loop here: runs to the end
    assert not panel.running and len(panel.history) == 8
    assert panel.history[-1]["val_accuracy"] == 1.0
    assert "held-out accuracy <b>100.0%</b>" in panel.train_status.value
    assert "epoch 8 of 8" in panel.controls["train"].label.value
    bars = fig.trace("vote")
    assert list(bars["x"]) == ["O", "X"] and bars["y"][1] > 0.9
    assert "The vote: <b>X</b>" in fig.plot_layout["title"]["text"]
    model = panel.models["X / O"]
    np.testing.assert_allclose(cells(fig, "conv 1 filters #2"), model.layers[0].params["W"][1, 0])
    panel.source = "O"
    assert "The vote: <b>O</b>" in fig.plot_layout["title"]["text"]
    panel.shuffle_input = True
    assert "shuffled" in fig.plot_layout["title"]["text"]
    np.testing.assert_array_equal(cells(fig, "input"), panel.stack_input())
    assert not np.array_equal(panel.stack_input(), scene.lecture_image("o"))


def test_training_runs_live_without_blocking(messages):
    panel = ConvolutionPanel(dataset="MNIST", epochs=30)  # X / O is too quick to catch
    fig = panel.stack_fig
    step_sent, stack_sent = messages(panel.step_fig), messages(fig)
    draws, draw = [], panel.draw_training
    panel.draw_training = lambda: (draw(), draws.append(fig.plot_layout["title"]["text"]))

    async def until(condition):
        while not condition():
            await asyncio.sleep(0.01)

    async def run():
        task = panel.train()
        assert task is panel.task and panel.running and not task.done()  # back at once
        await until(lambda: len(panel.history) >= 1)
        assert panel.running and "epoch" in panel.controls["train"].label.value
        await until(lambda: "untrained" not in fig.plot_layout["title"]["text"])  # drawn live
        before = cells(fig, "conv 1 #1").copy()
        panel.shuffle_input = True  # a control moved while it trains
        assert not np.array_equal(cells(fig, "conv 1 #1"), before)
        assert "shuffled" in fig.plot_layout["title"]["text"]
        panel.pause()
        held = len(panel.history)
        for _ in range(5):
            await asyncio.sleep(0.02)
        assert len(panel.history) == held and panel.running and panel.paused
        panel.resume()
        await until(lambda: len(panel.history) > held)
        panel.stop()
        reason = await task
        assert reason == "stopped" and not panel.running
        assert len(panel.history) < 30
        assert "Stopped after" in panel.train_status.value
        assert "stopped after" in panel.controls["train"].label.value
        assert (
            f"after {len(panel.history)} epochs on MNIST digits" in fig.plot_layout["title"]["text"]
        )

    asyncio.run(run())
    # every live frame says it is training and how far, the first epoch's too
    assert draws and all(
        re.search(r"training on MNIST digits, \d+ of 30 epochs done", t) for t in draws
    )
    assert step_sent == []  # training redraws the stack only: one message a draw
    # and one for the shuffle, one when it stopped (the vote's title: how far it trained)
    assert len(stack_sent) == len(draws) + 2 > 3
    assert panel.trained == {"MNIST": len(panel.history)}


def test_state_round_trips_as_json():
    panel = ConvolutionPanel(
        source="MNIST",
        digit=7,
        preset="laplacian",
        stride=2,
        padding=1,
        average=False,
        pool_mode="avg",
        step=5,
        dataset="MNIST",
        shuffle_input=True,
    )
    state = json.loads(json.dumps(panel.state))
    other = ConvolutionPanel()
    other.state = state
    assert other.state == panel.state and other.controls["step"].slider.value == 5
    player = panel.controls["step"]  # a step given before the frames exist reaches the player
    assert player.slider.value == player.play.value == 5
    np.testing.assert_array_equal(other.timeline.feature_map, panel.timeline.feature_map)
    with pytest.raises(TypeError, match="unknown argument"):
        ConvolutionPanel(colour="red")


def test_a_link_opens_the_panel_in_its_state():
    panel = ConvolutionPanel.from_query("source=O&stride=2&kernel=1,0;0,1&voila-token=x")
    assert (panel.source, panel.stride, panel.kernel) == ("O", 2, [[1, 0], [0, 1]])
    assert panel.kernel_size == 2 and panel.preset == "custom"
    assert "kernel=1.0,0.0;0.0,1.0" in panel.link.value and "source=O" in panel.link.value
    bad = ConvolutionPanel.from_query("stride=9&kernel=1,2;3")
    assert bad.stride == 1 and "stride" in bad.message.value and "kernel" in bad.message.value


def test_step_one_epoch_then_carry_on():
    panel = ConvolutionPanel(epochs=3)
    panel.step_epoch()  # no event loop: one epoch here, then paused
    assert panel.running and panel.paused and len(panel.history) == 1
    assert "training on X or O, 1 of 3 epochs done" in panel.stack_fig.plot_layout["title"]["text"]
    panel.resume()
    assert not panel.running and len(panel.history) == 3
    assert "after 3 epochs on X or O" in panel.stack_fig.plot_layout["title"]["text"]


def test_every_preset_holds_and_a_kernel_keeps_its_digits():
    for name in scene.KERNELS:
        panel = ConvolutionPanel(preset=name)  # box blur (1/9 each) among them
        assert panel.preset == name and panel.controls["preset"].value == name
        other = ConvolutionPanel.from_query(panel.query())
        assert other.preset == name and other.kernel == panel.kernel
    panel = ConvolutionPanel(kernel=[[0.123456, 1.0], [2.0, -1.0]])
    assert panel.kernel == [[0.123456, 1.0], [2.0, -1.0]]
    assert ConvolutionPanel.from_query(panel.query()).kernel == panel.kernel
