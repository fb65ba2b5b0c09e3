"""numba weight normalisation: reference/weightnorm.py, same names and signatures."""

import numpy as np
from numba import njit

from ..reference.weightnorm import check_weightnorm


@njit(cache=True, error_model="numpy")
def _column_norms(v):
    n_in, n_out = v.shape
    s = np.zeros(n_out)
    for i in range(n_in):
        for j in range(n_out):
            s[j] += v[i, j] * v[i, j]
    return np.sqrt(s)


@njit(cache=True, error_model="numpy")
def _forward(v, g, w):
    n = _column_norms(v)
    for i in range(v.shape[0]):
        for j in range(v.shape[1]):
            w[i, j] = v[i, j] * (g[j] / n[j])


@njit(cache=True, error_model="numpy")
def _backward(dout, v, g, dv, dg):
    n = _column_norms(v)
    n_in, n_out = v.shape
    s = np.zeros(n_out)
    for i in range(n_in):
        for j in range(n_out):
            s[j] += dout[i, j] * v[i, j]
    for j in range(n_out):
        s[j] /= n[j]
        dg[j] = s[j]
    for i in range(n_in):
        for j in range(n_out):
            dv[i, j] = g[j] / n[j] * (dout[i, j] - v[i, j] * s[j] / n[j])


def _dtype(a):
    return a.dtype if a.dtype in (np.float32, np.float64) else np.float64


def weightnorm_forward(v, g):
    check_weightnorm(v, g)
    dt = _dtype(v)
    v = np.ascontiguousarray(v, dtype=dt)
    w = np.empty_like(v)
    _forward(v, np.ascontiguousarray(g, dtype=dt), w)
    return w


def weightnorm_backward(dout, v, g):
    check_weightnorm(v, g)
    if dout.shape != v.shape:
        raise ValueError(f"dout must have the shape of v {v.shape}, got {dout.shape}")
    dt = _dtype(v)
    v = np.ascontiguousarray(v, dtype=dt)
    dv, dg = np.empty_like(v), np.empty(v.shape[1], dt)
    _backward(np.ascontiguousarray(dout, dtype=dt), v, np.ascontiguousarray(g, dtype=dt), dv, dg)
    return dv, dg
