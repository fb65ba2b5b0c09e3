"""The playground's network on deepscope.nn: the Playground's rule where it should be, and
what the Playground leaves out (more classes, cross-entropy, momentum and Adam, dropout,
batch norm)."""

import numpy as np
import pytest

from deepscope.scenes import playground as pg
from deepscope.scenes.playground_nn import NNNetwork


@pytest.fixture(scope="module")
def circle():
    e = pg.Experiment(dataset="circle", seed=1)  # 250 training points, 250 test points
    return e.X_train, e.y_train, e.X_test, e.y_test


@pytest.fixture(scope="module")
def blobs():
    d = pg.Experiment(dataset="blobs", classes=3, noise=10, seed=0)
    return d.X_train, d.y_train, d.X_test, d.y_test


def weights_gap(a, b) -> float:
    return max(
        max(np.abs(a.weights(l) - b.weights(l)).max(), np.abs(a.biases(l) - b.biases(l)).max())
        for l in range(a.n_layers)
    )


# --- the Playground's rule --------------------------------------------------------------------
@pytest.mark.parametrize(
    "hidden, activation, regularization, rate",
    [
        ((4, 2), "tanh", "none", 0.0),
        ((4, 2), ["tanh", "sigmoid"], "L2", 0.03),
        ((3,), ["relu"], "none", 0.0),
    ],
)
def test_sgd_on_squared_error_trains_as_the_playground(circle, hidden, activation,
                                                       regularization, rate):  # fmt: skip
    X, y, Xt, yt = circle
    net = pg.Network(2, hidden, activation, "tanh", seed=3)
    nnn = NNNetwork.from_network(net)
    assert nnn.sizes.tolist() == net.sizes.tolist()
    assert nnn.activations == net.activations
    assert weights_gap(net, nnn) == 0
    for epochs in (3, 2):  # two calls: nothing is lost between them
        a = net.train(X, y, Xt, yt, epochs, 0.03, regularization, rate, batch_size=10)
        b = nnn.train(X, y, Xt, yt, epochs, 0.03, regularization, rate, batch_size=10)
        assert b.shape == a.shape == (epochs, 2)
        assert weights_gap(net, nnn) < 1e-10
        # the Playground's losses take a float32-accurate tanh; these are exact
        np.testing.assert_allclose(b, a, rtol=1e-6)
    np.testing.assert_allclose(nnn.outputs(Xt), net.outputs(Xt), atol=1e-10)
    np.testing.assert_allclose(nnn.predict(Xt), net.predict(Xt), atol=1e-10)
    assert nnn.loss(Xt, yt) == pytest.approx(net.loss(Xt, yt), rel=1e-9)
    assert nnn.accuracy(Xt, yt) == pytest.approx(float(np.mean(np.sign(net.predict(Xt)) == yt)))


def test_validation_column_and_fresh_network_shape(circle):
    X, y, Xt, yt = circle
    nnn = NNNetwork(2, (4, 2), seed=0)
    assert nnn.n_layers == 3 and nnn.activations == ("tanh", "tanh", "tanh")
    assert nnn.weights(0).shape == (4, 2) and nnn.biases(2).shape == (1,)
    assert np.all(nnn.biases(0) == 0.1) and np.abs(nnn.weights(1)).max() <= 0.5
    assert nnn.dead_links(1).shape == (2, 4) and not nnn.dead_links(1).any()
    rows = nnn.train(X[:200], y[:200], Xt, yt, 2, 0.03, batch_size=10, X_val=X[200:],
                     y_val=y[200:])  # fmt: skip
    assert rows.shape == (2, 3)
    assert rows[-1, 2] == pytest.approx(nnn.loss(X[200:], y[200:]))
    zero = NNNetwork(2, (4, 2), init_zero=True)
    assert not any(zero.weights(l).any() or zero.biases(l).any() for l in range(3))


# --- beyond the Playground ---------------------------------------------------------------------
def test_cross_entropy_learns_the_circle(circle):
    X, y, Xt, yt = circle
    nnn = NNNetwork(2, (4,), "tanh", loss="cross-entropy", seed=0)
    assert nnn.activations[-1] == "sigmoid"
    rows = nnn.train(X, y, Xt, yt, 150, 0.1, batch_size=10)
    assert rows[-1, 0] < 0.3 * rows[0, 0]
    assert nnn.accuracy(Xt, yt) > 0.95
    pred = nnn.predict(Xt)
    assert pred.shape == (len(Xt),) and np.all(np.abs(pred) <= 1)
    np.testing.assert_array_equal(nnn.outputs(Xt)[-1], pred)
    p = (pred + 1) / 2  # the sigmoid's probability of +1; the loss is the binary cross-entropy
    t = (yt + 1) / 2
    bce = -np.mean(t * np.log(p) + (1 - t) * np.log(1 - p))
    assert rows[-1, 1] == pytest.approx(bce, rel=1e-9)


def test_softmax_learns_three_blobs(blobs):
    X, y, Xt, yt = blobs
    assert set(np.unique(y)) == {0, 1, 2}
    nnn = NNNetwork(2, (6,), "tanh", classes=3, loss="cross-entropy", seed=0)
    assert nnn.sizes.tolist() == [2, 6, 3] and nnn.activations[-1] == "softmax"
    rows = nnn.train(X, y, Xt, yt, 60, 0.1, batch_size=10)
    assert rows[-1, 0] < rows[0, 0]
    assert nnn.accuracy(Xt, yt) > 0.9
    prob = nnn.predict(Xt)
    assert prob.shape == (len(Xt), 3)
    np.testing.assert_allclose(prob.sum(axis=1), 1.0)
    values = nnn.outputs(Xt)
    assert values.shape == (2 + 6 + 3, len(Xt))
    np.testing.assert_allclose(values[-3:], prob.T)
    nll = -np.mean(np.log(prob[np.arange(len(yt)), yt]))  # the softmax cross-entropy
    assert rows[-1, 1] == pytest.approx(nll, rel=1e-9)


def test_squared_error_against_one_hot_on_a_multi_spiral():
    d = pg.Experiment(dataset="multi-spiral", classes=4, seed=2, train_percent=60,
                      features=tuple(pg.FEATURES), loss="squared", optimizer="sgd",
                      hidden=(8,))  # fmt: skip
    assert d.k == 4 and len(d.y_train) == 300 and len(d.y_test) == 200
    assert set(np.unique(d.y_train)) == {0, 1, 2, 3}
    assert isinstance(d.network, NNNetwork)  # four classes: the nn engine
    X, Xt = d.X_train, d.X_test
    nnn = NNNetwork(7, (8,), "tanh", classes=4, loss="squared", seed=0)
    rows = nnn.train(X, d.y_train, Xt, d.y_test, 30, 0.3, batch_size=10)
    assert rows[-1, 0] < rows[0, 0]
    prob = nnn.predict(Xt)
    onehot = np.eye(4)[d.y_test]
    assert rows[-1, 1] == pytest.approx(0.5 * np.mean((prob - onehot) ** 2), rel=1e-9)
    assert nnn.accuracy(X, d.y_train) > 0.25  # better than chance after a few epochs


@pytest.mark.parametrize("optimizer", ["momentum", "adam"])
def test_momentum_and_adam_train_and_differ_from_sgd(circle, optimizer):
    X, y, Xt, yt = circle
    sgd = NNNetwork(2, (4, 2), seed=0)
    other = NNNetwork(2, (4, 2), optimizer=optimizer, momentum=0.8, betas=(0.8, 0.99), seed=0)
    assert weights_gap(sgd, other) == 0
    sgd.train(X, y, Xt, yt, 4, 0.01, batch_size=10)
    rows = other.train(X, y, Xt, yt, 2, 0.01, batch_size=10)
    rows = np.r_[rows, other.train(X, y, Xt, yt, 2, 0.01, batch_size=10)]
    assert weights_gap(sgd, other) > 1e-3
    assert rows[-1, 0] < rows[0, 0]
    # the optimizer's state carries over between calls: 2 + 2 epochs are 4
    once = NNNetwork(2, (4, 2), optimizer=optimizer, momentum=0.8, betas=(0.8, 0.99), seed=0)
    np.testing.assert_allclose(once.train(X, y, Xt, yt, 4, 0.01, batch_size=10), rows)
    assert weights_gap(once, other) < 1e-12
    assert once.optimizer.t == 4 * 25


def test_dropout_greys_about_p_of_the_units_and_is_off_in_outputs(circle):
    X, y, Xt, yt = circle
    nnn = NNNetwork(2, (8, 8), "relu", dropout=0.5, loss="cross-entropy", seed=0)
    assert not any(nnn.dropped(l).any() for l in range(3))  # before any training
    seen = []
    for _ in range(30):
        nnn.train(X, y, Xt, yt, 1, 0.03, batch_size=10)
        seen.append(np.r_[nnn.dropped(0), nnn.dropped(1)])
        assert nnn.dropped(0).dtype == bool and nnn.dropped(0).shape == (8,)
        assert not nnn.dropped(2).any()  # the output is never dropped
    seen = np.array(seen)
    assert 0.4 < seen.mean() < 0.6
    assert len({row.tobytes() for row in seen}) > 20  # a fresh mask each step
    first = nnn.outputs(Xt)
    np.testing.assert_array_equal(nnn.outputs(Xt), first)  # no dropout when evaluating
    plain = NNNetwork(2, (8, 8), "relu", loss="cross-entropy")
    plain.load_parameters(nnn.parameters())
    np.testing.assert_allclose(plain.outputs(Xt), first, atol=1e-14)
    assert nnn.accuracy(Xt, yt) > 0.6


def test_batch_norm_trains(circle):
    X, y, Xt, yt = circle
    nnn = NNNetwork(2, (6, 4), "relu", batch_norm=True, loss="cross-entropy", seed=0)
    norm = nnn.model.layers[1]
    assert type(norm).__name__ == "BatchNorm1d"
    assert nnn.weights(0).shape == (6, 2)  # the Dense layer's, not the norm's
    rows = nnn.train(X, y, Xt, yt, 40, 0.1, "L2", 0.001, batch_size=10)
    assert rows[-1, 0] < 0.5 * rows[0, 0]
    assert nnn.accuracy(Xt, yt) > 0.9
    assert not np.allclose(norm.running_mean, 0)
    np.testing.assert_array_equal(nnn.outputs(Xt[:5]), nnn.outputs(Xt[:5]))  # eval mode
    # one row alone still gets an answer: evaluation uses the running statistics
    np.testing.assert_allclose(nnn.predict(Xt[:1]), nnn.predict(Xt[:5])[:1])
    assert "batch_norm" in nnn.parameters()["layers"][0]
    # the norm's scale is not regularised (only the Dense weights are)
    assert nnn.optimizer.masks[0][nnn.model.offsets[(id(norm), "W")]] == 0


def test_weights_are_views_of_the_model_and_set_weight_changes_predict(circle):
    X, y, Xt, yt = circle
    nnn = NNNetwork(2, (4, 2), seed=0)
    nnn.train(X, y, Xt, yt, 2, 0.03, batch_size=10)
    for l in range(nnn.n_layers):
        assert np.shares_memory(nnn.weights(l), nnn.model.theta)
        assert np.shares_memory(nnn.biases(l), nnn.model.theta)
    before = nnn.predict(Xt)
    nnn.set_weight(0, 3, 1, 2.5)  # node 3 of the first hidden layer, from input 1
    assert nnn.model.layers[0].params["W"][1, 3] == 2.5
    assert nnn.weights(0)[3, 1] == 2.5
    after = nnn.predict(Xt)
    assert not np.allclose(after, before)
    nnn.set_bias(2, 0, -1.0)
    assert nnn.model.layers[4].params["b"][0] == -1.0
    assert not np.allclose(nnn.predict(Xt), after)
    # the change trains on from there
    snapshot = nnn.weights(0).copy()
    nnn.train(X, y, Xt, yt, 1, 0.03, batch_size=10)
    assert np.abs(nnn.weights(0) - snapshot).max() > 0
    assert abs(nnn.weights(0)[3, 1] - 2.5) < 0.5


def test_parameters_round_trip_between_networks(circle):
    X, y, Xt, yt = circle
    a = NNNetwork(2, (3, 3), ["tanh", "relu"], seed=4)
    a.train(X, y, Xt, yt, 2, 0.03, batch_size=10)
    b = NNNetwork(2, (3, 3), ["tanh", "relu"], seed=5)
    b.load_parameters(a.parameters())
    np.testing.assert_array_equal(b.predict(Xt), a.predict(Xt))
    net = pg.Network(2, (3, 3), ["tanh", "relu"], "tanh", seed=5)
    for l, layer in enumerate(a.parameters()["layers"]):
        net.weights(l)[...] = layer["weights"]
        net.biases(l)[...] = layer["biases"]
    np.testing.assert_allclose(net.predict(Xt), a.predict(Xt), atol=1e-12)


def test_a_diverging_run_stops_early(blobs):
    X, y, Xt, yt = blobs
    nnn = NNNetwork(2, (4,), "linear", classes=3, loss="cross-entropy", seed=0)
    with np.errstate(all="ignore"):
        rows = nnn.train(X, y, Xt, yt, 20, 1e4, batch_size=10)
    assert len(rows) < 20
    assert not np.isfinite(rows[-1, 0]) and np.isfinite(rows[:-1, 0]).all()


# --- bad arguments -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activation": "softplus"}, r"hidden layer 1 must be one of relu, .*; got 'softplus'"),
        ({"activation": ["tanh"]}, r"activation: 1 activations .* for 2 hidden layers"),
        ({"classes": 6}, r"classes must be an integer in \[2, 5\], got 6"),
        ({"classes": 1}, r"classes must be an integer in \[2, 5\], got 1"),
        ({"loss": "hinge"}, r"loss must be one of squared, cross-entropy; got 'hinge'"),
        ({"optimizer": "rmsprop"}, r"optimizer must be one of sgd, momentum, adam; got 'rmsprop'"),
        ({"optimizer": "momentum", "momentum": 0}, r"momentum must be a number in \(0, 1\)"),
        ({"optimizer": "momentum", "momentum": 1.5}, r"momentum must .* \(0, 1\) .* got 1.5"),
        ({"optimizer": "adam", "betas": 0.9}, r"betas must be a pair .* got 0.9"),
        ({"optimizer": "adam", "betas": (0.9, 1.0)}, r"betas\[1\] must be .*\[0, 1\), got 1.0"),
        ({"dropout": 1.0}, r"dropout must be a probability in \[0, 1\), got 1.0"),
        ({"batch_norm": "yes"}, r"batch_norm must be True or False, got 'yes'"),
        ({"hidden": (4, 9)}, r"hidden layer 2's neurons must be an integer in \[1, 8\], got 9"),
    ],
)
def test_bad_constructor_arguments_say_what_is_allowed(kwargs, message):
    args = {"hidden": (4, 2), **kwargs}
    with pytest.raises((ValueError, TypeError), match=message):
        NNNetwork(2, **args)


def test_bad_training_and_editing_arguments(circle, blobs):
    X, y, Xt, yt = circle
    nnn = NNNetwork(2, (4, 2))
    with pytest.raises(ValueError, match=r"regularization must be one of none, L1, L2; got 'L3'"):
        nnn.train(X, y, Xt, yt, 1, 0.03, "L3")
    with pytest.raises(ValueError, match=r"learning_rate must be a finite number > 0, got 0"):
        nnn.train(X, y, Xt, yt, 1, 0)
    with pytest.raises(ValueError, match=r"y: with 2 classes the labels are -1 and \+1 .* \[0.0\]"):
        nnn.train(X, (y + 1) / 2, Xt, yt, 1, 0.03)
    with pytest.raises(ValueError, match=r"X_test has 3 columns; this network takes 2"):
        nnn.train(X, y, np.c_[Xt, Xt[:, 0]], yt, 1, 0.03)
    with pytest.raises(ValueError, match=r"y must be one label per row \(250,\)"):
        nnn.train(X, y[:10], Xt, yt, 1, 0.03)
    with pytest.raises(ValueError, match=r"layer must be an integer in \[0, 2\], got 3"):
        nnn.weights(3)
    with pytest.raises(ValueError, match=r"source must be an integer in \[0, 1\], got 2"):
        nnn.set_weight(0, 0, 2, 1.0)
    with pytest.raises(ValueError, match=r"weight must be a finite number, got nan"):
        nnn.set_weight(0, 0, 0, float("nan"))
    with pytest.raises(ValueError, match=r"parameters of a \[2, 4, 1\] network do not fit"):
        nnn.load_parameters(NNNetwork(2, (4,)).parameters())
    with pytest.raises(ValueError, match=r"from_network takes a classification Network .*"
                                         r"'linear'"):  # fmt: skip
        NNNetwork.from_network(pg.Network(2, (2,), output="linear"))
    Xb, yb, Xbt, ybt = blobs
    three = NNNetwork(2, (4,), classes=3, loss="cross-entropy")
    with pytest.raises(ValueError, match=r"with 3 classes the labels are the integers 0..2, got "
                                         r"also \[3\]"):  # fmt: skip
        three.train(Xb, np.where(yb == 2, 3, yb), Xbt, ybt, 1, 0.03)
    norm = NNNetwork(2, (4,), batch_norm=True)
    with pytest.raises(ValueError, match=r"batch_norm needs batches of at least 2 rows: "
                                         r"batch_size 3 over 250 training rows"):  # fmt: skip
        norm.train(X, y, Xt, yt, 1, 0.03, batch_size=3)  # 250 = 83 * 3 + 1
    with pytest.raises(ValueError, match="classes"):
        pg.Experiment(dataset="blobs", classes=6)
    with pytest.raises(ValueError, match="cross-entropy needs classes"):
        pg.Experiment(problem="regression", dataset="reg-plane", loss="cross-entropy")
