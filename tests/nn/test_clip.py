"""nn.clip_grad_norm / nn.clip_grad_value (PyTorch's semantics) and clipping in fit/Trainer."""

import math

import numpy as np
import pytest

from deepscope import nn


def model_with_grads(rng, scale=10.0):
    model = nn.Sequential([nn.Dense(3, 4), nn.Tanh(), nn.Dense(4, 2)], seed=0, dtype="float64")
    model.grad[:] = rng.normal(size=model.grad.size) * scale
    return model


def test_clip_grad_norm_scales_everything_together_and_returns_the_norm_before(rng):
    model = model_with_grads(rng)
    before = model.grad.copy()
    total = nn.clip_grad_norm(model, 1.5)
    assert total == pytest.approx(np.linalg.norm(before), rel=1e-12)
    np.testing.assert_allclose(model.grad, before * 1.5 / (total + 1e-6), rtol=1e-12)
    assert np.linalg.norm(model.grad) == pytest.approx(1.5, rel=1e-6)
    # the layers' gradient arrays are views of model.grad: they were scaled too
    np.testing.assert_allclose(model.layers[0].grads["W"], model.grad[:12].reshape(3, 4))
    # below the threshold nothing changes, and the norm is still returned
    small = model.grad.copy()
    assert nn.clip_grad_norm(model, 100.0) == pytest.approx(1.5, rel=1e-6)
    np.testing.assert_array_equal(model.grad, small)
    assert nn.grad_norm(model) == pytest.approx(1.5, rel=1e-6)


def test_clip_grad_value_clamps_each_entry(rng):
    model = model_with_grads(rng, 1.0)
    before = model.grad.copy()
    assert nn.clip_grad_value(model, 0.5) is None
    np.testing.assert_array_equal(model.grad, np.clip(before, -0.5, 0.5))


def test_a_layer_or_a_list_of_arrays(rng):
    layer = nn.Dense(3, 2, dtype="float64")
    layer.grads["W"][...] = 3.0
    layer.grads["b"][...] = 4.0
    total = nn.clip_grad_norm(layer, 1.0)
    assert total == pytest.approx(math.sqrt(6 * 9 + 2 * 16))
    assert nn.grad_norm(layer) == pytest.approx(1.0, rel=1e-5)
    block = nn.Residual([nn.Dense(2, 2, dtype="float64")])
    block.layers[0].grads["W"][...] = 2.0
    nn.clip_grad_value(block, 1.0)
    np.testing.assert_array_equal(block.layers[0].grads["W"], 1.0)
    arrays = [np.full(3, 2.0), np.full(2, -2.0)]
    assert nn.clip_grad_norm(arrays, 1.0) == pytest.approx(math.sqrt(20))
    np.testing.assert_allclose(np.linalg.norm(np.r_[arrays[0], arrays[1]]), 1.0, rtol=1e-5)
    with pytest.raises(TypeError, match="model must be a Sequential, a Layer or a list"):
        nn.clip_grad_norm(["a"], 1.0)


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "1", True, None])
def test_bad_thresholds_name_the_argument(rng, bad):
    model = model_with_grads(rng)
    with pytest.raises(ValueError, match=r"max_norm must be a finite number > 0, got"):
        nn.clip_grad_norm(model, bad)
    with pytest.raises(ValueError, match=r"clip must be a finite number > 0, got"):
        nn.clip_grad_value(model, bad)
    if bad is None:
        return  # None means "no clipping" for fit and Trainer
    X, y = np.zeros((4, 3)), np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"clip_norm must be a finite number > 0, got"):
        nn.Trainer(model, X, y, nn.MSELoss(), nn.SGD(model), clip_norm=bad)
    with pytest.raises(ValueError, match=r"clip_value must be a finite number > 0, got"):
        nn.fit(model, X, y, nn.MSELoss(), nn.SGD(model), clip_value=bad)


def regression(rng):
    X = (rng.normal(size=(64, 2)) * 10).astype(np.float32)
    y = (X @ np.array([[1.0], [-2.0]]) + rng.normal(size=(64, 1))).astype(np.float32)
    return X, y


def linear():
    return nn.Sequential([nn.Dense(2, 1)], seed=0)


def test_a_fit_that_diverges_without_clipping_does_not_with_it(rng):
    X, y = regression(rng)
    model = linear()
    plain = nn.fit(model, X, y, nn.MSELoss(), nn.SGD(model, lr=0.05), epochs=20, batch_size=16)
    assert plain.diverged_at is not None
    for kwargs in ({"clip_norm": 1.0}, {"clip_value": 0.5}):
        model = linear()
        history = nn.fit(
            model, X, y, nn.MSELoss(), nn.SGD(model, lr=0.05), epochs=20, batch_size=16, **kwargs
        )
        assert history.diverged_at is None, kwargs
        assert history["loss"][-1] < 0.05 * history["loss"][0]


@pytest.mark.parametrize(
    "kwargs", [{"clip_norm": 1.0}, {"clip_value": 0.5}, {"clip_norm": 2.0, "clip_value": 0.3}]
)
def test_the_compiled_epoch_clips_like_the_step_path(rng, kwargs):
    X, y = regression(rng)
    X, y = X / 10, np.tanh(y / 10)
    results = []
    for compiled in (True, False):
        model = nn.Sequential([nn.Dense(2, 8), nn.Tanh(), nn.Dense(8, 1)], seed=0)
        trainer = nn.Trainer(
            model, X, y, nn.MSELoss(), nn.SGD(model, lr=0.5, momentum=0.9), batch_size=16,
            compiled=compiled, **kwargs,
        )  # fmt: skip
        assert trainer.compiled == compiled
        for _ in range(3):
            event = trainer.epoch()
        results.append((model.theta.copy(), event.step_losses, event.norms))
    np.testing.assert_allclose(results[0][0], results[1][0], atol=2e-5)
    np.testing.assert_allclose(results[0][1], results[1][1], atol=2e-6)
    np.testing.assert_allclose(results[0][2], results[1][2], rtol=1e-4, atol=1e-6)
    if "clip_value" in kwargs and "clip_norm" not in kwargs:
        dense = nn.Sequential([nn.Dense(2, 8), nn.Tanh(), nn.Dense(8, 1)], seed=0)
        t = nn.Trainer(dense, X, y, nn.MSELoss(), nn.SGD(dense, lr=0.5), batch_size=64, **kwargs)
        t.epoch(on_step=lambda e: None)
        assert np.abs(dense.grad).max() <= 0.5
