"""Gradient clipping with PyTorch's semantics, in place on a model's gradients.

``clip_grad_norm`` scales every gradient by the same factor when their global L2 norm
exceeds ``max_norm`` (and returns that norm, measured before clipping);
``clip_grad_value`` clamps each gradient entry to [-clip, clip]. ``fit`` and ``Trainer``
apply them after each backward pass and before the optimizer's step (``clip_norm=``,
``clip_value=``).
"""

from __future__ import annotations

import math

import numpy as np

from .layers import Layer

CLIP_EPS = 1e-6  # as torch.nn.utils.clip_grad_norm_: max_norm / (total + 1e-6)


def check_threshold(name: str, value) -> float:
    """A clipping threshold: a finite number > 0 (an error names ``name`` otherwise)."""
    ok = isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _gradients(model) -> list[np.ndarray]:
    """The gradient arrays of a Sequential (its flat ``grad``), a Layer (its own and its
    block's), or a list of arrays."""
    if hasattr(model, "grad") and hasattr(model, "theta"):
        return [model.grad]
    if isinstance(model, Layer):
        out, todo = [], [model]
        while todo:
            layer = todo.pop(0)
            out += list(layer.grads.values())
            todo += layer.sublayers()
        return out
    if isinstance(model, np.ndarray):
        return [model]
    grads = list(model)
    for i, g in enumerate(grads):
        if not isinstance(g, np.ndarray) or g.dtype.kind != "f":
            raise TypeError(
                f"model must be a Sequential, a Layer or a list of float arrays; item {i} is "
                f"{type(g).__name__}"
            )
    return grads


def grad_norm(model) -> float:
    """The global L2 norm of all of ``model``'s gradients together (float64)."""
    return math.sqrt(
        sum(
            float(np.dot(g.reshape(-1), g.reshape(-1).astype(np.float64)))
            for g in _gradients(model)
        )
    )


def clip_grad_norm(model, max_norm: float) -> float:
    """Scale all of ``model``'s gradients together, in place, so that their global L2 norm
    is at most ``max_norm``: each is multiplied by max_norm / (norm + 1e-6) when that is
    below 1 (PyTorch's ``clip_grad_norm_``). Returns the total norm BEFORE clipping. A
    non-finite norm leaves the gradients as they are (the loss tells of the divergence).
    """
    max_norm = check_threshold("max_norm", max_norm)
    grads = _gradients(model)
    total = grad_norm(grads)
    coef = np.float64(max_norm / (total + CLIP_EPS))
    if coef < 1.0:
        for g in grads:
            np.multiply(g, coef, out=g, casting="same_kind")
    return total


def clip_grad_value(model, clip: float) -> None:
    """Clamp every entry of ``model``'s gradients to [-clip, clip], in place (PyTorch's
    ``clip_grad_value_``)."""
    clip = check_threshold("clip", clip)
    for g in _gradients(model):
        np.clip(g, -clip, clip, out=g)
