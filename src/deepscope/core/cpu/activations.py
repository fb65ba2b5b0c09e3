"""numba versions of reference/activations.py (same names, same signatures)."""

import numpy as np
from numba import njit

from .scalar import activate_array, multiply_slope

RELU, LEAKY, SIGMOID, TANH = 1, 2, 3, 4


@njit(cache=True, error_model="numpy")
def _forward(code, x, alpha, exact):
    out = x.copy()
    activate_array(code, out, alpha, exact)
    return out


@njit(cache=True, error_model="numpy")
def _backward(code, dout, x, alpha, exact):
    a = _forward(code, x, alpha, exact)
    dx = dout.copy()
    multiply_slope(code, dx, a, alpha)
    return dx


def _flat(a):
    return np.ascontiguousarray(a).reshape(-1)


def _exact(x):
    return x.dtype == np.float64


def _fwd(code, x, alpha=0.0):
    return _forward(code, _flat(x), x.dtype.type(alpha), _exact(x)).reshape(x.shape)


def _bwd(code, dout, x, alpha=0.0):
    if dout.shape != x.shape:
        raise ValueError(f"dout must have the shape of x {x.shape}, got {dout.shape}")
    d = _flat(dout).astype(x.dtype, copy=False)
    return _backward(code, d, _flat(x), x.dtype.type(alpha), _exact(x)).reshape(x.shape)


def relu_forward(x):
    return _fwd(RELU, x)


def relu_backward(dout, x):
    return _bwd(RELU, dout, x)


def leaky_relu_forward(x, alpha=0.01):
    return _fwd(LEAKY, x, alpha)


def leaky_relu_backward(dout, x, alpha=0.01):
    return _bwd(LEAKY, dout, x, alpha)


def sigmoid_forward(x):
    return _fwd(SIGMOID, x)


def sigmoid_backward(dout, x):
    return _bwd(SIGMOID, dout, x)


def tanh_forward(x):
    return _fwd(TANH, x)


def tanh_backward(dout, x):
    return _bwd(TANH, dout, x)


def linear_forward(x):
    return x.copy()


def linear_backward(dout, x):
    return dout.copy()


@njit(cache=True, error_model="numpy")
def _softmax_rows(x):
    out = np.empty_like(x)
    for r in range(x.shape[0]):
        m = x[r, 0]
        for k in range(1, x.shape[1]):
            m = max(m, x[r, k])
        s = 0.0
        for k in range(x.shape[1]):
            out[r, k] = np.exp(x[r, k] - m)
            s += out[r, k]
        for k in range(x.shape[1]):
            out[r, k] /= s
    return out


@njit(cache=True, error_model="numpy")
def _softmax_rows_backward(dout, x):
    s = _softmax_rows(x)
    dx = np.empty_like(x)
    for r in range(x.shape[0]):
        dot = 0.0
        for k in range(x.shape[1]):
            dot += dout[r, k] * s[r, k]
        for k in range(x.shape[1]):
            dx[r, k] = s[r, k] * (dout[r, k] - dot)
    return dx


def _rows(a):
    return np.ascontiguousarray(a).reshape(-1, a.shape[-1])


def softmax_forward(x):
    return _softmax_rows(_rows(x)).reshape(x.shape)


def softmax_backward(dout, x):
    return _softmax_rows_backward(_rows(dout).astype(x.dtype, copy=False), _rows(x)).reshape(
        x.shape
    )
