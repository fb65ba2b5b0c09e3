"""The CUDA launchers of the newer layers (batch norm...) against the numpy reference, in
numba's simulator (tiny shapes: each simulated thread costs ~1-2 ms)."""

import numpy as np
import pytest
from testkit import close

from deepscope import nn
from deepscope.core import get_backend

pytestmark = pytest.mark.cuda
REF = get_backend("numpy")


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(2, 1), (37, 3)])  # 37 rows: more rows than threads
def test_batchnorm(cu, rng, training, shape):
    x = rng.normal(size=shape) * 2 + 1
    w, b, d = rng.normal(size=shape[1]), rng.normal(size=shape[1]), rng.normal(size=shape)
    c = shape[1]
    stats = {} if training else {"mean": rng.normal(size=c), "var": rng.uniform(size=c)}
    want = REF.batchnorm_forward(x, w, b, 1e-5, **stats)
    got = cu.batchnorm_forward(x, w, b, 1e-5, **stats)
    for a, r in zip(got, want):
        close(a, r)
    want_b = REF.batchnorm_backward(d, x, w, want[1], want[2], 1e-5, training)
    for a, r in zip(cu.batchnorm_backward(d, x, w, want[1], want[2], 1e-5, training), want_b):
        close(a, r, 1e-4)


def test_a_batchnorm_network_trains_on_the_device_like_on_the_cpu(rng):
    X = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=(8, 1)).astype(np.float32)
    runs = {}
    for backend in ("cpu", "cuda"):
        model = nn.Sequential(
            [nn.Dense(3, 4), nn.BatchNorm1d(4), nn.Tanh(), nn.Dense(4, 1)],
            seed=0,
            backend=backend,
        )
        history = nn.fit(
            model, X, y, nn.MSELoss(backend), nn.SGD(model, lr=0.1), epochs=2, batch_size=4
        )
        runs[backend] = history, model
    (h_cpu, m_cpu), (h_gpu, m_gpu) = runs["cpu"], runs["cuda"]
    np.testing.assert_allclose(h_gpu.step_loss, h_cpu.step_loss, rtol=1e-5)
    np.testing.assert_allclose(m_gpu.theta, m_cpu.theta, rtol=1e-5, atol=1e-6)
    bn_cpu, bn_gpu = m_cpu.layers[1], m_gpu.layers[1]
    np.testing.assert_allclose(bn_gpu.running_mean, bn_cpu.running_mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn_gpu.running_var, bn_cpu.running_var, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m_gpu.predict(X), m_cpu.predict(X), rtol=1e-5, atol=1e-6)


def test_residual(cu, rng):
    x, fx = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    close(cu.residual_forward(x, fx), REF.residual_forward(x, fx))
    close(cu.residual_backward(x, fx), REF.residual_backward(x, fx))
    with pytest.raises(ValueError, match="x and fx must have the same shape"):
        cu.residual_forward(x, fx[:, :2])


def test_a_residual_network_trains_on_the_device_like_on_the_cpu(rng):
    X = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=(8, 2)).astype(np.float32)
    runs = {}
    for backend in ("cpu", "cuda"):
        model = nn.Sequential(
            [
                nn.Dense(3, 4),
                nn.Residual([nn.Dense(4, 4), nn.BatchNorm1d(4), nn.Tanh()]),
                nn.Dense(4, 2),
            ],
            seed=0,
            backend=backend,
        )
        history = nn.fit(
            model, X, y, nn.MSELoss(backend), nn.SGD(model, lr=0.1), epochs=2, batch_size=4
        )
        runs[backend] = history, model
    (h_cpu, m_cpu), (h_gpu, m_gpu) = runs["cpu"], runs["cuda"]
    np.testing.assert_allclose(h_gpu.step_loss, h_cpu.step_loss, rtol=1e-5)
    np.testing.assert_allclose(m_gpu.theta, m_cpu.theta, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(h_gpu.norms[-1], h_cpu.norms[-1], rtol=1e-4)


@pytest.mark.parametrize("compiled", [True, False])  # the fused epoch, layer by layer
@pytest.mark.parametrize("kwargs", [{"clip_norm": 0.05}, {"clip_value": 0.01}])
def test_clipping_on_the_device_matches_the_cpu(rng, kwargs, compiled):
    X = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=(8, 1)).astype(np.float32) * 3
    runs = {}
    for backend in ("cpu", "cuda"):
        model = nn.Sequential([nn.Dense(3, 4), nn.Tanh(), nn.Dense(4, 1)], seed=0, backend=backend)
        trainer = nn.Trainer(
            model, X, y, nn.MSELoss(backend), nn.SGD(model, lr=0.5), batch_size=4,
            compiled=compiled, **kwargs,
        )  # fmt: skip
        assert trainer.compiled == compiled
        history = [trainer.epoch() for _ in range(2)]
        runs[backend] = history[-1], model.theta.copy()
    (e_cpu, th_cpu), (e_gpu, th_gpu) = runs["cpu"], runs["cuda"]
    np.testing.assert_allclose(e_gpu.step_losses, e_cpu.step_losses, rtol=1e-5)
    np.testing.assert_allclose(th_gpu, th_cpu, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(e_gpu.norms, e_cpu.norms, rtol=1e-4)
    if "clip_norm" in kwargs:  # the gradient norms the optimizer saw are clipped
        assert np.sqrt((e_gpu.norms[:, 0] ** 2).sum()) <= 0.05 + 1e-6


def test_weightnorm(cu, rng):
    v, g, d = rng.normal(size=(37, 3)), rng.normal(size=3), rng.normal(size=(37, 3))
    close(cu.weightnorm_forward(v, g), REF.weightnorm_forward(v, g))
    for a, r in zip(cu.weightnorm_backward(d, v, g), REF.weightnorm_backward(d, v, g)):
        close(a, r, 1e-4)


def test_a_weightnorm_network_trains_on_the_device_like_on_the_cpu(rng):
    X = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=(8, 1)).astype(np.float32)
    runs = {}
    for backend in ("cpu", "cuda"):
        model = nn.Sequential(
            [nn.WeightNorm(nn.Dense(3, 4)), nn.Tanh(), nn.Dense(4, 1)], seed=0, backend=backend
        )
        history = nn.fit(
            model, X, y, nn.MSELoss(backend), nn.Adam(model, lr=0.01), epochs=2, batch_size=4
        )
        runs[backend] = history, model.theta.copy()
    (h_cpu, th_cpu), (h_gpu, th_gpu) = runs["cpu"], runs["cuda"]
    np.testing.assert_allclose(h_gpu.step_loss, h_cpu.step_loss, rtol=1e-5)
    np.testing.assert_allclose(th_gpu, th_cpu, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(h_gpu.norms[-1], h_cpu.norms[-1], rtol=1e-4)


def test_diagnostics_on_the_device_match_the_cpu(rng):
    X = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=(8, 2)).astype(np.float32)
    runs = {}
    for backend in ("cpu", "cuda"):
        model = nn.Sequential(
            [nn.Dense(3, 4), nn.Sigmoid(), nn.Residual([nn.Dense(4, 4), nn.Tanh()]),
             nn.Dense(4, 2)],
            seed=0,
            backend=backend,
        )  # fmt: skip
        trainer = nn.Trainer(
            model, X, y, nn.MSELoss(backend), nn.Adam(model, lr=0.01), batch_size=4,
            diagnostics=True,
        )  # fmt: skip
        steps = []
        trainer.epoch(on_step=steps.append)
        runs[backend] = [e.diagnostics for e in steps]
    for d_cpu, d_gpu in zip(runs["cpu"], runs["cuda"]):
        assert list(d_gpu["layer"]) == list(d_cpu["layer"])
        for key in ("grad_norm", "weight_norm", "update_ratio", "act_slope"):
            np.testing.assert_allclose(d_gpu[key], d_cpu[key], rtol=1e-4, equal_nan=True)
    assert np.isnan(runs["cuda"][0]["act_slope"][-1])
