"""Training: mini-batches in a seeded shuffle (or in the data's order), progress reported
as events.

``fit`` is the one-call form; ``Trainer`` runs one epoch at a time so a live panel can train
in chunks between redraws. Dense networks (Dense layers, each followed by at most one
element-wise activation) run a whole epoch in one call of their backend's ``DenseTrainer``
(``core/reference/mlp.py`` says what it computes), unless a callback asks for every step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..core.checks import as_float_array, check_class_labels, check_finite, check_int
from ..core.cpu.diagnostics import mean_abs_slope, segment_norms
from ..core.reference.mlp import ACTIVATION_CODES, BCE, CROSS_ENTROPY, HALF_MSE, MSE
from .clip import check_threshold, clip_grad_norm, clip_grad_value
from .layers import BatchNorm1d, Dense, Dropout, Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .losses import BCELoss, CrossEntropyLoss, Loss, MSELoss
from .model import Sequential
from .optim import ConstantLR, Optimizer, update_preview


@dataclass
class Event:
    """What happened: kind is "step", "epoch", "diverged", "stopped", or "progress" (a chunk
    of work that is not training, such as rows of a loss landscape: metrics holds "done",
    "total" and "what")."""

    kind: str
    epoch: int
    step: int
    loss: float
    metrics: dict = field(default_factory=dict)
    norms: np.ndarray | None = None  # (layers with weights, 2): |dW|, |W|
    message: str = ""
    step_losses: np.ndarray | None = None  # epoch events: the loss of each step
    # with diagnostics on (Trainer / fit ``diagnostics=True``): per layer with weights, in
    # ``Sequential.param_layers`` order, the arrays of ``layer_diagnostics``
    diagnostics: dict | None = None


class Callback:
    """Override ``on_step`` (forces the step-by-step path), ``on_epoch`` (return True to stop
    training) or ``on_end``; plain callables given to ``fit`` receive every event."""

    def on_step(self, event: Event) -> None:
        pass

    def on_epoch(self, event: Event) -> bool | None:
        return None

    def on_end(self, history: History) -> None:
        pass

    @property
    def wants_steps(self) -> bool:
        return type(self).on_step is not Callback.on_step


class _FunctionCallback(Callback):
    def __init__(self, fn):
        self.fn = fn

    def on_step(self, event):
        self.fn(event)

    def on_epoch(self, event):
        return self.fn(event)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(self, patience: int = 5, min_delta: float = 0.0, monitor: str = "val_loss"):
        self.patience = check_int("patience", patience, 1)
        self.min_delta = float(min_delta)
        self.monitor = monitor
        self.best = math.inf
        self.waited = 0

    def on_epoch(self, event):
        if self.monitor not in event.metrics:
            raise ValueError(
                f"EarlyStopping monitors {self.monitor!r} but the epoch reports "
                f"{sorted(event.metrics)}; pass validation= or monitor='loss'"
            )
        value = event.metrics[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.waited = value, 0
            return False
        self.waited += 1
        return self.waited >= self.patience


@dataclass
class History:
    """Per-epoch metrics (``history["loss"]``, ``history["val_accuracy"]``...), every step's
    loss, per-epoch layer norms, and how training ended."""

    epochs: list = field(default_factory=list)
    step_loss: list = field(default_factory=list)
    norms: list = field(default_factory=list)
    diagnostics: list = field(default_factory=list)  # per epoch, its last step's (or None)
    diverged_at: int | None = None
    stopped_early: bool = False

    def __getitem__(self, key: str) -> list:
        if self.epochs and key not in self.epochs[0]:
            raise KeyError(f"{key!r}: history holds {sorted(self.epochs[0])}")
        return [e[key] for e in self.epochs]

    def __len__(self):
        return len(self.epochs)

    def __repr__(self):
        last = self.epochs[-1] if self.epochs else {}
        shown = ", ".join(f"{k}={v:.4g}" for k, v in last.items() if k != "epoch")
        end = (
            f", diverged at step {self.diverged_at}"
            if self.diverged_at is not None
            else ", stopped early"
            if self.stopped_early
            else ""
        )
        return f"History({len(self.epochs)} epochs{', last: ' + shown if shown else ''}{end})"


_FAST_ACTIVATIONS = {
    ReLU: "relu",
    LeakyReLU: "leaky_relu",
    Sigmoid: "sigmoid",
    Tanh: "tanh",
    Identity: "identity",
}


_PASS_THROUGH = (BatchNorm1d, Dropout)  # looked past when finding a layer's activation


def _slope_code(layer):
    """(activation code, alpha) of an element-wise activation layer, or None."""
    name = _FAST_ACTIVATIONS.get(type(layer))
    if name is None:
        return None
    return ACTIVATION_CODES[name], (layer.alpha if isinstance(layer, LeakyReLU) else 0.0)


def diagnostic_plan(model: Sequential) -> list[tuple]:
    """Per layer with weights (``param_layers`` order): (name, layer, offset and size of its
    weight in theta, the activation that follows it or None). The activation is the first
    element-wise one after the layer in the same list of layers (the model's or a Residual
    block's), looking past BatchNorm1d and Dropout; anything else (a Dense, a pool, the end
    of a block, a softmax) means none. Built once per model."""
    cached = getattr(model, "_diagnostic_plan", None)
    if cached is not None:
        return cached
    follows = {}

    def walk(layers):
        for i, layer in enumerate(layers):
            walk(layer.sublayers())
            act = None
            for nxt in layers[i + 1 :]:
                if _slope_code(nxt) is not None:
                    act = nxt
                    break
                if not isinstance(nxt, _PASS_THROUGH):
                    break
            follows[id(layer)] = act

    walk(model.layers)
    plan = []
    for path, layer in model.named_layers():
        key = layer.weight_key
        if key is None:
            continue
        off, size = model.offsets[(id(layer), key)], layer.params[key].size
        plan.append((f"{path}: {layer!r}", layer, off, size, follows[id(layer)]))
    model._diagnostic_plan = plan
    model._diagnostic_arrays = (
        np.array([e[2] for e in plan], dtype=np.int64),
        np.array([e[3] for e in plan], dtype=np.int64),
        np.array([e[0] for e in plan]),
    )
    return plan


def mean_activation_slope(act) -> float:
    """Mean |f'(z)| of an element-wise activation layer over the input of its last forward
    (NaN before any forward)."""
    z = getattr(act, "_x", None)
    code = _slope_code(act)
    if z is None or code is None:
        return math.nan
    z = z.copy_to_host() if hasattr(z, "copy_to_host") else z
    z = np.ascontiguousarray(z).reshape(-1)
    return float(mean_abs_slope(code[0], z, code[1], z.dtype == np.float64))


def layer_diagnostics(model: Sequential, optimizer: Optimizer | None = None, *, theta=None,
                      grad=None, delta=None) -> dict:  # fmt: skip
    """Per layer with weights (after a backward pass, before the step), a dict of arrays:

    - "layer": its path and repr ("3.0: Dense(32, 32)", as ``Sequential.named_layers``)
    - "grad_norm": |dW|; "weight_norm": |W| (the same numbers as ``Event.norms``)
    - "update_ratio": |dW_step| / |W|, the change the optimizer's next step makes to W over
      its norm (``optimizer.preview()``; NaN without an optimizer or where |W| = 0)
    - "act_slope": the mean |f'(z)| of the activation that follows the layer over the last
      batch (NaN where none follows; see ``diagnostic_plan``)

    W is a layer's ``weight_key`` parameter (a WeightNorm's v). ``theta``, ``grad`` and
    ``delta`` (the update) may be given as host copies (the GPU path does)."""
    plan = diagnostic_plan(model)
    offsets, sizes, names = model._diagnostic_arrays
    theta = model.theta if theta is None else theta
    grad = model.grad if grad is None else grad
    if delta is None and optimizer is not None:
        delta = optimizer.preview()[0].reshape(-1)
    out = np.empty((len(plan), 3))
    segment_norms(theta, grad, theta if delta is None else delta, offsets, sizes, out)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(out[:, 1] > 0, out[:, 2] / out[:, 1], np.nan)
    if delta is None:
        ratio[:] = np.nan
    slopes = {}
    for *_, act in plan:
        if act is not None and id(act) not in slopes:
            slopes[id(act)] = mean_activation_slope(act)
    return {
        "layer": names,
        "grad_norm": out[:, 0],
        "weight_norm": out[:, 1],
        "update_ratio": ratio,
        "act_slope": np.array([math.nan if a is None else slopes[id(a)] for *_, a in plan]),
    }


def compiled_layout(model: Sequential):
    """(layout, alphas) for the backend's ``DenseTrainer`` when ``model`` is Dense layers each
    followed by at most one element-wise activation; None otherwise (conv, pooling, dropout,
    softmax)."""
    rows, alphas = [], []
    layers = model.layers
    i = 0
    while i < len(layers):
        layer = layers[i]
        if type(layer) is not Dense:
            return None
        act = layers[i + 1] if i + 1 < len(layers) else None
        name = _FAST_ACTIVATIONS.get(type(act)) if act is not None else None
        if act is not None and name is None:
            return None
        i += 2 if name else 1
        name = name or "identity"
        w_off = model.offsets[(id(layer), "W")]
        b_off = model.offsets[(id(layer), "b")]
        rows.append((w_off, b_off, layer.in_features, layer.out_features, ACTIVATION_CODES[name]))
        alphas.append(act.alpha if isinstance(act, LeakyReLU) else 0.0)
    return np.array(rows, dtype=np.int64), np.array(alphas, dtype=np.float64)


def prepare_data(model: Sequential, loss: Loss, xname: str, yname: str, X, y):
    """(X, y) checked and cast for ``model`` and ``loss``: X in the model's dtype, y as
    integer labels (N,) for cross-entropy or float rows (N, k) otherwise."""
    X = as_float_array(xname, X, dtype=model.dtype)
    check_finite(xname, X)
    if isinstance(loss, CrossEntropyLoss):
        y = np.asarray(y)
        if y.dtype.kind not in "iu" or y.ndim != 1:
            raise TypeError(
                f"{yname} must be integer class labels (N,) for "
                f"CrossEntropyLoss, got dtype {y.dtype} shape {y.shape}"
            )
        y = y.astype(np.int64)
    else:
        y = as_float_array(yname, y, dtype=model.dtype)
        check_finite(yname, y)
        if y.ndim == 1:
            y = y[:, None]
    if len(X) != len(y):
        raise ValueError(f"{xname} has {len(X)} samples but {yname} has {len(y)}")
    if len(X) == 0:
        raise ValueError(f"{xname} is empty")
    return X, y


def compiled_plan(model: Sequential, loss: Loss, X: np.ndarray, y: np.ndarray):
    """(layout, alphas, loss kind, y as float rows) for the backend's ``DenseTrainer`` and
    ``grid_losses`` (``core/reference/mlp.py``), or None when the model or loss cannot run
    there. X, y as from ``prepare_data``."""
    if X.ndim != 2:
        return None
    plan = compiled_layout(model)
    if plan is None:
        return None
    codes = plan[0][:, 4]
    if isinstance(loss, MSELoss):
        kind = HALF_MSE if loss.half else MSE
    elif isinstance(loss, BCELoss) and codes[-1] == ACTIVATION_CODES["sigmoid"]:
        kind = BCE
    elif isinstance(loss, CrossEntropyLoss) and codes[-1] == ACTIVATION_CODES["identity"]:
        kind = CROSS_ENTROPY
    else:
        return None
    y = y.astype(model.dtype)[:, None] if kind == CROSS_ENTROPY else y
    return plan[0], plan[1], kind, np.ascontiguousarray(y)


class Trainer:
    """Runs epochs of mini-batch training; ``epoch()`` returns that epoch's Event.

    Each epoch visits the samples in a fresh permutation drawn from (seed, epoch), or with
    ``shuffle=False`` in their given order every epoch (as TensorFlow Playground does; the
    batches are then rows 0..batch_size-1, batch_size..2*batch_size-1, ...)."""

    def __init__(
        self,
        model: Sequential,
        X,
        y,
        loss: Loss,
        optimizer: Optimizer,
        batch_size: int = 32,
        seed: int = 0,
        validation=None,
        compiled: bool = True,
        clip_norm: float | None = None,
        clip_value: float | None = None,
        diagnostics: bool = False,
        shuffle: bool = True,
    ):
        if not isinstance(model, Sequential):
            raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
        if not isinstance(loss, Loss):
            raise TypeError(
                f"loss must be MSELoss(), BCELoss() or CrossEntropyLoss(), got {loss!r}"
            )
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"optimizer must be SGD, RMSprop, Adam or Adagrad, got {optimizer!r}")
        if optimizer.model is not model:
            raise ValueError("optimizer must be built on this model: SGD(model, lr=...)")
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.X, self.y = prepare_data(model, loss, "X", "y", X, y)
        self.batch_size = check_int("batch_size", batch_size, 1)
        self.seed = check_int("seed", seed, 0)
        self.validation = None
        if validation is not None:
            if not isinstance(validation, (tuple, list)) or len(validation) != 2:
                raise TypeError("validation must be a pair (X_val, y_val)")
            self.validation = prepare_data(model, loss, "validation X", "validation y", *validation)
        self.clip_norm = None if clip_norm is None else check_threshold("clip_norm", clip_norm)
        self.clip_value = None if clip_value is None else check_threshold("clip_value", clip_value)
        if not isinstance(diagnostics, bool):
            raise TypeError(f"diagnostics must be True or False, got {diagnostics!r}")
        self.diagnostics = diagnostics
        if not isinstance(shuffle, bool):
            raise TypeError(f"shuffle must be True or False, got {shuffle!r}")
        self.shuffle = shuffle
        # accuracy each epoch: classification losses, MSE against one column of -1/+1 labels
        self._accuracy = loss.has_accuracy(self.y)
        self._last_diagnostics = None
        self.epoch_index = 0
        self.step_index = 0
        self._plan = compiled_plan(model, loss, self.X, self.y) if compiled else None
        self._dense = None  # the backend's DenseTrainer, built at first use
        self._gpu_steps = None  # the GPU copy of everything for the layer-by-layer GPU path

    @property
    def compiled(self) -> bool:
        """True when epochs run in one call of the backend's ``DenseTrainer``."""
        return self._plan is not None

    def _clip(self) -> None:
        """Clip the model's gradients as asked (host arrays): norm first, then values."""
        if self.clip_norm is not None:
            clip_grad_norm(self.model, self.clip_norm)
        if self.clip_value is not None:
            clip_grad_value(self.model, self.clip_value)

    # one epoch ---------------------------------------------------------------------------
    def _order(self) -> np.ndarray:
        if not self.shuffle:
            return np.arange(len(self.X))
        return np.random.default_rng([self.seed, self.epoch_index]).permutation(len(self.X))

    def _lrs(self, n_steps: int) -> np.ndarray:
        opt = self.optimizer
        if isinstance(opt.schedule, ConstantLR):
            return np.full(n_steps, opt.lr)
        return np.array([opt.schedule(opt.lr, opt.t + i) for i in range(n_steps)], dtype=float)

    def _dense_trainer(self):
        """The backend's DenseTrainer on the model's parameters, the optimizer's state and the
        training data. It trains copies of them on a device backend, so training step by
        step (which moves the host arrays) drops it and the next compiled epoch builds a
        new one from the host arrays."""
        if self._dense is None:
            layout, alphas, kind, y = self._plan
            model, opt = self.model, self.optimizer
            if kind == CROSS_ENTROPY:  # the compiled engines read logits[label] unchecked
                check_class_labels(self.y, int(layout[-1, 3]))
            s1, s2 = opt.state[0]
            batch = min(self.batch_size, len(self.X))
            mask = opt.masks[0]
            self._dense = model.backend.DenseTrainer(
                model.theta, model.grad, layout, alphas, self.X, y, batch, kind, s1, s2, mask
            )
        return self._dense

    def _run_compiled(self, order):
        """The epoch in one call of the backend's DenseTrainer; returns (losses, the last
        step's norms, finished without divergence)."""
        opt = self.optimizer
        self._gpu_steps = None  # the layer-by-layer GPU path's copy, if any, is now stale
        opt.sync_frozen()  # trainable read now: a change between epochs takes effect
        n_steps = -(-len(order) // self.batch_size)
        losses, norms, done = self._dense_trainer().epoch(
            order,
            self._lrs(n_steps),
            opt.t,
            opt.kind,
            opt.hyper(),
            self.clip_norm or 0.0,
            self.clip_value or 0.0,
        )
        opt.t += min(done, n_steps)
        ok = done == n_steps
        return losses[: done + (0 if ok else 1)], norms, ok

    def _run_gpu_steps(self, order, step_norms):
        """Layer by layer on the GPU (models the fused dense epoch does not cover, such as
        CNNs): parameters, gradients, optimizer state and the dataset stay on the device;
        each step's loss (one float) comes back, norms at the epoch's end (or every step
        when a callback asks), the parameters once per epoch."""
        from ..core import cuda as gpu

        model, loss, opt = self.model, self.loss, self.optimizer
        labels = isinstance(loss, CrossEntropyLoss)
        if self._gpu_steps is None and labels:  # the GPU reads logits[label] unchecked
            classes = [
                layer.out_features for layer in model.layers if hasattr(layer, "out_features")
            ]
            if classes:
                check_class_labels(self.y, classes[-1])
        if self._gpu_steps is None:
            s1, s2 = opt.state[0]
            batch = min(self.batch_size, len(order))
            X2, y2 = self.X.reshape(len(self.X), -1), self.y.reshape(len(self.y), -1)
            rows = [
                (
                    model.offsets[(id(layer), layer.weight_key)],
                    0,
                    layer.params[layer.weight_key].size,
                    1,
                    0,
                )
                for _, layer in model.param_layers()
            ]
            self._gpu_steps = {
                "X": gpu.to_device(X2),
                "y": gpu.to_device(y2, dtype=np.int64 if labels else np.float32),
                "xb": gpu.to_device(np.zeros((batch, X2.shape[1]), np.float32)),
                "yb": gpu.to_device(
                    np.zeros((batch, y2.shape[1]), np.int64 if labels else np.float32)
                ),
                "theta": gpu.to_device(model.theta),
                "grad": gpu.to_device(model.grad),
                "s1": gpu.to_device(s1),
                "s2": gpu.to_device(s2),
                "mask": gpu.to_device(opt.masks[0], dtype=np.uint8),
                "rows": gpu.to_device(np.array(rows, dtype=np.int64).reshape(-1, 5), np.int64),
            }
        g = self._gpu_steps
        opt.sync_frozen()  # trainable read at each epoch; the host mask is current
        g["mask"].copy_to_device(opt.masks[0])
        order_d = gpu.to_device(order, dtype=np.int64)
        hyper = gpu.to_device(opt.hyper(), dtype=np.float64)
        n_steps = -(-len(order) // self.batch_size)
        lrs = self._lrs(n_steps)
        losses, last_norms, ok = [], None, True
        try:  # a stream closed mid-epoch (a Stop) still brings the optimizer state back
            with model.on_device(g["theta"], g["grad"]):
                for step in range(n_steps):
                    start = step * self.batch_size
                    bsz = min(self.batch_size, len(order) - start)
                    xb = gpu.gather(g["X"], order_d, start, g["xb"][:bsz])
                    yb = gpu.gather(g["y"], order_d, start, g["yb"][:bsz])
                    target = yb[:, 0] if labels else yb.reshape((bsz, *self.y.shape[1:]))
                    batch = xb.reshape((bsz, *self.X.shape[1:]))
                    value = loss.forward(model.forward(batch), target)
                    losses.append(value)
                    if not math.isfinite(value):
                        ok = False
                        break
                    model.backward(loss.backward(), input_grad=False)
                    if self.clip_norm is not None:
                        gpu.clip_norm(g["grad"], self.clip_norm)
                    if self.clip_value is not None:
                        gpu.clip_value(g["grad"], self.clip_value)
                    diag = None
                    if self.diagnostics:  # host copies: the same code as the cpu path
                        theta_h, grad_h = g["theta"].copy_to_host(), g["grad"].copy_to_host()
                        delta = update_preview(
                            opt.backend, opt.kind, opt.hyper(), theta_h, grad_h,
                            g["s1"].copy_to_host(), g["s2"].copy_to_host(), lrs[step],
                            opt.t + 1, g["mask"].copy_to_host(),
                        )  # fmt: skip
                        diag = layer_diagnostics(model, theta=theta_h, grad=grad_h, delta=delta)
                        self._last_diagnostics = diag
                    if step_norms or step == n_steps - 1:
                        squares = gpu.weight_norms(g["theta"], g["grad"], g["rows"])
                        last_norms = np.sqrt(squares.copy_to_host().astype(np.float64))
                    index = self.step_index + len(losses) - 1
                    yield Event(
                        "step", self.epoch_index, index, value, norms=last_norms, diagnostics=diag
                    )
                    opt.t += 1
                    opt.backend.apply_update(
                        opt.kind, g["theta"], g["grad"], g["s1"], g["s2"], g["mask"], hyper,
                        lrs[step], opt.t,
                    )  # fmt: skip
        finally:
            for dev, host in zip((g["s1"], g["s2"], g["mask"]), (*opt.state[0], opt.masks[0])):
                host[...] = dev.copy_to_host()
        return np.array(losses), last_norms, ok

    def _run_steps(self, order, step_norms):
        """The epoch step by step, yielding a "step" event after each step's backward pass
        (before the update); returns (losses, last norms, finished without divergence)."""
        self._dense = None  # its copy of the parameters (on a device backend) goes stale
        if self.model.backend.name == "cuda":
            return (yield from self._run_gpu_steps(order, step_norms))
        model, loss, opt = self.model, self.loss, self.optimizer
        losses, last_norms = [], None
        for start in range(0, len(order), self.batch_size):
            idx = order[start : start + self.batch_size]
            value = loss.forward(model.forward(self.X[idx]), self.y[idx])
            losses.append(value)
            if not math.isfinite(value):
                return np.array(losses), last_norms, False
            model.backward(loss.backward(), input_grad=False)
            self._clip()
            diag = None
            if self.diagnostics:
                diag = self._last_diagnostics = layer_diagnostics(model, opt)
                last_norms = np.stack([diag["grad_norm"], diag["weight_norm"]], axis=1)
            else:
                last_norms = model.norms()
            yield Event(
                "step",
                self.epoch_index,
                self.step_index + len(losses) - 1,
                value,
                norms=last_norms,
                diagnostics=diag,
            )
            opt.step()
        return np.array(losses), last_norms, True

    def predict(self, X) -> np.ndarray:
        """The model's output in evaluation mode, by the backend's DenseTrainer when the
        epochs run there."""
        if self._plan is None:
            return self.model.predict(X)
        return self._dense_trainer().predict(X)

    def evaluate(self, X, y) -> dict:
        """Loss (and accuracy where the loss has one for these targets: classification, or
        MSE against -1/+1 labels) of the current model on (X, y)."""
        X, y = prepare_data(self.model, self.loss, "X", "y", X, y)
        pred = self.predict(X)
        out = {"loss": float(self.loss.forward(pred, y))}
        acc = self.loss.accuracy(pred, y)
        if acc is not None:
            out["accuracy"] = acc
        return out

    def epoch(self, on_step=None) -> Event:
        """Train one epoch; returns an Event of kind "epoch" (or "diverged").
        ``on_step(event)`` is called after every step (and forces the step-by-step path)."""
        for event in self.epoch_events(steps=on_step is not None):
            if event.kind == "step":
                if on_step is not None:
                    on_step(event)
            else:
                return event
        raise AssertionError("an epoch always ends with an epoch or diverged event")

    def events(self, epochs: int, steps: bool = False):
        """``epochs`` epochs as one stream of events (see ``epoch_events``); it ends after a
        "diverged" event. A bad ``epochs`` is an error here, not at the first event."""
        epochs = check_int("epochs", epochs, 1)

        def stream():
            for _ in range(epochs):
                for event in self.epoch_events(steps):
                    yield event
                    if event.kind == "diverged":
                        return

        return stream()

    def epoch_events(self, steps: bool = False):
        """One epoch as a stream of events, for a live panel that trains in small chunks: a
        "step" event after each step when the epoch runs step by step (always for models
        the compiled epoch does not cover, and with diagnostics on; with ``steps=True`` for
        every model, with the layer norms of every step), then one "epoch" (or "diverged")
        event. With ``diagnostics`` every step event carries ``Event.diagnostics`` and the
        epoch event its last step's."""
        order = self._order()
        n_steps = -(-len(order) // self.batch_size)  # the batch sizes, the last may be short
        sizes = np.full(n_steps, self.batch_size, dtype=np.int64)
        sizes[-1] = len(order) - self.batch_size * (n_steps - 1)
        self._last_diagnostics = None
        if self.compiled and not steps and not self.diagnostics:
            losses, last_norms, ok = self._run_compiled(order)
        else:
            losses, last_norms, ok = yield from self._run_steps(order, steps)
        first_step = self.step_index
        self.step_index += len(losses) if ok else len(losses) - 1
        self.epoch_index += 1
        if not ok:
            step = first_step + len(losses) - 1
            yield Event(
                "diverged",
                self.epoch_index,
                step,
                float(losses[-1]),
                {},
                last_norms,
                step_losses=losses,
                diagnostics=self._last_diagnostics,
                message=f"diverged at step {step}: the loss became {losses[-1]}. The learning "
                "rate is probably too large for this problem.",
            )
            return
        # np.average(losses, weights=sizes), without its argument handling (one-step epochs)
        mean = np.multiply(losses, sizes, dtype=np.float64).sum() / sizes.sum(dtype=np.float64)
        metrics = {"loss": float(mean)}
        if self._accuracy:  # the training data, prepared already; no loss needed here
            metrics["accuracy"] = self.loss.accuracy(self.predict(self.X), self.y)
        if self.validation is not None:
            metrics.update({f"val_{k}": v for k, v in self.evaluate(*self.validation).items()})
        yield Event(
            "epoch",
            self.epoch_index,
            self.step_index - 1,
            metrics["loss"],
            metrics,
            last_norms,
            step_losses=losses,
            diagnostics=self._last_diagnostics,
        )


def fit(
    model: Sequential,
    X,
    y,
    loss: Loss,
    optimizer: Optimizer,
    epochs: int = 10,
    batch_size: int = 32,
    seed: int = 0,
    validation=None,
    callbacks=(),
    clip_norm: float | None = None,
    clip_value: float | None = None,
    diagnostics: bool = False,
    shuffle: bool = True,
) -> History:
    """Train ``model`` and return its History. Same seed, same numbers, bit for bit.

    clip_norm / clip_value: clip the gradients after every backward pass, before the
    optimizer's step (``nn.clip_grad_norm``, then ``nn.clip_grad_value``); None for none.
    diagnostics: every step's event carries ``Event.diagnostics`` (``layer_diagnostics``:
    |dW|, |W|, the update ratio and the mean |f'(z)| per layer with weights), the epoch
    events their last step's, kept in ``history.diagnostics``; training runs step by step.
    shuffle: each epoch in a fresh seeded permutation (the default), or with False in the
    samples' given order every epoch (TensorFlow Playground's way).

    callbacks: Callback objects (``on_step``, ``on_epoch``, ``on_end``; ``EarlyStopping``) or
    plain functions that receive every Event. A loss that turns NaN or inf ends training with
    ``history.diverged_at`` set and a "diverged" event, never an exception.
    """
    epochs = check_int("epochs", epochs, 1)
    cbs = [cb if isinstance(cb, Callback) else _FunctionCallback(cb) for cb in callbacks]
    for cb in cbs:
        if isinstance(cb, _FunctionCallback) and not callable(cb.fn):
            raise TypeError(f"callbacks must be Callback objects or functions, got {cb.fn!r}")
    trainer = Trainer(
        model,
        X,
        y,
        loss,
        optimizer,
        batch_size,
        seed,
        validation,
        clip_norm=clip_norm,
        clip_value=clip_value,
        diagnostics=diagnostics,
        shuffle=shuffle,
    )
    step_cbs = [cb for cb in cbs if cb.wants_steps]

    def on_step(event):
        for cb in step_cbs:
            cb.on_step(event)

    history = History()
    for _ in range(epochs):
        event = trainer.epoch(on_step if step_cbs else None)
        history.step_loss.extend(np.asarray(event.step_losses, dtype=float).tolist())
        if event.kind == "diverged":
            history.diverged_at = event.step
            for cb in cbs:
                cb.on_epoch(event)
            break
        history.epochs.append({"epoch": event.epoch, **event.metrics})
        history.norms.append(event.norms)
        history.diagnostics.append(event.diagnostics)
        stop = [cb.on_epoch(event) for cb in cbs]
        if any(stop):
            history.stopped_early = True
            break
    for cb in cbs:
        cb.on_end(history)
    return history
