"""The playground: TensorFlow Playground's experiment, computed here.

Its data (``data.playground``: circle, xor, gauss, spiral, reg-plane, reg-gauss), shuffled
once and split at its training ratio; its seven input features; a network of 0-6 hidden
layers trained by its own rule (``core.cpu.playground``: sample by sample, half the squared
error, mean of the accumulated derivatives every ``batch`` samples, L1 / L2 on weights only)
with its initialisation (weights uniform in +-0.5, biases 0.1), a tanh output against -1/+1
labels for classification and a linear one for regression. What a panel draws comes from
here: the output and every neuron over the plane, the links' weights, both losses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from ..core.checks import check_choice, check_int, check_number
from ..core.cpu import playground as kernel
from ..data import playground as make_data
from ..nn import Event

CLASSIFY = ("circle", "xor", "gauss", "spiral")
MULTICLASS = ("multi-spiral", "blobs")  # ``classes`` arms or blobs (our extension)
REGRESS = ("reg-plane", "reg-gauss")
OWN = "own"  # a student's own points (``Experiment(data=...)``), either problem
#: one-dimensional regression (universal approximation): y = f(x1) on the x1 axis (x2 = 0)
CURVES = {"sin": lambda x: np.sin(x), "step": lambda x: np.where(x < 0, -0.8, 0.8)}
CURVE_POINTS = 200
PROBLEMS = ("classification", "regression")
COUNTS = {"classification": 500, "regression": 1200}  # the Playground's NUM_SAMPLES_*
DOMAIN = 6.0  # the plane is -6..6 on both axes
DENSITY = 100  # cells per side of the output's heat map (the Playground's DENSITY)

#: the Playground's input features in its order: name -> (label, function of x1, x2)
FEATURES = {
    "x1": ("X₁", lambda a, b: a),
    "x2": ("X₂", lambda a, b: b),
    "x1sq": ("X₁²", lambda a, b: a * a),
    "x2sq": ("X₂²", lambda a, b: b * b),
    "x1x2": ("X₁X₂", lambda a, b: a * b),
    "sinx1": ("sin(X₁)", lambda a, b: np.sin(a)),
    "sinx2": ("sin(X₂)", lambda a, b: np.sin(b)),
}
ACTIVATIONS = {"relu": kernel.RELU, "tanh": kernel.TANH, "sigmoid": kernel.SIGMOID,
               "linear": kernel.LINEAR}  # fmt: skip
REGULARIZATIONS = {"none": kernel.NO_REG, "L1": kernel.L1, "L2": kernel.L2}
LEARNING_RATES = (0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
REGULARIZATION_RATES = (0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
MAX_LAYERS, MAX_NEURONS = 6, 8
NORMALIZE = ("none", "z-score", "min-max")


def features(points: np.ndarray, names) -> np.ndarray:
    """The chosen features (in the Playground's order) of each (x1, x2) row: (n, k)."""
    names = list(names)
    bad = [n for n in names if n not in FEATURES]
    if bad:
        raise ValueError(f"unknown features {bad}; the features are {', '.join(FEATURES)}")
    a, b = points[:, 0], points[:, 1]
    cols = [FEATURES[n][1](a, b) for n in FEATURES if n in names]
    return np.ascontiguousarray(np.stack(cols, axis=1) if cols else np.zeros((len(points), 0)))


def check_hidden(hidden) -> tuple[int, ...]:
    """0-6 hidden layers of 1-8 neurons."""
    hidden = tuple(hidden)
    if len(hidden) > MAX_LAYERS:
        raise ValueError(f"at most {MAX_LAYERS} hidden layers, got {len(hidden)}")
    for i, width in enumerate(hidden):
        check_int(f"hidden layer {i + 1}'s neurons", width, 1, MAX_NEURONS)
    return hidden


class Network:
    """The Playground's network: ``sizes`` = (inputs, *hidden, 1), every parameter in flat
    float64 arrays (see ``core.cpu.playground``); ``weights(l)`` and ``biases(l)`` are views
    of layer l's (nodes, inputs) matrix and its biases."""

    def __init__(self, n_inputs: int, hidden=(4, 2), activation: str = "tanh",
                 output: str = "tanh", seed: int = 0, init_zero: bool = False):  # fmt: skip
        hidden = check_hidden(hidden)
        if n_inputs < 1:
            raise ValueError("the network needs at least one input feature: pick one")
        acts = activation if isinstance(activation, (list, tuple)) else [activation] * len(hidden)
        if len(acts) != len(hidden):
            raise ValueError(f"{len(acts)} activations for {len(hidden)} hidden layers")
        for a in [*acts, output]:
            check_choice("activation", a, ACTIVATIONS)
        self.sizes = np.array([n_inputs, *hidden, 1], np.int64)
        self.activations = (*acts, output)
        self.acts = np.array([ACTIVATIONS[a] for a in self.activations], np.int64)
        fan = self.sizes[:-1] * self.sizes[1:]
        self.w_off = np.r_[0, np.cumsum(fan)[:-1]].astype(np.int64)
        self.b_off = np.r_[0, np.cumsum(self.sizes[1:])[:-1]].astype(np.int64)
        self.n_off = np.r_[0, np.cumsum(self.sizes)[:-1]].astype(np.int64)
        rng = np.random.default_rng(seed)
        n_w, n_b = int(fan.sum()), int(self.sizes[1:].sum())
        self.W = np.zeros(n_w) if init_zero else rng.uniform(-0.5, 0.5, n_w)
        self.b = np.full(n_b, 0.0 if init_zero else 0.1)
        self.dead = np.zeros(n_w, np.uint8)
        self.accW, self.accB = np.zeros(n_w), np.zeros(n_b)
        self.count = np.zeros(1, np.int64)

    @property
    def n_layers(self) -> int:
        """Layers with weights (the hidden ones and the output)."""
        return len(self.sizes) - 1

    def weights(self, layer: int) -> np.ndarray:
        n_in, n_out = self.sizes[layer], self.sizes[layer + 1]
        return self.W[self.w_off[layer] : self.w_off[layer] + n_in * n_out].reshape(n_out, n_in)

    def biases(self, layer: int) -> np.ndarray:
        return self.b[self.b_off[layer] : self.b_off[layer] + self.sizes[layer + 1]]

    def dead_links(self, layer: int) -> np.ndarray:
        n_in, n_out = self.sizes[layer], self.sizes[layer + 1]
        return self.dead[self.w_off[layer] : self.w_off[layer] + n_in * n_out].reshape(n_out, n_in)

    def _layout(self):
        return self.sizes, self.w_off, self.b_off, self.n_off, self.acts, self.W, self.b

    def train(self, X, y, X_test, y_test, epochs: int, learning_rate: float,
              regularization: str = "none", regularization_rate: float = 0.0,
              batch_size: int = 10, X_val=None, y_val=None) -> np.ndarray:  # fmt: skip
        """``epochs`` epochs of the Playground's rule over X (features) and y (targets) in
        order, in one compiled call; returns each epoch's (training loss, test loss), and its
        validation loss as a third column when X_val and y_val are given; fewer rows if the
        loss overflowed."""
        reg = REGULARIZATIONS[check_choice("regularization", regularization, REGULARIZATIONS)]
        s, wo, bo, no, acts, W, b = self._layout()
        losses = np.empty((epochs, 3))
        XT, XT_test = np.ascontiguousarray(X.T), np.ascontiguousarray(X_test.T)
        validate = X_val is not None and len(X_val) > 0
        XT_val = np.ascontiguousarray(X_val.T) if validate else np.zeros((X.shape[1], 0))
        y_val = np.asarray(y_val, np.float64) if validate else np.zeros(0)
        ran = kernel.train_epochs(X, y, XT, XT_test, y_test, XT_val, y_val, s, wo, bo, no,
                                  acts, W, b, self.dead, self.accW, self.accB, self.count,
                                  float(learning_rate), reg, float(regularization_rate),
                                  int(batch_size), losses)  # fmt: skip
        return losses[:ran] if validate else losses[:ran, :2]

    def loss(self, X, y) -> float:
        """Mean of 0.5 * (output - target)^2, the Playground's loss."""
        return float(np.mean(0.5 * (self.predict(X) - y) ** 2)) if len(X) else 0.0

    def outputs(self, X) -> np.ndarray:
        """Every node's output (the inputs first) for each row of X: (nodes, rows)."""
        XT = np.ascontiguousarray(np.asarray(X, np.float64).T)
        values = np.empty((int(self.sizes.sum()), XT.shape[1]))
        kernel.node_values(XT, *self._layout(), values)
        return values

    def predict(self, X) -> np.ndarray:
        return self.outputs(X)[-1]

    def set_weight(self, layer: int, node: int, source: int, value: float) -> None:
        """A weight typed in by hand; a dead link typed into lives again."""
        value = check_number("weight", value)
        self.weights(layer)[node, source] = value
        self.dead_links(layer)[node, source] = 0

    def set_bias(self, layer: int, node: int, value: float) -> None:
        self.biases(layer)[node] = check_number("bias", value)

    def parameters(self) -> dict:
        """Per layer its weights (nodes, inputs), biases and activation, as plain lists."""
        return {
            "sizes": self.sizes.tolist(),
            "layers": [
                {"weights": self.weights(l).tolist(), "biases": self.biases(l).tolist(),
                 "activation": self.activations[l]}
                for l in range(self.n_layers)
            ],
        }  # fmt: skip


@dataclass
class Experiment:
    """One setup of the Playground: data, features, network and the run so far."""

    problem: str = "classification"
    dataset: str = "circle"
    noise: int = 0  # the Playground's slider: 0..50 (percent)
    train_percent: int = 50
    seed: int = 0
    features: tuple = ("x1", "x2")
    hidden: tuple = (4, 2)
    activation: str = "tanh"
    init_zero: bool = False
    data: tuple | None = None  # dataset "own": (points (n, 2), labels 0/1 or targets)
    normalize: str = "none"  # the features scaled by the training points' "z-score" or "min-max"
    validation_percent: int = 0  # of the training points, held out to watch (early stopping)
    # beyond the Playground's network (any of them trains on deepscope.nn: NNNetwork)
    classes: int = 3  # for the multi-class sets
    loss: str = "squared"  # or "cross-entropy"
    optimizer: str = "sgd"  # or "momentum", "adam"
    dropout: float = 0.0
    batch_norm: bool = False
    epoch: int = 0

    def __post_init__(self):
        check_choice("problem", self.problem, PROBLEMS)
        if self.problem == "classification":
            allowed = (*CLASSIFY, *MULTICLASS, OWN)
        else:
            allowed = (*REGRESS, *CURVES, OWN)
        check_choice(f"dataset for {self.problem}", self.dataset, allowed)
        check_int("noise", self.noise, 0, 50)
        check_int("train_percent", self.train_percent, 10, 90)
        check_choice("normalize", self.normalize, NORMALIZE)
        check_int("validation_percent", self.validation_percent, 0, 50)
        self.features = tuple(n for n in FEATURES if n in self.features)
        if not self.features:
            raise ValueError("pick at least one input feature (click an input on the left)")
        if self.dataset == OWN:
            points, labels = self._own_data()
        elif self.dataset in CURVES:
            points, labels = self._curve()
        elif self.dataset in MULTICLASS:
            check_int("classes", self.classes, 2, 5)
            points, labels = make_data(self.dataset, COUNTS["classification"], self.noise / 100,
                                       seed=self.seed, classes=self.classes)  # fmt: skip
        else:
            points, labels = make_data(self.dataset, COUNTS[self.problem], self.noise / 100,
                                       seed=self.seed)  # fmt: skip
        targets = labels.astype(np.float64)
        self.k = self.classes if self.dataset in MULTICLASS else 2  # classes to tell apart
        if self.problem == "classification" and self.k == 2:
            targets = 2 * targets - 1  # the Playground's labels: -1 and +1
        elif self.k > 2:
            targets = labels.astype(np.int64)  # class indices 0..k-1
        order = np.random.default_rng(self.seed + 1).permutation(len(points))
        points, targets = points[order], targets[order]
        cut = len(points) * self.train_percent // 100
        if cut == 0 or cut == len(points):
            raise ValueError(f"{self.train_percent}% of {len(points)} points leaves no "
                             "training or no test points: load more points")  # fmt: skip
        self.train_points, self.test_points = points[:cut], points[cut:]
        self.y_train, self.y_test = targets[:cut], targets[cut:]
        held = cut * self.validation_percent // 100  # the last of the training points
        if self.validation_percent and (held == 0 or held == cut):
            raise ValueError(f"{self.validation_percent}% of {cut} training points leaves no "
                             "validation or no training points")  # fmt: skip
        self.val_points, self.y_val = self.train_points[cut - held :], self.y_train[cut - held :]
        self.train_points, self.y_train = (
            self.train_points[: cut - held],
            self.y_train[: cut - held],
        )
        self._scale = self._scaler(features(self.train_points, self.features))
        self.X_train = self.inputs(self.train_points)
        self.X_test = self.inputs(self.test_points)
        self.X_val = self.inputs(self.val_points)
        self.network = self._network()
        axis = np.linspace(-DOMAIN, DOMAIN, DENSITY)
        gx, gy = np.meshgrid(axis, axis[::-1])  # row 0 at the top, as the Playground draws
        self.grid_axis = axis
        self.grid = self.inputs(np.c_[gx.ravel(), gy.ravel()])
        self._history = np.empty((1024, 3))
        self._validation = np.full(1024, np.nan)
        self._history[0] = (0, *self.losses())
        self._validation[0] = self.validation_loss()

    @property
    def beyond(self) -> bool:
        """Does this setup need more than the Playground's network (deepscope.nn trains it)?"""
        return (self.k > 2 or self.loss != "squared" or self.optimizer != "sgd"
                or self.dropout > 0 or self.batch_norm)  # fmt: skip

    def _network(self):
        if self.beyond:
            if self.problem == "regression" and self.loss != "squared":
                raise ValueError("cross-entropy needs classes: pick squared error for "
                                 "regression")  # fmt: skip
            from .playground_nn import NNNetwork

            return NNNetwork(len(self.features), self.hidden, self.activation, self.k,
                             self.loss, self.optimizer, dropout=self.dropout,
                             batch_norm=self.batch_norm, seed=self.seed,
                             init_zero=self.init_zero)  # fmt: skip
        output = "tanh" if self.problem == "classification" else "linear"
        return Network(len(self.features), self.hidden, self.activation, output,
                       seed=self.seed, init_zero=self.init_zero)  # fmt: skip

    def _scaler(self, X):
        """The normalisation, from the training points' features: (shift, scale) per column."""
        if self.normalize == "z-score":
            std = X.std(axis=0)
            return X.mean(axis=0), np.where(std > 0, std, 1.0)
        if self.normalize == "min-max":  # onto [-1, 1]
            lo, hi = X.min(axis=0), X.max(axis=0)
            return (lo + hi) / 2, np.where(hi > lo, (hi - lo) / 2, 1.0)
        return np.zeros(X.shape[1]), np.ones(X.shape[1])

    def inputs(self, points: np.ndarray) -> np.ndarray:
        """The network's inputs for (x1, x2) points: the features, normalised as chosen."""
        shift, scale = self._scale
        return np.ascontiguousarray((features(points, self.features) - shift) / scale)

    @property
    def validation(self) -> np.ndarray:
        """The validation loss of each epoch in ``history`` (NaN without a validation set)."""
        return self._validation[: self.epoch + 1]

    def validation_loss(self) -> float:
        if not len(self.X_val):
            return float("nan")
        return self.network.loss(self.X_val, self.y_val)

    @property
    def history(self) -> np.ndarray:
        """(epoch, training loss, test loss) rows, epoch 0 (untrained) first."""
        return self._history[: self.epoch + 1]

    def _curve(self):
        """Points on the x1 axis and the curve's values there, the noise added to them."""
        rng = np.random.default_rng(self.seed)
        x = rng.uniform(-DOMAIN, DOMAIN, CURVE_POINTS)
        y = CURVES[self.dataset](x) + rng.normal(0, 1, CURVE_POINTS) * self.noise / 100
        return np.c_[x, np.zeros_like(x)], y

    def curve(self, x: np.ndarray) -> dict:
        """For a one-hidden-layer network on a 1-D set: at the points ``x`` (on the x1 axis),
        the target curve, the network's output, and what each hidden unit adds to it
        (its output times its weight to the output, the output's bias apart): the output is
        their sum plus the bias, which is what universal approximation builds on."""
        if self.dataset not in CURVES:
            raise ValueError(f"a curve needs a one-dimensional data set ({', '.join(CURVES)})")
        values = self.network.outputs(self.inputs(np.c_[x, np.zeros_like(x)]))
        net = self.network
        out = {"target": CURVES[self.dataset](x), "output": values[-1]}
        if net.n_layers == 2:
            hidden = values[int(net.n_off[1]) : int(net.n_off[1] + net.sizes[1])]
            out["parts"] = net.weights(1)[0][:, None] * hidden
            out["bias"] = float(net.biases(1)[0])
        return out

    def _own_data(self):
        if self.data is None:
            raise ValueError("the data set 'own' needs points: load a CSV file first")
        points, labels = (np.asarray(a) for a in self.data)
        if points.ndim != 2 or points.shape[1] != 2 or len(labels) != len(points):
            raise ValueError(f"own data must be points (n, 2) and n labels, got points "
                             f"{points.shape} and {len(labels)} labels")  # fmt: skip
        if self.problem == "classification" and not np.isin(labels, (0, 1)).all():
            raise ValueError("the Playground's network has one output, for two classes "
                             "(labels 0 and 1); this data has other labels")  # fmt: skip
        return points.astype(np.float64), labels

    def adopt(self, network: Network) -> None:
        """Carry on with ``network`` (its weights imported from a file) from epoch 0; its
        inputs must be this experiment's features."""
        if network.sizes[0] != len(self.features):
            raise ValueError(f"the network has {network.sizes[0]} inputs, this setup "
                             f"{len(self.features)} features")  # fmt: skip
        self.network = network
        self.epoch = 0
        self._history[0] = (0, *self.losses())
        self._validation[0] = self.validation_loss()

    def restore_history(self, history: np.ndarray, validation=None) -> None:
        """Back to a saved ``history`` (a snapshot's) and its validation losses; the epoch is
        its last."""
        self._history = np.array(history, np.float64)
        self._validation = (np.full(len(history), np.nan) if validation is None
                            else np.array(validation, np.float64))  # fmt: skip
        self.epoch = int(self._history[-1, 0])
        if self.epoch + 1 != len(self._history):
            raise ValueError(f"a history of {len(history)} rows ends at epoch {self.epoch}")

    def losses(self) -> tuple[float, float]:
        net = self.network
        return net.loss(self.X_train, self.y_train), net.loss(self.X_test, self.y_test)

    def run(self, epochs: int = 1, learning_rate=0.03, regularization="none",
            regularization_rate=0.0, batch_size=10) -> np.ndarray:  # fmt: skip
        """``epochs`` epochs (each the Playground's ``oneStep``); returns their (training
        loss, test loss) rows, which also go on ``history``."""
        check_choice("learning rate", learning_rate, LEARNING_RATES)
        check_choice("regularization rate", regularization_rate, REGULARIZATION_RATES)
        check_int("batch size", batch_size, 1, 30)
        losses = self.network.train(self.X_train, self.y_train, self.X_test, self.y_test,
                                    check_int("epochs", epochs, 1), learning_rate,
                                    regularization, regularization_rate, batch_size,
                                    self.X_val, self.y_val)  # fmt: skip
        n = len(losses)
        if self.epoch + n >= len(self._history):
            size = 2 * (self.epoch + n + 1)
            grown, val = np.empty((size, 3)), np.full(size, np.nan)
            grown[: self.epoch + 1], val[: self.epoch + 1] = self.history, self.validation
            self._history, self._validation = grown, val
        rows = self._history[self.epoch + 1 : self.epoch + 1 + n]
        rows[:, 0] = np.arange(self.epoch + 1, self.epoch + 1 + n)
        rows[:, 1:] = losses[:, :2]
        if losses.shape[1] == 3:
            self._validation[self.epoch + 1 : self.epoch + 1 + n] = losses[:, 2]
        self.epoch += n
        return losses[:, :2]

    def maps(self) -> np.ndarray:
        """Every node's output over the plane: (nodes, DENSITY, DENSITY), row 0 at the top
        (x2 = +6), the inputs' features first."""
        return self.network.outputs(self.grid).reshape(-1, DENSITY, DENSITY)

    def accuracy(self) -> tuple[float, float] | None:
        """The fraction of training and test points on the right side (classification)."""
        if self.problem != "classification":
            return None
        sets = ((self.X_train, self.y_train), (self.X_test, self.y_test))
        if self.k > 2:
            right = [float(np.mean(self.network.predict(X).argmax(axis=1) == y)) for X, y in sets]
        else:
            right = [float(np.mean(np.sign(self.network.predict(X)) == y)) for X, y in sets]
        return right[0], right[1]


def thumbnails(maps: np.ndarray, cells: int = 20) -> np.ndarray:
    """Each map averaged down to ``cells`` x ``cells`` (the Playground's reduceMatrix)."""
    k = maps.shape[-1] // cells
    n = maps.shape[0]
    return maps.reshape(n, cells, k, cells, k).mean(axis=(2, 4))


def training(
    experiment: Experiment,
    settings: Callable[[], dict],
    epochs: int,
    chunk: Callable[[], int] = lambda: 1,
    patience: int = 0,
) -> Iterator[Event]:
    """``epochs`` epochs of ``experiment`` as events, computed ``chunk()`` epochs to a
    compiled call (one while a student steps through them). ``settings()`` (the keyword
    arguments of ``Experiment.run`` but ``epochs``) is read before each call, so a learning
    rate changed while training applies from the next call on without a reset, as in the
    Playground. A loss that overflows ends the run with a "diverged" event. With
    ``patience`` and a validation set: early stopping, a "stopped" event once the validation
    loss has not improved for ``patience`` epochs (the network stays where it stopped; the
    event's metrics say which epoch was best)."""
    if patience and not len(experiment.X_val):
        raise ValueError("early stopping watches a validation set: hold some training "
                         "points out for it (validation_percent)")  # fmt: skip
    val = experiment.validation
    best_epoch, best = experiment.epoch, val[-1] if len(val) else np.inf
    done = 0
    while done < epochs:
        # early stopping takes an epoch a call: the network must stop where the loss says
        n = 1 if patience else max(1, min(int(chunk()), epochs - done))
        first = experiment.epoch
        losses = experiment.run(n, **settings())
        val = experiment.validation
        done += n
        for i, (train_loss, test_loss) in enumerate(losses):
            epoch = first + i + 1
            metrics = {"val_loss": float(test_loss), "validation": float(val[epoch])}
            if not np.isfinite(train_loss):
                yield Event("diverged", epoch, 0, float(train_loss), metrics,
                            message=f"The loss overflowed at epoch {epoch}: the learning "
                            "rate is too high for this network. Reset and lower it.")  # fmt: skip
                return
            yield Event("epoch", epoch, 0, float(train_loss), metrics)
            if patience:
                if val[epoch] < best:
                    best, best_epoch = val[epoch], epoch
                elif epoch - best_epoch >= patience:
                    metrics.update(best_epoch=best_epoch, best_validation=float(best))
                    yield Event("stopped", epoch, 0, float(train_loss), metrics,
                                message=f"Early stopping at epoch {epoch:,}: the validation "
                                f"loss has not improved for {patience} epochs since epoch "
                                f"{best_epoch:,} ({best:.4f}).")  # fmt: skip
                    return
