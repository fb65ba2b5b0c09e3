"""Scalar helpers compiled into the cpu kernels (and reusable by other numba targets).

``math.tanh`` and ``math.exp`` are libm calls that stop loop vectorisation; in float32 the
rational approximation below (the one Eigen uses, accurate to a few float32 ulps) vectorises
and runs tens of times faster. float64 keeps the exact libm call.
"""

import math

import numpy as np
from numba import njit

#: numba's fastmath without its promise of no NaN and no inf: for loops that test for NaN
#: (the pool's arg-max, the vectorised log), which that promise would let LLVM drop
FASTMATH_KEEP_NAN = {"reassoc", "contract", "arcp", "nsz", "afn"}

# float32 constants, so float32 data is computed in float32: a Python float would promote
# every operation to float64 (half the lanes of a vector, a slower division): the sigmoid of
# 256 x 784 outputs took 162 us that way, 83 us in float32. Evaluated in float32 the
# approximation is at most 7 float32 ulps (3.9e-7) from tanh over [-10, 10], near |x| = 5.8
# (3 ulps, 2.3e-7, in float64).
_CLAMP = np.float32(7.90531110763549805)
_P = [np.float32(c) for c in (-2.76076847742355e-16, 2.00018790482477e-13, -8.60467152213735e-11,
                              5.12229709037114e-08, 1.48572235717979e-05, 6.37261928875436e-04,
                              4.89352455891786e-03)]  # fmt: skip
_Q = [np.float32(c) for c in (1.19825839466702e-06, 1.18534705686654e-04, 2.26843463243900e-03,
                              4.89352518554385e-03)]  # fmt: skip
P0, P1, P2, P3, P4, P5, P6 = _P
Q0, Q1, Q2, Q3 = _Q
ONE, HALF, ZERO = np.float32(1.0), np.float32(0.5), np.float32(0.0)


@njit(inline="always", cache=True, error_model="numpy")
def tanh_fast(x):
    """tanh(x) = x * P(x^2) / Q(x^2) on |x| <= 7.9 (tanh is +-1 to float32 precision beyond)."""
    x = min(max(x, -_CLAMP), _CLAMP)
    x2 = x * x
    p = x2 * P0 + P1
    p = x2 * p + P2
    p = x2 * p + P3
    p = x2 * p + P4
    p = x2 * p + P5
    p = x2 * p + P6
    p = x * p
    q = x2 * Q0 + Q1
    q = x2 * q + Q2
    q = x2 * q + Q3
    return p / q


@njit(inline="always", cache=True, error_model="numpy")
def tanh_exact(x):
    return math.tanh(x)


@njit(inline="always", cache=True, error_model="numpy")
def activate(code, x, alpha, exact):
    """Activation by code (``reference.mlp`` codes); exact=True uses libm for tanh/sigmoid."""
    if code == 0:  # identity
        return x
    if code == 1:  # relu
        return x if x > 0 else 0.0 * x
    if code == 2:  # leaky relu
        return x if x > 0 else alpha * x
    t = tanh_exact(x if code == 4 else 0.5 * x) if exact else tanh_fast(x if code == 4 else 0.5 * x)
    if code == 3:  # sigmoid = (1 + tanh(x/2)) / 2
        return 0.5 * t + 0.5
    return t  # 4: tanh


__all__ = [
    "tanh_fast",
    "tanh_exact",
    "activate",
    "activate_array",
    "multiply_slope",
]


@njit(cache=True, error_model="numpy")
def activate_array(code, x, alpha, exact):
    """x[i] = activation(x[i]) in place on a flat array. One loop per code and a single
    array (no aliasing for LLVM to guard against), so each loop vectorises."""
    n = x.size
    if code == 1:
        for i in range(n):
            x[i] = max(x[i], ZERO)
    elif code == 2:
        for i in range(n):
            x[i] = x[i] if x[i] > 0 else alpha * x[i]
    elif code in (3, 4) and exact:
        for i in range(n):
            x[i] = activate(code, x[i], alpha, True)
    elif code == 3:
        for i in range(n):
            x[i] = HALF * tanh_fast(HALF * x[i]) + HALF
    elif code == 4:
        for i in range(n):
            x[i] = tanh_fast(x[i])


@njit(cache=True, error_model="numpy")
def multiply_slope(code, d, a, alpha):
    """d[i] *= activation'(.) written with the activation's output a[i] (flat arrays)."""
    n = d.size
    if code == 1:
        for i in range(n):
            d[i] = d[i] if a[i] > 0 else 0.0
    elif code == 2:
        for i in range(n):
            d[i] = d[i] if a[i] > 0 else alpha * d[i]
    elif code == 3:
        for i in range(n):
            d[i] *= a[i] * (ONE - a[i])
    elif code == 4:
        for i in range(n):
            d[i] *= ONE - a[i] * a[i]
