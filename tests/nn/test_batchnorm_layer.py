"""nn.BatchNorm1d: PyTorch's semantics alone and inside a Sequential."""

import numpy as np
import pytest

from deepscope import nn


def test_running_statistics_follow_a_hand_computation(rng):
    bn = nn.BatchNorm1d(3, momentum=0.2, dtype="float64", backend="numpy")
    rm, rv = np.zeros(3), np.ones(3)
    for _ in range(3):
        x = rng.normal(size=(6, 3)) * 3 + 1
        out = bn.forward(x, training=True)
        mean = x.sum(0) / 6
        biased = ((x - mean) ** 2).sum(0) / 6
        unbiased = ((x - mean) ** 2).sum(0) / 5
        rm = 0.8 * rm + 0.2 * mean
        rv = 0.8 * rv + 0.2 * unbiased
        np.testing.assert_allclose(bn.running_mean, rm, rtol=1e-12)
        np.testing.assert_allclose(bn.running_var, rv, rtol=1e-12)
        np.testing.assert_allclose(out, (x - mean) / np.sqrt(biased + 1e-5), rtol=1e-10)
    # evaluation: the running statistics, and they do not move
    x = rng.normal(size=(4, 3))
    out = bn.forward(x, training=False)
    np.testing.assert_allclose(out, (x - rm) / np.sqrt(rv + 1e-5), rtol=1e-10)
    np.testing.assert_allclose(bn.running_mean, rm, rtol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_alone_backward_returns_dx_and_sets_grads(rng, backend):
    bn = nn.BatchNorm1d(4, dtype="float64", backend=backend)
    bn.params["W"][...] = rng.normal(size=4)
    bn.params["b"][...] = rng.normal(size=4)
    x, dout = rng.normal(size=(8, 4)), rng.normal(size=(8, 4))
    bn.forward(x)
    dx = bn.backward(dout)
    ref = nn.BatchNorm1d(4, dtype="float64", backend="numpy")
    ref.params["W"][...], ref.params["b"][...] = bn.params["W"], bn.params["b"]
    ref.forward(x)
    np.testing.assert_allclose(dx, ref.backward(dout), atol=1e-10)
    np.testing.assert_allclose(bn.grads["W"], ref.grads["W"], atol=1e-10)
    np.testing.assert_allclose(bn.grads["b"], dout.sum(0), atol=1e-10)
    assert dx.shape == x.shape


def test_inside_a_sequential_its_parameters_and_statistics_are_the_models(tmp_path, rng):
    model = nn.Sequential(
        [nn.Dense(3, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Dense(5, 1)], seed=0, backend="cpu"
    )
    bn = model.layers[1]
    assert np.shares_memory(bn.params["W"], model.theta)
    assert np.shares_memory(bn.grads["b"], model.grad)
    assert model.num_parameters() == 3 * 5 + 5 + 5 + 5 + 5 + 1
    np.testing.assert_array_equal(bn.params["W"], 1)
    assert [type(layer).__name__ for _, layer in model.param_layers()] == [
        "Dense", "BatchNorm1d", "Dense",
    ]  # fmt: skip
    assert model.norms().shape == (3, 2)
    X = rng.normal(size=(40, 3)).astype(np.float32)
    y = (X[:, :1] * 2 - X[:, 1:2]).astype(np.float32)
    opt = nn.Adam(model, lr=0.02)
    trainer = nn.Trainer(model, X, y, nn.MSELoss(), opt, batch_size=8)
    assert not trainer.compiled  # the compiled epoch covers Dense + activations only
    first = trainer.epoch().metrics["loss"]
    for _ in range(15):
        last = trainer.epoch().metrics["loss"]
    assert last < 0.5 * first
    assert not np.allclose(bn.running_mean, 0)
    state = model.state_dict()
    assert {"1.W", "1.b", "1.running_mean", "1.running_var"} <= set(state)
    model.save(tmp_path / "m.npz")
    other = nn.Sequential(
        [nn.Dense(3, 5), nn.BatchNorm1d(5), nn.Tanh(), nn.Dense(5, 1)], seed=1, backend="cpu"
    )
    other.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(other.layers[1].running_var, bn.running_var)
    np.testing.assert_allclose(other.predict(X), model.predict(X), rtol=1e-6)
    # evaluation differs from training: running statistics against the batch's
    assert not np.allclose(model.forward(X[:8], training=True), model.predict(X[:8]))


def test_widths_are_checked_at_build():
    with pytest.raises(ValueError, match=r"features disagree: BatchNorm1d\(4\) expects 4 but"):
        nn.Sequential([nn.Dense(2, 3), nn.BatchNorm1d(4)])
    with pytest.raises(ValueError, match=r"features disagree"):
        nn.BatchNorm1d(3)(np.zeros((5, 2)))
    with pytest.raises(ValueError, match="at least 2 rows"):
        nn.BatchNorm1d(3)(np.zeros((1, 3)))
    assert nn.BatchNorm1d(3)(np.ones((1, 3)), training=False).shape == (1, 3)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"features": 0}, "features must be an integer >= 1, got 0"),
        ({"features": 2.5}, "features must be an integer >= 1, got 2.5"),
        ({"features": 3, "momentum": 0}, r"momentum must be a number in \(0, 1\), got 0"),
        ({"features": 3, "momentum": 1.0}, r"momentum must be a number in \(0, 1\), got 1.0"),
        ({"features": 3, "momentum": -0.1}, r"momentum must be a number in \(0, 1\)"),
        ({"features": 3, "momentum": float("nan")}, r"momentum must be a number in \(0, 1\)"),
        ({"features": 3, "eps": 0.0}, "eps must be a finite number > 0, got 0.0"),
        ({"features": 3, "eps": float("inf")}, "eps must be a finite number > 0, got inf"),
        ({"features": 3, "eps": "small"}, "eps must be a finite number > 0, got 'small'"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, message):
    with pytest.raises((ValueError, TypeError), match=message):
        nn.BatchNorm1d(**kwargs)


def test_repr():
    assert repr(nn.BatchNorm1d(8)) == "BatchNorm1d(8)"
    assert repr(nn.BatchNorm1d(8, momentum=0.01)) == "BatchNorm1d(8, momentum=0.01)"
