"""A dense network's loss at many points of parameter space, in one launch:
``reference.landscape.grid_losses`` on the GPU (``kernels.grid_losses``: a block per point)."""

import numpy as np
from numba import cuda

from . import kernels as K
from . import to_device


def grid_losses(theta, d1, d2, coords, layout, alphas, X, Y, loss_kind):
    """losses[p] = the loss on (X, Y) of the network theta + coords[p, 0] * d1 +
    coords[p, 1] * d2 (see ``reference.landscape.grid_losses``), as a host array."""
    widths = np.asarray(layout)[:, 2:4]
    if widths.max() > K.MAX_WIDTH:
        raise ValueError(
            f"the CUDA landscape kernel holds layers up to {K.MAX_WIDTH} units in registers; "
            f"this network has a layer of {int(widths.max())}"
        )
    out = cuda.device_array(len(coords), np.float32)
    K.grid_losses[len(coords), K.THREADS](
        to_device(theta),
        to_device(d1),
        to_device(d2),
        to_device(coords),
        cuda.to_device(np.asarray(layout, dtype=np.int64)),
        to_device(alphas),
        to_device(X),
        to_device(Y, dtype=np.float32),
        int(loss_kind),
        out,
    )
    return out.copy_to_host().astype(np.float64)
