"""nn.WeightNorm(nn.Dense(...)): w = g v / |v| per output unit; gradients by central
differences (float64, numpy reference), the numba backend against the reference."""

import numpy as np
import pytest
from testkit import numeric_grad

from deepscope import nn
from deepscope.core import get_backend

REF = get_backend("numpy")
CPU = get_backend("cpu")


def test_primitive_gradients_match_central_differences_and_cpu_agrees(rng):
    v, g, dout = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(4, 3))
    w = REF.weightnorm_forward(v, g)
    np.testing.assert_allclose(np.linalg.norm(w, axis=0), np.abs(g), rtol=1e-12)
    dv, dg = REF.weightnorm_backward(dout, v, g)

    def f():
        return float(np.sum(REF.weightnorm_forward(v, g) * dout))

    np.testing.assert_allclose(dv, numeric_grad(f, v), atol=1e-7)
    np.testing.assert_allclose(dg, numeric_grad(f, g), atol=1e-7)
    np.testing.assert_allclose(CPU.weightnorm_forward(v, g), w, atol=1e-12)
    for a, r in zip(CPU.weightnorm_backward(dout, v, g), (dv, dg)):
        np.testing.assert_allclose(a, r, atol=1e-12)
    f32 = [a.astype(np.float32) for a in (dout, v, g)]
    np.testing.assert_allclose(CPU.weightnorm_forward(f32[1], f32[2]), w, rtol=1e-5, atol=1e-6)
    for a, r in zip(CPU.weightnorm_backward(*f32), (dv, dg)):
        np.testing.assert_allclose(a, r, rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"weightnorm expects v \(in_features, out_features\)"):
        CPU.weightnorm_forward(v, g[:2])


def test_it_starts_as_the_dense_layer_and_its_length_is_g(rng):
    dense = nn.Dense(3, 4, seed=0, dtype="float64", backend="numpy")
    w0 = dense.params["W"].copy()
    layer = nn.WeightNorm(dense)
    np.testing.assert_allclose(layer.params["g"], np.linalg.norm(w0, axis=0))
    x = rng.normal(size=(5, 3))
    np.testing.assert_allclose(layer(x), x @ w0, atol=1e-12)
    layer.params["v"] *= 7.0  # only the direction of v matters
    np.testing.assert_allclose(layer(x), x @ w0, atol=1e-12)
    layer.params["g"] *= 2.0
    np.testing.assert_allclose(layer(x), 2 * x @ w0, atol=1e-12)
    np.testing.assert_allclose(dense.params["W"], 2 * w0, atol=1e-12)  # the effective w
    assert layer.weight_key == "v" and repr(layer) == "WeightNorm(Dense(3, 4))"
    assert list(layer.params) == ["v", "g", "b"]


def test_gradients_in_a_sequential_match_central_differences(rng):
    model = nn.Sequential(
        [nn.WeightNorm(nn.Dense(3, 5)), nn.Tanh(), nn.WeightNorm(nn.Dense(5, 2))],
        seed=0,
        backend="numpy",
        dtype="float64",
    )
    model.theta[:] += rng.normal(size=model.theta.size) * 0.2
    assert model.num_parameters() == (15 + 5 + 5) + (10 + 2 + 2)
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    loss = nn.MSELoss("numpy")

    def f():
        return loss.forward(model.forward(X), y)

    f()
    dx = model.backward(loss.backward())
    grad = model.grad.copy()
    np.testing.assert_allclose(grad, numeric_grad(f, model.theta), atol=1e-7)
    np.testing.assert_allclose(dx, numeric_grad(f, X), atol=1e-7)
    # the wrapped Dense shows the effective weight and its gradient
    first = model.layers[0]
    v, g = first.params["v"], first.params["g"]
    np.testing.assert_allclose(first.layer.params["W"], v * g / np.linalg.norm(v, axis=0))
    assert first.layer.grads["W"].shape == (3, 5)
    # the numba backend computes the same
    cpu = nn.Sequential(
        [nn.WeightNorm(nn.Dense(3, 5)), nn.Tanh(), nn.WeightNorm(nn.Dense(5, 2))],
        seed=0,
        backend="cpu",
        dtype="float64",
    )
    cpu.theta[:] = model.theta
    loss_c = nn.MSELoss("cpu")
    loss_c.forward(cpu.forward(X), y)
    np.testing.assert_allclose(cpu.backward(loss_c.backward()), dx, atol=1e-10)
    np.testing.assert_allclose(cpu.grad, grad, atol=1e-10)
    assert [type(layer).__name__ for _, layer in cpu.param_layers()] == ["WeightNorm"] * 2
    assert cpu.norms().shape == (2, 2)
    assert {"0.v", "0.g", "0.b", "2.v"} <= set(cpu.state_dict())


def test_it_trains_and_is_refused_around_other_layers(rng):
    X = rng.normal(size=(64, 2)).astype(np.float32)
    y = np.tanh(X @ np.array([[1.0], [-1.0]], dtype=np.float32))
    model = nn.Sequential([nn.WeightNorm(nn.Dense(2, 8)), nn.Tanh(), nn.Dense(8, 1)], seed=0)
    history = nn.fit(model, X, y, nn.MSELoss(), nn.Adam(model, lr=0.02), epochs=30)
    assert history["loss"][-1] < 0.1 * history["loss"][0]
    with pytest.raises(TypeError, match=r"layer must be a Dense layer.*got Tanh\(\)"):
        nn.WeightNorm(nn.Tanh())
    with pytest.raises(ValueError, match="in_features disagree"):
        nn.Sequential([nn.Dense(2, 3), nn.WeightNorm(nn.Dense(4, 1))])
