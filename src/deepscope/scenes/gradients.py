"""Vanishing and exploding gradients, measured layer by layer while a deep network trains.

The lecture's story: backpropagation multiplies, layer after layer, by the slope of each
activation and by the weights. A sigmoid's slope is at most 0.25, so the gradient reaching
the first of L sigmoid layers is scaled by at most 0.25^L times the weights: it vanishes and
the first layers stop learning. Weights too large make the product grow instead: the
gradient explodes and the steps jump over the minimum. The remedies, in the lecture's order:
fewer layers, activations that do not saturate (ReLU), a weight initialisation that keeps
the signal's size (He, Xavier), normalisation (batch norm, weight norm), regularisation
(dropout, weight decay), residual connections; and for explosions, clipping the gradient.

``Setup`` is one configuration (every remedy a switch); ``training(setup, epochs)`` trains it
and records, at every step and for every layer with weights, the engine's diagnostics: the
gradient norm |dL/dW|, the weight norm, the update ratio |ΔW| / |W| and the mean |f'(z)| of
the activation after it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace

import numpy as np

from .. import nn
from ..core.checks import check_choice, check_int, check_number
from ..data import load_mnist, playground

ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu")
INITS = ("normal(0.1)", "normal(0.5)", "normal(1.0)", "xavier", "he")
DATASETS = ("spiral", "digits")
CLIPS = ("off", "norm", "value")
OPTIMIZERS = ("sgd", "adam")
MAX_DEPTH = 30


@dataclass(frozen=True)
class Setup:
    """One configuration of the deep network and its training; every remedy is a switch."""

    depth: int = 20  # hidden layers
    width: int = 32
    activation: str = "sigmoid"
    init: str = "normal(0.1)"
    batchnorm: bool = False
    residual: bool = False
    weightnorm: bool = False
    dropout: float = 0.0
    weight_decay: float = 0.0
    optimizer: str = "sgd"
    lr: float = 0.1
    clip: str = "off"
    clip_threshold: float = 1.0
    dataset: str = "spiral"
    batch_size: int = 64
    seed: int = 0

    def __post_init__(self):
        check_int("depth", self.depth, 1, MAX_DEPTH)
        check_int("width", self.width, 2, 256)
        check_int("batch_size", self.batch_size, 1)
        check_int("seed", self.seed, 0)
        check_choice("activation", self.activation, ACTIVATIONS)
        if not (self.init in INITS or re.fullmatch(r"normal\(\s*[0-9.eE+-]+\s*\)", self.init)):
            raise ValueError(f"init must be one of {', '.join(INITS)}; got {self.init!r}")
        check_choice("dataset", self.dataset, DATASETS)
        check_choice("clip", self.clip, CLIPS)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_number("dropout", self.dropout, 0.0, 0.9)
        check_number("weight_decay", self.weight_decay, 0.0, 1.0)
        check_number("lr", self.lr, 0.0, 10.0, low_open=True)
        check_number("clip_threshold", self.clip_threshold, 0.0, 1e6, low_open=True)

    def describe(self) -> str:
        """In a few words: "20 sigmoid layers, normal(0.1), batch norm"."""
        extras = [n for n, on in (("batch norm", self.batchnorm), ("residual", self.residual),
                                  ("weight norm", self.weightnorm)) if on]  # fmt: skip
        if self.dropout:
            extras.append(f"dropout {self.dropout:g}")
        if self.weight_decay:
            extras.append(f"weight decay {self.weight_decay:g}")
        if self.clip != "off":
            extras.append(f"clipped by {self.clip} at {self.clip_threshold:g}")
        layers = "layer" if self.depth == 1 else "layers"
        return ", ".join([f"{self.depth} {self.activation} {layers}", self.init, *extras])


#: the lecture's remedies in its order, and an explosion rescued by clipping
PRESETS: dict[str, Setup] = {
    "vanishing: 20 sigmoid layers": Setup(),
    "fewer layers": Setup(depth=3),
    "ReLU instead of sigmoid": Setup(activation="relu", init="he"),
    "Xavier initialisation (sigmoid)": Setup(init="xavier"),
    "batch norm": Setup(batchnorm=True),
    "residual connections": Setup(residual=True),
    "all remedies": Setup(activation="relu", init="he", batchnorm=True, residual=True),
    "exploding: large weights": Setup(activation="relu", init="normal(0.5)", depth=10, lr=0.05),
    "exploding, clipped": Setup(
        activation="relu", init="normal(0.5)", depth=10, lr=0.05, clip="norm", clip_threshold=1.0
    ),
}


def setup_dict(setup: Setup) -> dict:
    return asdict(setup)


def data(dataset: str, seed: int = 0):
    """(X, y, class names): the two-armed spiral (600 points) or 1000 shipped digits as
    784 pixels in [0, 1]."""
    check_choice("dataset", dataset, DATASETS)
    if dataset == "spiral":
        X, y = playground("spiral", n=600, noise=0.1, seed=seed)
        return X.astype(np.float32) / 6, y.reshape(-1).astype(np.int64), ("0", "1")
    images, labels = load_mnist()
    pick = np.random.default_rng(seed).permutation(len(images))[:1000]
    X = images[pick].reshape(len(pick), -1).astype(np.float32) / 255
    return X, labels[pick].astype(np.int64), tuple(str(d) for d in range(10))


def build(setup: Setup, n_in: int, n_out: int) -> nn.Sequential:
    """Input -> depth x (Dense -> [batch norm] -> activation [-> dropout]) -> Dense to the
    classes. With ``residual`` every hidden layer after the first is a block x + f(x)."""

    def dense(i, o):
        layer = nn.Dense(i, o, init=setup.init)
        return nn.WeightNorm(layer) if setup.weightnorm else layer

    def hidden(i):
        layers = [dense(i, setup.width)]
        if setup.batchnorm:
            layers.append(nn.BatchNorm1d(setup.width))
        layers.append(nn.activation(setup.activation))
        if setup.dropout:
            layers.append(nn.Dropout(setup.dropout))
        return layers

    layers = hidden(n_in)
    for _ in range(setup.depth - 1):
        block = hidden(setup.width)
        layers += [nn.Residual(block)] if setup.residual else block
    layers.append(dense(setup.width, n_out))
    return nn.Sequential(layers, seed=setup.seed, backend="cpu")


def activation_layers(model: nn.Sequential) -> list:
    """The activation after each hidden Dense layer, in order (the last Dense has none)."""
    found = []

    def walk(layers):
        for layer in layers:
            if isinstance(layer, nn.layers.Activation):
                found.append(layer)
            elif getattr(layer, "layers", None):
                walk(layer.layers)

    walk(model.layers)
    return found


@dataclass
class Run:
    """A training as it goes: per step and per layer with weights (input side first) the
    gradient norm, the weight norm and the update ratio; per hidden layer the mean |f'(z)|."""

    setup: Setup
    model: nn.Sequential
    X: np.ndarray
    y: np.ndarray
    classes: tuple
    steps: list = field(default_factory=list)
    losses: list = field(default_factory=list)
    grad: list = field(default_factory=list)  # (layers,) per step
    weight: list = field(default_factory=list)
    ratio: list = field(default_factory=list)
    slope: list = field(default_factory=list)  # (hidden layers,) per step
    accuracy: list = field(default_factory=list)  # per epoch: (step, accuracy)
    exploded_at: int | None = None

    @property
    def layer_names(self) -> list[str]:
        n = len(self.grad[0]) if self.grad else self.setup.depth + 1
        return [f"layer {i}" for i in range(1, n)] + ["output"]

    def first_to_last(self, step: int = -1) -> float:
        """The first layer's gradient norm over the last's at a step: the fading, in one
        number (below 1e-3: the first layers have all but stopped learning)."""
        g = self.grad[step]
        ok = g[-1] > 0 and np.isfinite(g[[0, -1]]).all()
        return float(g[0] / g[-1]) if ok else float("nan")

    def chain_bound(self, step: int = -1) -> np.ndarray:
        """The product of the measured mean |f'(z)| from each hidden layer up to the output:
        how much the activations alone scale the gradient on its way down to each layer."""
        s = np.asarray(self.slope[step], dtype=np.float64)
        # layer k's gradient passes through the activations of layers k .. L-1
        return np.r_[np.cumprod(s[::-1])[::-1], 1.0]

    def histograms(self, bins: int = 20):
        """(edges, counts (hidden layers, bins)): the activation values of each hidden layer
        on all the data, as the network is now (saturated sigmoids pile at 0 and 1)."""
        self.model.forward(self.X, training=False)
        outs = [
            np.asarray(a.forward(a._x, training=False), np.float64)
            for a in activation_layers(self.model)
        ]
        finite = [o[np.isfinite(o)] for o in outs]  # an exploded network has inf and NaN
        lo = min((float(f.min()) for f in finite if f.size), default=0.0)
        hi = max((float(f.max()) for f in finite if f.size), default=1.0)
        if self.setup.activation == "sigmoid":
            lo, hi = 0.0, 1.0
        elif self.setup.activation == "tanh":
            lo, hi = -1.0, 1.0
        edges = np.linspace(lo, hi if hi > lo else lo + 1, bins + 1)
        return edges, np.array([np.histogram(f, edges)[0] for f in finite])


def training(setup: Setup, epochs: int = 20):
    """(run, events): the network built from ``setup`` and the events of its training (a
    "step" after every step with the run's lists grown, an "epoch" after each epoch, or a
    "diverged" when the loss or a gradient stops being finite: ``run.exploded_at``)."""
    epochs = check_int("epochs", epochs, 1, 1000)
    X, y, classes = data(setup.dataset, setup.seed)
    model = build(setup, X.shape[1], len(classes))
    run = Run(setup, model, X, y, classes)
    make = {"sgd": nn.SGD, "adam": nn.Adam}[setup.optimizer]
    optimizer = make(model, lr=setup.lr, weight_decay=setup.weight_decay)
    clip = {"norm": {"clip_norm": setup.clip_threshold},
            "value": {"clip_value": setup.clip_threshold}}.get(setup.clip, {})  # fmt: skip
    trainer = nn.Trainer(model, X, y, nn.CrossEntropyLoss(), optimizer, diagnostics=True,
                         batch_size=setup.batch_size, seed=setup.seed, **clip)  # fmt: skip

    def stream():
        for _ in range(epochs):
            for event in trainer.epoch_events(steps=True):
                if event.kind == "step":
                    d = event.diagnostics  # per layer with weights, input side first
                    dense = np.array(["Dense" in name for name in d["layer"]])  # not norms

                    def of(key, d=d, dense=dense):
                        return np.asarray(d[key], dtype=np.float64)[dense]

                    g = of("grad_norm")
                    run.steps.append(event.step)
                    run.losses.append(event.loss)
                    run.grad.append(g)
                    run.weight.append(of("weight_norm"))
                    run.ratio.append(of("update_ratio"))
                    run.slope.append(of("act_slope")[:-1])
                    if not (np.isfinite(g).all() and np.isfinite(event.loss)):
                        run.exploded_at = event.step
                        yield replace(event, kind="diverged",
                                      message=f"exploded at step {event.step}: the gradient "
                                      "became too large to represent")  # fmt: skip
                        return
                elif event.kind == "epoch":
                    acc = float(np.mean(model.predict(X).argmax(1) == y))
                    run.accuracy.append((run.steps[-1] if run.steps else 0, acc))
                    event.metrics["accuracy"] = acc
                elif event.kind == "diverged":
                    run.exploded_at = event.step
                    why = f"the loss became {event.loss}, the steps too large to follow"
                    event = replace(event, message=f"exploded at step {event.step}: {why}")
                yield event
                if event.kind == "diverged":
                    return

    return run, stream()


def train(setup: Setup, epochs: int = 20) -> Run:
    """Train to the end; the Run with everything recorded."""
    run, events = training(setup, epochs)
    for _ in events:
        pass
    return run
