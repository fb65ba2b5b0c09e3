"""TensorFlow Playground's training, expressed in deepscope.nn, against a transcription of
its update rule.

``PlaygroundNet`` below is a plain-Python, float64 transcription of the Playground's
``nn.ts`` (Node, Link, forwardProp, backProp, updateWeights) and of ``oneStep`` / ``getLoss``
in ``playground.ts``: sample by sample, the derivative of 0.5 * (output - target)^2
accumulated, every ``batch`` samples each bias and weight moved by the learning rate times
the accumulators' mean, then each weight (never a bias) by the regularisation derivative
taken at the weight before that step; under L1 a weight the regularisation step carries
across zero is set to zero and its link is dead from then on.

The port: Dense(init="uniform(0.5)", bias_init=0.1), tanh hidden and output, float64,
MSELoss(half=True), SGD with weight_decay (L2) or l1 + l1_prune (L1), penalize="weights"
(the default), shuffle=False, a batch size that divides the sample count. Both are started
from the same weights and must agree to ~1e-12 after a few epochs, on the compiled
fused-epoch path, the step-by-step path and the numpy backend.
"""

import math

import numpy as np
import pytest

from deepscope import nn

SHAPE = (2, 4, 2, 1)
N_SAMPLES, EPOCHS, LR = 40, 6, 0.03
RATES = {"none": 0.0, "L2": 0.3, "L1": 0.3}
TOL = 1e-12


# --- the transcription (names as in nn.ts) --------------------------------------------------
class Link:
    def __init__(self, source, dest, weight, regularization):
        self.source, self.dest, self.weight = source, dest, weight
        self.is_dead = False
        self.error_der = 0.0
        self.acc_error_der = 0.0
        self.num_accumulated_ders = 0
        self.regularization = regularization


class Node:
    def __init__(self, bias):
        self.input_links, self.outputs = [], []
        self.bias = bias
        self.total_input = 0.0
        self.output = 0.0
        self.output_der = 0.0
        self.input_der = 0.0
        self.acc_input_der = 0.0
        self.num_accumulated_ders = 0

    def update_output(self):
        self.total_input = self.bias
        for link in self.input_links:
            self.total_input += link.weight * link.source.output
        self.output = math.tanh(self.total_input)
        return self.output


def tanh_der(x):
    out = math.tanh(x)
    return 1 - out * out


def square_der(output, target):
    return output - target


def l1_der(w):
    return -1 if w < 0 else (1 if w > 0 else 0)


def l2_der(w):
    return w


REGULARIZATION = {"none": None, "L1": l1_der, "L2": l2_der}


class PlaygroundNet:
    """buildNetwork with given weights: W[l][i, j] is the link from node i of layer l to
    node j of layer l + 1, b[l][j] the bias of that node."""

    def __init__(self, weights, biases, regularization):
        self.layers = [[Node(0.0) for _ in range(weights[0].shape[0])]]
        for W, b in zip(weights, biases):
            layer = []
            for j in range(W.shape[1]):
                node = Node(float(b[j]))
                for i, prev in enumerate(self.layers[-1]):
                    link = Link(prev, node, float(W[i, j]), regularization)
                    prev.outputs.append(link)
                    node.input_links.append(link)
                layer.append(node)
            self.layers.append(layer)

    def forward_prop(self, inputs):
        for node, value in zip(self.layers[0], inputs):
            node.output = float(value)
        for layer in self.layers[1:]:
            for node in layer:
                node.update_output()
        return self.layers[-1][0].output

    def back_prop(self, target):
        out = self.layers[-1][0]
        out.output_der = square_der(out.output, target)
        for layer_idx in range(len(self.layers) - 1, 0, -1):
            layer = self.layers[layer_idx]
            for node in layer:
                node.input_der = node.output_der * tanh_der(node.total_input)
                node.acc_input_der += node.input_der
                node.num_accumulated_ders += 1
            for node in layer:
                for link in node.input_links:
                    if link.is_dead:
                        continue
                    link.error_der = node.input_der * link.source.output
                    link.acc_error_der += link.error_der
                    link.num_accumulated_ders += 1
            if layer_idx == 1:
                continue
            for node in self.layers[layer_idx - 1]:
                node.output_der = 0.0
                for output in node.outputs:
                    node.output_der += output.weight * output.dest.input_der

    def update_weights(self, learning_rate, regularization_rate):
        for layer in self.layers[1:]:
            for node in layer:
                if node.num_accumulated_ders > 0:
                    node.bias -= learning_rate * node.acc_input_der / node.num_accumulated_ders
                    node.acc_input_der = 0.0
                    node.num_accumulated_ders = 0
                for link in node.input_links:
                    if link.is_dead:
                        continue
                    regul_der = link.regularization(link.weight) if link.regularization else 0
                    if link.num_accumulated_ders > 0:
                        link.weight = (
                            link.weight
                            - (learning_rate / link.num_accumulated_ders) * link.acc_error_der
                        )
                        new_link_weight = (
                            link.weight - (learning_rate * regularization_rate) * regul_der
                        )
                        if link.regularization is l1_der and link.weight * new_link_weight < 0:
                            link.weight = 0.0
                            link.is_dead = True
                        else:
                            link.weight = new_link_weight
                        link.acc_error_der = 0.0
                        link.num_accumulated_ders = 0

    def one_step(self, X, y, learning_rate, regularization_rate, batch_size):
        """oneStep: one pass over the training data in its order."""
        for i, (x, label) in enumerate(zip(X, y)):
            self.forward_prop(x)
            self.back_prop(label)
            if (i + 1) % batch_size == 0:
                self.update_weights(learning_rate, regularization_rate)

    def get_loss(self, X, y):
        return sum(0.5 * (self.forward_prop(x) - t) ** 2 for x, t in zip(X, y)) / len(X)

    def accuracy(self, X, y):
        return sum(math.copysign(1, self.forward_prop(x)) == t for x, t in zip(X, y)) / len(X)

    def parameters(self):
        """(weights, biases, dead) per layer in Dense's layout: W (in, out), b (out,)."""
        out = []
        for layer in self.layers[1:]:
            W = np.array([[link.weight for link in node.input_links] for node in layer]).T
            dead = np.array([[link.is_dead for link in node.input_links] for node in layer]).T
            out.append((W, np.array([node.bias for node in layer]), dead))
        return out


# --- the port ------------------------------------------------------------------------------
def dataset():
    """Playground-like points in [-6, 6]^2 with -1/+1 labels (xor of the quadrants)."""
    rng = np.random.default_rng(5)
    X = rng.uniform(-6, 6, size=(N_SAMPLES, 2))
    y = np.where(X[:, 0] * X[:, 1] >= 0, 1.0, -1.0)
    return X, y


def port(backend="cpu", seed=3):
    layers = []
    for n_in, n_out in zip(SHAPE, SHAPE[1:]):
        layers += [nn.Dense(n_in, n_out, init="uniform(0.5)", bias_init=0.1), nn.Tanh()]
    return nn.Sequential(layers, seed=seed, backend=backend, dtype="float64")


def optimizer(model, reg, rate, **kwargs):
    if reg == "L2":
        return nn.SGD(model, lr=LR, weight_decay=rate, **kwargs)
    if reg == "L1":
        return nn.SGD(model, lr=LR, l1=rate, l1_prune=True, **kwargs)
    return nn.SGD(model, lr=LR, **kwargs)


def dense_layers(model):
    return [layer for layer in model.layers if isinstance(layer, nn.Dense)]


def playground_twin(model, reg):
    dense = dense_layers(model)
    return PlaygroundNet(
        [d.params["W"].copy() for d in dense],
        [d.params["b"].copy() for d in dense],
        REGULARIZATION[reg],
    )


def assert_same_parameters(model, net, opt=None):
    pruned = opt.pruned[0] if opt is not None else None
    for dense, (W, b, dead) in zip(dense_layers(model), net.parameters()):
        np.testing.assert_allclose(dense.params["W"], W, rtol=0, atol=TOL)
        np.testing.assert_allclose(dense.params["b"], b, rtol=0, atol=TOL)
        if pruned is not None:
            off = model.offsets[(id(dense), "W")]
            mine = pruned[off : off + W.size].reshape(W.shape)
            np.testing.assert_array_equal(mine, dead)


def run_port(path, reg, batch_size):
    """Train the port EPOCHS epochs by ``path``; returns (model, optimizer, the Playground
    twin it started from, the port's evaluate() after each epoch)."""
    X, y = dataset()
    model = port("numpy" if path == "numpy" else "cpu")
    net = playground_twin(model, reg)
    opt = optimizer(model, reg, RATES[reg])
    loss = nn.MSELoss(model.backend.name, half=True)
    if path == "fit":  # the compiled path: no callback asks for steps
        history = nn.fit(
            model, X, y, loss, opt, epochs=EPOCHS, batch_size=batch_size, shuffle=False
        )
        assert len(history["accuracy"]) == EPOCHS
        pred = model.predict(X)  # only the end of training is seen from here
        final = {"loss": loss.forward(pred, y[:, None]), "accuracy": loss.accuracy(pred, y)}
        return model, opt, net, [None] * (EPOCHS - 1) + [final]
    trainer = nn.Trainer(
        model, X, y, loss, opt, batch_size=batch_size, compiled=path == "compiled", shuffle=False
    )
    assert trainer.compiled == (path == "compiled")
    after = []
    for _ in range(EPOCHS):
        event = trainer.epoch()
        assert event.kind == "epoch" and 0 <= event.metrics["accuracy"] <= 1
        after.append(trainer.evaluate(X, y))
    return model, opt, net, after


def run_playground(net, reg, batch_size):
    X, y = dataset()
    after = []
    for _ in range(EPOCHS):
        net.one_step(X, y, LR, RATES[reg], batch_size)
        after.append({"loss": net.get_loss(X, y), "accuracy": net.accuracy(X, y)})
    return after


@pytest.mark.parametrize("path", ["fit", "compiled", "steps", "numpy"])
@pytest.mark.parametrize("reg", ["none", "L2", "L1"])
@pytest.mark.parametrize("batch_size", [10, 4])
def test_the_port_follows_the_playground_rule_to_the_float(path, reg, batch_size):
    model, opt, net, after = run_port(path, reg, batch_size)
    expected = run_playground(net, reg, batch_size)
    assert_same_parameters(model, net, opt)
    # the Playground's loss (the mean of 0.5 * (o - t)^2) and its sign accuracy, each epoch
    for mine, theirs in zip(after, expected):
        if mine is not None:
            assert mine["loss"] == pytest.approx(theirs["loss"], rel=0, abs=TOL)
            assert mine["accuracy"] == theirs["accuracy"]
    # the comparison is not trivial: training moved every layer, and L1 killed links
    initial = port(seed=3)
    for trained, start in zip(dense_layers(model), dense_layers(initial)):
        assert np.abs(trained.params["W"] - start.params["W"]).max() > 1e-3
        assert np.abs(trained.params["b"] - start.params["b"]).max() > 1e-3
    if reg == "L1":
        assert opt.pruned[0].sum() >= 2
    else:
        assert not opt.pruned[0].any()


def test_the_transcription_is_the_playground_and_the_port_starts_like_it():
    model = port()
    for dense in dense_layers(model):
        W, b = dense.params["W"], dense.params["b"]
        assert W.dtype == np.float64 and (W >= -0.5).all() and (W < 0.5).all()
        np.testing.assert_array_equal(b, 0.1)
    big = nn.Dense(100, 100, init="uniform(0.5)", bias_init=0.1, dtype="float64", seed=0)
    W = big.params["W"]
    assert W.min() >= -0.5 and W.max() < 0.5 and W.min() < -0.49 and W.max() > 0.49
    assert abs(W.std() - math.sqrt(1 / 12)) < 0.01  # uniform on [-0.5, 0.5)
    net = playground_twin(model, "none")
    X, y = dataset()
    # the same forward pass, and the Playground's loss is MSELoss(half=True)
    out = model.predict(X)[:, 0]
    np.testing.assert_allclose([net.forward_prop(x) for x in X], out, rtol=0, atol=1e-15)
    loss = nn.MSELoss("cpu", half=True)
    assert loss.forward(out[:, None], y[:, None]) == pytest.approx(net.get_loss(X, y), abs=1e-15)


@pytest.mark.parametrize("change", ["shuffle", "penalize all", "full mse", "no prune"])
def test_each_setting_matters(change):
    """The comparison can fail: leave out any one part of the port and the Playground's
    numbers are not reached."""
    reg = "L1" if change == "no prune" else "L2"
    X, y = dataset()
    model = port()
    net = playground_twin(model, reg)
    if change == "penalize all":
        opt = optimizer(model, reg, RATES[reg], penalize="all")
    elif change == "no prune":
        opt = nn.SGD(model, lr=LR, l1=RATES[reg])
    else:
        opt = optimizer(model, reg, RATES[reg])
    loss = nn.MSELoss(half=change != "full mse")
    nn.fit(model, X, y, loss, opt, epochs=EPOCHS, batch_size=10, shuffle=change == "shuffle")
    run_playground(net, reg, 10)
    with pytest.raises(AssertionError):
        assert_same_parameters(model, net)
