"""A whole training epoch of a dense network in one compiled call.

Calling a compiled function from Python costs microseconds; a 2-8-8-1 network's step costs
less than that. So :class:`DenseTrainer` (``reference.mlp.DenseTrainer`` compiled) runs every
mini-batch of an epoch - forward, loss, backward, clipping, per-layer norms, optimizer
update - in one call of :func:`train_steps`, without returning to Python.

Parameters live in one flat vector ``theta`` (gradients in ``grad``); ``layout`` row l holds
(W offset, b offset, in_features, out_features, activation code) of dense layer l (the
codes of ``reference.mlp``). Small products run as plain loops (no call overhead); large
ones go to BLAS, split over the threads by rows (``gemm.mm_rows``). float32 takes the
rational tanh of ``scalar.py``, float64 libm's.
"""

import math

import numpy as np
from numba import njit

from ..reference.mlp import CROSS_ENTROPY, HALF_MSE, MSE
from ..reference.optim import FROZEN
from .gemm import mm_rows, runtime_flag, split_parts
from .losses import EPS, ce_value_grad, log_p, log_q
from .optim import apply_update
from .scalar import activate_array
from .split import bias_activate, gather_rows, mse_value_grad, slope_and_bias_grad, sums_of_squares

BLAS_MIN_WORK = 32768  # m * k * n from which np.dot beats hand loops


@njit(inline="always", cache=True, error_model="numpy")
def _mm(a, b, out, parts):
    """out = a @ b."""
    m, k = a.shape
    n = b.shape[1]
    if m * k * n >= BLAS_MIN_WORK:
        mm_rows(runtime_flag(False), runtime_flag(False), a, b, out, parts)
        return
    for i in range(m):
        for j in range(n):
            out[i, j] = 0.0
        for p in range(k):
            av = a[i, p]
            for j in range(n):
                out[i, j] += av * b[p, j]


@njit(inline="always", cache=True, error_model="numpy")
def _mm_tn(a, b, out, parts):
    """out = a.T @ b (weight gradient: inputs.T @ dz)."""
    k, m = a.shape
    n = b.shape[1]
    if m * k * n >= BLAS_MIN_WORK:
        mm_rows(runtime_flag(True), runtime_flag(False), a, b, out, parts)
        return
    for i in range(m):
        for j in range(n):
            out[i, j] = 0.0
    for p in range(k):
        for i in range(m):
            av = a[p, i]
            for j in range(n):
                out[i, j] += av * b[p, j]


@njit(inline="always", cache=True, error_model="numpy")
def _mm_nt(a, b, out, parts):
    """out = a @ b.T (input gradient: dz @ W.T)."""
    m, k = a.shape
    n = b.shape[0]
    if m * k * n >= BLAS_MIN_WORK:
        mm_rows(runtime_flag(False), runtime_flag(True), a, b, out, parts)
        return
    for i in range(m):
        for j in range(n):
            s = 0.0
            for p in range(k):
                s += a[i, p] * b[j, p]
            out[i, j] = s


@njit(inline="always", cache=True, error_model="numpy")
def forward_into(theta, layout, alphas, x, acts, exact, parts):
    """Fill acts[l] (flat workspace slices) with layer l's output for the batch x; the large
    products split in ``parts`` over the threads (``gemm.split_parts``)."""
    prev = x
    for layer in range(layout.shape[0]):
        w_off, b_off, n_in, n_out, code = layout[layer]
        w = theta[w_off : w_off + n_in * n_out].reshape(n_in, n_out)
        b = theta[b_off : b_off + n_out]
        out = acts[layer]
        _mm(prev, w, out, parts)
        bias_activate(out, b, code, alphas[layer], exact)
        prev = out
    return prev


@njit(cache=True, error_model="numpy")
def forward_feature_major(theta, layout, alphas, xt, acts, exact):
    """acts[l][j, i] = unit j of layer l for sample i; xt is the input transposed (in, N);
    ``exact``: libm's tanh and exp (float64) rather than the fast float32 ones.

    out[j, :] = b[j] + sum_p W[p, j] * prev[p, :], then the activation, layer by layer.
    """
    prev = xt
    for layer in range(layout.shape[0]):
        w_off, b_off, n_in, n_out, code = layout[layer]
        w = theta[w_off : w_off + n_in * n_out].reshape(n_in, n_out)
        out = acts[layer]
        n = out.shape[1]
        for j in range(n_out):
            row = out[j]
            bj = theta[b_off + j]
            for i in range(n):
                row[i] = bj
            for p in range(n_in):
                wpj = w[p, j]
                src = prev[p]
                for i in range(n):
                    row[i] += wpj * src[i]
        activate_array(code, out.reshape(out.size), alphas[layer], exact)
        prev = out
    return prev


@njit(cache=True, error_model="numpy")
def predict_rows(theta, layout, alphas, x, exact):
    """The network's output for the rows x, feature-major (its loops run along the rows:
    3-4x faster than ``forward_into`` on 500 rows of a 2-8-8-1 network), on workspaces made
    here (a list built inside compiled code costs nothing to pass; one from Python is
    unboxed per call)."""
    acts = [np.empty((n, x.shape[0]), dtype=theta.dtype) for n in layout[:, 3]]
    xt = np.ascontiguousarray(x.T)
    return np.ascontiguousarray(forward_feature_major(theta, layout, alphas, xt, acts, exact).T)


@njit(cache=True, error_model="numpy")
def _loss_and_grad(kind, out, yb, dout):
    """Batch loss (reduced like reference/losses.py) and d loss / d out into dout."""
    n, k = out.shape
    if kind == CROSS_ENTROPY:
        labels = np.empty(n, dtype=np.int64)
        for r in range(n):
            labels[r] = int(yb[r, 0])
        return ce_value_grad(out, labels, dout)
    if kind == MSE or kind == HALF_MSE:
        return mse_value_grad(kind, out, yb, dout)
    total = 0.0
    size = n * k
    for r in range(n):
        for j in range(k):  # a target of exactly 0 or 1 needs one of the two logarithms
            p, t = out[r, j], yb[r, j]
            lp = log_p(p) if t != 0.0 else 0.0
            lq = log_q(p) if t != 1.0 else 0.0
            total -= t * lp + (1.0 - t) * lq
            dout[r, j] = (p - t) / max(p * (1.0 - p), EPS) / size
    return total / size


@njit(cache=True, error_model="numpy", fastmath=True)
def loss_value(kind, out, yb):
    """The batch loss of :func:`_loss_and_grad` without its gradient, for evaluation only.

    BCE takes one logarithm per entry when the target is exactly 0 or 1 (the usual case).
    """
    n, k = out.shape
    total = 0.0
    if kind == CROSS_ENTROPY:
        for r in range(n):
            m = out[r, 0]
            for j in range(1, k):
                m = max(m, out[r, j])
            s = 0.0
            for j in range(k):
                s += math.exp(out[r, j] - m)
            total += m + math.log(s) - out[r, int(yb[r, 0])]
        return total / n
    for r in range(n):
        for j in range(k):
            p, t = out[r, j], yb[r, j]
            if kind == MSE or kind == HALF_MSE:
                total += (p - t) * (p - t)
                continue
            if t != 0.0:
                total -= t * log_p(p)
            if t != 1.0:
                total -= (1.0 - t) * log_q(p)
    if kind == HALF_MSE:
        return 0.5 * (total / (n * k))
    return total / (n * k)


@njit(cache=True)
def _batch_views(xb_ws, yb_ws, act_ws, grad_ws, starts, widths, n_x, n_y, bsz):
    """A batch of ``bsz`` rows as views of the epoch's workspaces: inputs, targets, and each
    layer's activations and deltas (bsz, width)."""
    layers = range(widths.shape[0])
    acts = [
        act_ws[bsz * starts[i] : bsz * (starts[i] + widths[i])].reshape(bsz, widths[i])
        for i in layers
    ]
    deltas = [
        grad_ws[bsz * starts[i] : bsz * (starts[i] + widths[i])].reshape(bsz, widths[i])
        for i in layers
    ]
    return xb_ws[: bsz * n_x].reshape(bsz, n_x), yb_ws[: bsz * n_y].reshape(bsz, n_y), acts, deltas


@njit(cache=True, error_model="numpy")
def train_steps(
    theta,
    grad,
    layout,
    alphas,
    x_all,
    y_all,
    order,
    batch_size,
    loss_kind,
    exact,
    opt_kind,
    hyper,
    s1,
    s2,
    mask,
    lrs,
    t0,
    losses,
    norms,
    clip_norm=0.0,
    clip_value=0.0,
    parts=1,
):
    """Run len(lrs) mini-batch steps over the rows ``order`` of (x_all, y_all): the epoch
    of ``reference.mlp.DenseTrainer.epoch``, float32 with the rational tanh unless
    ``exact``. losses[s] receives step s's batch loss, norms[l] = (|dW_l|, |W_l|) the last
    completed step's; theta, grad, s1, s2 and mask are updated in place; the large products
    split in ``parts`` over the threads. Returns the number of steps completed."""
    n_layers = layout.shape[0]
    frozen = np.zeros(n_layers, dtype=np.bool_)
    lowest = n_layers  # the lowest trainable layer: the backward pass ends there
    for layer in range(n_layers - 1, -1, -1):
        w_off, b_off, n_in, n_out, _ = layout[layer]
        frozen[layer] = mask[w_off] >= FROZEN and mask[b_off] >= FROZEN
        if frozen[layer]:
            for i in range(w_off, w_off + n_in * n_out):
                grad[i] = 0.0
            for i in range(b_off, b_off + n_out):
                grad[i] = 0.0
        else:
            lowest = layer
    dtype = theta.dtype
    widths = layout[:, 3]
    starts = np.zeros(n_layers, dtype=np.int64)  # layer l's rows begin at bsz * starts[l]
    for layer in range(1, n_layers):
        starts[layer] = starts[layer - 1] + widths[layer - 1]
    total_width = starts[n_layers - 1] + widths[n_layers - 1]
    act_ws = np.empty(batch_size * total_width, dtype=dtype)
    grad_ws = np.empty(batch_size * total_width, dtype=dtype)
    n_rows, n_x, n_y = order.shape[0], x_all.shape[1], y_all.shape[1]
    xb_ws = np.empty(batch_size * n_x, dtype=dtype)
    yb_ws = np.empty(batch_size * n_y, dtype=dtype)
    # the batch's views, made again only when its size changes (the last batch may be short)
    bsz = 0
    xb, yb, acts, deltas = _batch_views(
        xb_ws, yb_ws, act_ws, grad_ws, starts, widths, n_x, n_y, bsz
    )
    for step in range(lrs.shape[0]):
        start = step * batch_size
        if min(batch_size, n_rows - start) != bsz:
            bsz = min(batch_size, n_rows - start)
            xb, yb, acts, deltas = _batch_views(
                xb_ws, yb_ws, act_ws, grad_ws, starts, widths, n_x, n_y, bsz
            )
        gather_rows(x_all, order, start, xb)
        gather_rows(y_all, order, start, yb)
        out = forward_into(theta, layout, alphas, xb, acts, exact, parts)
        loss = _loss_and_grad(loss_kind, out, yb, deltas[n_layers - 1])
        losses[step] = loss
        if not math.isfinite(loss):
            return step
        for layer in range(n_layers - 1, lowest - 1, -1):
            w_off, b_off, n_in, n_out, code = layout[layer]
            a, dz = acts[layer], deltas[layer]
            db = grad[b_off : b_off + n_out]
            slope_and_bias_grad(code, dz, a, alphas[layer], db, not frozen[layer])
            if not frozen[layer]:
                prev = xb if layer == 0 else acts[layer - 1]
                _mm_tn(prev, dz, grad[w_off : w_off + n_in * n_out].reshape(n_in, n_out), parts)
            if layer > lowest:
                w = theta[w_off : w_off + n_in * n_out].reshape(n_in, n_out)
                _mm_nt(dz, w, deltas[layer - 1], parts)
        if clip_norm > 0.0:
            total = 0.0
            for i in range(grad.size):
                total += grad[i] * grad[i]
            coef = clip_norm / (math.sqrt(total) + 1e-6)
            if coef < 1.0:
                for i in range(grad.size):
                    grad[i] *= coef
        if clip_value > 0.0:
            for i in range(grad.size):
                grad[i] = min(max(grad[i], -clip_value), clip_value)
        for layer in range(n_layers):
            w_off, n_w = layout[layer, 0], layout[layer, 2] * layout[layer, 3]
            gs, ws = sums_of_squares(grad, theta, w_off, w_off + n_w)
            norms[layer, 0] = math.sqrt(gs)
            norms[layer, 1] = math.sqrt(ws)
        apply_update(opt_kind, theta, grad, s1, s2, mask, hyper, lrs[step], t0 + step + 1)
    return lrs.shape[0]


class DenseTrainer:
    """``reference.mlp.DenseTrainer`` on the cpu: the caller's arrays, trained in place by one
    call of :func:`train_steps` per epoch."""

    def __init__(self, theta, grad, layout, alphas, X, Y, batch_size, loss_kind, s1, s2, mask):
        self.theta, self.grad, self.layout, self.alphas = theta, grad, layout, alphas
        self.X, self.Y, self.batch_size, self.loss_kind = X, Y, batch_size, loss_kind
        self.s1, self.s2, self.mask = s1, s2, mask
        self.exact = theta.dtype == np.float64

    def epoch(self, order, lrs, t0, opt_kind, hyper, clip_norm=0.0, clip_value=0.0):
        """See ``reference.mlp.DenseTrainer.epoch``: (losses, norms, done)."""
        losses = np.empty(len(lrs))
        norms = np.zeros((len(self.layout), 2))
        done = train_steps(
            self.theta,
            self.grad,
            self.layout,
            self.alphas,
            self.X,
            self.Y,
            order,
            self.batch_size,
            self.loss_kind,
            self.exact,
            opt_kind,
            hyper,
            self.s1,
            self.s2,
            self.mask,
            lrs,
            t0,
            losses,
            norms,
            clip_norm,
            clip_value,
            split_parts(),
        )
        return losses, norms, done

    def predict(self, X):
        """The network's output for the rows X, in one compiled call."""
        return predict_rows(self.theta, self.layout, self.alphas, X, self.exact)
