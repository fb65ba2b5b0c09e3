"""Reference primitives against central differences (float64), cpu against reference."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from testkit import numeric_grad

from deepscope.core import get_backend

REF = get_backend("numpy")
CPU = get_backend("cpu")


conv_cases = st.tuples(
    st.integers(1, 2),
    st.integers(1, 3),
    st.integers(1, 3),  # N, C, O
    st.integers(1, 4),
    st.integers(1, 3),
    st.integers(0, 2),  # K, stride, padding
    st.integers(0, 4),
    st.integers(0, 4),  # extra H, extra W beyond the kernel
)


@settings(max_examples=25, deadline=None)
@given(conv_cases, st.integers(0, 10_000))
def test_conv2d_gradients_match_central_differences(case, seed):
    n, c, o, k, s, p, eh, ew = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, k + eh, k + ew))
    w = rng.normal(size=(o, c, k, k))
    b = rng.normal(size=o)
    out = REF.conv2d_forward(x, w, b, s, p)
    dout = rng.normal(size=out.shape)
    dx, dw, db = REF.conv2d_backward(dout, x, w, s, p)

    def f():
        return float(np.sum(REF.conv2d_forward(x, w, b, s, p) * dout))

    np.testing.assert_allclose(dx, numeric_grad(f, x), atol=1e-6)
    np.testing.assert_allclose(dw, numeric_grad(f, w), atol=1e-6)
    np.testing.assert_allclose(db, numeric_grad(f, b), atol=1e-6)
    # and the numba backend agrees with the specification
    np.testing.assert_allclose(CPU.conv2d_forward(x, w, b, s, p), out, atol=1e-10)
    for a, r in zip(CPU.conv2d_backward(dout, x, w, s, p), (dx, dw, db)):
        np.testing.assert_allclose(a, r, atol=1e-10)
    for backend in (REF, CPU):  # dx alone, and dw, db alone, as the full backward gives them
        np.testing.assert_allclose(backend.conv2d_backward_input(dout, x, w, s, p), dx, atol=1e-10)
        for a, r in zip(backend.conv2d_backward_params(dout, x, w, s, p), (dw, db)):
            np.testing.assert_allclose(a, r, atol=1e-10)


@pytest.mark.parametrize("shape, out_ch, padding", [((3, 2, 7, 9), 4, 1), ((2, 1, 28, 28), 8, 0)])
def test_conv3x3_stride1_loops_match_the_reference(shape, out_ch, padding, rng):
    """The 3x3 stride-1 kernel has loops of its own (nine taps in one pass, a gathered dx):
    forward, backward, dx alone and the fused inference pass against the specification,
    in float64 and float32."""
    x = rng.normal(size=shape)
    w, b = rng.normal(size=(out_ch, shape[1], 3, 3)), rng.normal(size=out_ch)
    out = REF.conv2d_forward(x, w, b, 1, padding)
    dout = rng.normal(size=out.shape)
    want = REF.conv2d_backward(dout, x, w, 1, padding)
    for dtype, tol in ((np.float64, 1e-10), (np.float32, 2e-4)):
        xs, ws, bs, ds = (a.astype(dtype) for a in (x, w, b, dout))
        scale = max(1.0, float(np.abs(out).max()))
        np.testing.assert_allclose(
            CPU.conv2d_forward(xs, ws, bs, 1, padding), out, atol=tol * scale
        )
        for got, ref in zip(CPU.conv2d_backward(ds, xs, ws, 1, padding), want):
            assert got.dtype == dtype
            np.testing.assert_allclose(got, ref, atol=tol * max(1.0, float(np.abs(ref).max())))
        np.testing.assert_allclose(
            CPU.conv2d_backward_input(ds, xs, ws, 1, padding), want[0], atol=tol * scale
        )
        for got, ref in zip(CPU.conv2d_backward_params(ds, xs, ws, 1, padding), want[1:]):
            np.testing.assert_allclose(got, ref, atol=tol * max(1.0, float(np.abs(ref).max())))
        for size, stride in ((2, 2), (3, 2), (2, 1)):
            np.testing.assert_allclose(
                CPU.conv2d_relu_maxpool2d_forward(xs, ws, bs, 1, padding, size, stride),
                REF.maxpool2d_forward(REF.relu_forward(out), size, stride),
                atol=tol * scale,
            )


def test_maxpool_2x2_loops_match_the_reference_with_ties(rng):
    """The 2x2 stride-2 max pool's own loops: odd sizes leave the last row and column out,
    and a tie sends the gradient to the first of the window in row-major order."""
    x = rng.normal(size=(2, 3, 7, 9))
    x[0, 0, :2, :2] = 1.0  # a four-way tie
    x[1, 2, 2:4, 4] = 2.0  # a tie down a column
    dout = rng.normal(size=(2, 3, 3, 4))
    np.testing.assert_array_equal(CPU.maxpool2d_forward(x, 2, 2), REF.maxpool2d_forward(x, 2, 2))
    dx = CPU.maxpool2d_backward(dout, x, 2, 2)
    np.testing.assert_array_equal(dx, REF.maxpool2d_backward(dout, x, 2, 2))
    assert dx[0, 0, 0, 0] == dout[0, 0, 0, 0] and not dx[0, 0, :2, :2].ravel()[1:].any()
    assert not dx[:, :, 6].any() and not dx[:, :, :, 8].any()


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 5),
    st.integers(0, 10_000),
    st.sampled_from(["maxpool2d", "avgpool2d"]),
)
def test_pool_gradients(size, stride, extra, seed, kind):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2, 2, size + extra, size + extra + 1))
    fwd = getattr(REF, f"{kind}_forward")
    out = fwd(x, size, stride)
    dout = rng.normal(size=out.shape)
    dx = getattr(REF, f"{kind}_backward")(dout, x, size, stride)
    np.testing.assert_allclose(
        dx, numeric_grad(lambda: float(np.sum(fwd(x, size, stride) * dout)), x), atol=1e-6
    )
    np.testing.assert_allclose(getattr(CPU, f"{kind}_forward")(x, size, stride), out, atol=1e-12)
    np.testing.assert_allclose(
        getattr(CPU, f"{kind}_backward")(dout, x, size, stride), dx, atol=1e-12
    )


def test_maxpool_routes_gradient_to_argmax():
    x = np.array([[[[1.0, 5.0], [2.0, 3.0]]]])
    dx = REF.maxpool2d_backward(np.array([[[[7.0]]]]), x, 2, 2)
    assert dx.tolist() == [[[[0.0, 7.0], [0.0, 0.0]]]]


def test_dense_gradients(rng):
    x, w, b = rng.normal(size=(4, 3)), rng.normal(size=(3, 5)), rng.normal(size=5)
    dout = rng.normal(size=(4, 5))
    dx, dw, db = REF.dense_backward(dout, x, w)

    def f():
        return float(np.sum(REF.dense_forward(x, w, b) * dout))

    np.testing.assert_allclose(dx, numeric_grad(f, x), atol=1e-6)
    np.testing.assert_allclose(dw, numeric_grad(f, w), atol=1e-6)
    np.testing.assert_allclose(db, numeric_grad(f, b), atol=1e-6)
    for a, r in zip(CPU.dense_backward(dout, x, w), (dx, dw, db)):
        np.testing.assert_allclose(a, r, atol=1e-10)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "linear", "softmax"])
def test_activation_gradients(name, rng):
    x = rng.normal(size=(3, 4)) * 3
    x[np.abs(x) < 1e-3] = 0.5  # keep clear of relu's kink
    fwd, bwd = getattr(REF, f"{name}_forward"), getattr(REF, f"{name}_backward")
    dout = rng.normal(size=x.shape)
    np.testing.assert_allclose(
        bwd(dout, x), numeric_grad(lambda: float(np.sum(fwd(x) * dout)), x), atol=1e-6
    )
    np.testing.assert_allclose(getattr(CPU, f"{name}_forward")(x), fwd(x), atol=1e-12)
    np.testing.assert_allclose(getattr(CPU, f"{name}_backward")(dout, x), bwd(dout, x), atol=1e-12)
    x32, d32 = x.astype(np.float32), dout.astype(np.float32)
    np.testing.assert_allclose(getattr(CPU, f"{name}_forward")(x32), fwd(x), atol=1e-6)
    np.testing.assert_allclose(getattr(CPU, f"{name}_backward")(d32, x32), bwd(dout, x), atol=2e-6)


def test_float32_tanh_and_sigmoid_stay_float32_within_the_stated_error():
    """The rational tanh evaluated in float32 (``core/cpu/scalar.py``): at most 3.9e-7 from
    the exact value over [-10, 10], the figure the README and the cuda tests quote."""
    x = np.linspace(-10, 10, 200_001, dtype=np.float32)
    exact = np.tanh(x.astype(np.float64))
    for got, want in (
        (CPU.tanh_forward(x), exact),
        (CPU.sigmoid_forward(x), 0.5 * np.tanh(0.5 * x.astype(np.float64)) + 0.5),
    ):
        assert got.dtype == np.float32
        assert np.abs(got - want).max() <= 4e-7


@pytest.mark.parametrize("name", ["mse", "bce"])
def test_loss_gradients(name, rng):
    pred = rng.uniform(0.05, 0.95, size=(5, 2))
    target = rng.uniform(size=(5, 2))
    fwd, bwd = getattr(REF, f"{name}_forward"), getattr(REF, f"{name}_backward")
    np.testing.assert_allclose(
        bwd(pred, target), numeric_grad(lambda: fwd(pred, target), pred), atol=1e-6
    )
    assert getattr(CPU, f"{name}_forward")(pred, target) == pytest.approx(fwd(pred, target))
    np.testing.assert_allclose(getattr(CPU, f"{name}_backward")(pred, target), bwd(pred, target))


def test_cross_entropy_is_stable_and_correct(rng):
    logits = rng.normal(size=(6, 4)) * 5
    labels = rng.integers(0, 4, 6)
    g = REF.cross_entropy_backward(logits, labels)
    np.testing.assert_allclose(
        g, numeric_grad(lambda: REF.cross_entropy_forward(logits, labels), logits), atol=1e-6
    )
    huge = np.array([[1000.0, 0.0]])
    assert REF.cross_entropy_forward(huge, np.array([1])) == pytest.approx(1000.0)
    assert CPU.cross_entropy_forward(huge, np.array([1])) == pytest.approx(1000.0)
    assert np.isfinite(REF.bce_forward(np.array([0.0, 1.0]), np.array([1.0, 0.0])))


def test_dropout_same_mask_every_backend(rng):
    x = rng.normal(size=(4, 5))
    mask = (rng.random(x.shape) > 0.3).astype(float)
    np.testing.assert_allclose(CPU.dropout_forward(x, mask, 0.3), REF.dropout_forward(x, mask, 0.3))
    np.testing.assert_allclose(REF.dropout_forward(x, mask, 0.3), x * mask / 0.7)


def test_cpu_accepts_non_contiguous_views(rng):
    x = rng.normal(size=(2, 3, 8, 8))[:, :, ::2, ::2]
    w = rng.normal(size=(2, 3, 3, 3))
    np.testing.assert_allclose(
        CPU.conv2d_forward(x, w, np.zeros(2), 1, 1),
        REF.conv2d_forward(x, w, np.zeros(2), 1, 1),
        atol=1e-10,
    )


def test_float32_conv_close_to_float64(rng):
    x, w, b = rng.normal(size=(2, 2, 9, 9)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    ref = REF.conv2d_forward(x, w, b, 2, 1)
    out = CPU.conv2d_forward(x.astype(np.float32), w.astype(np.float32), b.astype(np.float32), 2, 1)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, ref, atol=1e-5)


@settings(max_examples=25, deadline=None)
@given(conv_cases, st.integers(1, 3), st.integers(1, 3), st.integers(0, 10_000))
def test_fused_conv_relu_maxpool_is_the_three_in_a_row(case, size, pool_stride, seed):
    n, c, o, k, s, p, eh, ew = case
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, c, k + eh, k + ew))
    w, b = rng.normal(size=(o, c, k, k)), rng.normal(size=o)
    z = REF.relu_forward(REF.conv2d_forward(x, w, b, s, p))
    if size > min(z.shape[2:]):
        with pytest.raises(ValueError, match="pool size|larger than"):
            CPU.conv2d_relu_maxpool2d_forward(x, w, b, s, p, size, pool_stride)
        return
    want = REF.maxpool2d_forward(z, size, pool_stride)
    np.testing.assert_array_equal(
        REF.conv2d_relu_maxpool2d_forward(x, w, b, s, p, size, pool_stride), want
    )
    got = CPU.conv2d_relu_maxpool2d_forward(x, w, b, s, p, size, pool_stride)
    np.testing.assert_allclose(got, want, atol=1e-10)
    got32 = CPU.conv2d_relu_maxpool2d_forward(
        *(a.astype(np.float32) for a in (x, w, b)), s, p, size, pool_stride
    )
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, want, atol=1e-4)
    # training: the same values, each pooled cell's arg-max, and the gradient at the conv's
    # output routed through it is the ReLU's and the pool's backward in a row
    ho, wo = REF.conv2d_forward(x, w, b, s, p).shape[2:]
    out, arg = REF.conv2d_relu_maxpool2d_train_forward(x, w, b, s, p, size, pool_stride)
    np.testing.assert_array_equal(out, want)
    assert arg.dtype == np.int32 and arg.shape == want.shape
    dout = rng.normal(size=want.shape)
    z = REF.conv2d_forward(x, w, b, s, p)
    dz = REF.relu_maxpool2d_backward(dout, arg, size, pool_stride, ho, wo)
    np.testing.assert_allclose(
        dz,
        REF.relu_backward(REF.maxpool2d_backward(dout, REF.relu_forward(z), size, pool_stride), z),
    )
    got, got_arg = CPU.conv2d_relu_maxpool2d_train_forward(x, w, b, s, p, size, pool_stride)
    np.testing.assert_allclose(got, want, atol=1e-10)
    np.testing.assert_array_equal(got_arg, arg)
    np.testing.assert_allclose(
        CPU.relu_maxpool2d_backward(dout, arg, size, pool_stride, ho, wo), dz
    )
    got32, arg32 = CPU.conv2d_relu_maxpool2d_train_forward(
        *(a.astype(np.float32) for a in (x, w, b)), s, p, size, pool_stride
    )
    assert got32.dtype == np.float32 and arg32.dtype == np.int32
    np.testing.assert_allclose(got32, want, atol=1e-4)
    dz32 = CPU.relu_maxpool2d_backward(dout.astype(np.float32), arg32, size, pool_stride, ho, wo)
    assert dz32.dtype == np.float32
    np.testing.assert_allclose(
        dz32, REF.relu_maxpool2d_backward(dout, arg32, size, pool_stride, ho, wo), atol=1e-6
    )


@pytest.mark.parametrize("k, stride, size, pool_stride", [(3, 1, 2, 2), (2, 1, 3, 2), (3, 2, 2, 1)])
def test_fused_training_pass_ties_and_dead_windows(k, stride, size, pool_stride):
    """A plane of equal values sends each window's gradient to its first cell (row by row),
    a plane at or below 0 sends none (the ReLU is flat there), as the layers in a row do."""
    x = np.ones((2, 1, 9, 8))
    w, b = np.zeros((2, 1, k, k)), np.array([1.5, 0.0])  # channel 0: all 1.5; channel 1: all 0
    for be in (REF, CPU):
        out, arg = be.conv2d_relu_maxpool2d_train_forward(x, w, b, stride, 0, size, pool_stride)
        ho, wo = REF.conv2d_forward(x, w, b, stride, 0).shape[2:]
        hq, wq = out.shape[2:]
        first = (np.arange(hq)[:, None] * pool_stride) * wo + np.arange(wq)[None, :] * pool_stride
        np.testing.assert_array_equal(arg[:, 0], np.broadcast_to(first, (2, hq, wq)))
        assert (out[:, 0] == 1.5).all() and (arg[:, 1] == -1).all() and not out[:, 1].any()
        dz = be.relu_maxpool2d_backward(np.ones(out.shape), arg, size, pool_stride, ho, wo)
        assert not dz[:, 1].any() and dz[:, 0].sum() == 2 * hq * wq


@pytest.mark.parametrize("k, size", [(3, 2), (2, 3)])  # the 3x3/2x2 loops and the general ones
def test_a_nan_wins_its_window_and_a_dead_window_passes_no_gradient(k, size):
    """A NaN reaching the pool comes out NaN, as from the layers one by one (a diverged
    network must not read as a finite one); a dead window's gradient, even inf or NaN, goes
    nowhere."""
    x = np.ones((1, 1, 8, 8))
    w, b = np.zeros((2, 1, k, k)), np.array([1.0, -1.0])  # channel 0 alive, channel 1 dead
    w[0, 0, 0, 0] = np.nan  # every conv cell of channel 0 is NaN
    for be in (REF, CPU):
        out, arg = be.conv2d_relu_maxpool2d_train_forward(x, w, b, 1, 0, size, size)
        assert np.isnan(out[:, 0]).all() and (arg[:, 0] >= 0).all()
        assert np.isnan(be.conv2d_relu_maxpool2d_forward(x, w, b, 1, 0, size, size)[:, 0]).all()
        assert (arg[:, 1] == -1).all() and not out[:, 1].any()
        ho, wo = 9 - k, 9 - k
        dout = np.full(out.shape, np.inf)
        dout[0, 1, 0, 0] = np.nan
        dz = be.relu_maxpool2d_backward(dout, arg, size, size, ho, wo)
        assert not dz[:, 1].any() and np.isinf(dz[:, 0]).any()


def test_a_pool_larger_than_the_conv_output_says_so():
    x, w, b = np.ones((1, 1, 6, 6)), np.ones((1, 1, 3, 3)), np.zeros(1)
    for be in (REF, CPU):
        with pytest.raises(ValueError, match="pool size 5 is larger than the conv's output 4x4"):
            be.conv2d_relu_maxpool2d_train_forward(x, w, b, 1, 0, 5, 5)


def test_fused_training_backward_says_what_is_wrong():
    arg, dout = np.zeros((1, 1, 3, 3), np.int32), np.ones((1, 1, 3, 3))
    for be in (REF, CPU):
        with pytest.raises(ValueError, match="arg must be int32"):
            be.relu_maxpool2d_backward(dout, arg.astype(np.int64), 2, 2, 6, 6)
        with pytest.raises(ValueError, match=r"dout must be \(N, C, 2, 2\)"):
            be.relu_maxpool2d_backward(dout, arg, 2, 2, 5, 5)
        with pytest.raises(ValueError, match="cells of a 6x6 plane"):
            be.relu_maxpool2d_backward(dout, arg + 36, 2, 2, 6, 6)
