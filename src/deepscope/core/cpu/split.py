"""The dense epoch's element-wise passes, split over numba's threads when they are large.

In the autoencoder's epoch (bench B, 784-128-32-128-784, batch 256) the products ran on
both cores (``gemm.mm_rows``) but everything between them ran on one: the bias and the
activation, the loss and its gradient, the activations' slopes, the per-layer norms. Timed
inside the epoch on the Intel machine, those passes and the Adam update took 41 of its
66 ms, against 25 ms of products. Each pass here runs its rows (or entries) in a ``prange``
when it has at least :data:`SPLIT_MIN` entries, and as a plain loop below that: a parallel
loop costs microseconds to start, more than a playground network's whole step.

The loops over one row (or one block of entries) are the same code on both paths, so the
numbers do not depend on the path; the reductions (the loss, the norms) add in float64.
"""

import numpy as np
from numba import njit, prange

from ..reference.mlp import HALF_MSE
from .scalar import FASTMATH_KEEP_NAN, activate_array, multiply_slope

#: entries from which a pass runs over the threads (a 256 x 128 layer output: split)
SPLIT_MIN = 32768
#: entries of one block of a flat pass (:func:`sums_of_squares`)
BLOCK = 4096


@njit(inline="always", cache=True, error_model="numpy")
def _bias_activate_row(row, b, code, alpha, exact):
    for j in range(row.size):
        row[j] += b[j]
    activate_array(code, row, alpha, exact)


@njit(parallel=True, cache=True, error_model="numpy")
def bias_activate(out, b, code, alpha, exact):
    """out[i, :] = activation(out[i, :] + b) for every row i of the 2-D ``out``."""
    if out.size >= SPLIT_MIN:
        for i in prange(out.shape[0]):
            _bias_activate_row(out[i], b, code, alpha, exact)
    else:
        for i in range(out.shape[0]):
            _bias_activate_row(out[i], b, code, alpha, exact)


@njit(inline="always", cache=True, error_model="numpy")
def _copy_row(dst, src):
    for j in range(dst.size):
        dst[j] = src[j]


@njit(parallel=True, cache=True, error_model="numpy")
def gather_rows(x, order, start, out):
    """out[r, :] = x[order[start + r], :] for every row r of ``out``: a mini-batch."""
    if out.size >= SPLIT_MIN:
        for r in prange(out.shape[0]):
            _copy_row(out[r], x[order[start + r]])
    else:
        for r in range(out.shape[0]):
            _copy_row(out[r], x[order[start + r]])


@njit(inline="always", cache=True, error_model="numpy", fastmath=FASTMATH_KEEP_NAN)
def _mse_row(p, t, d, scale):
    total = 0.0
    for j in range(p.size):
        e = p[j] - t[j]
        total += e * e
        d[j] = scale * e
    return total


@njit(parallel=True, cache=True, error_model="numpy", fastmath=FASTMATH_KEEP_NAN)
def mse_value_grad(kind, out, yb, dout):
    """The mean squared error of ``out`` against ``yb`` (half of it for ``HALF_MSE``), and
    its gradient with respect to ``out`` written into ``dout``. Each row is summed apart and
    the rows' sums added in an order the shape alone fixes, not the number of threads."""
    m, size = out.shape[0], out.size
    scale = (1.0 if kind == HALF_MSE else 2.0) / size
    total = 0.0
    if size >= SPLIT_MIN:
        rows = np.empty(m)
        for i in prange(m):
            rows[i] = _mse_row(out[i], yb[i], dout[i], scale)
        for i in range(m):
            total += rows[i]
    else:
        for i in range(m):
            total += _mse_row(out[i], yb[i], dout[i], scale)
    mean = total / size
    return 0.5 * mean if kind == HALF_MSE else mean


@njit(parallel=True, cache=True, error_model="numpy")
def slope_and_bias_grad(code, dz, a, alpha, db, with_db):
    """dz *= activation'(.) (written with the activation's output ``a``), row by row; then,
    ``with_db`` (not for a frozen layer), db = the column sums of dz."""
    m, n = dz.shape
    if dz.size >= SPLIT_MIN:
        for i in prange(m):
            multiply_slope(code, dz[i], a[i], alpha)
    else:
        for i in range(m):
            multiply_slope(code, dz[i], a[i], alpha)
    if not with_db:
        return
    for j in range(n):
        db[j] = 0.0
    for i in range(m):
        for j in range(n):
            db[j] += dz[i, j]


@njit(inline="always", cache=True, error_model="numpy", fastmath=FASTMATH_KEEP_NAN)
def _block_squares(x, y):
    # loops from 0 over views, squares in float64: a loop from ``lo`` keeps numba's
    # negative-index wraparound in it, which stopped it vectorising (4-6x slower)
    sx, sy = 0.0, 0.0
    for i in range(x.size):
        a, b = np.float64(x[i]), np.float64(y[i])
        sx += a * a
        sy += b * b
    return sx, sy


@njit(parallel=True, cache=True, error_model="numpy", fastmath=FASTMATH_KEEP_NAN)
def sums_of_squares(x, y, lo, hi):
    """(sum of x[i]^2, sum of y[i]^2) over lo <= i < hi, in float64: a layer's |dW|^2 and
    |W|^2 from the flat gradient and parameter vectors. Blocks of :data:`BLOCK` entries,
    summed apart and added in an order the length alone fixes, not the number of threads."""
    blocks = -(-(hi - lo) // BLOCK)
    sx, sy = 0.0, 0.0
    if hi - lo >= SPLIT_MIN:
        parts = np.empty((blocks, 2))
        for k in prange(blocks):
            b0, b1 = lo + k * BLOCK, min(lo + (k + 1) * BLOCK, hi)
            parts[k, 0], parts[k, 1] = _block_squares(x[b0:b1], y[b0:b1])
        for k in range(blocks):
            sx += parts[k, 0]
            sy += parts[k, 1]
    else:
        for k in range(blocks):
            b0, b1 = lo + k * BLOCK, min(lo + (k + 1) * BLOCK, hi)
            bx, by = _block_squares(x[b0:b1], y[b0:b1])
            sx += bx
            sy += by
    return sx, sy


__all__ = [
    "SPLIT_MIN",
    "bias_activate",
    "gather_rows",
    "mse_value_grad",
    "slope_and_bias_grad",
    "sums_of_squares",
]
