"""nn.Residual: x + block(x) inside a Sequential; gradients of the whole network by central
differences (float64, the numpy reference), the numba backend against it."""

import numpy as np
import pytest
from testkit import numeric_grad

from deepscope import nn
from deepscope.core import get_backend


def resnet(backend="numpy", dtype="float64", seed=0):
    return nn.Sequential(
        [
            nn.Dense(3, 4),
            nn.Tanh(),
            nn.Residual([nn.Dense(4, 6), nn.BatchNorm1d(6), nn.Tanh(), nn.Dense(6, 4)]),
            nn.Residual([nn.BatchNorm1d(4), nn.Tanh(), nn.Dense(4, 4)]),
            nn.Dense(4, 2),
        ],
        seed=seed,
        backend=backend,
        dtype=dtype,
    )


def test_gradients_of_a_sequential_with_residual_blocks_match_central_differences(rng):
    model = resnet()
    model.theta[:] += rng.normal(size=model.theta.size) * 0.3  # BN scales away from 1
    X, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 2))
    loss = nn.MSELoss("numpy")

    def f():
        return loss.forward(model.forward(X, training=True), y)

    loss.forward(model.forward(X), y)
    dx = model.backward(loss.backward())
    grad = model.grad.copy()
    np.testing.assert_allclose(grad, numeric_grad(f, model.theta), atol=1e-7)
    np.testing.assert_allclose(dx, numeric_grad(f, X), atol=1e-7)
    # the numba backend computes the same
    cpu = resnet("cpu")
    cpu.theta[:] = model.theta
    loss_c = nn.MSELoss("cpu")
    loss_c.forward(cpu.forward(X), y)
    np.testing.assert_allclose(cpu.backward(loss_c.backward()), dx, atol=1e-10)
    np.testing.assert_allclose(cpu.grad, grad, atol=1e-10)


def test_the_block_parameters_are_the_models():
    model = resnet("cpu", "float32")
    block = model.layers[2]
    inner = block.layers[0]
    assert np.shares_memory(inner.params["W"], model.theta)
    assert np.shares_memory(inner.grads["W"], model.grad)
    assert model.num_parameters() == sum(p.size for p in model.parameters())
    assert model.num_parameters() == 3 * 4 + 4 + (4 * 6 + 6 + 12 + 6 * 4 + 4) + (8 + 20) + 10
    paths = [p for p, _ in model.named_layers()]
    assert paths[:8] == ["0", "1", "2", "2.0", "2.1", "2.2", "2.3", "3"]
    # param_layers: every layer with a weight, nested ones with their top-level index
    assert [i for i, _ in model.param_layers()] == [0, 2, 2, 2, 3, 3, 4]
    assert model.norms().shape == (7, 2)
    state = model.state_dict()
    assert {"2.0.W", "2.1.running_var", "3.2.b", "4.W"} <= set(state)
    assert block.num_parameters() == 4 * 6 + 6 + 12 + 6 * 4 + 4
    assert repr(block) == "Residual([Dense(4, 6), BatchNorm1d(6), Tanh(), Dense(6, 4)])"
    assert "Residual" in model.summary((3,))


def test_training_falls_back_to_the_step_path_and_matches_numpy(rng):
    # float64: the bias of a Dense right before a BatchNorm has a zero gradient, and Adam
    # turns float32 rounding noise there into steps of +-lr that differ between backends
    X = rng.normal(size=(32, 3))
    y = np.tanh(X[:, :2] * 1.5)
    results = []
    for backend in ("cpu", "numpy"):
        model = resnet(backend, "float64")
        trainer = nn.Trainer(
            model, X, y, nn.MSELoss(backend), nn.Adam(model, lr=0.01), batch_size=8, seed=1
        )
        assert not trainer.compiled  # the compiled dense epoch does not cover residual blocks
        losses = [trainer.epoch().metrics["loss"] for _ in range(10)]
        results.append((model.theta.copy(), losses))
    np.testing.assert_allclose(results[0][0], results[1][0], atol=1e-8)
    assert results[0][1][-1] < 0.5 * results[0][1][0]
    # dense-only blocks also fall back rather than lose the skip
    X = X.astype(np.float32)
    model = nn.Sequential([nn.Dense(3, 3), nn.Residual([nn.Dense(3, 3), nn.Tanh()])], seed=0)
    trainer = nn.Trainer(model, X, X, nn.MSELoss(), nn.SGD(model, lr=0.1), batch_size=8)
    assert not trainer.compiled
    ref = nn.Sequential(
        [nn.Dense(3, 3), nn.Residual([nn.Dense(3, 3), nn.Tanh()])], seed=0, backend="numpy"
    )
    ref_trainer = nn.Trainer(ref, X, X, nn.MSELoss("numpy"), nn.SGD(ref, lr=0.1), batch_size=8)
    trainer.epoch(), ref_trainer.epoch()
    np.testing.assert_allclose(model.theta, ref.theta, atol=1e-5)


def test_alone_and_nested():
    block = nn.Residual([nn.Dense(2, 2, seed=0, backend="numpy"), nn.Tanh(backend="numpy")])
    assert block.backend.name == "numpy"
    x = np.array([[0.5, -1.0]])
    w = block.layers[0].params["W"]
    np.testing.assert_allclose(block(x), x + np.tanh(x @ w), rtol=1e-6)
    dx = block.backward(np.ones((1, 2)))
    np.testing.assert_allclose(dx, 1 + (1 - np.tanh(x @ w) ** 2) @ w.T, rtol=1e-5)
    nested = nn.Residual([nn.Residual([nn.Dense(2, 2)]), nn.Dense(2, 2)], backend="numpy")
    assert all(layer.backend is get_backend("numpy") for layer in nested._walk())
    model = nn.Sequential([nested], seed=0)
    assert [p for p, _ in model.named_layers()] == ["0", "0.0", "0.0.0", "0.1"]
    assert model.num_parameters() == 12


def test_a_block_that_changes_the_width_is_refused():
    with pytest.raises(
        ValueError, match=r"must give back the width it takes .* takes 4 .* gives 6"
    ):
        nn.Residual([nn.Dense(4, 6), nn.Tanh()])
    with pytest.raises(ValueError, match="in_features disagree"):
        nn.Residual([nn.Dense(4, 6), nn.Dense(5, 4)])
    with pytest.raises(
        ValueError, match=r"in_features disagree: Residual\(\[Dense\(5, 5\)\]\) expects 5"
    ):
        nn.Sequential([nn.Dense(2, 4), nn.Residual([nn.Dense(5, 5)])])
    with pytest.raises(TypeError, match="layers must be a non-empty list of Layer objects"):
        nn.Residual([])
    with pytest.raises(TypeError, match=r"got \['int'\]"):
        nn.Residual([nn.Tanh(), 3])
    # widths hidden from the build (a pool) are checked at the first forward
    block = nn.Residual([nn.MaxPool2D(2)])
    with pytest.raises(ValueError, match=r"turns input \(1, 1, 4, 4\) into \(1, 1, 2, 2\)"):
        block(np.zeros((1, 1, 4, 4)))
