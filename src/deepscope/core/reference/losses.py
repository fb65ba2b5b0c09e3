"""Losses, reduced like PyTorch's defaults: MSE and BCE average over every element,
cross-entropy over the batch. forward returns a float; backward returns d loss / d pred."""

import numpy as np

from ..checks import check_labels, check_same_shape

LOG_FLOOR = -100.0  # PyTorch's BCELoss clamps log(p) at -100 so p = 0 gives a finite loss
EPS = 1e-12


def mse_forward(pred, target):
    check_same_shape("pred", pred, "target", target)
    return float(np.mean((pred - target) ** 2))


def mse_backward(pred, target):
    check_same_shape("pred", pred, "target", target)
    return (2.0 / pred.size) * (pred - target)


def bce_forward(pred, target):
    """Binary cross-entropy on probabilities: -mean(t log p + (1 - t) log(1 - p))."""
    check_same_shape("pred", pred, "target", target)
    with np.errstate(divide="ignore"):
        log_p = np.maximum(np.log(pred), LOG_FLOOR)
        log_q = np.maximum(np.log1p(-pred), LOG_FLOOR)
    return float(-np.mean(target * log_p + (1 - target) * log_q))


def bce_backward(pred, target):
    check_same_shape("pred", pred, "target", target)
    return (pred - target) / np.maximum(pred * (1 - pred), EPS) / pred.size


def cross_entropy_forward(logits, labels):
    """Softmax cross-entropy from logits and integer labels, via log-sum-exp (stable)."""
    labels = check_labels(logits, labels)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_z = np.log(np.exp(shifted).sum(axis=1))
    return float(np.mean(log_z - shifted[np.arange(len(labels)), labels]))


def cross_entropy_backward(logits, labels):
    labels = check_labels(logits, labels)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    grad = e / e.sum(axis=1, keepdims=True)
    grad[np.arange(len(labels)), labels] -= 1
    return grad / len(labels)
