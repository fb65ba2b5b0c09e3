"""Adversarial examples: noise nobody can see that changes what a trained network reads.

The lecture's point: a network that classifies well can be fooled by a specific, tiny
pattern of noise (or a sticker), and one network can be trained to fool another. Every
attack here is the chain rule run one layer further than training runs it: back to the
input pixels instead of stopping at the weights.

- ``input_gradient``: d loss / d x for any ``nn.Sequential`` (dense or CNN).
- ``fgsm``: one step of size eps along the sign of that gradient (Goodfellow et al., 2015).
- ``pgd`` / ``pgd_replay``: many small steps, each projected back into the eps ball
  (Kurakin et al., 2017; Madry et al., 2018), L-infinity or L2, every iteration kept.
- ``patch_attack``: the lecture's sticker: only a small square changes, as much as it likes.
- ``epsilon_sweep``, ``transfer``, ``adversarial_training``: how accuracy falls with eps,
  whether an attack on one network fools another, and the defence of training on attacks.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .. import nn
from ..core.checks import (
    as_float_array,
    check_choice,
    check_class_labels,
    check_int,
    check_number,
)
from ..data import playground
from . import convolution

METHODS = ("fgsm", "pgd")
NORMS = ("inf", "2")
#: what a panel offers: the two untargeted attacks, PGD towards a chosen class, the sticker
ATTACKS = ("fgsm", "pgd", "targeted", "patch")
#: the networks to attack: two on the shipped digits, the convolution lesson's X/O CNN
NETWORKS = ("cnn", "mlp", "xo")


# arguments ------------------------------------------------------------------------------
def _eps(name: str, value, allow_zero: bool = True) -> float:
    return check_number(name, value, 0, low_open=not allow_zero)


def _clip(clip) -> tuple[float, float] | None:
    if clip is None:
        return None
    try:
        lo, hi = (float(v) for v in clip)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"clip must be a pair (low, high) or None, got {clip!r}") from exc
    if not lo < hi:
        raise ValueError(f"clip must be (low, high) with low < high, got {clip!r}")
    return lo, hi


def n_classes(model: nn.Sequential, X: np.ndarray) -> int:
    """The width of the model's output (its class scores) for inputs shaped like ``X``."""
    return int(model.predict(X[:1]).shape[1])


def _inputs(model: nn.Sequential, X, y, name_y: str = "y"):
    """X as the model's float array (a batch); y as integer labels, one per image."""
    X = as_float_array("X", X, dtype=model.dtype)
    if X.ndim < 2 or len(X) == 0:
        raise ValueError(f"X must be a batch of images (N, ...), got shape {X.shape}")
    try:
        k = n_classes(model, X)
    except ValueError as exc:
        raise ValueError(f"X does not fit the model: {exc}") from exc
    labels = np.asarray(y)
    if labels.ndim == 0:
        labels = np.full(len(X), labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{name_y} must hold integer class labels, got dtype {labels.dtype}")
    if labels.shape != (len(X),):
        raise ValueError(f"{name_y} must hold one label per image ({len(X)}), got {labels.shape}")
    try:
        labels = check_class_labels(labels, k)
    except ValueError as exc:
        raise ValueError(f"{name_y}: {exc} (the model has {k} classes)") from exc
    return X, labels


def probabilities(model: nn.Sequential, X) -> np.ndarray:
    """Softmax of the model's class scores, (N, classes), in float64."""
    scores = model.predict(as_float_array("X", X, dtype=model.dtype)).astype(np.float64)
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


# the gradient ---------------------------------------------------------------------------
def input_gradient(model: nn.Sequential, X, y, loss: nn.Loss | None = None) -> np.ndarray:
    """d loss / d X for every image, shaped like ``X``: the loss (by default cross-entropy
    on the model's logits, summed over the batch so each image's gradient is its own) run
    back through every layer to the pixels. The model's parameter gradients are left as
    they were."""
    X, labels = _inputs(model, X, y)
    loss = loss or nn.CrossEntropyLoss(backend=model.backend)
    loss.forward(model.forward(X, training=False), labels)
    dx = model.input_backward(loss.backward())
    return np.asarray(dx, dtype=X.dtype).reshape(X.shape) * len(X)


def _targets(model, X, target):
    """The target labels of a targeted attack (one class for all, or one per image)."""
    return _inputs(model, X, target, "target")[1]


def fgsm(model, X, y, eps, target=None, clip=(0.0, 1.0), loss=None) -> np.ndarray:
    """The fast gradient sign method: ``X + eps * sign(input_gradient)`` (up the loss of the
    true class), or with ``target`` ``X - eps * sign(gradient of the loss towards target)``
    (down towards the target class); clipped to the valid pixel range ``clip``."""
    eps = _eps("eps", eps)
    X, labels = _inputs(model, X, y)
    clip = _clip(clip)
    if target is None:
        step = np.sign(input_gradient(model, X, labels, loss))
    else:
        step = -np.sign(input_gradient(model, X, _targets(model, X, target), loss))
    adv = X + np.asarray(eps, X.dtype) * step
    return adv if clip is None else np.clip(adv, *clip).astype(X.dtype)


# iterated attacks -----------------------------------------------------------------------
@dataclass
class Replay:
    """Every iteration of an attack: ``images[t]`` after t steps (t = 0 is the start),
    ``probabilities[t]`` the model's softmax on them, the perturbation's sizes."""

    images: np.ndarray  # (steps + 1, *X.shape)
    probabilities: np.ndarray  # (steps + 1, N, classes)
    linf: np.ndarray  # (steps + 1, N): max |x_t - x|
    l2: np.ndarray  # (steps + 1, N): |x_t - x|_2

    @property
    def final(self) -> np.ndarray:
        return self.images[-1]


def _per_image(a: np.ndarray) -> np.ndarray:
    return a.reshape(len(a), -1)


def _project(delta: np.ndarray, eps: float, norm: str) -> np.ndarray:
    if norm == "inf":
        return np.clip(delta, -eps, eps)
    size = np.linalg.norm(_per_image(delta), axis=1)
    scale = np.minimum(1.0, eps / np.maximum(size, 1e-12))
    return delta * scale.reshape((-1,) + (1,) * (delta.ndim - 1)).astype(delta.dtype)


def _direction(g: np.ndarray, norm: str) -> np.ndarray:
    if norm == "inf":
        return np.sign(g)
    size = np.linalg.norm(_per_image(g), axis=1)
    return g / np.maximum(size, 1e-12).reshape((-1,) + (1,) * (g.ndim - 1)).astype(g.dtype)


def _iterate(model, X, labels, sign, alpha, steps, start, project, clip, loss, mask=None):
    """The loop every iterated attack shares: step along ``sign`` times the direction of the
    input gradient (only where ``mask``), project, clip; every iterate kept."""
    images = [start]
    x = start
    for _ in range(steps):
        g = input_gradient(model, x, labels, loss)
        if mask is not None:
            g = g * mask
        x = x + sign * np.asarray(alpha, X.dtype) * project.direction(g)
        x = X + project.ball(x - X)
        if clip is not None:
            x = np.clip(x, *clip)
        images.append(x.astype(X.dtype))
    images = np.stack(images)
    flat = images.reshape(len(images), len(X), -1) - X.reshape(1, len(X), -1)
    probs = probabilities(model, images.reshape(-1, *X.shape[1:])).reshape(len(images), len(X), -1)
    return Replay(
        images,
        probs,
        np.abs(flat).max(axis=2).astype(np.float64),
        np.linalg.norm(flat, axis=2).astype(np.float64),
    )


@dataclass
class _Ball:
    eps: float
    norm: str

    def direction(self, g):
        return _direction(g, self.norm)

    def ball(self, delta):
        return _project(delta, self.eps, self.norm)


def pgd_replay(
    model,
    X,
    y,
    eps,
    alpha,
    steps,
    target=None,
    random_start=False,
    seed=0,
    norm="inf",
    clip=(0.0, 1.0),
    loss=None,
) -> Replay:
    """Projected gradient descent (the basic iterative method without ``random_start``):
    ``steps`` steps of size ``alpha`` up the true class's loss (down the ``target``'s), each
    projected back into the ball of radius ``eps`` around ``X`` (``norm`` "inf": a cube,
    the sign of the gradient; "2": a sphere, the gradient's direction) and the pixel range.
    Every iterate is kept, for a replay."""
    eps, alpha = _eps("eps", eps), _eps("alpha", alpha)
    steps = check_int("steps", steps, 1, 1000)
    norm = check_choice("norm", norm, NORMS)
    X, labels = _inputs(model, X, y)
    clip = _clip(clip)
    sign = 1.0
    if target is not None:
        labels, sign = _targets(model, X, target), -1.0
    start = X
    if random_start:
        rng = np.random.default_rng(check_int("seed", seed, 0))
        noise = rng.uniform(-1, 1, X.shape) if norm == "inf" else rng.normal(size=X.shape)
        start = X + _project((noise * eps).astype(X.dtype), eps, norm)
        start = start if clip is None else np.clip(start, *clip)
        start = start.astype(X.dtype)
    return _iterate(model, X, labels, sign, alpha, steps, start, _Ball(eps, norm), clip, loss)


def pgd(
    model,
    X,
    y,
    eps,
    alpha,
    steps,
    target=None,
    random_start=False,
    seed=0,
    norm="inf",
    clip=(0.0, 1.0),
    loss=None,
) -> np.ndarray:
    """The adversarial images of ``pgd_replay`` (its last iterate), shaped like ``X``."""
    return pgd_replay(
        model, X, y, eps, alpha, steps, target, random_start, seed, norm, clip, loss
    ).final


@dataclass
class _Anything:
    """A patch may take any value in the pixel range: no ball, the sign of the gradient."""

    def direction(self, g):
        return np.sign(g)

    def ball(self, delta):
        return delta


def patch_mask(shape: tuple, size: int, row: int, col: int) -> np.ndarray:
    """1 inside the ``size`` x ``size`` square whose top-left pixel is (row, col), else 0,
    shaped like one image (C, H, W)."""
    h, w = shape[-2:]
    size = check_int("size", size, 1, min(h, w))
    row = check_int("row", row, 0, h - size)
    col = check_int("col", col, 0, w - size)
    mask = np.zeros(shape, np.float32)
    mask[..., row : row + size, col : col + size] = 1
    return mask


def patch_attack(
    model, X, target, size=6, row=0, col=0, steps=40, alpha=0.1, clip=(0.0, 1.0), loss=None
) -> Replay:
    """The lecture's sticker: only the pixels of a ``size`` x ``size`` square at (row, col)
    change, by ``alpha`` a step along the sign of the gradient towards ``target``, as far
    as the pixel range allows; the rest of the image is untouched. Every iterate kept."""
    alpha = _eps("alpha", alpha, allow_zero=False)
    steps = check_int("steps", steps, 1, 1000)
    X, labels = _inputs(model, X, target, "target")
    mask = patch_mask(X.shape[1:], size, row, col).astype(X.dtype)
    return _iterate(model, X, labels, -1.0, alpha, steps, X, _Anything(), _clip(clip), loss, mask)


def attack_replay(
    model,
    X,
    y,
    method,
    eps,
    alpha=0.01,
    steps=10,
    norm="inf",
    target=0,
    patch=(6, 0, 0),
    clip=(0.0, 1.0),
) -> Replay:
    """One of ``ATTACKS`` as a replay: FGSM as its one step (x, then x + eps sign g), PGD,
    targeted PGD towards ``target``, or the patch (``patch`` = (size, row, col)) towards
    ``target``; ``eps`` does not bound a patch."""
    method = check_choice("method", method, ATTACKS)
    if method == "fgsm":
        eps = _eps("eps", eps)
        return pgd_replay(model, X, y, eps, eps, 1, clip=clip)
    if method == "patch":
        size, row, col = patch
        return patch_attack(model, X, target, size, row, col, steps, alpha, clip)
    goal = target if method == "targeted" else None
    return pgd_replay(model, X, y, eps, alpha, steps, target=goal, norm=norm, clip=clip)


# what an attack does to a whole set ---------------------------------------------------
@dataclass
class Sweep:
    """Accuracy and the mean probability of the true class at each eps."""

    method: str
    eps: np.ndarray
    accuracy: np.ndarray
    confidence: np.ndarray

    @property
    def clean_accuracy(self) -> float:
        """The accuracy at eps = 0 (the sweep always starts there)."""
        return float(self.accuracy[0])

    @classmethod
    def join(cls, parts: list[Sweep]) -> Sweep:
        """One sweep from sweeps of single eps values (each with its eps = 0 first)."""
        first = parts[0]
        return cls(
            first.method,
            np.r_[first.eps[:1], [p.eps[-1] for p in parts]],
            np.r_[first.accuracy[:1], [p.accuracy[-1] for p in parts]],
            np.r_[first.confidence[:1], [p.confidence[-1] for p in parts]],
        )


def _scores(model, images, labels):
    p = probabilities(model, images)
    return float(np.mean(p.argmax(1) == labels)), float(np.mean(p[np.arange(len(p)), labels]))


def attack(model, X, y, eps, method="fgsm", steps=10, norm="inf", clip=(0.0, 1.0)):
    """The adversarial images of ``method`` at ``eps`` (PGD: ``steps`` steps of 2.5 eps /
    steps, the usual choice of Madry et al.)."""
    method = check_choice("method", method, METHODS)
    if method == "fgsm":
        return fgsm(model, X, y, eps, clip=clip)
    eps = _eps("eps", eps)
    return pgd(model, X, y, eps, 2.5 * eps / steps, steps, norm=norm, clip=clip)


def epsilon_sweep(model, X, y, eps_values, method="fgsm", steps=10, clip=(0.0, 1.0)) -> Sweep:
    """Accuracy and mean true-class confidence on (X, y) at each eps (0 is added first).
    FGSM takes one input gradient for all eps (its sign does not depend on eps) and one
    batched forward pass per eps; PGD runs its ``steps`` per eps."""
    method = check_choice("method", method, METHODS)
    X, labels = _inputs(model, X, y)
    values = np.atleast_1d(np.asarray(eps_values, dtype=np.float64))
    if values.ndim != 1 or len(values) == 0:
        raise ValueError(f"eps_values must be a list of numbers, got {eps_values!r}")
    for v in values:
        _eps("eps_values", float(v))
    values = np.unique(np.r_[0.0, values])
    clip = _clip(clip)
    sign = np.sign(input_gradient(model, X, labels)) if method == "fgsm" else None
    acc, conf = [], []
    for eps in values:
        if eps == 0:
            images = X
        elif sign is not None:
            images = X + np.asarray(eps, X.dtype) * sign
            images = images if clip is None else np.clip(images, *clip)
        else:
            images = attack(model, X, labels, eps, "pgd", steps, clip=clip)
        a, c = _scores(model, images.astype(X.dtype), labels)
        acc.append(a)
        conf.append(c)
    return Sweep(method, values, np.array(acc), np.array(conf))


@dataclass
class Transfer:
    """Attacks crafted on ``source`` and tried on ``other``, over the images both classify
    right when clean."""

    both_right: int  # images both networks classify right, clean
    fool_source: float  # fraction of those the attack makes the source get wrong
    fool_other: float  # ... and the other network


def transfer(source, other, X, y, eps, method="fgsm", steps=10, clip=(0.0, 1.0)) -> Transfer:
    """How often an attack on ``source`` also fools ``other`` (a network trained separately:
    another seed or architecture) at the same eps."""
    X, labels = _inputs(source, X, y)
    right = (probabilities(source, X).argmax(1) == labels) & (
        probabilities(other, X).argmax(1) == labels
    )
    if not right.any():
        return Transfer(0, 0.0, 0.0)
    Xr, yr = X[right], labels[right]
    adv = attack(source, Xr, yr, eps, method, steps, clip=clip)
    return Transfer(
        int(right.sum()),
        float(np.mean(probabilities(source, adv).argmax(1) != yr)),
        float(np.mean(probabilities(other, adv).argmax(1) != yr)),
    )


def adversarial_training(
    model, X, y, eps, epochs=5, lr=0.002, batch_size=32, seed=0, validation=None, clip=(0, 1)
):
    """The defence: each epoch, FGSM examples of every training image against the model as
    it is now, then one epoch of Adam on the clean and the attacked images together. An
    iterator of nn.Events: each epoch's event carries ``clean_accuracy`` and
    ``attacked_accuracy`` (FGSM at ``eps``) on ``validation`` (default: the training set)."""
    eps = _eps("eps", eps, allow_zero=False)
    epochs = check_int("epochs", epochs, 1)
    X, labels = _inputs(model, X, y)
    Xv, yv = (X, labels) if validation is None else _inputs(model, *validation)
    optimizer = nn.Adam(model, lr=lr)
    loss = nn.CrossEntropyLoss(backend=model.backend)

    def stream():
        step = 0
        for epoch in range(epochs):
            adv = fgsm(model, X, labels, eps, clip=clip)
            trainer = nn.Trainer(
                model,
                np.concatenate([X, adv]),
                np.concatenate([labels, labels]),
                loss,
                optimizer,
                batch_size=batch_size,
                seed=seed + epoch,
            )
            for event in trainer.epoch_events(steps=True):
                if event.kind != "step":
                    break
                yield replace(event, epoch=epoch + 1, step=step + event.step)
            step += trainer.step_index
            event.epoch, event.step = epoch + 1, step - 1
            if event.kind == "epoch":
                clean, _ = _scores(model, Xv, yv)
                attacked, _ = _scores(model, fgsm(model, Xv, yv, eps, clip=clip), yv)
                event.metrics.update(clean_accuracy=clean, attacked_accuracy=attacked)
            yield event
            if event.kind == "diverged":
                return

    return stream()


# the classifiers to attack --------------------------------------------------------------
def classifier_task(network: str) -> convolution.CNNTask:
    """The images a network of ``NETWORKS`` learns: 2000 shipped digits (the rest held out)
    or the convolution lesson's X and O glyphs."""
    network = check_choice("network", network, NETWORKS)
    return convolution.xo_task() if network == "xo" else convolution.mnist_task(n_train=2000)


def build_classifier(network: str, task, seed: int = 0, backend="cpu") -> nn.Sequential:
    """The CNN (conv 8@3x3-relu-maxpool 2, twice, then dense) or the MLP (784-64-10 ReLU)."""
    network = check_choice("network", network, NETWORKS)
    n = len(task.classes)
    if network == "mlp":
        side = task.size
        layers = [nn.Flatten(), nn.Dense(side * side, 64), nn.ReLU(), nn.Dense(64, n)]
        return nn.Sequential(layers, seed=seed, backend=backend)
    return convolution.build_cnn(task.size, n, channels=(8, 8), seed=seed, backend=backend)


def partner(network: str) -> str:
    """The network an attack is carried over to: the other architecture on digits, another
    seed of the X/O CNN."""
    return {"cnn": "mlp", "mlp": "cnn", "xo": "xo"}[check_choice("network", network, NETWORKS)]


def classifier_training(network, task, epochs=3, seed=0, lr=0.01):
    """(model, events): a fresh ``build_classifier`` and its training with Adam and
    cross-entropy, batches of 32, 500 held-out images as validation; the model changes in
    place as the events are drawn."""
    epochs = check_int("epochs", epochs, 1)
    model = build_classifier(network, task, seed)
    return model, convolution.task_events(model, task, epochs, lr, 32, seed, held_out=500)


# the 2-D picture ------------------------------------------------------------------------
def plane_classifier(dataset="circle", epochs=200, seed=0, backend="cpu"):
    """A 2-16-16-2 tanh network trained (Adam, full batch) on a playground set, with the set
    itself: (model, X, y). Its two logits make it a classifier the attacks work on."""
    X, y = playground(dataset, n=300, noise=0.1, seed=seed)
    y = y.reshape(-1).astype(np.int64)
    model = nn.Sequential(
        [nn.Dense(2, 16), nn.Tanh(), nn.Dense(16, 16), nn.Tanh(), nn.Dense(16, 2)],
        seed=seed,
        backend=backend,
    )
    nn.fit(model, X, y, nn.CrossEntropyLoss(), nn.Adam(model, lr=0.02), epochs=epochs,
           batch_size=len(X), seed=seed)  # fmt: skip
    return model, X.astype(np.float32), y


def decision_map(model, span: float, resolution: int = 81):
    """(xs, ys, p): the probability of class 1 on a grid over [-span, span]^2."""
    xs = np.linspace(-span, span, resolution)
    gx, gy = np.meshgrid(xs, xs)
    grid = np.c_[gx.ravel(), gy.ravel()].astype(np.float32)
    return xs, xs, probabilities(model, grid)[:, 1].reshape(resolution, resolution)
