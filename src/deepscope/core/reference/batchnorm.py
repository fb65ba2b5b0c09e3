"""Batch normalisation over the batch axis of (N, C) rows (PyTorch's BatchNorm1d).

Training normalises with the batch's mean and biased variance; evaluation with statistics
the caller passes (the running averages). w is the scale (gamma), b the shift (beta).
"""

import numpy as np


def check_batchnorm(x, w, b=None, mean=None, var=None) -> None:
    """Shapes shared by every backend: x (N, C), w, b, mean, var (C,)."""
    if len(x.shape) != 2:
        raise ValueError(f"batchnorm expects x (N, features), got shape {tuple(x.shape)}")
    c = x.shape[1]
    for name, a in (("w", w), ("b", b), ("mean", mean), ("var", var)):
        if a is not None and tuple(a.shape) != (c,):
            raise ValueError(
                f"{name} must be (features,) = ({c},) to match x {tuple(x.shape)}, "
                f"got shape {tuple(a.shape)}"
            )
    if (mean is None) != (var is None):
        raise ValueError("mean and var go together: give both (evaluation) or neither (training)")


def batchnorm_forward(x, w, b, eps=1e-5, mean=None, var=None):
    """Return (out, mean, var): out = (x - mean) / sqrt(var + eps) * w + b per column.

    Without mean/var (training) they are the batch's: the column means and the biased
    variance (divided by N). With them (evaluation) they are used as given and returned.
    """
    check_batchnorm(x, w, b, mean, var)
    if mean is None:
        mean = x.mean(axis=0)
        var = ((x - mean) ** 2).mean(axis=0)
    x_hat = (x - mean) / np.sqrt(var + eps)
    return x_hat * w + b, mean, var


def batchnorm_backward(dout, x, w, mean, var, eps=1e-5, training=True):
    """Return (dx, dw, db) for the forward that gave (mean, var).

    dw = sum over the batch of dout * x_hat, db = sum of dout. In training mean and var
    depend on x, so dx = w / sqrt(var + eps) / N * (N dout - db - x_hat dw); in
    evaluation they are constants and dx = dout * w / sqrt(var + eps).
    """
    check_batchnorm(x, w, None, mean, var)
    if dout.shape != x.shape:
        raise ValueError(f"dout must have the shape of x {x.shape}, got {dout.shape}")
    inv = 1.0 / np.sqrt(var + eps)
    x_hat = (x - mean) * inv
    db = dout.sum(axis=0)
    dw = (dout * x_hat).sum(axis=0)
    if not training:
        return dout * (w * inv), dw, db
    n = x.shape[0]
    dx = (w * inv / n) * (n * dout - db - x_hat * dw)
    return dx, dw, db
