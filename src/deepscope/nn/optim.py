"""Optimizers with PyTorch's update rules and defaults, and learning-rate schedules.

An optimizer drives either a model (``SGD(model, lr=0.1)``, then ``step()`` after
``backward``) or plain parameter arrays (``Adam([xy], lr=0.1)``, then ``step([grad])``): the
descent panel moves a 2-D point with exactly the Adam that trains the networks. Every rule
is one function, ``apply_update`` of the model's backend (``core/reference/optim.py`` is its
specification); plain arrays are updated by the cpu backend's.
"""

from __future__ import annotations

import math

import numpy as np

from ..core import get_backend
from ..core.reference import optim as rules


def _positive(name, value, allow_zero=False, below_one=False):
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    ok = ok and (not below_one or value < 1)
    if not ok:
        rng = "[0, 1)" if below_one else (">= 0" if allow_zero else "> 0")
        raise ValueError(f"{name} must be a finite number {rng}, got {value!r}")
    return float(value)


def update_preview(backend, kind, hyper, theta, grad, s1, s2, lr, t, mask=None) -> np.ndarray:
    """theta' - theta for one update of rule ``kind`` at step t (1-based) by ``backend``'s
    ``apply_update``, on copies: theta, s1, s2 and ``mask`` (which entries are penalised;
    None: all of them) are left as they are."""
    p = np.array(theta, copy=True).reshape(-1)
    if mask is None:
        mask = np.full(p.size, rules.PENALIZED, dtype=np.uint8)
    backend.apply_update(
        kind,
        p,
        np.ascontiguousarray(grad, dtype=p.dtype).reshape(-1),
        np.array(s1, copy=True).reshape(-1),
        np.array(s2, copy=True).reshape(-1),
        np.array(mask, dtype=np.uint8, copy=True).reshape(-1),
        hyper,
        lr,
        t,
    )
    p -= np.asarray(theta).reshape(-1)
    return p


# learning-rate schedules: lr_t as a function of the base lr and the step count t (0-based) --
class ConstantLR:
    """The same learning rate at every step."""

    def __call__(self, lr: float, t: int) -> float:
        return lr

    def __repr__(self):
        return "ConstantLR()"


class StepLR:
    """Multiply the rate by ``gamma`` every ``step_size`` steps."""

    def __init__(self, step_size: int, gamma: float = 0.1):
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"step_size must be an integer >= 1, got {step_size!r}")
        self.step_size, self.gamma = step_size, _positive("gamma", gamma)

    def __call__(self, lr, t):
        return lr * self.gamma ** (t // self.step_size)

    def __repr__(self):
        return f"StepLR(step_size={self.step_size}, gamma={self.gamma})"


class ExponentialLR:
    """lr * gamma**t: a smooth decay."""

    def __init__(self, gamma: float):
        self.gamma = _positive("gamma", gamma)

    def __call__(self, lr, t):
        return lr * self.gamma**t

    def __repr__(self):
        return f"ExponentialLR(gamma={self.gamma})"


class InverseTimeLR:
    """lr / (1 + decay * t): the 1/t decay of classic stochastic approximation."""

    def __init__(self, decay: float):
        self.decay = _positive("decay", decay, allow_zero=True)

    def __call__(self, lr, t):
        return lr / (1.0 + self.decay * t)

    def __repr__(self):
        return f"InverseTimeLR(decay={self.decay})"


PENALIZE = ("weights", "all")


def penalty_mask(model, penalize: str) -> np.ndarray:
    """The ``mask`` of ``apply_update`` (``core.reference.optim``) for ``model.theta``:
    PENALIZED over each layer's weight (its ``weight_key`` parameter: a Dense or Conv2D W, a
    WeightNorm's v, a BatchNorm1d's scale W) with ``penalize="weights"``, over every
    parameter with "all"; FREE elsewhere (the biases b, a WeightNorm's g)."""
    if penalize == "all":
        return np.full(model.theta.size, rules.PENALIZED, dtype=np.uint8)
    mask = np.full(model.theta.size, rules.FREE, dtype=np.uint8)
    for layer in model.all_layers():
        key = layer.weight_key
        if key is not None:
            off = model.offsets[(id(layer), key)]
            mask[off : off + layer.params[key].size] = rules.PENALIZED
    return mask


class Optimizer:
    """Base of the optimizers. The penalties: ``weight_decay`` adds weight_decay * p to the
    gradient (L2), ``l1`` adds l1 * sign(p) (L1), both derivatives taken at p before the
    step (PyTorch's coupled weight decay). For plain SGD that is TensorFlow Playground's
    rule, p - lr * g - lr * rate * der(p) with der(p) = p (L2) or sign(p) (L1); for its L1
    exactly, zero crossings included, see ``SGD(l1_prune=True)``.

    ``penalize`` says what the penalties apply to: "weights" (the default: each layer's
    weight, the W of ``Event.norms``, never a bias, as the Playground and most textbooks
    do; see ``penalty_mask``) or "all" (every parameter, as PyTorch's weight_decay). An
    optimizer on plain arrays penalises every entry either way. ``masks`` holds, per
    parameter array, which entries are penalised (``core.reference.optim`` codes).

    Frozen layers (``layer.trainable = False``) are read from the model at every ``step``
    (and by the Trainer at every compiled epoch): their entries carry the FROZEN bit in
    ``masks[0]`` and no rule moves them, penalties included; their optimizer state is left
    as it was (an unfrozen layer resumes from it)."""

    kind = -1

    def __init__(
        self,
        params,
        lr: float,
        weight_decay: float = 0.0,
        l1: float = 0.0,
        schedule=None,
        penalize: str = "weights",
    ):
        self.lr = _positive("lr", lr)
        self.weight_decay = _positive("weight_decay", weight_decay, allow_zero=True)
        self.l1 = _positive("l1", l1, allow_zero=True)
        if not isinstance(penalize, str) or penalize not in PENALIZE:
            raise ValueError(
                f"penalize must be one of {', '.join(map(repr, PENALIZE))}; got {penalize!r}"
            )
        self.penalize = penalize
        if schedule is not None and not callable(schedule):
            raise TypeError(
                f"schedule must be a schedule such as StepLR(100, 0.5), got {schedule!r}"
            )
        self.schedule = schedule or ConstantLR()
        if hasattr(params, "theta") and hasattr(params, "grad"):
            self.model = params
            self.params = [params.theta]
            self.backend = params.backend
        else:
            self.model = None
            self.params = self._check_arrays(params)
            self.backend = get_backend("cpu")  # host arrays: the compiled rule
        self.t = 0
        self.state = [(np.zeros_like(p), np.zeros_like(p)) for p in self.params]
        # per parameter array, which entries the penalties touch (core.reference.optim codes)
        if self.model is not None:
            self.masks = [penalty_mask(self.model, penalize)]
        else:
            self.masks = [np.full(p.size, rules.PENALIZED, dtype=np.uint8) for p in self.params]
        self._had_frozen = False

    def sync_frozen(self) -> bool:
        """Mark the entries of the model's frozen layers (``trainable`` False now) with the
        FROZEN bit of ``masks[0]`` and clear it everywhere else; True when any is frozen.
        ``step``, ``preview`` and the Trainer call it, so a change of ``trainable`` between
        steps or fits takes effect. Nothing to do for an optimizer on plain arrays."""
        if self.model is None:
            return False
        mask = self.masks[0]
        ranges = self.model.frozen_ranges()
        if ranges or self._had_frozen:
            np.bitwise_and(mask, rules.CODE_BITS, out=mask)
            for off, n in ranges:
                mask[off : off + n] |= rules.FROZEN
        self._had_frozen = bool(ranges)
        return self._had_frozen

    @property
    def frozen(self) -> list[np.ndarray]:
        """Per parameter array, a boolean array of the entries frozen at the last step."""
        return [(m >= rules.FROZEN).reshape(p.shape) for m, p in zip(self.masks, self.params)]

    @property
    def pruned(self) -> list[np.ndarray]:
        """Per parameter array (one, over ``theta``, for a model), a boolean array of the
        entries an L1 step pruned (``SGD(l1_prune=True)``): zero, and never updated again by
        this optimizer (a new one starts with none pruned)."""
        return [
            ((m & rules.CODE_BITS) == rules.PRUNED).reshape(p.shape)
            for m, p in zip(self.masks, self.params)
        ]

    @staticmethod
    def _check_arrays(params) -> list[np.ndarray]:
        if isinstance(params, np.ndarray):
            params = [params]
        params = list(params)
        for i, p in enumerate(params):
            if not isinstance(p, np.ndarray) or p.dtype not in (np.float32, np.float64):
                raise TypeError(
                    f"params[{i}] must be a float32/float64 numpy array, "
                    f"got {type(p).__name__} {getattr(p, 'dtype', '')}"
                )
            if not p.flags.c_contiguous or not p.flags.writeable:
                raise ValueError(
                    f"params[{i}] must be a writeable C-contiguous array (it is updated in place)"
                )
        if not params:
            raise ValueError("params is empty: nothing to optimize")
        return params

    def hyper(self) -> np.ndarray:
        raise NotImplementedError

    def current_lr(self) -> float:
        """The learning rate the next step will use."""
        return float(self.schedule(self.lr, self.t))

    def _grads(self, grads, what: str) -> list:
        """The gradients a ``step`` or ``preview`` works with: the model's (from
        ``backward``) when none are given, one array per parameter array."""
        if grads is None:
            if self.model is None:
                raise ValueError(f"{what}() needs grads=[...] when the optimizer drives arrays")
            return [self.model.grad]
        if isinstance(grads, np.ndarray):
            grads = [grads]
        if len(grads) != len(self.params):
            raise ValueError(f"grads must hold {len(self.params)} arrays, got {len(grads)}")
        return grads

    def step(self, grads=None) -> None:
        """One update. Without ``grads`` the model's gradients (from ``backward``) are used."""
        grads = self._grads(grads, "step")
        self.sync_frozen()
        lr = self.current_lr()
        self.t += 1
        hyper = self.hyper()
        for i, (p, g, (s1, s2), mask) in enumerate(zip(self.params, grads, self.state, self.masks)):
            g = np.ascontiguousarray(g, dtype=p.dtype)
            if g.shape != p.shape:
                raise ValueError(f"grads[{i}] has shape {g.shape}, its parameter {p.shape}")
            self.backend.apply_update(
                self.kind,
                p.reshape(-1),
                g.reshape(-1),
                s1.reshape(-1),
                s2.reshape(-1),
                mask,
                hyper,
                lr,
                self.t,
            )

    def preview(self, grads=None) -> list[np.ndarray]:
        """The change the next ``step(grads)`` would make to each parameter array, without
        making it (the same rule on copies of the parameters and the state): what
        the per-layer update ratios |dW| / |W| of the training events are made of."""
        grads = self._grads(grads, "preview")
        self.sync_frozen()
        hyper, lr, t = self.hyper(), self.current_lr(), self.t + 1
        out = []
        for p, g, (s1, s2), mask in zip(self.params, grads, self.state, self.masks):
            g = np.ascontiguousarray(g, dtype=p.dtype).reshape(-1)
            flat = p.reshape(-1)
            delta = update_preview(self.backend, self.kind, hyper, flat, g, s1, s2, lr, t, mask)
            out.append(delta.reshape(p.shape))
        return out

    def zero_grad(self) -> None:
        if self.model is not None:
            self.model.grad[...] = 0

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr}, schedule={self.schedule!r})"


class SGD(Optimizer):
    """p -= lr * g; with momentum buf = momentum * buf + g, and Nesterov g + momentum * buf.

    l1_prune=True (needs l1 > 0 and no momentum) takes the L1 term as TensorFlow Playground
    does: a step of its own after the gradient step, and a weight it would carry across zero
    is set to zero and pruned, never updated again (the Playground's dead link; see
    ``pruned``). Without it L1 is the subgradient l1 * sign(p) added to the gradient."""

    kind = rules.SGD

    def __init__(
        self,
        params,
        lr=0.01,
        momentum=0.0,
        nesterov=False,
        weight_decay=0.0,
        l1=0.0,
        schedule=None,
        penalize="weights",
        l1_prune=False,
    ):
        super().__init__(params, lr, weight_decay, l1, schedule, penalize)
        self.momentum = _positive("momentum", momentum, allow_zero=True, below_one=True)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)
        if not isinstance(l1_prune, bool):
            raise TypeError(f"l1_prune must be True or False, got {l1_prune!r}")
        if l1_prune and (self.l1 == 0 or self.momentum != 0):
            raise ValueError(
                "l1_prune=True needs l1 > 0 and momentum=0 (the Playground's plain SGD); "
                f"got l1={self.l1}, momentum={self.momentum}"
            )
        self.l1_prune = l1_prune

    def hyper(self):
        return np.array(
            [
                self.momentum,
                float(self.nesterov),
                0.0,
                self.weight_decay,
                self.l1,
                float(self.l1_prune),
            ]
        )


class RMSprop(Optimizer):
    """v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps)."""

    kind = rules.RMSPROP

    def __init__(
        self,
        params,
        lr=0.01,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0.0,
        l1=0.0,
        schedule=None,
        penalize="weights",
    ):
        super().__init__(params, lr, weight_decay, l1, schedule, penalize)
        self.alpha = _positive("alpha", alpha, allow_zero=True, below_one=True)
        self.eps = _positive("eps", eps)

    def hyper(self):
        return np.array([self.alpha, 0.0, self.eps, self.weight_decay, self.l1, 0.0])


class Adam(Optimizer):
    """Bias-corrected moment estimates m, v; p -= lr m_hat / (sqrt(v_hat) + eps)."""

    kind = rules.ADAM

    def __init__(
        self,
        params,
        lr=0.001,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        l1=0.0,
        schedule=None,
        penalize="weights",
    ):
        super().__init__(params, lr, weight_decay, l1, schedule, penalize)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(
            _positive(f"betas[{i}]", b, allow_zero=True, below_one=True)
            for i, b in enumerate(betas)
        )
        self.eps = _positive("eps", eps)

    def hyper(self):
        return np.array([self.betas[0], self.betas[1], self.eps, self.weight_decay, self.l1, 0.0])


class Adagrad(Optimizer):
    """s += g^2; p -= lr g / (sqrt(s) + eps): each coordinate's rate shrinks with its history."""

    kind = rules.ADAGRAD

    def __init__(
        self,
        params,
        lr=0.01,
        eps=1e-10,
        weight_decay=0.0,
        l1=0.0,
        schedule=None,
        penalize="weights",
    ):
        super().__init__(params, lr, weight_decay, l1, schedule, penalize)
        self.eps = _positive("eps", eps)

    def hyper(self):
        return np.array([0.0, 0.0, self.eps, self.weight_decay, self.l1, 0.0])
