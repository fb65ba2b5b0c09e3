"""Loss objects: ``forward(pred, target) -> float`` remembers its inputs, ``backward()``
returns d loss / d pred. Reduced like PyTorch's defaults (mean)."""

from __future__ import annotations

import numpy as np

from ..core import get_backend
from ..core.checks import as_float_array, is_device_array


class Loss:
    name = ""
    classification = False

    def __init__(self, backend="auto"):
        self.backend = get_backend(backend)
        self._saved = None

    def _prepare(self, pred, target):
        if is_device_array(pred):  # on the GPU: the kernels check shapes, values stay there
            return pred, target
        pred = as_float_array("pred", pred)
        target = as_float_array("target", target, dtype=pred.dtype)
        if pred.shape != target.shape:
            raise ValueError(
                f"pred and target must have the same shape, got {pred.shape} and {target.shape}"
            )
        return pred, target

    def forward(self, pred, target) -> float:
        pred, target = self._prepare(pred, target)
        self._saved = (pred, target)
        return getattr(self.backend, f"{self.name}_forward")(pred, target)

    __call__ = forward

    def backward(self) -> np.ndarray:
        if self._saved is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return getattr(self.backend, f"{self.name}_backward")(*self._saved)

    def has_accuracy(self, target) -> bool:
        """Whether ``accuracy`` means something for these targets (and the training events
        report one): for the classification losses always."""
        return self.classification

    def accuracy(self, pred, target) -> float | None:
        """Fraction classified right (None for regression losses)."""
        return None

    def __repr__(self):
        return f"{type(self).__name__}()"


def sign_labels(target) -> bool:
    """True when ``target`` is one column of -1/+1 labels ((N,) or (N, 1), host array)."""
    if is_device_array(target):
        return False
    t = np.asarray(target)
    if t.ndim not in (1, 2) or (t.ndim == 2 and t.shape[1] != 1) or t.size == 0:
        return False
    return bool(np.all((t == 1) | (t == -1)))


class MSELoss(Loss):
    """Mean squared error over every element: mean((pred - target)^2), over the samples and
    the outputs alike.

    half=True halves it: 0.5 * mean((pred - target)^2), whose gradient is
    (pred - target) / size. With one output that is TensorFlow Playground's loss, the mean
    over the batch of 0.5 * (output - target)^2 (with k outputs the mean runs over the k
    columns too, so it is 1/k of the per-sample sum).

    With one output and targets all -1 or +1 (a tanh output against -1/+1 labels, as in the
    Playground) ``accuracy`` is the fraction with sign(pred) == target, and training events
    report it; for any other targets it is None (a regression)."""

    name = "mse"

    def __init__(self, backend="auto", half: bool = False):
        super().__init__(backend)
        if not isinstance(half, bool):
            raise TypeError(f"half must be True or False, got {half!r}")
        self.half = half

    def forward(self, pred, target) -> float:
        value = super().forward(pred, target)
        return 0.5 * value if self.half else value  # halving is exact in binary floats

    __call__ = forward

    def backward(self):
        grad = super().backward()
        if not self.half:
            return grad
        if is_device_array(grad):  # the GPU step path: stays there
            from ..core.cuda import scale

            return scale(grad, 0.5)
        return grad * grad.dtype.type(0.5)

    def has_accuracy(self, target) -> bool:
        return sign_labels(target)

    def accuracy(self, pred, target):
        if not sign_labels(target):
            return None
        p, t = np.asarray(pred).reshape(-1), np.asarray(target).reshape(-1)
        if p.size != t.size:
            return None
        return float(np.mean(np.sign(p) == t))

    def __repr__(self):
        return "MSELoss(half=True)" if self.half else "MSELoss()"


class BCELoss(Loss):
    """Binary cross-entropy on probabilities (the output of a Sigmoid), targets in [0, 1]."""

    name = "bce"
    classification = True

    def _prepare(self, pred, target):
        pred, target = super()._prepare(pred, target)
        if is_device_array(pred):
            return pred, target
        if pred.size and (pred.min() < 0 or pred.max() > 1):
            raise ValueError(
                f"BCELoss needs probabilities in [0, 1] (put a Sigmoid last); "
                f"pred spans {pred.min():.3g}..{pred.max():.3g}"
            )
        return pred, target

    def accuracy(self, pred, target):
        return float(np.mean((np.asarray(pred) > 0.5) == (np.asarray(target) > 0.5)))


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy from logits (N, classes) and integer labels (N,), batch mean."""

    name = "cross_entropy"
    classification = True

    def _prepare(self, pred, target):
        if is_device_array(pred):
            return pred, target
        pred = as_float_array("logits", pred, ndim=2)
        return pred, np.asarray(target)

    def accuracy(self, pred, target):
        return float(np.mean(np.argmax(pred, axis=1) == np.asarray(target)))
