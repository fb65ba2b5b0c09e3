"""numba inverted dropout; the caller draws the keep-mask so every backend agrees."""

import numpy as np
from numba import njit


@njit(cache=True)
def _scale(x, mask, scale):
    out = np.empty_like(x)
    for i in range(x.size):
        out[i] = x[i] * mask[i] * scale
    return out


def _apply(x, mask, p):
    flat = np.ascontiguousarray(x).reshape(-1)
    m = np.ascontiguousarray(mask, dtype=x.dtype).reshape(-1)
    if m.size != flat.size:
        raise ValueError(f"mask must have the shape of x {x.shape}, got {np.shape(mask)}")
    return _scale(flat, m, x.dtype.type(1.0 / (1.0 - p))).reshape(x.shape)


def dropout_forward(x, mask, p):
    return _apply(x, mask, p)


def dropout_backward(dout, mask, p):
    return _apply(dout, mask, p)
