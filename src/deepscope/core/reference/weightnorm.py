"""Weight normalisation (Salimans and Kingma 2016) of a dense weight v (in, out): each output
unit's incoming weights, a column of v, get the length g[j] and keep their direction.

    w[:, j] = g[j] * v[:, j] / |v[:, j]|
"""

import numpy as np


def check_weightnorm(v, g) -> None:
    if len(v.shape) != 2 or len(g.shape) != 1 or g.shape[0] != v.shape[1]:
        raise ValueError(
            f"weightnorm expects v (in_features, out_features) and g (out_features,); got v "
            f"{tuple(v.shape)}, g {tuple(g.shape)}"
        )


def weightnorm_forward(v, g):
    """Return w = g v / |v|, the norm taken over each column (per output unit)."""
    check_weightnorm(v, g)
    return v * (g / np.sqrt((v * v).sum(axis=0)))


def weightnorm_backward(dout, v, g):
    """Return (dv, dg) from dout = d loss / d w.

    dg[j] = <dout[:, j], v[:, j]> / |v[:, j]|; dv = g / |v| (dout - dg v / |v|): the part
    of dout along v changes the length, which is g's job, so v only gets the rest.
    """
    check_weightnorm(v, g)
    if dout.shape != v.shape:
        raise ValueError(f"dout must have the shape of v {v.shape}, got {dout.shape}")
    n = np.sqrt((v * v).sum(axis=0))
    dg = (dout * v).sum(axis=0) / n
    return (g / n) * (dout - v * (dg / n)), dg
