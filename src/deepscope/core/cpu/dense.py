"""numba dense layer: sgemm/dgemm through np.dot with the bias added in the same pass."""

import numpy as np
from numba import njit

from ..checks import check_dense


@njit(cache=True)
def _forward(x, w, b):
    out = np.dot(x, w)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] += b[j]
    return out


@njit(cache=True)
def _backward(dout, x, w):
    db = np.zeros(dout.shape[1], dtype=dout.dtype)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            db[j] += dout[i, j]
    return np.dot(dout, w.T), np.dot(x.T, dout), db


def _c(a):
    return np.ascontiguousarray(a)


def dense_forward(x, w, b):
    check_dense(x, w, b)
    return _forward(_c(x), _c(w), _c(b))


def dense_backward(dout, x, w):
    check_dense(x, w)
    if dout.shape != (x.shape[0], w.shape[1]):
        raise ValueError(f"dout must be {(x.shape[0], w.shape[1])}, got {dout.shape}")
    return _backward(_c(dout), _c(x), _c(w))
