"""The CUDA kernels against the numpy reference, in numba's simulator (or on a GPU).

The simulator runs each CUDA thread as a Python thread (~1-2 ms each), so shapes are tiny;
under it TILE is 4 and blocks are 32 threads, so a 9-wide output already spans three tiles.
"""

import numpy as np
import pytest
from testkit import close

from deepscope import nn
from deepscope.core import get_backend
from deepscope.data import playground
from deepscope.scenes.landscape import loss_landscape

pytestmark = pytest.mark.cuda
REF = get_backend("numpy")


@pytest.mark.parametrize("m, k, n", [(1, 1, 1), (3, 5, 2), (9, 7, 10)])
def test_dense(cu, rng, m, k, n):
    x, w = rng.normal(size=(m, k)), rng.normal(size=(k, n))
    b, d = rng.normal(size=n), rng.normal(size=(m, n))
    close(cu.dense_forward(x, w, b), REF.dense_forward(x, w, b))
    for got, want in zip(cu.dense_backward(d, x, w), REF.dense_backward(d, x, w)):
        close(got, want)


@pytest.mark.parametrize("name", ["relu", "leaky_relu", "sigmoid", "tanh", "linear", "softmax"])
def test_activations(cu, rng, name):
    x, d = rng.normal(size=(5, 7)) * 3, rng.normal(size=(5, 7))
    close(getattr(cu, f"{name}_forward")(x), getattr(REF, f"{name}_forward")(x))
    close(getattr(cu, f"{name}_backward")(d, x), getattr(REF, f"{name}_backward")(d, x))


@pytest.mark.parametrize("name", ["mse", "bce"])
def test_losses(cu, rng, name):
    p = rng.uniform(0.01, 0.99, size=(6, 3))
    t = (rng.uniform(size=(6, 3)) > 0.5).astype(float)
    assert getattr(cu, f"{name}_forward")(p, t) == pytest.approx(
        getattr(REF, f"{name}_forward")(p, t), rel=1e-5
    )
    close(getattr(cu, f"{name}_backward")(p, t), getattr(REF, f"{name}_backward")(p, t))


def test_bce_at_the_edges_matches_the_clamped_log(cu):
    p, t = np.array([[0.0, 1.0, 0.5]]), np.array([[1.0, 0.0, 1.0]])
    assert cu.bce_forward(p, t) == pytest.approx(REF.bce_forward(p, t), rel=1e-6)


def test_cross_entropy_over_many_blocks(cu, rng):
    logits, labels = rng.normal(size=(70, 4)) * 5, rng.integers(0, 4, 70)
    assert cu.cross_entropy_forward(logits, labels) == pytest.approx(
        REF.cross_entropy_forward(logits, labels), rel=1e-5
    )
    close(cu.cross_entropy_backward(logits, labels), REF.cross_entropy_backward(logits, labels))


def test_dropout(cu, rng):
    x, mask = rng.normal(size=(4, 5)), (rng.uniform(size=(4, 5)) > 0.4).astype(float)
    close(cu.dropout_forward(x, mask, 0.4), REF.dropout_forward(x, mask, 0.4))
    close(cu.dropout_backward(x, mask, 0.4), REF.dropout_backward(x, mask, 0.4))


@pytest.mark.parametrize(
    "shape, out_ch, k, stride, padding",
    [
        ((1, 1, 5, 5), 1, 3, 1, 0),
        ((2, 2, 7, 6), 3, 3, 2, 1),  # odd sizes, stride and padding
        ((1, 1, 4, 4), 2, 5, 1, 2),  # kernel larger than the image, padding makes it fit
        ((1, 2, 11, 10), 1, 2, 1, 0),  # output 10x9: more than one tile each way
        ((1, 1, 9, 9), 1, 3, 3, 0),
    ],
)
def test_conv2d(cu, rng, shape, out_ch, k, stride, padding):
    x = rng.normal(size=shape)
    w, b = rng.normal(size=(out_ch, shape[1], k, k)), rng.normal(size=out_ch)
    out = REF.conv2d_forward(x, w, b, stride, padding)
    close(cu.conv2d_forward(x, w, b, stride, padding), out)
    d = rng.normal(size=out.shape)
    for got, want in zip(
        cu.conv2d_backward(d, x, w, stride, padding), REF.conv2d_backward(d, x, w, stride, padding)
    ):
        close(got, want)
    close(
        cu.conv2d_backward_input(d, x, w, stride, padding),
        REF.conv2d_backward(d, x, w, stride, padding)[0],
    )
    for got, want in zip(
        cu.conv2d_backward_params(d, x, w, stride, padding),
        REF.conv2d_backward_params(d, x, w, stride, padding),
    ):
        close(got, want)


def test_fused_conv_relu_maxpool(cu, rng):
    x, w, b = rng.normal(size=(2, 2, 9, 8)), rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    want = REF.conv2d_relu_maxpool2d_forward(x, w, b, 1, 1, 2, 2)
    close(cu.conv2d_relu_maxpool2d_forward(x, w, b, 1, 1, 2, 2), want)
    for size, stride in ((2, 2), (3, 1)):  # apart, and overlapping windows
        out, arg = REF.conv2d_relu_maxpool2d_train_forward(x, w, b, 1, 1, size, stride)
        got, got_arg = cu.conv2d_relu_maxpool2d_train_forward(x, w, b, 1, 1, size, stride)
        close(got, out)
        np.testing.assert_array_equal(got_arg, arg)
        d = rng.normal(size=out.shape)
        close(
            cu.relu_maxpool2d_backward(d, arg, size, stride, 9, 8),
            REF.relu_maxpool2d_backward(d, arg, size, stride, 9, 8),
        )
    w[0, 0, 0, 0] = np.nan  # a NaN wins its window, as on the other backends
    out, arg = cu.conv2d_relu_maxpool2d_train_forward(x, w, b, 1, 1, 2, 2)
    assert np.isnan(out[:, 0]).all() and (arg[:, 0] >= 0).all()


@pytest.mark.parametrize("size, stride", [(2, 2), (3, 1), (2, 3)])
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling(cu, rng, size, stride, kind):
    x = rng.normal(size=(2, 2, 7, 6))
    x[0, 0, :2, :2] = 1.0  # a tie: the first maximum takes the gradient, as the reference
    fwd, bwd = f"{kind}pool2d_forward", f"{kind}pool2d_backward"
    out = getattr(REF, fwd)(x, size, stride)
    close(getattr(cu, fwd)(x, size, stride), out)
    d = rng.normal(size=out.shape)
    close(getattr(cu, bwd)(d, x, size, stride), getattr(REF, bwd)(d, x, size, stride))


def test_views_dtypes_and_device_arrays(cu, rng):
    from numba import cuda

    big = rng.normal(size=(6, 10))
    x = big[::2, 1:8:2]  # a strided float64 view
    w = rng.normal(size=(4, 3)).astype(np.float32)
    b = np.zeros(3, np.float16)
    close(cu.dense_forward(x, w, b), REF.dense_forward(x, w, b.astype(np.float64)))
    dx = cuda.to_device(np.ascontiguousarray(x, dtype=np.float32))
    out = cu.dense_forward(dx, w, b)
    assert hasattr(out, "copy_to_host")  # device in, device out: no copy back
    close(out.copy_to_host(), REF.dense_forward(x, w, b.astype(np.float64)))
    with pytest.raises(ValueError, match="dense expects"):
        cu.dense_forward(x[0], w, b)


def test_a_whole_fit_matches_the_cpu_backend():
    X, y = playground("xor", 16, 0.1, seed=0)
    X = (X / 6).astype(np.float32)
    runs = {}
    for backend in ("cpu", "cuda"):
        model = nn.Sequential(
            [nn.Dense(2, 5), nn.Tanh(), nn.Dense(5, 1), nn.Sigmoid()], seed=0, backend=backend
        )
        history = nn.fit(
            model, X, y, nn.BCELoss(backend), nn.Adam(model, lr=0.05), epochs=2, batch_size=8
        )
        runs[backend] = history, model.theta.copy()
    (h_cpu, th_cpu), (h_gpu, th_gpu) = runs["cpu"], runs["cuda"]
    np.testing.assert_allclose(h_gpu.step_loss, h_cpu.step_loss, rtol=1e-5)
    np.testing.assert_allclose(th_gpu, th_cpu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_gpu.norms[-1], h_cpu.norms[-1], rtol=1e-4)


@pytest.mark.parametrize("loss", ["bce", "cross_entropy"])
def test_the_landscape_kernel_matches_the_cpu_one(loss):
    X, y = playground("circle", 12, 0.1, seed=0)
    X = (X / 6).astype(np.float32)
    results = {}
    for backend in ("cpu", "cuda"):
        if loss == "bce":
            layers, fn, target = (
                [nn.Dense(2, 3), nn.Tanh(), nn.Dense(3, 1), nn.Sigmoid()],
                nn.BCELoss,
                y,
            )
        else:
            layers, fn, target = (
                [nn.Dense(2, 3), nn.ReLU(), nn.Dense(3, 2)],
                nn.CrossEntropyLoss,
                y.astype(int),
            )
        model = nn.Sequential(layers, seed=0, backend=backend)
        results[backend] = loss_landscape(model, X, target, fn(backend), resolution=3, span=0.5)[2]
    np.testing.assert_allclose(results["cuda"], results["cpu"], rtol=1e-5)


def test_auto_never_picks_the_simulator(monkeypatch):
    from deepscope.core.backend import cuda_status

    monkeypatch.delenv("DEEPSCOPE_BACKEND", raising=False)
    ok, why = cuda_status()
    if "SIM" in why:
        assert not ok and get_backend("auto").name == "cpu"
    assert get_backend("cuda").name == "cuda"


def test_a_cnn_trains_on_the_device_like_on_the_cpu():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 1, 5, 5)).astype(np.float32)
    y = rng.integers(0, 3, 8)
    runs = {}
    for backend in ("cpu", "cuda"):
        model = nn.Sequential(
            [
                nn.Conv2D(1, 2, 3, padding=1),
                nn.ReLU(),
                nn.MaxPool2D(2),
                nn.Flatten(),
                nn.Dense(8, 3),
            ],
            seed=0,
            backend=backend,
        )
        seen = []
        history = nn.fit(
            model,
            X,
            y,
            nn.CrossEntropyLoss(backend),
            nn.SGD(model, lr=0.1, momentum=0.9),
            epochs=1,
            batch_size=4,
            callbacks=[lambda e, seen=seen: seen.append(e.kind)],
        )
        runs[backend] = history, model.theta.copy(), seen
    (h_cpu, th_cpu, seen_cpu), (h_gpu, th_gpu, seen_gpu) = runs["cpu"], runs["cuda"]
    np.testing.assert_allclose(h_gpu.step_loss, h_cpu.step_loss, rtol=1e-5)
    np.testing.assert_allclose(th_gpu, th_cpu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_gpu.norms[-1], h_cpu.norms[-1], rtol=1e-4)
    assert seen_gpu == seen_cpu == ["step", "step", "epoch"]


@pytest.mark.parametrize("hidden", [[], [nn.Flatten()]])
def test_labels_beyond_the_classes_are_refused_before_the_gpu_reads_them(hidden):
    X = np.zeros((4, 3), dtype=np.float32)
    model = nn.Sequential([*hidden, nn.Dense(3, 2)], seed=0, backend="cuda")
    loss, opt = nn.CrossEntropyLoss("cuda"), nn.SGD(model, lr=0.1)
    with pytest.raises(ValueError, match=r"labels must lie in 0..1, got 0..5"):
        nn.fit(model, X, np.array([0, 1, 5, 0]), loss, opt, epochs=1, batch_size=2)
