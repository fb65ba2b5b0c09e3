import numpy as np
import pytest

from deepscope import nn
from deepscope.data import glyphs, playground


def mlp(backend="cpu", seed=0, act=nn.Tanh):
    return nn.Sequential(
        [nn.Dense(2, 8), act(), nn.Dense(8, 8), act(), nn.Dense(8, 1), nn.Sigmoid()],
        seed=seed,
        backend=backend,
    )


def xor_data():
    X, y = playground("xor", 200, 0.0, seed=3)
    return X / 6, y


def test_fit_learns_xor_and_is_bit_for_bit_deterministic():
    X, y = xor_data()
    runs = []
    for _ in range(2):
        model = mlp()
        hist = nn.fit(
            model, X, y, nn.BCELoss(), nn.Adam(model, lr=0.03), epochs=40, batch_size=10, seed=7
        )
        runs.append((model.theta.copy(), hist.step_loss))
    assert hist["accuracy"][-1] > 0.95
    assert np.array_equal(runs[0][0], runs[1][0])
    assert runs[0][1] == runs[1][1]


@pytest.mark.parametrize(
    "opt",
    [
        lambda m: nn.SGD(m, lr=0.1, momentum=0.9, nesterov=True),
        lambda m: nn.RMSprop(m, lr=0.01, weight_decay=1e-3),
        lambda m: nn.Adam(m, lr=0.01, l1=1e-4),
        lambda m: nn.Adagrad(m, lr=0.1),
    ],
)
def test_compiled_epoch_matches_step_by_step_and_numpy(opt):
    X, y = xor_data()
    results = []
    for backend, compiled in (("cpu", True), ("cpu", False), ("numpy", True), ("numpy", False)):
        model = mlp(backend)
        o = opt(model)
        o.schedule = nn.StepLR(7, 0.5)
        trainer = nn.Trainer(
            model, X, y, nn.BCELoss(backend), o, batch_size=16, seed=1, compiled=compiled
        )
        assert trainer.compiled == compiled
        for _ in range(3):
            event = trainer.epoch()
        results.append((model.theta.copy(), event.step_losses, event.norms))
    for theta, losses, norms in results[1:]:
        np.testing.assert_allclose(theta, results[0][0], atol=2e-5)
        np.testing.assert_allclose(losses, results[0][1], atol=2e-6)
        np.testing.assert_allclose(norms, results[0][2], rtol=1e-4, atol=1e-6)


def test_optimizers_match_pytorch_rules_on_a_plain_vector():
    # hand-written PyTorch update rules, three steps on f(p) = sum(p^2) / 2 (grad = p)
    p0 = np.array([1.0, -2.0])
    p = p0.copy()
    adam = nn.Adam([p], lr=0.1)
    m = v = np.zeros(2)
    q = p0.copy()
    for t in range(1, 4):
        g = q.copy()
        adam.step([p.copy()])
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        q = q - 0.1 / (1 - 0.9**t) * m / (np.sqrt(v) / np.sqrt(1 - 0.999**t) + 1e-8)
        np.testing.assert_allclose(p, q, rtol=1e-12)
    p = p0.copy()
    sgd = nn.SGD([p], lr=0.1, momentum=0.9, nesterov=True)
    buf, q = None, p0.copy()
    for _ in range(3):
        g = q.copy()
        sgd.step([p.copy()])
        buf = g if buf is None else 0.9 * buf + g
        q = q - 0.1 * (g + 0.9 * buf)
    np.testing.assert_allclose(p, q, rtol=1e-12)
    p = p0.copy()
    rms = nn.RMSprop([p], lr=0.01)
    v, q = np.zeros(2), p0.copy()
    for _ in range(3):
        g = q.copy()
        rms.step([p.copy()])
        v = 0.99 * v + 0.01 * g * g
        q = q - 0.01 * g / (np.sqrt(v) + 1e-8)
    np.testing.assert_allclose(p, q, rtol=1e-12)


def test_schedules():
    assert nn.StepLR(10, 0.5)(1.0, 25) == 0.25
    assert nn.ExponentialLR(0.9)(1.0, 2) == pytest.approx(0.81)
    assert nn.InverseTimeLR(1.0)(1.0, 3) == 0.25


def test_divergence_is_an_event_not_a_crash():
    X, y = playground("reg-plane", 100, seed=0)
    model = nn.Sequential([nn.Dense(2, 16), nn.ReLU(), nn.Dense(16, 1)], seed=0)
    seen = []
    hist = nn.fit(
        model,
        X * 100,
        y,
        nn.MSELoss(),
        nn.SGD(model, lr=5.0),
        epochs=20,
        batch_size=10,
        callbacks=[lambda e: seen.append(e.kind)],
    )
    assert hist.diverged_at is not None
    assert "diverged" in seen


def test_early_stopping_and_validation():
    X, y = xor_data()
    model = mlp()
    hist = nn.fit(
        model,
        X[:150],
        y[:150],
        nn.BCELoss(),
        nn.Adam(model, lr=0.05),
        epochs=500,
        batch_size=10,
        validation=(X[150:], y[150:]),
        callbacks=[nn.EarlyStopping(patience=3, monitor="val_loss")],
    )
    assert hist.stopped_early and len(hist) < 500
    assert "val_accuracy" in hist.epochs[-1]


def test_step_callbacks_see_every_step():
    X, y = xor_data()
    model = mlp()

    class Count(nn.Callback):
        steps = 0

        def on_step(self, event):
            Count.steps += 1
            assert event.norms.shape == (3, 2)

    nn.fit(
        model,
        X,
        y,
        nn.BCELoss(),
        nn.SGD(model, lr=0.1),
        epochs=2,
        batch_size=50,
        callbacks=[Count()],
    )
    assert Count.steps == 8


def test_xo_cnn_reaches_full_accuracy_on_held_out_glyphs():
    Xtr, ytr = glyphs(200, shift=1, seed=0)
    Xte, yte = glyphs(60, shift=1, seed=99)
    model = nn.Sequential(
        [
            nn.Conv2D(1, 4, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2D(2),
            nn.Flatten(),
            nn.Dense(4 * 4 * 4, 2),
        ],
        seed=0,
    )
    loss = nn.CrossEntropyLoss()
    nn.fit(model, Xtr[:, None], ytr, loss, nn.Adam(model, lr=0.01), epochs=15, batch_size=20)
    assert loss.accuracy(model.predict(Xte[:, None]), yte) == 1.0


def test_state_dict_save_load_roundtrip(tmp_path):
    a, b = mlp(seed=0), mlp(seed=1)
    assert not np.array_equal(a.theta, b.theta)
    a.save(tmp_path / "m.npz")
    b.load(tmp_path / "m.npz")
    np.testing.assert_array_equal(a.theta, b.theta)
    with pytest.raises(ValueError, match="missing"):
        b.load_state_dict({"0.W": a.layers[0].params["W"]})


def test_repr_and_summary():
    model = nn.Sequential(
        [nn.Conv2D(1, 8, 3), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(1352, 10)]
    )
    assert "total parameters 13,610" in repr(model)
    assert "(8, 13, 13)" in model.summary((1, 28, 28))


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: nn.Dense(0, 3), "in_features must be an integer >= 1, got 0"),
        (lambda: nn.Dense(2, 3, init="glorot"), "init must be one of"),
        (lambda: nn.Dense(2, 3, init="normal(-1)"), "positive"),
        (lambda: nn.Dropout(1.0), r"dropout p must be a number in \[0, 1\), got 1.0"),
        (lambda: nn.SGD([np.zeros(2)], lr=0), "lr must be a finite number > 0, got 0"),
        (lambda: nn.activation("swish"), "activation must be one of"),
        (lambda: nn.Sequential([nn.Dense(2, 3), nn.Dense(4, 1)]), "in_features disagree"),
    ],
)
def test_bad_arguments(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make()


def test_bad_training_data():
    model = mlp()
    opt = nn.SGD(model, lr=0.1)
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="X contains 1 NaN"):
        nn.fit(model, np.r_[X[:3], [[np.nan, 0]]], np.zeros(4), nn.BCELoss(), opt)
    with pytest.raises(TypeError, match="must hold numbers"):
        nn.fit(model, np.array([["a", "b"]]), np.zeros(1), nn.BCELoss(), opt)
    with pytest.raises(ValueError, match="X has 4 samples but y has 3"):
        nn.fit(model, X, np.zeros(3), nn.BCELoss(), opt)
    with pytest.raises(ValueError, match="in_features disagree"):
        model.forward(np.zeros((2, 5)))
    with pytest.raises(ValueError, match="BCELoss needs probabilities"):
        nn.BCELoss().forward(np.array([2.0]), np.array([1.0]))


def test_cross_entropy_compiled_epoch_matches_numpy():
    X, y = playground("multi-spiral", 120, 0.1, seed=0, classes=3)
    thetas = []
    for backend, compiled in (("cpu", True), ("numpy", True), ("numpy", False)):
        model = nn.Sequential(
            [nn.Dense(2, 16), nn.ReLU(), nn.Dense(16, 3)], seed=0, backend=backend
        )
        trainer = nn.Trainer(
            model,
            X / 5,
            y,
            nn.CrossEntropyLoss(backend),
            nn.SGD(model, lr=0.2, momentum=0.5),
            batch_size=12,
            seed=0,
            compiled=compiled,
        )
        assert trainer.compiled == compiled
        for _ in range(3):
            trainer.epoch()
        thetas.append(model.theta.copy())
    for theta in thetas[1:]:
        np.testing.assert_allclose(theta, thetas[0], atol=2e-5)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_predict_fuses_conv_relu_pool_and_agrees_with_forward(backend):
    model = nn.Sequential(
        [
            nn.Conv2D(1, 4, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2D(2),
            nn.Conv2D(4, 3, 3),
            nn.ReLU(),
            nn.AvgPool2D(2),  # not fused: only max pooling is
            nn.Flatten(),
            nn.Dense(3 * 2 * 2, 5),
        ],
        seed=1,
        backend=backend,
    )
    X = np.random.default_rng(0).normal(size=(6, 1, 12, 12)).astype(np.float32)
    want = model.forward(X, training=False)
    np.testing.assert_allclose(model.predict(X), want, rtol=1e-5, atol=1e-6)
    # the fused layers kept nothing: a backward now is an error, not stale gradients
    with pytest.raises(RuntimeError, match="MaxPool2D.backward called before forward"):
        model.backward(np.ones_like(want))


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_a_conv_relu_maxpool_run_trains_as_its_layers_one_by_one(backend):
    """forward runs each Conv2D, ReLU, MaxPool2D run in one pass that keeps only the pool's
    arg-max; the output, d loss / d input and every gradient are those of the layers run one
    by one (overlapping pool windows, a padded and an unpadded conv, a frozen one)."""
    layers = [
        nn.Conv2D(2, 4, 3, padding=1, dtype="float64"),
        nn.ReLU(),
        nn.MaxPool2D(2),
        nn.Conv2D(4, 3, 2, dtype="float64"),
        nn.ReLU(),
        nn.MaxPool2D(3, stride=1),
        nn.Flatten(),
        nn.Dense(12, 5, dtype="float64"),
    ]
    model = nn.Sequential(layers, seed=2, backend=backend, dtype="float64")
    rng = np.random.default_rng(3)
    X, dout = rng.normal(size=(4, 2, 10, 10)), rng.normal(size=(4, 5))

    def one_by_one():
        h = X
        for layer in layers:
            h = layer.forward(h)
        d = dout
        for layer in reversed(layers):
            d = layer.backward(d)
        return h, d, model.grad.copy()

    out, dx, grads = one_by_one()
    model.grad[:] = 0
    np.testing.assert_allclose(model.forward(X), out, atol=1e-12)
    assert layers[1]._x is None and layers[5]._x is None  # fused: the ReLUs kept no input
    np.testing.assert_allclose(model.backward(dout), dx, atol=1e-12)
    np.testing.assert_allclose(model.grad, grads, atol=1e-12)
    model.grad[:] = 0
    model.forward(X)
    assert model.backward(dout, input_grad=False) is None
    np.testing.assert_allclose(model.grad, grads, atol=1e-12)
    model.forward(X)
    np.testing.assert_allclose(model.input_backward(dout), dx, atol=1e-12)
    model.set_trainable(False, layers=[0])
    model.forward(X)
    model.backward(dout)
    assert not layers[0].grads["W"].any() and layers[3].grads["W"].any()


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_a_fused_step_gives_way_to_layers_run_on_their_own_and_keeps_nan(backend):
    """After model.forward, layers run one by one on other data: backward follows them, not
    the stale fused step. A NaN weight makes the output NaN, fused or not."""
    layers = [nn.Conv2D(1, 2, 3, dtype="float64"), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten()]
    model = nn.Sequential(layers, seed=0, backend=backend, dtype="float64")
    rng = np.random.default_rng(0)
    X, X2 = rng.normal(size=(2, 1, 6, 6)), rng.normal(size=(2, 1, 6, 6))
    dout = rng.normal(size=(2, 8))
    model.forward(X)
    h = X2
    for layer in layers:
        h = layer.forward(h)
    dx = model.backward(dout)
    for layer in layers:
        h = layer.forward(X2 if layer is layers[0] else h)
    d = dout
    for layer in reversed(layers):
        d = layer.backward(d)
    np.testing.assert_allclose(dx, d)
    layers[0].params["W"][0, 0, 0, 0] = np.nan
    assert np.isnan(model.forward(X)[:, :4]).all() and np.isnan(model.predict(X)[:, :4]).all()


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_input_backward_is_backwards_dx_and_leaves_the_gradients(backend):
    """Sequential.input_backward (an attack's gradient): the same d loss / d input as the
    full backward, with every parameter's gradient left as it was (Conv2D skips its dw)."""
    model = nn.Sequential(
        [nn.Conv2D(1, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(48, 4)],
        seed=0,
        backend=backend,
    )
    rng = np.random.default_rng(0)
    X = rng.uniform(size=(5, 1, 8, 8)).astype(np.float32)
    dout = rng.normal(size=(5, 4)).astype(np.float32)
    model.grad[:] = rng.normal(size=model.grad.shape)
    before = model.grad.copy()
    model.forward(X, training=False)
    dx = model.input_backward(dout)
    np.testing.assert_array_equal(model.grad, before)
    model.forward(X, training=False)
    np.testing.assert_allclose(dx, model.backward(dout), rtol=1e-6, atol=1e-7)
    assert not np.array_equal(model.grad, before)  # the full backward does write them
    full = model.grad.copy()
    model.grad[:] = before
    model.forward(X)
    assert model.backward(dout, input_grad=False) is None  # training's: no dx for the input
    np.testing.assert_allclose(model.grad, full, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("first", ["batchnorm", "weightnorm", "residual"])
def test_input_backward_and_training_steps_through_every_layer_with_parameters(first):
    """The input-only and the parameters-only backward of the layers without a path of their
    own (the Layer defaults), first in the network and in the middle."""

    def block():
        return {
            "batchnorm": nn.BatchNorm1d(6),
            "weightnorm": nn.WeightNorm(nn.Dense(6, 6)),
            "residual": nn.Residual([nn.Dense(6, 6), nn.Tanh()]),
        }[first]

    model = nn.Sequential([block(), nn.Dense(6, 6), block(), nn.Dense(6, 3)], seed=0, backend="cpu")
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(16, 6)).astype(np.float32), rng.integers(0, 3, 16)
    model.forward(X)
    dout = rng.normal(size=(16, 3)).astype(np.float32)
    want = model.backward(dout)
    grads = model.grad.copy()
    model.grad[:] = 0
    model.forward(X)
    np.testing.assert_allclose(model.input_backward(dout), want, rtol=1e-5, atol=1e-6)
    assert not model.grad.any()  # left as they were
    model.forward(X)
    assert model.backward(dout, input_grad=False) is None
    np.testing.assert_allclose(model.grad, grads, rtol=1e-5, atol=1e-6)
    history = nn.fit(
        model, X, y, nn.CrossEntropyLoss(), nn.SGD(model, lr=0.1), epochs=2, batch_size=8
    )
    assert np.isfinite(history.step_loss).all()


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_a_nan_network_under_bce_is_a_divergence_not_a_floor(backend):
    """A NaN probability makes the BCE NaN, as the reference's np.maximum(log p, floor) does,
    so training reports the divergence rather than a finite loss at the log's floor."""
    model = nn.Sequential(
        [nn.Dense(2, 4), nn.Tanh(), nn.Dense(4, 1), nn.Sigmoid()], backend=backend
    )
    model.layers[0].params["W"][0, 0] = np.nan
    X, y = playground("xor", 40, 0.0, seed=0)
    loss = nn.BCELoss(backend)
    history = nn.fit(model, X, y, loss, nn.SGD(model, lr=0.1), epochs=2, batch_size=10)
    assert history.diverged_at == 0
    assert np.isnan(loss.forward(np.array([[np.nan], [0.5]]), np.array([[1.0], [0.0]])))
