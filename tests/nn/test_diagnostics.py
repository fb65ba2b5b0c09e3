"""Per-layer diagnostics in the training events: |dW|, |W|, the update ratio and the mean
|f'(z)| of the following activation (Event.diagnostics), next to the unchanged Event.norms."""

import numpy as np
import pytest

from deepscope import nn

KEYS = {"layer", "grad_norm", "weight_norm", "update_ratio", "act_slope"}


def deep_sigmoid(depth=20, width=32, init="normal(0.1)", seed=0):
    layers = [x for _ in range(depth) for x in (nn.Dense(width, width, init=init), nn.Sigmoid())]
    return nn.Sequential(layers, seed=seed)


def data(rng, n=128, width=32):
    return (
        rng.normal(size=(n, width)).astype(np.float32),
        rng.uniform(size=(n, width)).astype(np.float32),
    )


def test_a_deep_sigmoid_network_with_a_small_init_starves_its_first_layer(rng):
    model = deep_sigmoid()
    X, y = data(rng)
    trainer = nn.Trainer(
        model, X, y, nn.MSELoss(), nn.SGD(model, lr=0.1), batch_size=128, diagnostics=True
    )
    steps = []
    event = trainer.epoch(on_step=steps.append)
    d = steps[0].diagnostics
    assert set(d) == KEYS and all(len(v) == 20 for v in d.values())
    assert d["layer"][0] == "0: Dense(32, 32)" and d["layer"][-1] == "38: Dense(32, 32)"
    ratio = d["grad_norm"][0] / d["grad_norm"][-1]
    assert ratio < 1e-3
    # measured 2.6e-17: each layer down scales by ~0.25 (the slope) * 0.1 sqrt(32) (|W|'s
    # gain), 0.14, nineteen times over: 0.14 ** 19 = 6e-17
    assert 1e-18 < ratio < 1e-16
    # a sigmoid near z = 0 has its largest slope, 0.25; small weights keep z near 0
    # measured 0.233 (the first layer's input is N(0, 1) data) to 0.247
    assert (d["act_slope"] > 0.23).all() and (d["act_slope"] <= 0.25).all()
    # SGD without momentum: the update is lr * dW, its ratio lr |dW| / |W| ...
    ratio, want = d["update_ratio"], 0.1 * d["grad_norm"] / d["weight_norm"]
    seen = want > 1e-5
    np.testing.assert_allclose(ratio[seen], want[seen], rtol=1e-3)
    # ... where float32 can hold it: the first layers' updates are below one ulp of their
    # weights, and what the optimizer actually changed there is nothing at all
    assert (ratio[:10] == 0).all() and seen[-3:].all()
    # the old field is still (layers with weights, 2) = |dW|, |W|
    assert steps[0].norms.shape == (20, 2)
    np.testing.assert_allclose(steps[0].norms[:, 0], d["grad_norm"])
    np.testing.assert_allclose(steps[0].norms[:, 0], model.norms()[:, 0], rtol=1e-5)
    assert event.diagnostics is d


def test_the_update_ratio_is_what_the_optimizer_changed(rng):
    model = nn.Sequential(
        [nn.Dense(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Dropout(0.1),
         nn.Residual([nn.Dense(6, 6), nn.Tanh()]), nn.WeightNorm(nn.Dense(6, 2)),
         nn.Softmax()],
        seed=0,
    )  # fmt: skip
    X = rng.normal(size=(24, 4)).astype(np.float32)
    y = rng.uniform(size=(24, 2)).astype(np.float32)
    opt = nn.Adam(model, lr=0.01, weight_decay=0.01)
    trainer = nn.Trainer(model, X, y, nn.MSELoss(), opt, batch_size=8, diagnostics=True)
    seen = []
    for event in trainer.epoch_events():
        if event.kind == "step":
            seen.append((event, model.theta.copy()))  # before the step's update
    seen.append((None, model.theta.copy()))
    plan = nn.train.diagnostic_plan(model)
    for (event, before), (_, after) in zip(seen, seen[1:]):
        d = event.diagnostics
        for i, (_, _, off, size, _) in enumerate(plan):
            moved = np.linalg.norm(after[off : off + size] - before[off : off + size])
            w = np.linalg.norm(before[off : off + size])
            assert d["update_ratio"][i] == pytest.approx(moved / w, rel=1e-5)
    names = list(d["layer"])
    assert names == [
        "0: Dense(4, 6)", "1: BatchNorm1d(6)", "4.0: Dense(6, 6)", "5: WeightNorm(Dense(6, 2))",
    ]  # fmt: skip
    # Dense -> BatchNorm1d -> ReLU: both get the ReLU; the block's Dense its Tanh; the
    # softmax is not element-wise: none
    slope = d["act_slope"]
    relu = model.layers[2]
    assert slope[0] == slope[1] == pytest.approx(np.mean(relu._x > 0))
    tanh = model.layers[4].layers[1]
    assert slope[2] == pytest.approx(np.mean(1 - np.tanh(tanh._x) ** 2), rel=1e-5)
    assert np.isnan(slope[3])


def test_fit_keeps_the_last_steps_diagnostics_and_the_compiled_path_is_left(rng):
    X, y = data(rng, 64, 4)
    model = nn.Sequential([nn.Dense(4, 8), nn.Tanh(), nn.Dense(8, 4)], seed=0)
    seen = []
    history = nn.fit(
        model, X, y, nn.MSELoss(), nn.SGD(model, lr=0.1), epochs=2, batch_size=32,
        diagnostics=True, callbacks=[seen.append],
    )  # fmt: skip
    steps = [e for e in seen if e.kind == "step"]
    assert len(steps) == 4 and all(e.diagnostics is not None for e in steps)
    assert len(history.diagnostics) == 2 and history.diagnostics[-1] is steps[-1].diagnostics
    assert np.isnan(history.diagnostics[-1]["act_slope"][-1])  # nothing after the output
    # the same training without diagnostics (compiled) reaches the same weights
    other = nn.Sequential([nn.Dense(4, 8), nn.Tanh(), nn.Dense(8, 4)], seed=0)
    plain = nn.fit(other, X, y, nn.MSELoss(), nn.SGD(other, lr=0.1), epochs=2, batch_size=32)
    assert plain.diagnostics == [None, None]
    np.testing.assert_allclose(other.theta, model.theta, atol=1e-6)
    # on its own, after a backward pass
    d = nn.layer_diagnostics(model)
    assert np.isnan(d["update_ratio"]).all() and (d["grad_norm"] > 0).all()
    with pytest.raises(TypeError, match="diagnostics must be True or False, got 'yes'"):
        nn.Trainer(model, X, y, nn.MSELoss(), nn.SGD(model), diagnostics="yes")


def test_optimizer_preview_does_not_move_anything(rng):
    p = rng.normal(size=5)
    g = rng.normal(size=5)
    opt = nn.Adam([p], lr=0.1)
    start = p.copy()
    delta = opt.preview([g])[0]
    np.testing.assert_array_equal(p, start)
    assert opt.t == 0 and not opt.state[0][0].any()
    opt.step([g])
    np.testing.assert_allclose(p - start, delta, rtol=1e-12)
