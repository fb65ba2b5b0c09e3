"""Central differences, the reference every gradient test checks against."""

import numpy as np


def numeric_grad(f, x, eps=1e-6):
    """d f() / d x by central differences, for the scalar f() and every entry of x (x is
    changed in place and put back)."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g
