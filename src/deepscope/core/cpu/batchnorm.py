"""numba batch normalisation: reference/batchnorm.py, same names and signatures.

Rows are walked outer and columns inner (unit stride), so every loop runs over contiguous
memory; the statistics accumulate in float64 whatever the input dtype.
"""

import numpy as np
from numba import njit

from ..reference.batchnorm import check_batchnorm


@njit(cache=True, error_model="numpy")
def _stats(x, mean, var):
    n, c = x.shape
    s = np.zeros(c)
    for i in range(n):
        for j in range(c):
            s[j] += x[i, j]
    for j in range(c):
        s[j] /= n
        mean[j] = s[j]
    q = np.zeros(c)
    for i in range(n):
        for j in range(c):
            d = x[i, j] - s[j]
            q[j] += d * d
    for j in range(c):
        var[j] = q[j] / n


@njit(cache=True, error_model="numpy")
def _normalise(x, w, b, eps, mean, var, out):
    n, c = x.shape
    scale = np.empty(c)
    shift = np.empty(c)
    for j in range(c):
        inv = 1.0 / np.sqrt(np.float64(var[j]) + eps)
        scale[j] = w[j] * inv
        shift[j] = b[j] - mean[j] * w[j] * inv
    for i in range(n):
        for j in range(c):
            out[i, j] = x[i, j] * scale[j] + shift[j]


@njit(cache=True, error_model="numpy")
def _forward_batch(x, w, b, eps, mean, var, out):
    """Training: the batch statistics, then the normalisation, in one call."""
    _stats(x, mean, var)
    _normalise(x, w, b, eps, mean, var, out)


@njit(cache=True, error_model="numpy")
def _backward(dout, x, w, mean, var, eps, training, dx, dw, db):
    n, c = x.shape
    inv = np.empty(c)
    sd = np.zeros(c)
    sdx = np.zeros(c)
    for j in range(c):
        inv[j] = 1.0 / np.sqrt(np.float64(var[j]) + eps)
    for i in range(n):
        for j in range(c):
            d = dout[i, j]
            sd[j] += d
            sdx[j] += d * (x[i, j] - mean[j]) * inv[j]
    for j in range(c):
        db[j] = sd[j]
        dw[j] = sdx[j]
    if not training:
        for i in range(n):
            for j in range(c):
                dx[i, j] = dout[i, j] * w[j] * inv[j]
        return
    for i in range(n):
        for j in range(c):
            x_hat = (x[i, j] - mean[j]) * inv[j]
            dx[i, j] = w[j] * inv[j] / n * (n * dout[i, j] - sd[j] - x_hat * sdx[j])


def _c(a, dtype):
    return np.ascontiguousarray(a, dtype=dtype)


def batchnorm_forward(x, w, b, eps=1e-5, mean=None, var=None):
    """(out, mean, var), as the reference: batch statistics unless mean/var are given."""
    check_batchnorm(x, w, b, mean, var)
    dt = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    x = _c(x, dt)
    out = np.empty_like(x)
    if mean is None:
        mean, var = np.empty(x.shape[1], dt), np.empty(x.shape[1], dt)
        _forward_batch(x, _c(w, dt), _c(b, dt), float(eps), mean, var, out)
    else:
        mean, var = _c(mean, dt), _c(var, dt)
        _normalise(x, _c(w, dt), _c(b, dt), float(eps), mean, var, out)
    return out, mean, var


def batchnorm_backward(dout, x, w, mean, var, eps=1e-5, training=True):
    """(dx, dw, db), as the reference."""
    check_batchnorm(x, w, None, mean, var)
    if dout.shape != x.shape:
        raise ValueError(f"dout must have the shape of x {x.shape}, got {dout.shape}")
    dt = x.dtype if x.dtype in (np.float32, np.float64) else np.float64
    x = _c(x, dt)
    dx = np.empty_like(x)
    dw, db = np.empty(x.shape[1], dt), np.empty(x.shape[1], dt)
    _backward(
        _c(dout, dt), x, _c(w, dt), _c(mean, dt), _c(var, dt), float(eps), bool(training),
        dx, dw, db,
    )  # fmt: skip
    return dx, dw, db
