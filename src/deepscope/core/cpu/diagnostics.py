"""Cheap per-layer numbers for the training events (``nn.train.layer_diagnostics``).

``mean_abs_slope`` is the mean |f'(z)| of an element-wise activation over its input z,
one pass without temporaries: how much that activation scales the gradient going back
through it, on average (a saturated sigmoid: near 0; its most: 0.25).
"""

from numba import njit

from .scalar import tanh_exact, tanh_fast


@njit(cache=True, error_model="numpy", fastmath=True)
def mean_abs_slope(code, z, alpha, exact):
    """Mean over the flat array z of |f'(z)| for activation ``code`` (ACTIVATION_CODES)."""
    n = z.size
    if n == 0:
        return 0.0
    s = 0.0
    if code == 1:  # relu
        for i in range(n):
            s += 1.0 if z[i] > 0 else 0.0
    elif code == 2:  # leaky relu
        for i in range(n):
            s += 1.0 if z[i] > 0 else abs(alpha)
    elif code == 3:  # sigmoid: s (1 - s), s = (1 + tanh(z / 2)) / 2
        for i in range(n):
            t = tanh_exact(0.5 * z[i]) if exact else tanh_fast(0.5 * z[i])
            s += 0.25 * (1.0 - t * t)
    elif code == 4:  # tanh
        for i in range(n):
            t = tanh_exact(z[i]) if exact else tanh_fast(z[i])
            s += 1.0 - t * t
    else:  # identity
        return 1.0
    return s / n
