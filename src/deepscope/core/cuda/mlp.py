"""Training a dense network with everything on the GPU: ``reference.mlp.DenseTrainer`` on
the cuda backend.

``DenseTrainer`` uploads the parameters, the optimizer state and the whole dataset once; an
epoch then runs every mini-batch (gather, forward, loss, backward, clipping, update) as
kernel launches on device arrays, with no copy to the host per layer or per step. At the
end of an epoch the step losses and the per-layer norms (what a view shows) come back, and
the parameters and optimizer state are copied into the host arrays. The device copies stay
the ones trained from epoch to epoch; only the penalty mask is read from the host at every
epoch (``trainable`` changes between epochs).
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from ..reference.optim import FROZEN
from . import apply_update, column_sums, gather, grid_1d, matmul, mean_of, to_device, weight_norms
from . import clip_norm as clip_by_norm
from . import clip_value as clip_by_value
from . import kernels as K


class DenseTrainer:
    """``reference.mlp.DenseTrainer`` on the GPU: device copies of the arrays it is given."""

    def __init__(self, theta, grad, layout, alphas, X, Y, batch_size, loss_kind, s1, s2, mask):
        self.host = theta, s1, s2, mask  # what each epoch's results are copied into
        self.layout = np.asarray(layout, dtype=np.int64)
        self.alphas = [np.float32(a) for a in alphas]
        self.loss_kind = int(loss_kind)
        self.theta, self.grad = to_device(theta), to_device(grad)
        self.s1, self.s2 = to_device(s1), to_device(s2)
        self.mask = cuda.device_array(len(mask), np.uint8)  # uploaded at every epoch
        self.X = to_device(X)
        if self.loss_kind == K.CROSS_ENTROPY:
            self.Y = to_device(np.asarray(Y).reshape(len(X), 1), dtype=np.int64)
            self.yb = cuda.device_array((batch_size, 1), np.int64)
        else:
            self.Y = to_device(Y)
            self.yb = cuda.device_array((batch_size, Y.shape[1]), np.float32)
        self.batch_size = batch_size
        self.xb = cuda.device_array((batch_size, X.shape[1]), np.float32)
        widths = self.layout[:, 3]
        self.acts = [cuda.device_array((batch_size, int(w)), np.float32) for w in widths]
        self.deltas = [cuda.device_array((batch_size, int(w)), np.float32) for w in widths]
        self.terms = cuda.device_array(batch_size * int(widths[-1]), np.float32)
        self.layout_d = cuda.to_device(self.layout)

    def _weights(self, array, layer):
        w_off, b_off, n_in, n_out, _ = (int(v) for v in self.layout[layer])
        return array[w_off : w_off + n_in * n_out].reshape(n_in, n_out), array[
            b_off : b_off + n_out
        ]

    def _forward(self, x, acts):
        """Each layer's output into acts[layer] (device arrays of x's rows)."""
        prev, n = x, x.shape[0]
        for layer in range(len(self.layout)):
            w, b = self._weights(self.theta, layer)
            out = acts[layer]
            matmul(prev, w, out)
            grid = ((n + K.TILE - 1) // K.TILE, (out.shape[1] + K.TILE - 1) // K.TILE)
            K.bias_activate[grid, (K.TILE, K.TILE)](
                int(self.layout[layer, 4]), out, b, self.alphas[layer]
            )
            prev = out
        return prev

    def _loss(self, out, yb, dout, losses, step):
        bsz, width = out.shape
        if self.loss_kind == K.CROSS_ENTROPY:
            terms = self.terms[:bsz]
            blocks, threads = grid_1d(bsz)
            K.cross_entropy_rows[blocks, threads](out, yb[:, 0], terms, dout, np.float32(1.0 / bsz))
            mean_of(terms, bsz, losses, step)
            return
        size = bsz * width
        terms = self.terms[:size]
        blocks, threads = grid_1d(size)
        flat_out, flat_y, flat_d = out.reshape(size), yb.reshape(size), dout.reshape(size)
        K.loss_terms[blocks, threads](self.loss_kind, flat_out, flat_y, terms)
        K.loss_grad[blocks, threads](
            self.loss_kind, flat_out, flat_y, np.float32(1.0 / size), flat_d
        )
        mean_of(terms, size, losses, step)

    def epoch(self, order, lrs, t0, opt_kind, hyper, clip_norm=0.0, clip_value=0.0):
        """See ``reference.mlp.DenseTrainer.epoch``: (losses, norms, done). The norms are
        the last step's; after a divergence the remaining steps still run on the device
        (their losses are NaN or inf too)."""
        mask_h = self.host[3]
        self.mask.copy_to_device(mask_h)
        n_rows, n_steps = len(order), len(lrs)
        n_layers = len(self.layout)
        frozen = (mask_h[self.layout[:, 0]] >= FROZEN) & (mask_h[self.layout[:, 1]] >= FROZEN)
        trainable = np.flatnonzero(~frozen)
        lowest = int(trainable[0]) if trainable.size else n_layers
        for layer in np.flatnonzero(frozen):
            gw, gb = self._weights(self.grad, int(layer))
            gw.copy_to_device(np.zeros(gw.shape, np.float32))
            gb.copy_to_device(np.zeros(gb.shape, np.float32))
        order_d = cuda.to_device(np.asarray(order, dtype=np.int64))
        hyper_d = cuda.to_device(np.asarray(hyper, dtype=np.float64))
        losses = cuda.device_array(n_steps, np.float32)
        norms = cuda.device_array((len(self.layout), 2), np.float32)
        for step in range(n_steps):
            start = step * self.batch_size
            bsz = min(self.batch_size, n_rows - start)
            xb, yb = self.xb[:bsz], self.yb[:bsz]
            gather(self.X, order_d, start, xb)
            gather(self.Y, order_d, start, yb)
            out = self._forward(xb, [a[:bsz] for a in self.acts])
            self._loss(out, yb, self.deltas[-1][:bsz], losses, step)
            for layer in range(n_layers - 1, lowest - 1, -1):
                a, dz = self.acts[layer][:bsz], self.deltas[layer][:bsz]
                blocks, threads = grid_1d(dz.size)
                K.multiply_slope[blocks, threads](
                    int(self.layout[layer, 4]),
                    dz.reshape(dz.size),
                    a.reshape(a.size),
                    self.alphas[layer],
                )
                if not frozen[layer]:
                    prev = xb if layer == 0 else self.acts[layer - 1][:bsz]
                    gw, gb = self._weights(self.grad, layer)
                    matmul(prev, dz, gw, trans_a=True)
                    column_sums(dz, gb)
                if layer > lowest:
                    w, _ = self._weights(self.theta, layer)
                    matmul(dz, w, self.deltas[layer - 1][:bsz], trans_b=True)
            if clip_norm > 0.0:
                clip_by_norm(self.grad, clip_norm)
            if clip_value > 0.0:
                clip_by_value(self.grad, clip_value)
            if step == n_steps - 1:  # the norms a view shows: before the last update
                weight_norms(self.theta, self.grad, self.layout_d, norms)
            apply_update(
                opt_kind,
                self.theta,
                self.grad,
                self.s1,
                self.s2,
                self.mask,
                hyper_d,
                lrs[step],
                t0 + step + 1,
            )
        host_losses = losses.copy_to_host().astype(np.float64)
        bad = np.flatnonzero(~np.isfinite(host_losses))
        done = int(bad[0]) if bad.size else n_steps
        for dev, host in zip((self.theta, self.s1, self.s2, self.mask), self.host):
            host[...] = dev.copy_to_host()
        return host_losses, np.sqrt(norms.copy_to_host().astype(np.float64)), done

    def predict(self, X):
        """The network's output for the rows X, computed on the device (float32)."""
        x = to_device(X)
        acts = [cuda.device_array((len(X), int(w)), np.float32) for w in self.layout[:, 3]]
        return self._forward(x, acts).copy_to_host()
