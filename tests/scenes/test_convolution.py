import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepscope.core import get_backend
from deepscope.scenes import convolution as scene

REF = get_backend("numpy")


@settings(max_examples=40, deadline=None)
@given(
    h=st.integers(3, 10),
    w=st.integers(3, 10),
    k=st.integers(1, 4),
    stride=st.integers(1, 3),
    padding=st.integers(0, 2),
    channels=st.integers(1, 2),
    average=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_frames_match_the_core_convolution(h, w, k, stride, padding, channels, average, seed):
    rng = np.random.default_rng(seed)
    image = rng.normal(size=(channels, h, w)).astype(np.float32)
    kernel = rng.normal(size=(channels, k, k)).astype(np.float32)
    if k > min(h, w) + 2 * padding:
        with pytest.raises(ValueError, match="larger than the padded image"):
            scene.conv_steps(image, kernel, stride, padding, average)
        return
    frames = scene.conv_steps(image, kernel, stride, padding, average)
    want = REF.conv2d_forward(image[None], kernel[None], np.zeros(1, np.float32), stride, padding)[
        0, 0
    ]
    if average:
        want = want / (channels * k * k)
    assert want.shape == (
        scene.output_size(h, k, stride, padding),
        scene.output_size(w, k, stride, padding),
    )
    assert len(frames) == want.size
    np.testing.assert_allclose(frames[-1].output, want, rtol=1e-4, atol=1e-4)
    padded = np.pad(image, ((0, 0), (padding, padding), (padding, padding)))
    for fr in frames[:: max(1, len(frames) // 7)]:
        r0, c0, r1, c1 = fr.window
        np.testing.assert_array_equal(fr.pixels, padded[:, r0:r1, c0:c1])
        np.testing.assert_allclose(fr.products, fr.pixels * kernel, rtol=1e-6)
        np.testing.assert_allclose(fr.partials, fr.products.sum(axis=(1, 2)), rtol=1e-5)
        total = fr.partials.sum() / (channels * k * k if average else 1)
        assert fr.value == pytest.approx(total, rel=1e-4, abs=1e-4)
        assert fr.value == pytest.approx(want[fr.index], rel=1e-4, abs=1e-4)
        done = np.isfinite(fr.output)
        assert done.sum() == fr.index[0] * want.shape[1] + fr.index[1] + 1


@settings(max_examples=30, deadline=None)
@given(
    h=st.integers(2, 9),
    w=st.integers(2, 9),
    size=st.integers(1, 3),
    stride=st.integers(1, 3),
    mode=st.sampled_from(["max", "avg"]),
    seed=st.integers(0, 999),
)
def test_pool_frames_match_the_core_pooling(h, w, size, stride, mode, seed):
    fmap = np.random.default_rng(seed).normal(size=(h, w)).astype(np.float32)
    if size > min(h, w):
        with pytest.raises(ValueError, match="larger than the map"):
            scene.pool_steps(fmap, size, stride, mode)
        return
    frames = scene.pool_steps(fmap, size, stride, mode)
    fn = REF.maxpool2d_forward if mode == "max" else REF.avgpool2d_forward
    want = fn(fmap[None, None], size, stride)[0, 0]
    np.testing.assert_allclose(frames[-1].output, want, rtol=1e-5, atol=1e-6)
    for fr in frames:
        r0, c0, r1, c1 = fr.window
        window = fmap[r0:r1, c0:c1]
        if mode == "max":
            assert fmap[fr.argmax] == window.max() == fr.value
        else:
            assert fr.argmax is None
            assert fr.value == pytest.approx(window.mean(), rel=1e-5, abs=1e-6)


def test_the_lecture_x_lights_up_its_diagonal():
    x = scene.lecture_image("x")
    out = scene.convolve(x, scene.KERNELS["diagonal \\"], average=True)
    assert out.shape == (7, 7)
    # along the stroke the window matches pixel for pixel; at the centre, where the other
    # stroke crosses, 5 of 9 agree: the lecture's 0.55
    np.testing.assert_allclose(np.diag(out)[[1, 2, 4, 5]], 1.0)
    assert out[3, 3] == pytest.approx(5 / 9)
    assert out[0, 0] == pytest.approx(7 / 9)
    frame = scene.conv_steps(x, scene.KERNELS["diagonal \\"], average=True)[0]
    text = scene.arithmetic(frame, scene.KERNELS["diagonal \\"], average=True)
    assert text.startswith("(-1×1 + -1×-1") and text.endswith("= 7 / 9 = 0.7778")
    pooled = scene.pool(scene.relu(out), 2)
    assert pooled.shape == (3, 3) and pooled[0, 0] == pytest.approx(1.0)


def test_relu_zeroes_negatives_only():
    fmap = np.array([[-1.0, 0.5], [2.0, -0.1]], dtype=np.float32)
    np.testing.assert_array_equal(scene.relu(fmap), [[0, 0.5], [2, 0]])


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: scene.conv_steps(np.ones((3, 3)), np.ones((5, 5))), "larger than the padded"),
        (lambda: scene.conv_steps(np.ones((5, 5)), np.ones((3, 3)), stride=0), "stride"),
        (lambda: scene.conv_steps(np.ones((5, 5)), np.ones((3, 3)), padding=-1), "padding"),
        (lambda: scene.conv_steps(np.ones((5, 5)), np.ones((2, 3))), "square"),
        (lambda: scene.conv_steps(np.full((5, 5), np.nan), np.ones((3, 3))), "NaN or inf"),
        (lambda: scene.pool_steps(np.ones((3, 3)), 2, mode="median"), "mode"),
        (lambda: scene.parse_kernel([["1", "x"], ["0", "1"]]), r"row 1, column 2.*'x'"),
        (lambda: scene.parse_kernel([["1", "inf"], ["0", "1"]]), "finite"),
        (lambda: scene.parse_kernel([["1", "2"], ["3"]]), "square"),
        (lambda: scene.lecture_image("x", "blurred"), "variant"),
        (lambda: scene.mnist_image(5000), "index"),
        (lambda: scene.square_kernel(np.ones((8, 8))), "K from 1 to 7"),
        (lambda: scene.square_kernel(np.ones((2, 3))), "square"),
        (lambda: scene.square_kernel([[1, np.nan], [0, 1]]), "NaN or inf"),
        (lambda: scene.resize_kernel(np.ones((3, 3)), 0), "size"),
        (lambda: scene.timeline(np.ones((2, 5, 5)), np.ones((3, 3))), "one channel"),
        (lambda: scene.cnn_training(scene.xo_task(8, 4), epochs=0), "epochs"),
        (lambda: scene.stack_input(scene.xo_task(8, 4), "drawing"), "needs an image"),
    ],
)
def test_bad_inputs_say_what_is_wrong(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_parse_kernel_reads_typed_numbers():
    k = scene.parse_kernel([[" 1", "-2.5"], ["1e-1", "0"]])
    np.testing.assert_array_equal(k, [[1, -2.5], [0.1, 0]])  # as typed, not float32-rounded


def test_resize_and_shuffle():
    img = np.arange(16, dtype=np.float32).reshape(4, 4)
    np.testing.assert_allclose(scene.resize(img, 4), img)
    assert scene.resize(np.ones((28, 28)), 9).shape == (9, 9)
    shuffled = scene.shuffle_pixels(img)
    assert sorted(shuffled.ravel()) == sorted(img.ravel()) and not (shuffled == img).all()
    np.testing.assert_array_equal(scene.shuffle_pixels(img[None])[0], shuffled)


def test_the_xo_cnn_gets_every_held_out_glyph_and_shuffling_breaks_it():
    task = scene.xo_task()
    model, history = scene.train_cnn(task, epochs=10)
    assert len(history) == 10 and history[-1]["val_accuracy"] == 1.0
    maps = scene.feature_maps(model, task.X_test[0, 0])
    assert [m.shape for _, m in maps][:3] == [(4, 9, 9), (4, 9, 9), (4, 4, 4)]
    scores, probs = scene.vote(model, scene.lecture_image("x"))
    assert probs.argmax() == 1 and probs.sum() == pytest.approx(1.0)
    shuffled = scene.shuffle_pixels(task.X_test[:, 0])
    right = np.mean([scene.vote(model, x)[1].argmax() == y for x, y in zip(shuffled, task.y_test)])
    assert right < 0.8  # near chance: the features no longer line up with anything


def test_resize_kernel_keeps_the_centre():
    sobel = scene.KERNELS["sobel x"]
    big = scene.resize_kernel(sobel, 5)
    assert big.shape == (5, 5) and (big[1:4, 1:4] == sobel).all() and big[0].sum() == 0
    np.testing.assert_array_equal(scene.resize_kernel(big, 3), sobel)
    np.testing.assert_array_equal(scene.resize_kernel(sobel, 1), [[0]])
    assert scene.preset_of(sobel.tolist()) == "sobel x" and scene.preset_of(big) == "custom"


def test_timeline_walks_conv_relu_then_pooling():
    x = scene.lecture_image("x")
    tl = scene.timeline(x, scene.KERNELS["diagonal \\"], 1, 1, True, "max")
    assert len(tl.conv) == 81 and len(tl.pool) == 16 and len(tl) == 81 + 1 + 16
    assert tl.stage(0) == ("conv", 0) and tl.stage(81) == ("relu", 0)
    assert tl.stage(82) == ("pool", 0) and tl.stage(10_000) == ("pool", 15)
    assert tl.padded.shape == (11, 11) and tl.span == (-1.0, 1.0) and tl.product_span == 1.0
    assert tl.map_span == pytest.approx(np.abs(tl.feature_map).max())
    assert tl.negatives == int((tl.feature_map < 0).sum()) > 0
    np.testing.assert_array_equal(tl.rectified, scene.relu(tl.feature_map))
    tiny = scene.timeline(x, np.ones((7, 7)), stride=3)  # a 1x1 map: nothing to pool
    assert tiny.feature_map.shape == (1, 1) and tiny.pool == [] and len(tiny) == 2


def test_stack_input_fits_each_network():
    xo, digits = scene.xo_task(8, 4), scene.mnist_task(100)
    assert (xo.size, xo.ink, digits.size, digits.ink) == (9, (-1.0, 1.0), 28, (0.0, 1.0))
    np.testing.assert_array_equal(scene.stack_input(xo, "X"), scene.lecture_image("x"))
    big = scene.stack_input(digits, "O", "thicker")
    assert big.shape == (28, 28) and big.min() == 0 and big.max() == 1
    digit = scene.mnist_image(3)[0]
    np.testing.assert_array_equal(scene.stack_input(digits, "MNIST", image=digit), digit)
    small = scene.stack_input(xo, "drawing", image=np.ones((28, 28)))
    np.testing.assert_allclose(small, np.ones((9, 9)))  # ink is +1 for the X/O network
    shuffled = scene.stack_input(xo, "X", shuffled=True)
    np.testing.assert_array_equal(shuffled, scene.shuffle_pixels(scene.lecture_image("x")))


def test_cnn_training_is_one_stream_of_events():
    task = scene.xo_task(64, 32)
    model, events = scene.cnn_training(task, epochs=2, batch_size=16)
    before = model.layers[0].params["W"].copy()
    kinds = [e.kind for e in events]
    assert kinds == (["step"] * 4 + ["epoch"]) * 2  # a step event lets a live view redraw
    assert not np.array_equal(model.layers[0].params["W"], before)  # trained in place
    again, history = scene.train_cnn(task, epochs=2, batch_size=16)
    np.testing.assert_array_equal(again.layers[0].params["W"], model.layers[0].params["W"])
    assert [sorted(h) for h in history] == [["accuracy", "loss", "val_accuracy", "val_loss"]] * 2


def test_stack_maps_name_every_row():
    task = scene.xo_task(8, 4)
    model = scene.build_cnn(task.size, 2)
    maps = scene.stack_maps(model, scene.lecture_image("x"))
    assert len(maps) == len(scene.STACK_ROWS) == len(set(scene.STACK_ROWS))
    assert [m.shape for m in maps] == [(4, 3, 3), (4, 9, 9), (4, 9, 9), (4, 4, 4)] + [
        (4, 4, 4),
        (4, 4, 4),
        (4, 2, 2),
    ]
