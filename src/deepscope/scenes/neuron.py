"""One artificial neuron: weighted sum, activation, the logic gates it can and cannot learn.

out = f(w1 * x1 + w2 * x2 + b). The decision line is where the weighted sum z is 0: for every
activation offered here that is also where the output crosses its threshold (0.5 for sigmoid,
0 for tanh and relu, the step of sign), so the line a student drags is the line that decides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import nn
from ..core import get_backend

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float64)
GATES = {"AND": np.array([0, 0, 0, 1]), "OR": np.array([0, 1, 1, 1]), "XOR": np.array([0, 1, 1, 0])}
ACTIVATIONS = ("sign", "sigmoid", "tanh", "relu")
RULES = ("perceptron", "gradient descent")
THRESHOLD = {"sign": 0.5, "sigmoid": 0.5, "tanh": 0.0, "relu": 0.0}

_ref = get_backend("numpy")


def _check(activation: str, gate: str | None = None) -> None:
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {activation!r}")
    if gate is not None and gate not in GATES:
        raise ValueError(f"gate must be one of {', '.join(GATES)}; got {gate!r}")


def activate(activation: str, z):
    """(output, derivative) of the activation at z. sign is the step 1 if z >= 0 else 0 (its
    derivative is 0 everywhere it exists, which is why gradient descent cannot use it)."""
    _check(activation)
    z = np.asarray(z, dtype=np.float64)
    if activation == "sign":
        return (z >= 0).astype(np.float64), np.zeros_like(z)
    name = {"sigmoid": "sigmoid", "tanh": "tanh", "relu": "relu"}[activation]
    out = getattr(_ref, f"{name}_forward")(z)
    slope = getattr(_ref, f"{name}_backward")(np.ones_like(z), z)
    return out, slope


def weighted_sum(w1, w2, b, x1, x2):
    return w1 * np.asarray(x1) + w2 * np.asarray(x2) + b


@dataclass
class Row:
    x1: int
    x2: int
    target: int
    z: float
    output: float
    predicted: int

    @property
    def correct(self) -> bool:
        return self.predicted == self.target


def truth_table(w1: float, w2: float, b: float, activation: str, gate: str) -> list[Row]:
    """The four input rows of ``gate`` with the neuron's sum, output and verdict."""
    _check(activation, gate)
    z = weighted_sum(w1, w2, b, INPUTS[:, 0], INPUTS[:, 1])
    out, _ = activate(activation, z)
    pred = (out > THRESHOLD[activation]) if activation != "sign" else out >= 0.5
    return [
        Row(int(x[0]), int(x[1]), int(t), float(zi), float(o), int(p))
        for x, t, zi, o, p in zip(INPUTS, GATES[gate], z, out, pred)
    ]


def decision_line(w1: float, w2: float, b: float, lo: float = -0.5, hi: float = 1.5):
    """Two points (xs, ys) of the line w1 x1 + w2 x2 + b = 0 across the view, or None."""
    if abs(w2) > 1e-12:
        xs = np.array([lo, hi])
        return xs, -(w1 * xs + b) / w2
    if abs(w1) > 1e-12:
        x = -b / w1
        return np.array([x, x]), np.array([lo, hi])
    return None


@dataclass
class LearnFrame:
    epoch: int
    w1: float
    w2: float
    b: float
    loss: float
    correct: int


def learn(
    gate: str,
    rule: str = "perceptron",
    lr: float = 0.5,
    epochs: int = 30,
    start=(0.0, 0.0, 0.0),
    activation: str = "sign",
) -> list[LearnFrame]:
    """Train the single neuron on ``gate``; frame 0 is the start, frame k after epoch k.

    perceptron: the classic rule w += lr * (target - prediction) * x, sample by sample, with
    the step activation; loss is the number of mistakes. gradient descent: a sigmoid neuron
    trained with deepscope.nn (Dense(2, 1) + Sigmoid, BCE, SGD, full batch); loss is the BCE.
    On XOR neither ever gets all four rows right: no single line separates them.
    """
    _check(activation, gate)
    if rule not in RULES:
        raise ValueError(f"rule must be one of {', '.join(RULES)}; got {rule!r}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= 10_000:
        raise ValueError(f"epochs must be an integer in 1..10000, got {epochs!r}")
    w = np.array(start, dtype=np.float64)
    targets = GATES[gate]

    def frame(k, loss):
        act = "sign" if rule == "perceptron" else "sigmoid"
        rows = truth_table(w[0], w[1], w[2], act, gate)
        w1, w2, b = (round(float(v), 12) for v in w)  # 0.6, not 0.6000000000000001
        return LearnFrame(k, w1, w2, b, float(loss), sum(r.correct for r in rows))

    if rule == "perceptron":

        def mistakes():
            return int(np.sum((weighted_sum(w[0], w[1], w[2], *INPUTS.T) >= 0) != targets))

        frames = [frame(0, mistakes())]
        for k in range(1, epochs + 1):
            for x, t in zip(INPUTS, targets):
                err = t - float(w[0] * x[0] + w[1] * x[1] + w[2] >= 0)
                w += lr * err * np.array([x[0], x[1], 1.0])
            frames.append(frame(k, mistakes()))
        return frames

    dense = nn.Dense(2, 1)
    model = nn.Sequential([dense, nn.Sigmoid()], seed=None, backend="numpy", dtype="float64")
    dense.params["W"][:, 0] = w[:2]
    dense.params["b"][0] = w[2]
    loss = nn.BCELoss("numpy")
    trainer = nn.Trainer(
        model, INPUTS, targets.astype(float), loss, nn.SGD(model, lr=lr), batch_size=4, seed=0
    )
    frames = [frame(0, trainer.evaluate(INPUTS, targets.astype(float))["loss"])]
    for k in range(1, epochs + 1):
        trainer.epoch()
        w[:] = [dense.params["W"][0, 0], dense.params["W"][1, 0], dense.params["b"][0]]
        frames.append(frame(k, trainer.evaluate(INPUTS, targets.astype(float))["loss"]))
    return frames


SEPARABLE = {"AND": True, "OR": True, "XOR": False}  # by one straight line
HIDDEN_EPOCHS = 400


def hidden_layer(gate: str = "XOR", hidden: int = 3, lr: float = 0.1, seed: int = 0):
    """The hidden-layer fix: Dense(2, hidden) + Tanh + Dense(hidden, 1) + Sigmoid, to be
    trained with Adam and BCE on the four rows. Returns (model, trainer);
    ``trainer.events(HIDDEN_EPOCHS)`` trains it as a stream of events."""
    _check("sigmoid", gate)
    model = nn.Sequential(
        [nn.Dense(2, hidden), nn.Tanh(), nn.Dense(hidden, 1), nn.Sigmoid()],
        seed=seed,
        backend="cpu",
        dtype="float64",
    )
    trainer = nn.Trainer(
        model,
        INPUTS,
        GATES[gate].astype(float),
        nn.BCELoss("cpu"),
        nn.Adam(model, lr=lr),
        batch_size=4,
        seed=seed,
    )
    return model, trainer


def plane(n: int = 61, lo: float = -0.5, hi: float = 1.5) -> np.ndarray:
    """The grid of input points the panel colours: axis values of length n."""
    return np.linspace(lo, hi, n)


GRID = plane(61)
CURVE_Z = np.linspace(-6, 6, 241)


@dataclass
class Picture:
    """Everything the neuron panel draws for one setting (or for a trained network)."""

    grid: np.ndarray  # the plane's axis values
    output: np.ndarray  # (n, n) output at (x1 = grid[j], x2 = grid[i])
    threshold: float  # the output where the decision flips (the colour scale's middle)
    lines: list  # (xs, ys) of each line z = 0: the neuron's, or each hidden neuron's
    rows: list[Row]
    activation: str  # the activation drawn: the neuron's, or the hidden layer's tanh
    curve: tuple  # (z, f(z), f'(z)) of that activation
    inputs_z: np.ndarray  # the four rows' weighted sums (the single neuron's; none for a net)
    inputs_f: np.ndarray  # and their activations
    who: str  # "the neuron" or "the network"

    @property
    def right(self) -> int:
        return sum(r.correct for r in self.rows)


def picture(w1: float, w2: float, b: float, activation: str, gate: str, model=None) -> Picture:
    """What the panel shows: the single neuron's output over the plane, its line, its truth
    table and activation curve; or, given a trained ``model``, the network's output and
    its truth table (the curve and sums stay the neuron's)."""
    rows = truth_table(w1, w2, b, activation, gate)
    x1, x2 = np.meshgrid(GRID, GRID)
    if model is None:
        z_inputs = weighted_sum(w1, w2, b, *INPUTS.T)
        out, _ = activate(activation, weighted_sum(w1, w2, b, x1, x2))
        line = decision_line(w1, w2, b)
        return Picture(
            GRID,
            out,
            THRESHOLD[activation],
            [] if line is None else [line],
            rows,
            activation,
            (CURVE_Z, *activate(activation, CURVE_Z)),
            z_inputs,
            activate(activation, z_inputs)[0],
            "the neuron",
        )
    outs = model.predict(INPUTS).ravel()
    rows = [
        Row(r.x1, r.x2, r.target, float("nan"), float(o), int(o > 0.5)) for r, o in zip(rows, outs)
    ]
    out = model.predict(np.c_[x1.ravel(), x2.ravel()]).reshape(x1.shape)
    hidden = model.layers[0].params
    lines = [
        decision_line(float(wa), float(wb), float(bj))
        for (wa, wb), bj in zip(hidden["W"].T, hidden["b"])
    ]
    empty = np.zeros(0)
    return Picture(
        GRID,
        out,
        0.5,
        [line for line in lines if line is not None],
        rows,
        "tanh",
        (CURVE_Z, *activate("tanh", CURVE_Z)),
        empty,
        empty,
        "the network",
    )


def verdict(gate: str, frames: list[LearnFrame]) -> str:
    """What a run of ``learn`` showed, in words that say what was measured."""
    last = frames[-1]
    epochs = len(frames) - 1
    if last.correct == 4:
        first = next(f.epoch for f in frames if f.correct == 4)
        return f"all four rows right (first at epoch {first} of {epochs})."
    if not SEPARABLE[gate]:
        return (
            f"{last.correct} of 4 right after {epochs} epochs, and it never gets all four: "
            f"no single line separates {gate}. Try 'Add a hidden layer'."
        )
    return (
        f"not separated yet after {epochs} epochs ({last.correct} of 4 right). {gate} can be "
        "separated by one line: try more epochs or a larger learning rate."
    )
