"""A dense network's loss at many points of parameter space: the specification.

For the loss-landscape picture (Li et al., 2018) every grid point (a, b) is a whole network,
theta + a*d1 + b*d2, evaluated on the whole dataset. The cpu backend splits the grid over
its threads (``core/cpu/landscape.py``), the cuda backend gives each point a block of
threads (``core/cuda/landscape.py``); here the points are taken one after the other.
"""

import numpy as np

from .mlp import forward, loss_value


def grid_losses(theta, d1, d2, coords, layout, alphas, X, Y, loss_kind):
    """losses[p] = the loss on (X, Y) of the network theta + coords[p, 0] * d1 +
    coords[p, 1] * d2, for every row p of ``coords`` (P, 2); layout, alphas, Y and
    loss_kind as in ``mlp.DenseTrainer``. Returns the (P,) float64 array."""
    losses = np.empty(len(coords))
    for p, (a, b) in enumerate(coords):
        params = (theta + a * d1 + b * d2).astype(theta.dtype)
        out = forward(params, layout, alphas, X)[1][-1]
        losses[p] = loss_value(loss_kind, out, Y)
    return losses
