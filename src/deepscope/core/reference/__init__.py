"""The specification: every primitive and engine in plain numpy, written to be read.

The cpu and cuda backends must agree with these functions (float64 to ~1e-10,
float32 to ~1e-5); the gradient checks in tests/core test these against central
differences. The engines are the optimizer update (``optim.apply_update``), a dense
network's whole training epoch (``mlp.DenseTrainer``) and its loss over a plane of
parameter space (``landscape.grid_losses``), built on the primitives.
"""

from .activations import (
    leaky_relu_backward,
    leaky_relu_forward,
    linear_backward,
    linear_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    softmax_backward,
    softmax_forward,
    tanh_backward,
    tanh_forward,
)
from .batchnorm import batchnorm_backward, batchnorm_forward
from .conv import (
    conv2d_backward,
    conv2d_backward_input,
    conv2d_backward_params,
    conv2d_forward,
)
from .dense import dense_backward, dense_forward
from .dropout import dropout_backward, dropout_forward
from .landscape import grid_losses
from .losses import (
    bce_backward,
    bce_forward,
    cross_entropy_backward,
    cross_entropy_forward,
    mse_backward,
    mse_forward,
)
from .mlp import DenseTrainer
from .optim import apply_update
from .pool import (
    avgpool2d_backward,
    avgpool2d_forward,
    conv2d_relu_maxpool2d_forward,
    conv2d_relu_maxpool2d_train_forward,
    maxpool2d_backward,
    maxpool2d_forward,
    relu_maxpool2d_backward,
)
from .residual import residual_backward, residual_forward
from .weightnorm import weightnorm_backward, weightnorm_forward

_ENDINGS = ("_forward", "_backward", "_backward_input", "_backward_params")
__all__ = [name for name in dir() if name.endswith(_ENDINGS)] + [
    "DenseTrainer",
    "grid_losses",
    "apply_update",
]
