"""Fully connected layer: out = x @ w + b with x (N, in), w (in, out), b (out,)."""

import numpy as np

from ..checks import check_dense


def dense_forward(x: np.ndarray, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    check_dense(x, w, b)
    return x @ w + b


def dense_backward(dout: np.ndarray, x: np.ndarray, w: np.ndarray):
    """Return (dx, dw, db): dx = dout @ w.T, dw = x.T @ dout, db = sum of dout over the batch."""
    check_dense(x, w)
    if dout.shape != (x.shape[0], w.shape[1]):
        raise ValueError(f"dout must be {(x.shape[0], w.shape[1])}, got {dout.shape}")
    return dout @ w.T, x.T @ dout, dout.sum(axis=0)
