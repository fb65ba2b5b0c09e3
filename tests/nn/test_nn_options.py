"""The options TensorFlow Playground's training needs, one by one: MSELoss(half=True),
Dense / Conv2D bias_init, shuffle=False, penalties on weights only (``penalize``) and
SGD's l1_prune, accuracy against -1/+1 targets; and the compiled fused epoch against the
step-by-step path and the numpy backend with each of them."""

import numpy as np
import pytest
from testkit import numeric_grad

from deepscope import nn
from deepscope.core.cpu import mlp
from deepscope.core.reference import optim as rules
from deepscope.nn.optim import penalty_mask


def small_mlp(backend="cpu", dtype="float32", out_act=nn.Tanh, bias_init=0.0, seed=0):
    return nn.Sequential(
        [
            nn.Dense(2, 6, bias_init=bias_init),
            nn.Tanh(),
            nn.Dense(6, 3, bias_init=bias_init),
            nn.ReLU(),
            nn.Dense(3, 1, bias_init=bias_init),
            out_act(),
        ],
        seed=seed,
        backend=backend,
        dtype=dtype,
    )


def sign_data(n=48, seed=2):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    return X, np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0)


# --- MSELoss(half=True) ----------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_half_mse_is_half_the_mean_over_samples_and_outputs(backend, rng):
    pred, target = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    half, full = nn.MSELoss(backend, half=True), nn.MSELoss(backend)
    value = half.forward(pred, target)
    assert value == 0.5 * full.forward(pred, target)
    assert value == pytest.approx(0.5 * np.mean((pred - target) ** 2), rel=1e-14)
    grad = half.backward()
    np.testing.assert_allclose(grad, (pred - target) / pred.size, rtol=1e-15)
    p = pred.copy()
    np.testing.assert_allclose(grad, numeric_grad(lambda: half.forward(p, target), p), atol=1e-8)
    # one output: the Playground's mean over the batch of 0.5 * (o - t)^2
    o, t = pred[:, :1], target[:, :1]
    assert half.forward(o, t) == pytest.approx(np.mean([0.5 * (a - b) ** 2 for a, b in zip(o, t)]))
    assert repr(half) == "MSELoss(half=True)" and repr(full) == "MSELoss()"
    with pytest.raises(TypeError, match="half must be True or False"):
        nn.MSELoss(backend, half=1)


def test_the_compiled_half_mse_is_the_step_one():
    out = np.random.default_rng(0).normal(size=(7, 2))
    y = np.random.default_rng(1).normal(size=(7, 2))
    dout = np.empty_like(out)
    value = mlp._loss_and_grad(mlp.HALF_MSE, out, y, dout)
    loss = nn.MSELoss("cpu", half=True)
    # the epoch's loss sums each row in vectorised order (core/cpu/split.py), the loss
    # module in entry order: the two may differ in the last bit
    assert value == pytest.approx(loss.forward(out, y), rel=1e-15)
    np.testing.assert_allclose(dout, loss.backward(), rtol=1e-15)
    assert mlp.loss_value(mlp.HALF_MSE, out, y) == pytest.approx(value, rel=1e-15)
    assert mlp.loss_value(mlp.HALF_MSE, out, y) == pytest.approx(
        0.5 * mlp.loss_value(mlp.MSE, out, y), rel=1e-15
    )


def test_a_landscape_of_half_mse_is_half_the_mse_one():
    from deepscope.scenes.landscape import loss_landscape

    X, y = sign_data(20)
    grids = {}
    for half in (False, True):
        for compiled in (True, False):
            model = small_mlp(dtype="float64")
            if not compiled:  # a Dropout(0) keeps the grid off the compiled kernel
                model = nn.Sequential([*model.layers, nn.Dropout(0.0)], seed=0, dtype="float64")
            loss = nn.MSELoss(half=half)
            grids[half, compiled] = loss_landscape(model, X, y, loss, resolution=3, span=0.3)[2]
    for compiled in (True, False):
        np.testing.assert_allclose(grids[True, compiled], 0.5 * grids[False, compiled], rtol=1e-6)
    np.testing.assert_allclose(grids[True, True], grids[True, False], rtol=1e-6)


# --- accuracy against -1/+1 targets --------------------------------------------------------
def test_mse_accuracy_against_sign_labels():
    loss = nn.MSELoss()
    pred = np.array([[0.3], [-0.2], [0.0], [0.9]])
    assert loss.accuracy(pred, np.array([[1.0], [-1.0], [1.0], [-1.0]])) == 0.5  # 0 is wrong
    assert loss.accuracy(pred[:, 0], np.array([1.0, 1.0, -1.0, 1.0])) == 0.5
    assert loss.has_accuracy(np.array([1.0, -1.0]))
    for regression in (np.array([[0.5], [1.0]]), np.array([[1.0, -1.0]]), np.array([0.0, 1.0])):
        assert not loss.has_accuracy(regression)
        assert loss.accuracy(np.zeros(regression.shape), regression) is None
    # BCE keeps its 0/1 rule
    assert nn.BCELoss().accuracy(np.array([0.7, 0.2]), np.array([1.0, 1.0])) == 0.5


def test_training_reports_accuracy_for_sign_labels_only():
    X, y = sign_data()
    model = small_mlp()
    history = nn.fit(model, X, y, nn.MSELoss(half=True), nn.SGD(model, lr=0.1), epochs=2,
                     batch_size=8, validation=(X[:10], y[:10]))  # fmt: skip
    assert set(history.epochs[0]) == {"epoch", "loss", "accuracy", "val_loss", "val_accuracy"}
    pred = model.predict(X)[:, 0]
    assert history["accuracy"][-1] == np.mean(np.sign(pred) == y)
    model = small_mlp(out_act=nn.Identity)
    history = nn.fit(model, X, X[:, :1] * 0.3, nn.MSELoss(), nn.SGD(model, lr=0.1), epochs=1)
    assert "accuracy" not in history.epochs[0]


# --- bias_init and the Playground's weight init ----------------------------------------------
def test_bias_init():
    dense = nn.Dense(3, 4, init="uniform(0.5)", bias_init=0.1, seed=0)
    np.testing.assert_array_equal(dense.params["b"], np.float32(0.1))
    assert dense.params["W"].min() >= -0.5 and dense.params["W"].max() < 0.5
    model = nn.Sequential([dense, nn.Tanh(), nn.Dense(4, 1, bias_init=-2)], seed=7)
    np.testing.assert_array_equal(model.layers[0].params["b"], np.float32(0.1))  # re-drawn
    np.testing.assert_array_equal(model.layers[2].params["b"], -2.0)
    assert nn.Dense(2, 2).params["b"].tolist() == [0.0, 0.0]
    conv = nn.Conv2D(1, 3, 2, bias_init=0.25)
    np.testing.assert_array_equal(conv.params["b"], 0.25)
    with pytest.raises(TypeError, match="bias_init must be a number"):
        nn.Dense(2, 2, bias_init="0.1")
    with pytest.raises(ValueError, match="bias_init must be a finite number"):
        nn.Dense(2, 2, bias_init=float("inf"))
    with pytest.raises(TypeError, match="bias_init"):
        nn.Conv2D(1, 1, 1, bias_init=True)


# --- shuffle=False -------------------------------------------------------------------------
@pytest.mark.parametrize("compiled", [True, False])
def test_shuffle_false_visits_the_samples_in_their_order(compiled):
    X, y = sign_data(20)
    model = small_mlp(dtype="float64")
    by_hand = small_mlp(dtype="float64")
    loss = nn.MSELoss(half=True)
    trainer = nn.Trainer(model, X, y, loss, nn.SGD(model, lr=0.2), batch_size=6, seed=4,
                         compiled=compiled, shuffle=False)  # fmt: skip
    assert trainer.compiled == compiled
    opt = nn.SGD(by_hand, lr=0.2)
    for _ in range(3):
        event = trainer.epoch()
        losses = []
        for start in range(0, 20, 6):  # batches of 6, 6, 6, 2 in the data's order
            losses.append(
                loss.forward(by_hand.forward(X[start : start + 6]), y[start : start + 6, None])
            )
            by_hand.backward(loss.backward())
            opt.step()
        np.testing.assert_allclose(event.step_losses, losses, rtol=1e-12)
    np.testing.assert_allclose(model.theta, by_hand.theta, rtol=0, atol=1e-12)
    # the seed does not matter then; shuffled (the default) training differs
    other = small_mlp(dtype="float64")
    nn.fit(other, X, y, loss, nn.SGD(other, lr=0.2), epochs=3, batch_size=6, seed=9,
           shuffle=False)  # fmt: skip
    np.testing.assert_allclose(other.theta, model.theta, rtol=0, atol=1e-12)
    shuffled = small_mlp(dtype="float64")
    nn.fit(shuffled, X, y, loss, nn.SGD(shuffled, lr=0.2), epochs=3, batch_size=6)
    assert np.abs(shuffled.theta - model.theta).max() > 1e-4
    with pytest.raises(TypeError, match="shuffle must be True or False"):
        nn.Trainer(model, X, y, loss, nn.SGD(model, lr=0.1), shuffle="no")


# --- penalties on weights only, and L1 pruning ----------------------------------------------
def test_penalties_leave_biases_alone_by_default():
    model = small_mlp(dtype="float64", bias_init=0.5)
    theta = model.theta.copy()
    mask = penalty_mask(model, "weights")
    for layer in model.layers:
        if isinstance(layer, nn.Dense):
            w_off, b_off = model.offsets[(id(layer), "W")], model.offsets[(id(layer), "b")]
            assert (mask[w_off : w_off + layer.params["W"].size] == rules.PENALIZED).all()
            assert (mask[b_off : b_off + layer.out_features] == rules.FREE).all()
    model.grad[...] = 0.0  # only the penalty moves the parameters
    opt = nn.SGD(model, lr=0.1, weight_decay=0.5)
    assert opt.penalize == "weights"
    opt.step()
    np.testing.assert_allclose(model.theta, np.where(mask == 1, theta * 0.95, theta), rtol=1e-15)
    model.theta[:] = theta
    nn.SGD(model, lr=0.1, weight_decay=0.5, penalize="all").step()
    np.testing.assert_allclose(model.theta, theta * 0.95, rtol=1e-15)
    model.theta[:] = theta
    nn.Adam(model, lr=0.1, l1=0.5).step()  # Adam's first step: lr * sign(g) = lr * sign(p)
    np.testing.assert_allclose(
        model.theta, np.where(mask == 1, theta - 0.1 * np.sign(theta), theta)
    )
    with pytest.raises(ValueError, match="penalize must be one of 'weights', 'all'"):
        nn.SGD(model, lr=0.1, penalize="biases")
    p = np.array([1.0, -2.0])  # plain arrays: every entry is penalised
    nn.SGD([p], lr=0.1, weight_decay=1.0).step([np.zeros(2)])
    np.testing.assert_allclose(p, [0.9, -1.8])


def test_the_mask_follows_each_layers_weight_key():
    model = nn.Sequential(
        [
            nn.Conv2D(1, 2, 2),
            nn.Flatten(),
            nn.Dense(8, 4),
            nn.BatchNorm1d(4),
            nn.WeightNorm(nn.Dense(4, 2)),
        ],
        seed=0,
    )
    mask = penalty_mask(model, "weights")
    want = np.zeros(model.theta.size, dtype=np.uint8)
    for layer in model.all_layers():
        if layer.weight_key is not None:
            off = model.offsets[(id(layer), layer.weight_key)]
            want[off : off + layer.params[layer.weight_key].size] = 1
    np.testing.assert_array_equal(mask, want)
    assert mask.sum() == 2 * 4 + 8 * 4 + 4 + 4 * 2  # conv W, dense W, BN scale, WeightNorm v
    assert (penalty_mask(model, "all") == 1).all()


def test_l1_prune_is_the_playgrounds_l1():
    p = np.array([0.01, -0.3, 0.5, 0.0])
    opt = nn.SGD([p], lr=0.1, l1=0.2, l1_prune=True)
    g = np.array([0.0, 0.0, 4.9, 1.0])
    opt.step([g])
    # 0.01 - 0.02 crosses zero: pruned; 0.5 - 0.49 = 0.01 then -0.02 crosses: pruned; the
    # sign of 0 is 0, so the last entry only takes its gradient step
    np.testing.assert_allclose(p, [0.0, -0.28, 0.0, -0.1], atol=1e-15)
    assert opt.pruned[0].tolist() == [True, False, True, False]
    opt.step([np.ones(4)])  # pruned entries never move again
    np.testing.assert_allclose(p, [0.0, -0.28 - 0.1 + 0.02, 0.0, -0.2 + 0.02], atol=1e-15)
    # without l1_prune L1 is the subgradient in the gradient: the small weight overshoots
    q = np.array([0.01])
    nn.SGD([q], lr=0.1, l1=0.2).step([np.zeros(1)])
    assert q[0] == pytest.approx(-0.01)
    for kwargs, match in (
        ({"l1_prune": True}, "l1_prune=True needs l1 > 0"),
        (
            {"l1": 0.1, "momentum": 0.9, "l1_prune": True},
            "l1_prune=True needs l1 > 0 and momentum=0",
        ),
    ):
        with pytest.raises(ValueError, match=match):
            nn.SGD([q], lr=0.1, **kwargs)
    with pytest.raises(TypeError, match="l1_prune must be True or False"):
        nn.SGD([q], lr=0.1, l1=0.1, l1_prune=1)


def test_preview_with_masks_is_the_step_and_changes_nothing():
    model = small_mlp(dtype="float64")
    rng = np.random.default_rng(0)
    model.grad[:] = rng.normal(size=model.grad.size)
    model.theta[:4] = [0.001, -0.002, 0.3, 0.0]  # small weights the L1 step prunes
    model.grad[:4] = 0.0
    opt = nn.SGD(model, lr=0.1, l1=0.05, weight_decay=0.01, l1_prune=True)
    masks = opt.masks[0].copy()
    theta = model.theta.copy()
    delta = opt.preview()[0]
    np.testing.assert_array_equal(opt.masks[0], masks)
    np.testing.assert_array_equal(model.theta, theta)
    opt.step()
    np.testing.assert_allclose(model.theta - theta, delta, rtol=0, atol=1e-15)
    assert opt.pruned[0].any()


# --- the compiled fused epoch against the step path and numpy, with the new options --------
OPTIONS = {
    "playground L2": (
        lambda m: nn.SGD(m, lr=0.05, weight_decay=0.1),
        {"half": True, "shuffle": False, "bias_init": 0.1},
    ),
    "playground L1": (
        lambda m: nn.SGD(m, lr=0.05, l1=0.05, l1_prune=True),
        {"half": True, "shuffle": False, "bias_init": 0.1},
    ),
    "penalize all": (
        lambda m: nn.SGD(m, lr=0.05, momentum=0.9, weight_decay=0.05, l1=1e-3, penalize="all"),
        {"half": False, "shuffle": True, "bias_init": 0.0},
    ),
    "adam weights": (
        lambda m: nn.Adam(m, lr=0.01, weight_decay=0.05, l1=1e-3),
        {"half": True, "shuffle": True, "bias_init": -0.2},
    ),
}


@pytest.mark.parametrize("name", list(OPTIONS))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_epoch_matches_step_by_step_and_numpy_with_the_new_options(name, dtype):
    make_opt, opts = OPTIONS[name]
    X, y = sign_data()
    results = []
    for backend, compiled in (("cpu", True), ("cpu", False), ("numpy", False)):
        model = small_mlp(backend, dtype, bias_init=opts["bias_init"])
        o = make_opt(model)
        trainer = nn.Trainer(model, X, y, nn.MSELoss(backend, half=opts["half"]), o,
                             batch_size=8, seed=1, compiled=compiled,
                             shuffle=opts["shuffle"])  # fmt: skip
        assert trainer.compiled == compiled
        for _ in range(3):
            event = trainer.epoch()
        results.append((model.theta.copy(), event.step_losses, event.norms, o.masks[0].copy(),
                        event.metrics["accuracy"]))  # fmt: skip
    tol = 1e-12 if dtype == "float64" else 2e-5
    theta0, losses0, norms0, mask0, acc0 = results[0]
    assert ((mask0 == rules.PRUNED).sum() > 0) == (name == "playground L1")
    for theta, losses, norms, mask, acc in results[1:]:
        np.testing.assert_allclose(theta, theta0, rtol=0, atol=tol)
        np.testing.assert_allclose(losses, losses0, rtol=0, atol=tol)
        np.testing.assert_allclose(norms, norms0, rtol=tol * 5, atol=tol)
        np.testing.assert_array_equal(mask, mask0)
        assert acc == acc0
