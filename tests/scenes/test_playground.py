"""The playground scene: TensorFlow Playground's rule, features and experiment."""

import math

import numpy as np
import pytest

from deepscope.scenes import playground as pg

# A transcription of the Playground's nn.ts (Node, Link, forwardProp, backProp,
# updateWeights) and playground.ts's oneStep, object by object as it is written there.
ACT = {
    "tanh": (math.tanh, lambda x: 1 - math.tanh(x) ** 2),
    "relu": (lambda x: max(0.0, x), lambda x: 0.0 if x <= 0 else 1.0),
    "sigmoid": (
        lambda x: 1 / (1 + math.exp(-x)),
        lambda x: (1 / (1 + math.exp(-x))) * (1 - 1 / (1 + math.exp(-x))),
    ),
    "linear": (lambda x: x, lambda x: 1.0),
}
REG = {
    "L1": lambda w: -1.0 if w < 0 else (1.0 if w > 0 else 0.0),
    "L2": lambda w: w,
}


class Node:
    def __init__(self, act):
        self.inputs, self.outputs = [], []
        self.bias, self.act = 0.1, act
        self.total = self.output = self.output_der = self.input_der = 0.0
        self.acc, self.n = 0.0, 0


class Link:
    def __init__(self, source, dest, weight, reg):
        self.source, self.dest, self.weight, self.reg = source, dest, weight, reg
        self.dead, self.acc, self.n = False, 0.0, 0


def build(net: pg.Network, reg):
    """Nodes and links holding a copy of ``net``'s parameters."""
    layers = [[Node(None) for _ in range(net.sizes[0])]]
    for l in range(net.n_layers):
        layer = []
        for j in range(net.sizes[l + 1]):
            node = Node(ACT[net.activations[l]])
            node.bias = float(net.biases(l)[j])
            for i, src in enumerate(layers[-1]):
                link = Link(src, node, float(net.weights(l)[j, i]), reg)
                src.outputs.append(link)
                node.inputs.append(link)
            layer.append(node)
        layers.append(layer)
    return layers


def forward(layers, x):
    for node, v in zip(layers[0], x):
        node.output = v
    for layer in layers[1:]:
        for node in layer:
            node.total = node.bias
            for link in node.inputs:
                node.total += link.weight * link.source.output
            node.output = node.act[0](node.total)
    return layers[-1][0].output


def backward(layers, target):
    out = layers[-1][0]
    out.output_der = out.output - target
    for k in range(len(layers) - 1, 0, -1):
        for node in layers[k]:
            node.input_der = node.output_der * node.act[1](node.total)
            node.acc += node.input_der
            node.n += 1
        for node in layers[k]:
            for link in node.inputs:
                if link.dead:
                    continue
                link.acc += node.input_der * link.source.output
                link.n += 1
        if k == 1:
            continue
        for node in layers[k - 1]:
            node.output_der = sum(link.weight * link.dest.input_der for link in node.outputs)


def update(layers, lr, reg_rate):
    for layer in layers[1:]:
        for node in layer:
            if node.n > 0:
                node.bias -= lr * node.acc / node.n
                node.acc, node.n = 0.0, 0
            for link in node.inputs:
                if link.dead:
                    continue
                der = REG[link.reg](link.weight) if link.reg else 0.0
                if link.n > 0:
                    link.weight = link.weight - (lr / link.n) * link.acc
                    moved = link.weight - (lr * reg_rate) * der
                    if link.reg == "L1" and link.weight * moved < 0:
                        link.weight, link.dead = 0.0, True
                    else:
                        link.weight = moved
                    link.acc, link.n = 0.0, 0


def one_step(layers, X, y, lr, reg_rate, batch):
    for i, (x, t) in enumerate(zip(X, y)):
        forward(layers, x)
        backward(layers, t)
        if (i + 1) % batch == 0:
            update(layers, lr, reg_rate)


def same_parameters(net, layers):
    for l in range(net.n_layers):
        for j, node in enumerate(layers[l + 1]):
            assert net.biases(l)[j] == node.bias
            for i, link in enumerate(node.inputs):
                assert net.weights(l)[j, i] == link.weight, (l, j, i)
                assert bool(net.dead_links(l)[j, i]) == link.dead


@pytest.mark.parametrize(
    "hidden, activation, reg, reg_rate, lr, batch",
    [
        ((4, 2), "tanh", None, 0.0, 0.03, 10),
        ((3,), "relu", "L2", 0.01, 0.1, 7),  # 7 does not divide 60: a batch carried over
        ((5, 3), "sigmoid", "L1", 0.03, 0.3, 4),  # L1 kills links
        ((2,), "linear", "L1", 0.3, 0.01, 30),
    ],
)
def test_the_playground_rule_to_the_float(hidden, activation, reg, reg_rate, lr, batch):
    rng = np.random.default_rng(3)
    X = pg.features(rng.uniform(-6, 6, (60, 2)), ["x1", "x2", "x1x2"])
    y = np.where(X[:, 2] > 0, 1.0, -1.0)
    net = pg.Network(3, hidden, activation, "tanh", seed=5)
    layers = build(net, reg)
    for _ in range(5):
        net.train(X, y, X, y, 1, lr, reg or "none", reg_rate, batch)
        one_step(layers, X, y, lr, reg_rate, batch)
        same_parameters(net, layers)
    assert net.count[0] == 60 % batch  # the samples after the last update, carried over
    if reg == "L1":
        assert net.dead.any()  # the case the rule is about happened
    want = sum(0.5 * (forward(layers, x) - t) ** 2 for x, t in zip(X, y)) / len(X)
    assert net.loss(X, y) == pytest.approx(want, rel=1e-12)


def test_features_in_the_playground_order():
    p = np.array([[1.0, 2.0], [-3.0, 0.5]])
    got = pg.features(p, ["sinx2", "x1", "x1x2", "x2sq"])  # the order asked is not used
    want = np.c_[p[:, 0], p[:, 1] ** 2, p[:, 0] * p[:, 1], np.sin(p[:, 1])]
    np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="unknown features.*cosx"):
        pg.features(p, ["cosx"])


def test_network_initialisation_is_the_playgrounds():
    net = pg.Network(7, (8, 8, 8, 8, 8, 8), "tanh", seed=1)
    assert net.W.size == 7 * 8 + 5 * 64 + 8
    assert -0.5 <= net.W.min() < -0.45 and 0.45 < net.W.max() < 0.5
    assert (net.b == 0.1).all()
    zero = pg.Network(2, (4,), init_zero=True)
    assert not zero.W.any() and not zero.b.any()
    with pytest.raises(ValueError, match="at most 6 hidden layers"):
        pg.Network(2, (1,) * 7)
    with pytest.raises(ValueError, match="neurons"):
        pg.Network(2, (9,))


def test_experiment_splits_and_labels():
    e = pg.Experiment(dataset="xor", train_percent=30, noise=0)
    assert len(e.train_points) == 150 and len(e.test_points) == 350
    assert set(np.unique(e.y_train)) == {-1.0, 1.0}
    r = pg.Experiment(problem="regression", dataset="reg-plane", train_percent=50)
    assert len(r.train_points) + len(r.test_points) == 1200
    assert r.network.activations[-1] == "linear"
    with pytest.raises(ValueError, match="dataset for classification"):
        pg.Experiment(dataset="reg-plane")
    with pytest.raises(ValueError, match="at least one input feature"):
        pg.Experiment(features=())


def test_default_network_learns_the_circle_and_losses_are_recorded():
    e = pg.Experiment()
    first = e.history[-1][1]
    losses = e.run(200, learning_rate=0.03)
    assert losses.shape == (200, 2) and e.epoch == 200 and e.history.shape == (201, 3)
    np.testing.assert_array_equal(e.history[1:, 1:], losses)
    e.run(2000)  # the history grows past its first allocation
    assert e.history.shape == (2201, 3) and (np.diff(e.history[:, 0]) == 1).all()
    assert losses[-1, 0] < first / 5
    # the losses of each epoch (a float32-accurate tanh) against the exact ones
    exact = e.network.loss(e.X_train, e.y_train), e.network.loss(e.X_test, e.y_test)
    assert e.history[-1, 1:] == pytest.approx(exact, rel=1e-6)
    train_acc, test_acc = e.accuracy()
    assert train_acc > 0.95 and test_acc > 0.9
    maps = e.maps()
    assert maps.shape == (2 + 4 + 2 + 1, pg.DENSITY, pg.DENSITY)
    # the output map agrees with the network at the plane's corner (row 0 is x2 = +6)
    corner = e.network.predict(pg.features(np.array([[-6.0, 6.0]]), e.features))
    assert maps[-1, 0, 0] == pytest.approx(corner[0])
    assert pg.thumbnails(maps, 20).shape == (9, 20, 20)


def test_a_learning_rate_change_keeps_the_network_and_a_blow_up_is_reported():
    e = pg.Experiment(problem="regression", dataset="reg-plane", hidden=(8, 8))
    rates = iter([0.03] * 3 + [10.0] * 1000)
    events = list(pg.training(e, lambda: {"learning_rate": next(rates)}, 200))
    assert [ev.kind for ev in events[:3]] == ["epoch"] * 3
    assert events[-1].kind == "diverged" and "learning rate" in events[-1].message
    assert events[-1].epoch == e.epoch < 200


def test_normalised_inputs_use_the_training_points_statistics():
    z = pg.Experiment(normalize="z-score", features=("x1", "x2", "x1sq"))
    np.testing.assert_allclose(z.X_train.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(z.X_train.std(axis=0), 1)
    assert abs(z.X_test.mean(axis=0)).max() > 1e-6  # the test set is scaled, not refitted
    m = pg.Experiment(normalize="min-max", features=("x1", "x2", "x1sq"))
    assert m.X_train.min() == pytest.approx(-1) and m.X_train.max() == pytest.approx(1)
    assert m.grid.shape == (pg.DENSITY**2, 3)  # the maps see the same scaling
    with pytest.raises(ValueError, match="normalize must be one of"):
        pg.Experiment(normalize="l2")


def test_early_stopping_watches_held_out_training_points():
    e = pg.Experiment(dataset="xor", noise=20, train_percent=10, hidden=(8, 8, 8),
                      validation_percent=20)  # fmt: skip
    assert (len(e.train_points), len(e.val_points)) == (40, 10)
    events = list(pg.training(e, lambda: {"learning_rate": 0.03}, 3000, lambda: 25, 100))
    last = events[-1]
    assert last.kind == "stopped" and "Early stopping" in last.message
    best = last.metrics["best_epoch"]
    assert last.epoch == e.epoch == best + 100 < 3000
    v = e.validation
    assert np.nanargmin(v) == best and v[best] == pytest.approx(last.metrics["best_validation"])
    assert v[-1] == pytest.approx(e.network.loss(e.X_val, e.y_val), rel=1e-6)
    with pytest.raises(ValueError, match="validation set"):
        list(pg.training(pg.Experiment(), lambda: {}, 10, patience=5))
