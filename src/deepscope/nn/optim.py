"""Optimizers with PyTorch's update rules and defaults, and learning-rate schedules.

An optimizer drives either a model (``SGD(model, lr=0.1)``, then ``step()`` after
``backward``) or plain parameter arrays (``Adam([xy], lr=0.1)``, then ``step([grad])``): the
descent panel moves a 2-D point with exactly the Adam that trains the networks.
"""

from __future__ import annotations

import math

import numpy as np

from ..core.cpu import optim as kernels


def _positive(name, value, allow_zero=False, below_one=False):
    ok = isinstance(value, (int, float, np.floating)) and not isinstance(value, bool)
    ok = ok and math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    ok = ok and (not below_one or value < 1)
    if not ok:
        rng = "[0, 1)" if below_one else (">= 0" if allow_zero else "> 0")
        raise ValueError(f"{name} must be a finite number {rng}, got {value!r}")
    return float(value)


def update_preview(kind, hyper, theta, grad, s1, s2, lr, t) -> np.ndarray:
    """theta' - theta for one update of rule ``kind`` at step t (1-based), on copies: theta,
    s1 and s2 are left as they are."""
    p = np.array(theta, copy=True).reshape(-1)
    kernels.apply_update(
        kind,
        p,
        np.ascontiguousarray(grad, dtype=p.dtype).reshape(-1),
        np.array(s1, copy=True).reshape(-1),
        np.array(s2, copy=True).reshape(-1),
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


class Optimizer:
    kind = -1

    def __init__(
        self, params, lr: float, weight_decay: float = 0.0, l1: float = 0.0, schedule=None
    ):
        self.lr = _positive("lr", lr)
        self.weight_decay = _positive("weight_decay", weight_decay, allow_zero=True)
        self.l1 = _positive("l1", l1, allow_zero=True)
        if schedule is not None and not callable(schedule):
            raise TypeError(
                f"schedule must be a schedule such as StepLR(100, 0.5), got {schedule!r}"
            )
        self.schedule = schedule or ConstantLR()
        if hasattr(params, "theta") and hasattr(params, "grad"):
            self.model = params
            self.params = [params.theta]
        else:
            self.model = None
            self.params = self._check_arrays(params)
        self.t = 0
        self.state = [(np.zeros_like(p), np.zeros_like(p)) for p in self.params]

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

    def step(self, grads=None) -> None:
        """One update. Without ``grads`` the model's gradients (from ``backward``) are used."""
        if grads is None:
            if self.model is None:
                raise ValueError("step() needs grads=[...] when the optimizer drives arrays")
            grads = [self.model.grad]
        elif isinstance(grads, np.ndarray):
            grads = [grads]
        if len(grads) != len(self.params):
            raise ValueError(f"grads must hold {len(self.params)} arrays, got {len(grads)}")
        lr = self.current_lr()
        self.t += 1
        hyper = self.hyper()
        for i, (p, g, (s1, s2)) in enumerate(zip(self.params, grads, self.state)):
            g = np.ascontiguousarray(g, dtype=p.dtype)
            if g.shape != p.shape:
                raise ValueError(f"grads[{i}] has shape {g.shape}, its parameter {p.shape}")
            kernels.apply_update(
                self.kind,
                p.reshape(-1),
                g.reshape(-1),
                s1.reshape(-1),
                s2.reshape(-1),
                hyper,
                lr,
                self.t,
            )

    def preview(self, grads=None) -> list[np.ndarray]:
        """The change the next ``step(grads)`` would make to each parameter array, without
        making it (the same compiled rule on copies of the parameters and the state): what
        the per-layer update ratios |dW| / |W| of the training events are made of."""
        if grads is None:
            if self.model is None:
                raise ValueError("preview() needs grads=[...] when the optimizer drives arrays")
            grads = [self.model.grad]
        elif isinstance(grads, np.ndarray):
            grads = [grads]
        if len(grads) != len(self.params):
            raise ValueError(f"grads must hold {len(self.params)} arrays, got {len(grads)}")
        hyper, lr, t = self.hyper(), self.current_lr(), self.t + 1
        out = []
        for p, g, (s1, s2) in zip(self.params, grads, self.state):
            g = np.ascontiguousarray(g, dtype=p.dtype).reshape(-1)
            out.append(update_preview(self.kind, hyper, p.reshape(-1), g, s1, s2, lr, t))
            out[-1] = out[-1].reshape(p.shape)
        return out

    def zero_grad(self) -> None:
        if self.model is not None:
            self.model.grad[...] = 0

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr}, schedule={self.schedule!r})"


class SGD(Optimizer):
    """p -= lr * g; with momentum buf = momentum * buf + g, and Nesterov g + momentum * buf."""

    kind = kernels.SGD

    def __init__(
        self, params, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0, l1=0.0, schedule=None
    ):
        super().__init__(params, lr, weight_decay, l1, schedule)
        self.momentum = _positive("momentum", momentum, allow_zero=True, below_one=True)
        if nesterov and self.momentum == 0:
            raise ValueError("nesterov=True needs momentum > 0")
        self.nesterov = bool(nesterov)

    def hyper(self):
        return np.array([self.momentum, float(self.nesterov), 0.0, self.weight_decay, self.l1])


class RMSprop(Optimizer):
    """v = alpha v + (1 - alpha) g^2; p -= lr g / (sqrt(v) + eps)."""

    kind = kernels.RMSPROP

    def __init__(
        self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, l1=0.0, schedule=None
    ):
        super().__init__(params, lr, weight_decay, l1, schedule)
        self.alpha = _positive("alpha", alpha, allow_zero=True, below_one=True)
        self.eps = _positive("eps", eps)

    def hyper(self):
        return np.array([self.alpha, 0.0, self.eps, self.weight_decay, self.l1])


class Adam(Optimizer):
    """Bias-corrected moment estimates m, v; p -= lr m_hat / (sqrt(v_hat) + eps)."""

    kind = kernels.ADAM

    def __init__(
        self,
        params,
        lr=0.001,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0.0,
        l1=0.0,
        schedule=None,
    ):
        super().__init__(params, lr, weight_decay, l1, schedule)
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}")
        self.betas = tuple(
            _positive(f"betas[{i}]", b, allow_zero=True, below_one=True)
            for i, b in enumerate(betas)
        )
        self.eps = _positive("eps", eps)

    def hyper(self):
        return np.array([self.betas[0], self.betas[1], self.eps, self.weight_decay, self.l1])


class Adagrad(Optimizer):
    """s += g^2; p -= lr g / (sqrt(s) + eps): each coordinate's rate shrinks with its history."""

    kind = kernels.ADAGRAD

    def __init__(self, params, lr=0.01, eps=1e-10, weight_decay=0.0, l1=0.0, schedule=None):
        super().__init__(params, lr, weight_decay, l1, schedule)
        self.eps = _positive("eps", eps)

    def hyper(self):
        return np.array([0.0, 0.0, self.eps, self.weight_decay, self.l1])
