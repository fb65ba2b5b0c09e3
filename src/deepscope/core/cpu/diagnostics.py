"""Cheap per-layer numbers for the training events (``nn.train.layer_diagnostics``).

``mean_abs_slope`` is the mean |f'(z)| of an element-wise activation over its input z,
one pass without temporaries: how much that activation scales the gradient going back
through it, on average (a saturated sigmoid: near 0; its most: 0.25). ``segment_norms``
gives every layer's |dW|, |W| and |update| in one call.
"""

import math

from numba import njit

from .scalar import tanh_exact, tanh_fast


@njit(cache=True, error_model="numpy", fastmath=True)
def mean_abs_slope(code, z, alpha, exact):
    """Mean over the flat array z of |f'(z)| for activation ``code`` (``reference.mlp`` codes).
    One loop per case, so each vectorises (float32 takes the rational tanh, as the cpu
    backend's forward does; float64 libm's)."""
    n = z.size
    if n == 0:
        return 0.0
    s = 0.0
    if code == 1:  # relu
        for i in range(n):
            s += 1.0 if z[i] > 0 else 0.0
    elif code == 2:  # leaky relu
        a = abs(alpha)
        for i in range(n):
            s += 1.0 if z[i] > 0 else a
    elif code == 3 and exact:  # sigmoid: s (1 - s) = (1 - tanh(z / 2)^2) / 4
        for i in range(n):
            t = tanh_exact(0.5 * z[i])
            s += 0.25 * (1.0 - t * t)
    elif code == 3:
        for i in range(n):
            t = tanh_fast(0.5 * z[i])
            s += 0.25 * (1.0 - t * t)
    elif code == 4 and exact:  # tanh
        for i in range(n):
            t = tanh_exact(z[i])
            s += 1.0 - t * t
    elif code == 4:
        for i in range(n):
            t = tanh_fast(z[i])
            s += 1.0 - t * t
    else:  # identity
        return 1.0
    return s / n


@njit(cache=True, error_model="numpy", fastmath=True)
def segment_norms(theta, grad, delta, offsets, sizes, out):
    """out[l] = (|grad seg l|, |theta seg l|, |delta seg l|) over theta[offsets[l] :
    offsets[l] + sizes[l]] and the same slices of grad and delta (float64 sums)."""
    for layer in range(offsets.shape[0]):
        g2 = 0.0
        w2 = 0.0
        d2 = 0.0
        off = offsets[layer]
        for i in range(off, off + sizes[layer]):
            g2 += grad[i] * grad[i]
            w2 += theta[i] * theta[i]
            d2 += delta[i] * delta[i]
        out[layer, 0] = math.sqrt(g2)
        out[layer, 1] = math.sqrt(w2)
        out[layer, 2] = math.sqrt(d2)
