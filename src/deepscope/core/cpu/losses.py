"""numba losses (float64 accumulation), reduced as in reference/losses.py."""

import math

import numpy as np
from numba import njit

from ..checks import check_labels, check_same_shape
from ..reference.losses import EPS, LOG_FLOOR


@njit(cache=True)
def mse_value(p, t):
    s = 0.0
    for i in range(p.size):
        d = p[i] - t[i]
        s += d * d
    return s / p.size


@njit(cache=True)
def mse_grad(p, t, out):
    scale = 2.0 / p.size
    for i in range(p.size):
        out[i] = scale * (p[i] - t[i])


@njit(cache=True)
def bce_value(p, t):
    s = 0.0
    for i in range(p.size):
        lp = math.log(p[i]) if p[i] > 0 else LOG_FLOOR
        lq = math.log1p(-p[i]) if p[i] < 1 else LOG_FLOOR
        s -= t[i] * max(lp, LOG_FLOOR) + (1.0 - t[i]) * max(lq, LOG_FLOOR)
    return s / p.size


@njit(cache=True)
def bce_grad(p, t, out):
    for i in range(p.size):
        out[i] = (p[i] - t[i]) / max(p[i] * (1.0 - p[i]), EPS) / p.size


@njit(cache=True)
def ce_value_grad(z, labels, grad):
    """Mean softmax cross-entropy of logits z (N, K); writes d loss / d z into grad."""
    n, k = z.shape
    total = 0.0
    for r in range(n):
        m = z[r, 0]
        for j in range(1, k):
            m = max(m, z[r, j])
        s = 0.0
        for j in range(k):
            s += math.exp(z[r, j] - m)
        total += math.log(s) + m - z[r, labels[r]]
        for j in range(k):
            grad[r, j] = math.exp(z[r, j] - m) / s / n
        grad[r, labels[r]] -= 1.0 / n
    return total / n


def _pair(pred, target):
    check_same_shape("pred", pred, "target", target)
    p = np.ascontiguousarray(pred).reshape(-1)
    return p, np.ascontiguousarray(target, dtype=pred.dtype).reshape(-1)


def mse_forward(pred, target):
    return float(mse_value(*_pair(pred, target)))


def mse_backward(pred, target):
    p, t = _pair(pred, target)
    out = np.empty_like(p)
    mse_grad(p, t, out)
    return out.reshape(pred.shape)


def bce_forward(pred, target):
    return float(bce_value(*_pair(pred, target)))


def bce_backward(pred, target):
    p, t = _pair(pred, target)
    out = np.empty_like(p)
    bce_grad(p, t, out)
    return out.reshape(pred.shape)


def _ce(logits, labels):
    labels = check_labels(logits, labels)
    z = np.ascontiguousarray(logits)
    grad = np.empty_like(z)
    return ce_value_grad(z, labels, grad), grad


def cross_entropy_forward(logits, labels):
    return float(_ce(logits, labels)[0])


def cross_entropy_backward(logits, labels):
    return _ce(logits, labels)[1]
