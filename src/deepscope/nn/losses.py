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

    def accuracy(self, pred, target) -> float | None:
        """Fraction classified right (None for regression losses)."""
        return None

    def __repr__(self):
        return f"{type(self).__name__}()"


class MSELoss(Loss):
    """Mean squared error over every element."""

    name = "mse"


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
