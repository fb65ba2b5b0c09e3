"""The dense epoch's element-wise passes: vectorised, and split over numba's threads where
that pays.

In the autoencoder's epoch (bench B, 784-128-32-128-784, batch 256) the products ran on
both cores (``gemm.mm_rows``) but everything between them ran on one: the bias and the
activation, the loss and its gradient, the activations' slopes, the per-layer norms, the
batch's rows. Timed inside the epoch on the Intel machine, those passes and the Adam
update took 41 of its 66 ms, against 25 ms of products. Two of them did not vectorise: the
loss (a branch on the loss's kind in its loop, 214 us a step) and the norms (a loop from an
offset keeps numba's negative-index wraparound, 137 us). Here they do (24 us and 26 us).

The bias with the activation (and the plain Adam step, ``optim.py``) run over the threads
from :data:`SPLIT_MIN` entries on, in blocks of whole rows (:func:`block_rows`): the
sigmoid of 256 x 784 outputs took 151 us a step on one core, 85 us on two. Splitting the
loss, the slopes, the norms and the batch's rows as well timed the same within the
machine's noise and cost a parallel kernel each to compile (0.3-0.75 s apiece on a cold
cache, which the epoch's first picture waits for), so they stay on one thread. Below
``SPLIT_MIN`` the pass is a plain loop, inlined into its caller: a parallel loop costs
microseconds to start, more than a playground network's step. The reductions add in
float64.
"""

import numpy as np
from numba import njit, prange

from ..reference.mlp import HALF_MSE
from .scalar import FASTMATH_KEEP_NAN, activate_array, multiply_slope

#: entries from which a pass runs over the threads (a 256 x 128 layer output: split)
SPLIT_MIN = 32768
#: the fewest entries in one block of a split pass
BLOCK = 4096


@njit(inline="always", cache=True)
def block_rows(m, n):
    """(rows per block, blocks) for a split pass over an (m, n) array."""
    rows = max(1, -(-BLOCK // max(n, 1)))
    return rows, -(-m // rows)


@njit(inline="always", cache=True, error_model="numpy")
def _bias_activate_block(out, b, code, alpha, exact):
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] += b[j]
    activate_array(code, out.reshape(out.size), alpha, exact)


@njit(inline="always", cache=True, error_model="numpy")
def bias_activate(out, b, code, alpha, exact):
    """out[i, :] = activation(out[i, :] + b) for every row i of the C-contiguous 2-D
    ``out``."""
    if out.size < SPLIT_MIN:
        _bias_activate_block(out, b, code, alpha, exact)
    else:
        _bias_activate_split(out, b, code, alpha, exact)


@njit(parallel=True, cache=True, error_model="numpy")
def _bias_activate_split(out, b, code, alpha, exact):
    m = out.shape[0]
    rows, blocks = block_rows(m, out.shape[1])
    for k in prange(blocks):
        _bias_activate_block(out[k * rows : min((k + 1) * rows, m)], b, code, alpha, exact)


@njit(inline="always", cache=True, error_model="numpy")
def slope_and_bias_grad(code, dz, a, alpha, db, with_db):
    """dz *= activation'(.) (written with the activation's output ``a``); then, ``with_db``
    (not for a frozen layer), db = the column sums of dz. dz and a C-contiguous, 2-D."""
    m, n = dz.shape
    multiply_slope(code, dz.reshape(dz.size), a.reshape(a.size), alpha)
    if with_db:
        for j in range(n):
            db[j] = 0.0
        for i in range(m):
            for j in range(n):
                db[j] += dz[i, j]


# a call of its own, not inlined: the caller's flags (no fastmath) would stop it vectorising
@njit(cache=True, error_model="numpy", fastmath=FASTMATH_KEEP_NAN)
def _mse_block(p, t, d, scale):
    total = 0.0
    for j in range(p.size):
        e = p[j] - t[j]
        total += e * e
        d[j] = scale * e
    return total


@njit(inline="always", cache=True, error_model="numpy")
def mse_value_grad(kind, out, yb, dout):
    """The mean squared error of ``out`` against ``yb`` (half of it for ``HALF_MSE``), and
    its gradient with respect to ``out`` written into ``dout`` (C-contiguous, 2-D)."""
    size = out.size
    scale = (1.0 if kind == HALF_MSE else 2.0) / size
    mean = _mse_block(out.reshape(size), yb.reshape(size), dout.reshape(size), scale) / size
    return 0.5 * mean if kind == HALF_MSE else mean


@njit(cache=True, error_model="numpy", fastmath=FASTMATH_KEEP_NAN)  # a call, as _mse_block
def _block_squares(x, y):
    # a loop from 0 over views, squares in float64: a loop from ``lo`` keeps numba's
    # negative-index wraparound in it, which stopped it vectorising (4-6x slower)
    sx, sy = 0.0, 0.0
    for i in range(x.size):
        a, b = np.float64(x[i]), np.float64(y[i])
        sx += a * a
        sy += b * b
    return sx, sy


@njit(inline="always", cache=True, error_model="numpy")
def sums_of_squares(x, y, lo, hi):
    """(sum of x[i]^2, sum of y[i]^2) over lo <= i < hi, in float64: a layer's |dW|^2 and
    |W|^2 from the flat gradient and parameter vectors."""
    if hi - lo < BLOCK:  # a playground layer's handful: the plain loop, no views to make
        # (the views cost bench A 30%)
        sx, sy = 0.0, 0.0
        for i in range(lo, hi):
            sx += x[i] * x[i]
            sy += y[i] * y[i]
        return sx, sy
    return _block_squares(x[lo:hi], y[lo:hi])


@njit(inline="always", cache=True, error_model="numpy")
def gather_rows(x, order, start, out):
    """out[r, :] = x[order[start + r], :] for every row r of ``out``: a mini-batch."""
    for r in range(out.shape[0]):
        src = order[start + r]
        for j in range(out.shape[1]):
            out[r, j] = x[src, j]


__all__ = [
    "SPLIT_MIN",
    "bias_activate",
    "gather_rows",
    "mse_value_grad",
    "slope_and_bias_grad",
    "sums_of_squares",
]
