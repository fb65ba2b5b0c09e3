"""A dense network's loss at many points of parameter space, in one compiled call:
``reference.landscape.grid_losses`` on the cpu.

For the loss-landscape picture (Li et al., 2018) every grid point (a, b) is a whole network,
theta + a*d1 + b*d2, evaluated on the whole dataset. Grid points are independent, so the
threads split the grid; each thread builds its point's parameters in its own buffer.

The forward pass here (``mlp.forward_feature_major``) keeps activations feature-major,
(features, samples): the innermost loop then runs along the samples, hundreds long and
contiguous, which vectorises well, where the sample-major loops of a training step run
along 8 features. On the 2-8-8-1 network this made the 101x101 grid 2.5x faster.
"""

import numba
import numpy as np
from numba import njit, prange

from ..reference.mlp import BCE
from .losses import log_floored32
from .mlp import forward_feature_major, loss_value


def grid_losses(theta, d1, d2, coords, layout, alphas, X, Y, loss_kind):
    """losses[p] = the loss on (X, Y) of the network theta + coords[p, 0] * d1 +
    coords[p, 1] * d2 (see ``reference.landscape.grid_losses``), over numba's threads."""
    out = np.empty(len(coords))
    xt = np.ascontiguousarray(X.T)
    n_threads = numba.get_num_threads()
    hard = loss_kind == BCE and Y.shape[1] == 1 and bool(np.isin(Y, (0.0, 1.0)).all())
    _grid_losses(theta, d1, d2, coords, layout, alphas, xt, Y, loss_kind, hard, n_threads, out)
    return out


@njit(cache=True, error_model="numpy")
def _bce_hard(pred, y, picked, logs):
    """BCE of one output (1, N), feature-major, against targets that are all 0 or 1: one
    logarithm an entry, log(p) or log(1 - p), through the vectorised ``log_floored32``
    (float32 workspaces ``picked``, ``logs``); ``loss_value`` is the same sum with libm."""
    n = pred.shape[1]
    for i in range(n):
        p = pred[0, i]
        picked[i] = p if y[i, 0] == 1.0 else 1.0 - p
    log_floored32(picked, logs)
    total = 0.0
    for i in range(n):
        total -= logs[i]
    return total / n


@njit(parallel=True, cache=True, error_model="numpy")
def _grid_losses(theta, d1, d2, coords, layout, alphas, xt, y, loss_kind, hard, n_tasks, out):
    """out[p] = loss of the network theta + coords[p, 0] * d1 + coords[p, 1] * d2.

    ``xt`` is the input transposed, (in_features, N); ``y`` float rows (N, k) (class index
    in column 0 for cross-entropy). The grid is cut into ``n_tasks`` runs of points, one per
    thread (``numba.get_num_threads()``: calling it in here would stop the kernel from being
    cached). Activations use the fast tanh/sigmoid of the float32 training path, and a BCE
    whose targets are all 0 or 1 (``hard``) the vectorised float32 logarithm.
    """
    n_points = coords.shape[0]
    n_threads = max(1, min(n_tasks, n_points))
    widths = layout[:, 3]
    n_rows = xt.shape[1]
    for task in prange(n_threads):
        lo = task * n_points // n_threads
        hi = (task + 1) * n_points // n_threads
        params = np.empty_like(theta)
        picked, logs = np.empty(n_rows, np.float32), np.empty(n_rows, np.float32)
        acts = []
        for layer in range(layout.shape[0]):
            acts.append(np.empty((widths[layer], n_rows), dtype=theta.dtype))
        for p in range(lo, hi):
            a, b = coords[p, 0], coords[p, 1]
            for i in range(theta.shape[0]):
                params[i] = theta[i] + a * d1[i] + b * d2[i]
            pred = forward_feature_major(params, layout, alphas, xt, acts, False)
            if hard:
                out[p] = _bce_hard(pred, y, picked, logs)
            else:
                out[p] = loss_value(loss_kind, pred.T, y)
