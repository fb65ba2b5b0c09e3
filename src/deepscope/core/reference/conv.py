"""2-D convolution (cross-correlation, as every framework computes it), NCHW layout.

out[n, o, i, j] = b[o] + sum over c, p, q of
                  x_padded[n, c, i*stride + p, j*stride + q] * w[o, c, p, q]
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..checks import check_conv


def pad(x: np.ndarray, padding: int) -> np.ndarray:
    """Zero border of ``padding`` pixels around the last two axes."""
    if padding == 0:
        return x
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def windows(x: np.ndarray, k: int, stride: int, padding: int) -> np.ndarray:
    """Every K x K window the kernel visits: shape (N, C, Ho, Wo, K, K) (a view, no copy)."""
    return sliding_window_view(pad(x, padding), (k, k), axis=(2, 3))[:, :, ::stride, ::stride]


def conv2d_forward(x, w, b, stride=1, padding=0):
    check_conv(x, w, b, stride, padding)
    win = windows(x, w.shape[2], stride, padding)
    return np.einsum("nchwpq,ocpq->nohw", win, w, optimize=True) + b[None, :, None, None]


def _check_dout(dout, x, w, stride, padding):
    ho, wo = check_conv(x, w, None, stride, padding)
    if dout.shape != (x.shape[0], w.shape[0], ho, wo):
        raise ValueError(f"dout must be {(x.shape[0], w.shape[0], ho, wo)}, got {dout.shape}")
    return ho, wo


def conv2d_backward_input(dout, x, w, stride=1, padding=0):
    """dx alone: each output cell sends dout * w back to the window it read (an attack's
    gradient needs no dw or db)."""
    ho, wo = _check_dout(dout, x, w, stride, padding)
    k = w.shape[2]
    dxp = np.zeros_like(pad(x, padding))
    for p in range(k):
        for q in range(k):
            dxp[:, :, p : p + stride * ho : stride, q : q + stride * wo : stride] += np.einsum(
                "nohw,oc->nchw", dout, w[:, :, p, q]
            )
    h, wd = x.shape[2], x.shape[3]
    return dxp[:, :, padding : padding + h, padding : padding + wd]


def conv2d_backward_params(dout, x, w, stride=1, padding=0):
    """(dw, db) alone: dw sums dout times the window each output cell read, db sums dout
    (a network's first layer needs no dx)."""
    _check_dout(dout, x, w, stride, padding)
    win = windows(x, w.shape[2], stride, padding)
    return np.einsum("nohw,nchwpq->ocpq", dout, win, optimize=True), dout.sum(axis=(0, 2, 3))


def conv2d_backward(dout, x, w, stride=1, padding=0):
    """Return (dx, dw, db): ``conv2d_backward_input`` and ``conv2d_backward_params``."""
    dw, db = conv2d_backward_params(dout, x, w, stride, padding)
    return conv2d_backward_input(dout, x, w, stride, padding), dw, db
