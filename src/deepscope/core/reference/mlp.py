"""A whole training epoch of a dense network: the specification of the fused engines.

``nn.Trainer`` hands a Sequential of Dense layers, each followed by at most one element-wise
activation, to its backend's :class:`DenseTrainer`, which runs every mini-batch of an epoch -
forward, loss, backward, clipping, per-layer norms, optimizer update - without coming back
to the Python of ``nn``. The cpu backend compiles the whole epoch into one call
(``core/cpu/mlp.py``: calling a compiled function costs more than a small network's step),
the cuda backend keeps everything on the GPU (``core/cuda/mlp.py``). This module says what
they compute, one step at a time, with this backend's primitives.

The network lives in one flat vector ``theta`` (its gradient in ``grad``); ``layout`` row l
holds (W offset, b offset, in_features, out_features, activation code) of dense layer l and
``alphas[l]`` the slope of a leaky ReLU there. Targets ``Y`` are float rows (N, k); for
cross-entropy column 0 holds the class index.
"""

import numpy as np

from .activations import (
    leaky_relu_backward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
    sigmoid_backward,
    sigmoid_forward,
    tanh_backward,
    tanh_forward,
)
from .dense import dense_backward, dense_forward
from .losses import (
    bce_backward,
    bce_forward,
    cross_entropy_backward,
    cross_entropy_forward,
    mse_backward,
    mse_forward,
)
from .optim import FROZEN, apply_update

IDENTITY, RELU, LEAKY_RELU, SIGMOID, TANH = 0, 1, 2, 3, 4
ACTIVATION_CODES = {
    "identity": IDENTITY,
    "relu": RELU,
    "leaky_relu": LEAKY_RELU,
    "sigmoid": SIGMOID,
    "tanh": TANH,
}
MSE, BCE, CROSS_ENTROPY, HALF_MSE = 0, 1, 2, 3  # HALF_MSE: 0.5 * MSE


def weights(theta, layout, layer):
    """(W, b) of dense layer ``layer``: views into the flat vector (``grad`` works too)."""
    w_off, b_off, n_in, n_out, _ = layout[layer]
    return theta[w_off : w_off + n_in * n_out].reshape(n_in, n_out), theta[b_off : b_off + n_out]


def activation_forward(code, z, alpha):
    if code == RELU:
        return relu_forward(z)
    if code == LEAKY_RELU:
        return leaky_relu_forward(z, alpha)
    if code == SIGMOID:
        return sigmoid_forward(z)
    if code == TANH:
        return tanh_forward(z)
    return z  # IDENTITY


def activation_backward(code, dout, z, alpha):
    if code == RELU:
        return relu_backward(dout, z)
    if code == LEAKY_RELU:
        return leaky_relu_backward(dout, z, alpha)
    if code == SIGMOID:
        return sigmoid_backward(dout, z)
    if code == TANH:
        return tanh_backward(dout, z)
    return dout  # IDENTITY


def forward(theta, layout, alphas, x):
    """Every layer's summed input z = a @ W + b and output f(z), for the batch x."""
    zs, outs = [], []
    a = x
    for layer in range(len(layout)):
        w, b = weights(theta, layout, layer)
        z = dense_forward(a, w, b)
        a = activation_forward(layout[layer, 4], z, float(alphas[layer]))
        zs.append(z)
        outs.append(a)
    return zs, outs


def loss_value(kind, out, y):
    """The batch loss of the outputs ``out`` against the targets ``y``, reduced as in
    ``losses.py``; HALF_MSE is half the MSE."""
    if kind == CROSS_ENTROPY:
        return cross_entropy_forward(out, y[:, 0].astype(np.int64))
    if kind == BCE:
        return bce_forward(out, y)
    return (0.5 if kind == HALF_MSE else 1.0) * mse_forward(out, y)


def loss_grad(kind, out, y):
    """d loss_value / d out."""
    if kind == CROSS_ENTROPY:
        return cross_entropy_backward(out, y[:, 0].astype(np.int64))
    if kind == BCE:
        return bce_backward(out, y)
    return (0.5 if kind == HALF_MSE else 1.0) * mse_backward(out, y)


class DenseTrainer:
    """Trains the dense network ``theta`` (laid out as ``layout``) on (X, Y) an epoch at a
    time, in mini-batches of ``batch_size`` rows, with the loss ``loss_kind`` and the
    optimizer state ``s1``, ``s2`` and penalty ``mask`` of ``optim.apply_update``.

    Here theta, grad, s1, s2 and mask are the caller's arrays, updated in place, and the
    mask is read at every epoch (``trainable`` changed between epochs takes effect). Every
    backend leaves theta, s1, s2 and mask holding the trained values after ``epoch``; a
    device backend trains copies of them in between, so a caller that changes them other
    than through ``epoch`` builds a new DenseTrainer.
    """

    def __init__(self, theta, grad, layout, alphas, X, Y, batch_size, loss_kind, s1, s2, mask):
        self.theta, self.grad, self.layout, self.alphas = theta, grad, layout, alphas
        self.X, self.Y, self.batch_size, self.loss_kind = X, Y, batch_size, loss_kind
        self.s1, self.s2, self.mask = s1, s2, mask

    def epoch(self, order, lrs, t0, opt_kind, hyper, clip_norm=0.0, clip_value=0.0):
        """Run len(lrs) mini-batch steps over the rows ``order`` of (X, Y), step s at the
        learning rate lrs[s] as update number t0 + s + 1 of the rule ``opt_kind``.

        Returns (losses, norms, done): losses[s] is step s's batch loss; norms[l] is
        (|dW_l|, |W_l|) of the last step completed, after its backward pass and before its
        update; done the number of steps completed: fewer than asked when a loss turns NaN
        or inf (divergence; that step is neither backpropagated nor applied).

        clip_norm > 0 scales the whole gradient by clip_norm / (|g| + 1e-6) when that is
        below 1, then clip_value > 0 clamps each entry to [-clip_value, clip_value]
        (``nn.clip``), after the backward pass and before the norms and the update.

        A layer whose W and b entries carry the FROZEN bit in ``mask`` (``trainable =
        False``) gets no gradient: its grad entries are zero (so clipping and the norms see
        only the trainable layers), and the backward pass stops below the lowest trainable
        layer.
        """
        layout, n_layers, mask = self.layout, len(self.layout), self.mask
        frozen = [mask[w_off] >= FROZEN and mask[b_off] >= FROZEN for w_off, b_off, *_ in layout]
        lowest = frozen.index(False) if False in frozen else n_layers  # the backward pass ends
        for layer in range(n_layers):
            if frozen[layer]:
                for part in weights(self.grad, layout, layer):
                    part[...] = 0.0
        losses = np.full(len(lrs), np.nan)
        norms = np.zeros((n_layers, 2))
        for step, lr in enumerate(lrs):
            rows = order[step * self.batch_size : (step + 1) * self.batch_size]
            x, y = self.X[rows], self.Y[rows]
            zs, outs = forward(self.theta, layout, self.alphas, x)
            losses[step] = loss_value(self.loss_kind, outs[-1], y)
            if not np.isfinite(losses[step]):
                return losses, norms, step
            dout = loss_grad(self.loss_kind, outs[-1], y)
            for layer in range(n_layers - 1, lowest - 1, -1):  # dout: d loss / d outs[layer]
                alpha = float(self.alphas[layer])
                dz = activation_backward(layout[layer, 4], dout, zs[layer], alpha)
                inputs = x if layer == 0 else outs[layer - 1]
                w, _ = weights(self.theta, layout, layer)
                dout, dw, db = dense_backward(dz, inputs, w)
                if not frozen[layer]:
                    gw, gb = weights(self.grad, layout, layer)
                    gw[...], gb[...] = dw, db
            if clip_norm > 0.0:
                coef = clip_norm / (np.linalg.norm(self.grad) + 1e-6)
                if coef < 1.0:
                    self.grad *= coef
            if clip_value > 0.0:
                np.clip(self.grad, -clip_value, clip_value, out=self.grad)
            for layer in range(n_layers):
                gw, w = weights(self.grad, layout, layer)[0], weights(self.theta, layout, layer)[0]
                norms[layer] = np.linalg.norm(gw), np.linalg.norm(w)
            t = t0 + step + 1
            apply_update(opt_kind, self.theta, self.grad, self.s1, self.s2, mask, hyper, lr, t)
        return losses, norms, len(lrs)

    def predict(self, X):
        """The network's output for the rows X (evaluation)."""
        return forward(self.theta, self.layout, self.alphas, X)[1][-1]
