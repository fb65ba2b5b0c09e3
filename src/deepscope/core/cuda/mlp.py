"""Training a dense network with everything on the GPU.

``DeviceTrainer`` uploads the parameters, the optimizer state and the whole dataset once; an
epoch then runs every mini-batch (gather, forward, loss, backward, update) as kernel launches
on device arrays, with no copy to the host per layer or per step. At the end of an epoch the
step losses and the per-layer norms (what a view shows) come back, and ``download`` copies
the parameters back when the host needs them (predictions, saving, a figure). Same layout,
loss codes and optimizer rules as ``core.cpu.mlp``.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from . import column_sums, gather, grid_1d, matmul, mean_of, to_device, update, weight_norms
from . import kernels as K


class DeviceTrainer:
    def __init__(self, theta, layout, alphas, X, Y, batch_size, loss_kind, s1, s2, mask):
        self.layout = np.asarray(layout, dtype=np.int64)
        self.alphas = [np.float32(a) for a in alphas]
        self.loss_kind = int(loss_kind)
        self.theta = to_device(theta)
        self.grad = cuda.device_array(self.theta.shape, np.float32)
        self.s1, self.s2 = to_device(s1), to_device(s2)
        self.mask = to_device(mask, dtype=np.uint8)  # which entries are penalised / pruned
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

    def _forward(self, x, bsz):
        prev = x
        for layer in range(len(self.layout)):
            w, b = self._weights(self.theta, layer)
            out = self.acts[layer][:bsz]
            matmul(prev, w, out)
            grid = ((bsz + K.TILE - 1) // K.TILE, (out.shape[1] + K.TILE - 1) // K.TILE)
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

    def epoch(self, order, lrs, t0, opt_kind, hyper, frozen=None):
        """Run len(lrs) steps over the rows ``order``; return (step losses, per-layer norms
        (|dW|, |W|) after the last step, steps completed before the loss left the reals).
        ``frozen`` (one bool per layout row, or None): layers that get no gradient (zero,
        as ``core.cpu.mlp.train_steps``; the update skips their FROZEN-marked entries), the
        backward pass ending at the lowest trainable layer."""
        n_rows, n_steps = len(order), len(lrs)
        n_layers = len(self.layout)
        frozen = np.zeros(n_layers, bool) if frozen is None else np.asarray(frozen, bool)
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
            out = self._forward(xb, bsz)
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
            if step == n_steps - 1:  # the norms a view shows: before the last update
                weight_norms(self.theta, self.grad, self.layout_d, norms)
            update(
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
        return host_losses, np.sqrt(norms.copy_to_host().astype(np.float64)), done

    def download(self, theta, s1, s2, mask) -> None:
        """Copy the parameters and the optimizer state (its penalty mask too: L1 may have
        pruned) into the host arrays."""
        for dev, host in ((self.theta, theta), (self.s1, s1), (self.s2, s2), (self.mask, mask)):
            host[...] = dev.copy_to_host()


def landscape(theta, d1, d2, coords, layout, alphas, X, Y, loss_kind) -> np.ndarray:
    """Loss at every grid point, one block per point, in one launch (``kernels.grid_losses``)."""
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
    return out.copy_to_host()
