import json

import numpy as np
import pytest

from deepscope.scenes import convolution as scene
from deepscope.widgets import ConvolutionPanel, DrawingCanvas


def test_traitlets_drive_the_controls_and_the_frames():
    panel = ConvolutionPanel()
    assert len(panel.conv_frames) == 49 and len(panel.pool_frames) == 9
    assert panel.n_frames == 49 + 1 + 9
    panel.stride = 2
    assert panel.stride_slider.value == 2 and len(panel.conv_frames) == 16
    panel.padding_slider.value = 1
    assert panel.padding == 1
    assert "floor((9 + 2×1 − 3) / 2) + 1 = <b>5</b>" in panel.message.value
    want = scene.convolve(scene.lecture_image("x"), scene.KERNELS["diagonal \\"], 2, 1, True)
    np.testing.assert_allclose(panel.conv_frames[-1].output, want)


def test_step_moves_the_window_and_fills_one_more_cell():
    panel = ConvolutionPanel()
    a, b, out = panel.fig.data
    assert np.isfinite(np.asarray(out.z, dtype=float)).sum() == 1
    x0 = panel.fig.layout.shapes[0].x0
    panel.player.advance()
    assert panel.step == 1 and panel.player.slider.value == 1
    assert panel.fig.layout.shapes[0].x0 == x0 + 1
    assert np.isfinite(np.asarray(out.z, dtype=float)).sum() == 2
    assert "0.3333" in panel.explain.value or "=" in panel.explain.value
    panel.step = 49  # the ReLU frame
    assert "ReLU" in panel.fig.layout.title.text
    np.testing.assert_array_equal(np.asarray(out.z), scene.relu(panel.conv_frames[-1].output))
    panel.step = 50  # the first pooling window
    assert "pooling" in panel.fig.layout.title.text and out.z[0][0] == pytest.approx(1.0)
    panel.player.reset()
    assert panel.step == 0 and "window 1 of 49" in panel.fig.layout.title.text


def test_one_batched_message_per_frame(messages):
    panel = ConvolutionPanel()
    sent = messages(panel.fig)
    panel.step = 3
    assert sent == ["update"]


def test_bad_inputs_give_messages_not_exceptions():
    panel = ConvolutionPanel()
    panel.grid_box.children[4].value = "one"
    assert "row 2, column 2" in panel.message.value and "&#x27;one&#x27;" in panel.message.value
    assert panel.kernel[1][1] == 1.0  # the last good kernel stays
    panel.grid_box.children[4].value = "2"
    assert panel.kernel[1][1] == 2.0 and panel.preset == "custom"
    panel.size_slider.value = 7
    panel.stride = 3
    panel.source = "X"
    panel.kernel = np.ones((7, 7)).tolist()
    assert "no pooling" in panel.message.value  # a 1x1 map cannot be pooled 2x2
    panel.kernel = np.ones((7, 7)).tolist()
    panel.padding = 0
    big = ConvolutionPanel(kernel=np.ones((7, 7)).tolist(), stride=1)
    big.source = "X"
    assert "windows" in big.message.value
    tiny = ConvolutionPanel()
    tiny.kernel = np.ones((11, 11)).tolist()
    assert "larger than the padded image" in tiny.message.value
    assert len(tiny.conv_frames) == 49  # the last good frames are kept


def test_presets_and_kernel_size():
    panel = ConvolutionPanel(preset="sobel x")
    assert panel.kernel == scene.KERNELS["sobel x"].tolist()
    assert [c.value for c in panel.grid_box.children][:3] == ["-1", "0", "1"]
    panel.size_slider.value = 5
    k = np.array(panel.kernel)
    assert k.shape == (5, 5) and (k[1:4, 1:4] == scene.KERNELS["sobel x"]).all()
    assert panel.preset == "custom" and len(panel.grid_box.children) == 25


def test_drawing_reaches_the_panel():
    panel = ConvolutionPanel(source="drawing")
    img = np.zeros((28, 28), dtype=np.float32)
    img[4:24, 13:15] = 1.0
    panel.canvas.image = img
    np.testing.assert_array_equal(panel.image(), img)
    assert np.asarray(panel.fig.data[0].z).max() == 1.0
    assert "floor((28 + 2×0 − 3) / 1) + 1" in panel.message.value


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


def test_stack_trains_live_and_votes():
    panel = ConvolutionPanel(epochs=8)
    model, history = panel.train()
    assert panel.progress.value == 8 and history[-1]["test_accuracy"] == 1.0
    assert "held-out accuracy <b>100.0%</b>" in panel.train_status.value
    bars = panel.stack_fig.data[1]
    assert list(bars.x) == ["O", "X"] and bars.y[1] > 0.9
    assert "The vote: <b>X</b>" in panel.stack_fig.layout.title.text
    filters = np.asarray(panel.stack_fig.data[2].z)
    np.testing.assert_allclose(filters, model.layers[0].params["W"][0, 0])
    panel.source = "O"
    assert "The vote: <b>O</b>" in panel.stack_fig.layout.title.text
    panel.shuffle_input = True
    assert "shuffled" in panel.stack_fig.layout.title.text


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
    )
    state = json.loads(json.dumps(panel.state))
    other = ConvolutionPanel()
    other.state = state
    assert other.state == panel.state and other.player.slider.value == 5
    np.testing.assert_array_equal(other.conv_frames[-1].output, panel.conv_frames[-1].output)
    with pytest.raises(TypeError, match="unknown argument"):
        ConvolutionPanel(colour="red")
