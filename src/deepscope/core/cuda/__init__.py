"""The CUDA backend: host launchers with the names and signatures of ``core.reference``.

Each launcher takes numpy arrays (any float dtype, any strides: they are copied to
contiguous float32 device arrays) or numba device arrays, and answers in kind: numpy in,
numpy out (the layer-by-layer path); device arrays in, device arrays out, so a caller that
keeps its tensors on the GPU (``core.cuda.mlp``) never copies them back. Computation is in
float32. Losses return a Python float. The engines are ``apply_update`` (here),
``mlp.DenseTrainer`` and ``landscape.grid_losses``.

Importing this module imports numba.cuda; ``core.backend.get_backend("cuda")`` is the only
place that does, so machines without a GPU never touch it.
"""

from __future__ import annotations

import numpy as np
from numba import cuda

from ..checks import (
    check_conv,
    check_conv_pool,
    check_dense,
    check_labels,
    check_pool,
    check_relu_maxpool_arg,
    check_same_shape,
)
from ..reference.batchnorm import check_batchnorm
from ..reference.weightnorm import check_weightnorm
from . import kernels as K

MAX_BLOCKS = 64  # first level of a loss reduction: partial sums per block


def is_device(a) -> bool:
    """True for numba device arrays (real or simulated)."""
    return hasattr(a, "copy_to_host")


def to_device(a, dtype=np.float32):
    """A contiguous device array of ``a`` (copied when it is on the host or of another dtype)."""
    if is_device(a):
        if a.dtype == dtype and a.is_c_contiguous():
            return a
        a = a.copy_to_host()
    return cuda.to_device(np.ascontiguousarray(a, dtype=dtype))


def _answer(d, like_host: bool):
    return d.copy_to_host() if like_host else d


def _host(*arrays) -> bool:
    return not any(is_device(a) for a in arrays)


def grid_1d(n: int):
    threads = max(1, min(K.THREADS, n))
    return (n + threads - 1) // threads, threads


def _flat(d):
    return d.reshape(d.size)


def matmul(a, b, out, trans_a=False, trans_b=False, bias=None):
    """out = op(a) @ op(b) (+ bias) on device arrays (the dense layer's three products)."""
    m, n = out.shape
    grid = ((n + K.TILE - 1) // K.TILE, (m + K.TILE - 1) // K.TILE)
    bias_arg = bias if bias is not None else out[0]
    K.matmul[grid, (K.TILE, K.TILE)](a, b, out, trans_a, trans_b, bias_arg, bias is not None)
    return out


def gather(src, order, start: int, out):
    """out[r] = src[order[start + r]] for the rows of out (a mini-batch, on the device)."""
    grid = ((out.shape[0] + K.TILE - 1) // K.TILE, (out.shape[1] + K.TILE - 1) // K.TILE)
    K.gather_rows[grid, (K.TILE, K.TILE)](src, order, start, out)
    return out


def apply_update(kind, p, g, s1, s2, mask, hyper, lr, t):
    """One optimizer step, in place (the rule of ``reference.optim.apply_update``; ``mask``
    is uint8, updated where L1 prunes): device vectors are updated on the device, host
    arrays are copied there and back."""
    if _host(p, g, s1, s2, mask):
        d_p, d_g, d_s1, d_s2 = (to_device(a) for a in (p, g, s1, s2))
        d_mask = to_device(mask, dtype=np.uint8)
        apply_update(kind, d_p, d_g, d_s1, d_s2, d_mask, hyper, lr, t)
        for host, dev in ((p, d_p), (s1, d_s1), (s2, d_s2), (mask, d_mask)):
            host[...] = dev.copy_to_host()
        return
    blocks, threads = grid_1d(p.size)
    hyper = to_device(hyper, dtype=np.float64)
    K.optimizer_update[blocks, threads](kind, p, g, s1, s2, mask, hyper, lr, t)


def scale(x, factor: float):
    """x *= factor, in place, on a device array; returns x."""
    blocks, threads = grid_1d(x.size)
    K.scale_array[blocks, threads](_flat(x), np.float32(factor))
    return x


def weight_norms(theta, grad, rows, out=None):
    """(|dW|^2, |W|^2) per row of ``rows`` ((offset, _, n_in, n_out, _) like an mlp layout),
    as a device array (L, 2); square roots are the caller's, on the host."""
    out = cuda.device_array((rows.shape[0], 2), np.float32) if out is None else out
    K.squared_norms[rows.shape[0], K.THREADS](theta, grad, rows, out)
    return out


def clip_norm(grad, max_norm: float) -> None:
    """Scale the device vector ``grad`` in place by max_norm / (|grad| + 1e-6) when that is
    below 1 (nn.clip_grad_norm); the norm stays on the device (no copy back)."""
    rows = cuda.to_device(np.array([[0, 0, grad.size, 1, 0]], dtype=np.int64))
    squares = weight_norms(grad, grad, rows)
    blocks, threads = grid_1d(grad.size)
    K.clip_by_norm[blocks, threads](grad, squares, np.float32(max_norm))


def clip_value(grad, clip: float) -> None:
    """Clamp every entry of the device vector ``grad`` to [-clip, clip], in place."""
    blocks, threads = grid_1d(grad.size)
    K.clip_by_value[blocks, threads](grad, np.float32(clip))


def column_sums(x, out):
    K.column_sums[x.shape[1], K.THREADS](x, out)
    return out


def mean_of(terms, count: int, out=None, index: int = 0) -> float | None:
    """Tree-sum the flat device array ``terms`` and divide by count; into out[index] (device,
    no copy back) when ``out`` is given, else returned as a float."""
    blocks = max(1, min(MAX_BLOCKS, (terms.size + K.THREADS - 1) // K.THREADS))
    partial = cuda.device_array(blocks, dtype=np.float32)
    K.block_sums[blocks, K.THREADS](terms, np.float32(1.0), partial, 0)
    target = out if out is not None else cuda.device_array(1, dtype=np.float32)
    K.block_sums[1, K.THREADS](partial, np.float32(1.0 / count), target, index)
    return None if out is not None else float(target.copy_to_host()[0])


# ---- dense -------------------------------------------------------------------------------
def dense_forward(x, w, b):
    check_dense(x, w, b)
    host = _host(x, w, b)
    dx, dw, db = to_device(x), to_device(w), to_device(b)
    out = cuda.device_array((x.shape[0], w.shape[1]), dtype=np.float32)
    return _answer(matmul(dx, dw, out, bias=db), host)


def dense_backward(dout, x, w):
    """(dx, dw, db): dout @ w.T, x.T @ dout, column sums of dout."""
    check_dense(x, w)
    if tuple(dout.shape) != (x.shape[0], w.shape[1]):
        raise ValueError(f"dout must be {(x.shape[0], w.shape[1])}, got {tuple(dout.shape)}")
    host = _host(dout, x, w)
    d, dx_in, dw_in = to_device(dout), to_device(x), to_device(w)
    dx = matmul(d, dw_in, cuda.device_array(x.shape, np.float32), trans_b=True)
    dw = matmul(dx_in, d, cuda.device_array(w.shape, np.float32), trans_a=True)
    db = column_sums(d, cuda.device_array(w.shape[1], np.float32))
    return tuple(_answer(a, host) for a in (dx, dw, db))


# ---- element-wise ------------------------------------------------------------------------
def _act_forward(code, x, alpha):
    host = _host(x)
    d = to_device(x)
    out = cuda.device_array(d.shape, np.float32)
    blocks, threads = grid_1d(out.size)
    K.activation_forward[blocks, threads](code, _flat(d), np.float32(alpha), _flat(out))
    return _answer(out, host)


def _act_backward(code, dout, x, alpha):
    check_same_shape("dout", dout, "x", x)
    host = _host(dout, x)
    dd, dxi = to_device(dout), to_device(x)
    out = cuda.device_array(dd.shape, np.float32)
    blocks, threads = grid_1d(out.size)
    K.activation_backward[blocks, threads](
        code, _flat(dd), _flat(dxi), np.float32(alpha), _flat(out)
    )
    return _answer(out, host)


def relu_forward(x):
    return _act_forward(K.RELU, x, 0.0)


def relu_backward(dout, x):
    return _act_backward(K.RELU, dout, x, 0.0)


def leaky_relu_forward(x, alpha=0.01):
    return _act_forward(K.LEAKY_RELU, x, alpha)


def leaky_relu_backward(dout, x, alpha=0.01):
    return _act_backward(K.LEAKY_RELU, dout, x, alpha)


def sigmoid_forward(x):
    return _act_forward(K.SIGMOID, x, 0.0)


def sigmoid_backward(dout, x):
    return _act_backward(K.SIGMOID, dout, x, 0.0)


def tanh_forward(x):
    return _act_forward(K.TANH, x, 0.0)


def tanh_backward(dout, x):
    return _act_backward(K.TANH, dout, x, 0.0)


def linear_forward(x):
    return _act_forward(K.IDENTITY, x, 0.0)


def linear_backward(dout, x):
    return _act_backward(K.IDENTITY, dout, x, 0.0)


def _rows(x):
    if len(x.shape) != 2:
        raise ValueError(f"softmax here works on (N, classes) rows, got shape {tuple(x.shape)}")


def softmax_forward(x):
    _rows(x)
    host = _host(x)
    d = to_device(x)
    out = cuda.device_array(d.shape, np.float32)
    blocks, threads = grid_1d(d.shape[0])
    K.softmax_rows[blocks, threads](d, out)
    return _answer(out, host)


def softmax_backward(dout, x):
    _rows(x)
    check_same_shape("dout", dout, "x", x)
    host = _host(dout, x)
    dd, dxi = to_device(dout), to_device(x)
    out = cuda.device_array(dxi.shape, np.float32)
    blocks, threads = grid_1d(dxi.shape[0])
    K.softmax_rows_backward[blocks, threads](dd, dxi, out)
    return _answer(out, host)


def dropout_forward(x, mask, p):
    """Inverted dropout with the caller's keep-mask: x * mask / (1 - p)."""
    check_same_shape("x", x, "mask", mask)
    host = _host(x, mask)
    dd, dm = to_device(x), to_device(mask)
    out = cuda.device_array(dd.shape, np.float32)
    blocks, threads = grid_1d(out.size)
    scale = np.float32(1.0 / (1.0 - p))
    K.scale_by_mask[blocks, threads](_flat(dd), _flat(dm), scale, _flat(out))
    return _answer(out, host)


def dropout_backward(dout, mask, p):
    return dropout_forward(dout, mask, p)


# ---- losses ------------------------------------------------------------------------------
def _loss_forward(kind, pred, target):
    check_same_shape("pred", pred, "target", target)
    dp, dt = to_device(pred), to_device(target)
    terms = cuda.device_array(dp.size, np.float32)
    blocks, threads = grid_1d(dp.size)
    K.loss_terms[blocks, threads](kind, _flat(dp), _flat(dt), terms)
    return mean_of(terms, dp.size)


def _loss_backward(kind, pred, target):
    check_same_shape("pred", pred, "target", target)
    host = _host(pred, target)
    dp, dt = to_device(pred), to_device(target)
    out = cuda.device_array(dp.shape, np.float32)
    blocks, threads = grid_1d(dp.size)
    scale = np.float32(1.0 / dp.size)
    K.loss_grad[blocks, threads](kind, _flat(dp), _flat(dt), scale, _flat(out))
    return _answer(out, host)


def mse_forward(pred, target):
    return _loss_forward(K.MSE, pred, target)


def mse_backward(pred, target):
    return _loss_backward(K.MSE, pred, target)


def bce_forward(pred, target):
    return _loss_forward(K.BCE, pred, target)


def bce_backward(pred, target):
    return _loss_backward(K.BCE, pred, target)


def _cross_entropy(logits, labels):
    if not is_device(logits):  # a device batch was checked when the data went up
        check_labels(np.asarray(logits), labels)
    dl = to_device(logits)
    dlab = to_device(labels, dtype=np.int64)
    n = dl.shape[0]
    terms = cuda.device_array(n, np.float32)
    grad = cuda.device_array(dl.shape, np.float32)
    blocks, threads = grid_1d(n)
    K.cross_entropy_rows[blocks, threads](dl, dlab, terms, grad, np.float32(1.0 / n))
    return terms, grad, _host(logits)


def cross_entropy_forward(logits, labels):
    terms, _, _ = _cross_entropy(logits, labels)
    return mean_of(terms, terms.size)


def cross_entropy_backward(logits, labels):
    _, grad, host = _cross_entropy(logits, labels)
    return _answer(grad, host)


# ---- convolution and pooling -------------------------------------------------------------
def conv2d_forward(x, w, b, stride=1, padding=0):
    ho, wo = check_conv(x, w, b, stride, padding)
    host = _host(x, w, b)
    dx, dw, db = to_device(x), to_device(w), to_device(b)
    n, n_out, k = x.shape[0], w.shape[0], w.shape[2]
    out = cuda.device_array((n, n_out, ho, wo), np.float32)
    grid = ((wo + K.TILE - 1) // K.TILE, (ho + K.TILE - 1) // K.TILE, n * n_out)
    side = (K.TILE - 1) * stride + k
    shared_bytes = side * side * 4
    K.conv2d_forward[grid, (K.TILE, K.TILE), 0, shared_bytes](dx, dw, db, stride, padding, out)
    return _answer(out, host)


def _conv_backward_setup(dout, x, w, stride, padding):
    """(answer on the host, dout on the device), after the shape checks."""
    ho, wo = check_conv(x, w, None, stride, padding)
    if tuple(dout.shape) != (x.shape[0], w.shape[0], ho, wo):
        raise ValueError(
            f"dout must be {(x.shape[0], w.shape[0], ho, wo)}, got {tuple(dout.shape)}"
        )
    return _host(dout, x, w), to_device(dout)


def _conv_input_grad(dd, x_shape, dwi, stride, padding):
    dx = cuda.device_array(tuple(x_shape), np.float32)
    blocks, threads = grid_1d(dx.size)
    K.conv2d_backward_input[blocks, threads](dd, dwi, stride, padding, dx)
    return dx


def conv2d_backward_input(dout, x, w, stride=1, padding=0):
    """dx of the convolution alone (x itself stays where it is: only its shape is read)."""
    host, dd = _conv_backward_setup(dout, x, w, stride, padding)
    return _answer(_conv_input_grad(dd, x.shape, to_device(w), stride, padding), host)


def _conv_param_grads(dd, dxi, w_shape, stride, padding):
    dw = cuda.device_array(tuple(w_shape), np.float32)
    K.conv2d_backward_weight[dw.size, K.THREADS](dd, dxi, stride, padding, dw)
    db = cuda.device_array(w_shape[0], np.float32)
    K.channel_sums[w_shape[0], K.THREADS](dd, db)
    return dw, db


def conv2d_backward_params(dout, x, w, stride=1, padding=0):
    """(dw, db) of the convolution alone (w itself stays where it is: only its shape is read)."""
    host, dd = _conv_backward_setup(dout, x, w, stride, padding)
    grads = _conv_param_grads(dd, to_device(x), w.shape, stride, padding)
    return tuple(_answer(a, host) for a in grads)


def conv2d_backward(dout, x, w, stride=1, padding=0):
    """(dx, dw, db) of the convolution."""
    host, dd = _conv_backward_setup(dout, x, w, stride, padding)
    dx = _conv_input_grad(dd, x.shape, to_device(w), stride, padding)
    dw, db = _conv_param_grads(dd, to_device(x), w.shape, stride, padding)
    return tuple(_answer(a, host) for a in (dx, dw, db))


def _pool_forward(x, size, stride, use_max):
    ho, wo = check_pool(x, size, stride)
    host = _host(x)
    d = to_device(x)
    out = cuda.device_array((x.shape[0], x.shape[1], ho, wo), np.float32)
    blocks, threads = grid_1d(out.size)
    K.pool_forward[blocks, threads](d, size, stride, use_max, out)
    return _answer(out, host)


def _pool_backward(dout, x, size, stride, use_max):
    ho, wo = check_pool(x, size, stride)
    if tuple(dout.shape) != (x.shape[0], x.shape[1], ho, wo):
        raise ValueError(
            f"dout must be {(x.shape[0], x.shape[1], ho, wo)}, got {tuple(dout.shape)}"
        )
    host = _host(dout, x)
    dd, dxi = to_device(dout), to_device(x)
    dx = cuda.device_array(dxi.shape, np.float32)
    blocks, threads = grid_1d(dx.size)
    K.pool_backward[blocks, threads](dd, dxi, size, stride, use_max, dx)
    return _answer(dx, host)


def maxpool2d_forward(x, size, stride):
    return _pool_forward(x, size, stride, True)


def conv2d_relu_maxpool2d_forward(x, w, b, stride, padding, size, pool_stride):
    """The three kernels in a row, every intermediate kept on the device."""
    host = _host(x, w, b)
    z = conv2d_forward(to_device(x), to_device(w), to_device(b), stride, padding)
    return _answer(maxpool2d_forward(relu_forward(z), size, pool_stride), host)


def conv2d_relu_maxpool2d_train_forward(x, w, b, stride, padding, size, pool_stride):
    """The conv kernel, then one that pools, applies the ReLU and records each arg-max; the
    conv's output stays on the device and is dropped."""
    _, _, hq, wq = check_conv_pool(x, w, b, stride, padding, size, pool_stride)
    host = _host(x, w, b)
    z = conv2d_forward(to_device(x), to_device(w), to_device(b), stride, padding)
    out = cuda.device_array((z.shape[0], z.shape[1], hq, wq), np.float32)
    arg = cuda.device_array(out.shape, np.int32)
    blocks, threads = grid_1d(out.size)
    K.relu_maxpool_arg[blocks, threads](z, size, pool_stride, out, arg)
    return _answer(out, host), _answer(arg, host)


def relu_maxpool2d_backward(dout, arg, size, stride, ho, wo):
    check_relu_maxpool_arg(dout, arg, size, stride, ho, wo)
    host = _host(dout, arg)
    dd, da = to_device(dout), to_device(arg, dtype=np.int32)
    dz = cuda.device_array((dd.shape[0], dd.shape[1], ho, wo), np.float32)
    blocks, threads = grid_1d(dz.size)
    K.unpool_arg[blocks, threads](dd, da, size, stride, dz)
    return _answer(dz, host)


def maxpool2d_backward(dout, x, size, stride):
    return _pool_backward(dout, x, size, stride, True)


def avgpool2d_forward(x, size, stride):
    return _pool_forward(x, size, stride, False)


def avgpool2d_backward(dout, x, size, stride):
    return _pool_backward(dout, x, size, stride, False)


# ---- batch normalisation -----------------------------------------------------------------
def batchnorm_forward(x, w, b, eps=1e-5, mean=None, var=None):
    """(out, mean, var) as reference/batchnorm.py: one block per feature column."""
    check_batchnorm(x, w, b, mean, var)
    host = _host(x, w, b)
    dx, dw, db = to_device(x), to_device(w), to_device(b)
    c = x.shape[1]
    given = mean is not None
    dmean = to_device(mean) if given else cuda.device_array(c, np.float32)
    dvar = to_device(var) if given else cuda.device_array(c, np.float32)
    out = cuda.device_array(dx.shape, np.float32)
    K.batchnorm_columns[c, K.THREADS](dx, dw, db, np.float32(eps), dmean, dvar, given, out)
    return tuple(_answer(a, host) for a in (out, dmean, dvar))


def batchnorm_backward(dout, x, w, mean, var, eps=1e-5, training=True):
    """(dx, dw, db) as reference/batchnorm.py: one block per feature column."""
    check_batchnorm(x, w, None, mean, var)
    if tuple(dout.shape) != tuple(x.shape):
        raise ValueError(f"dout must have the shape of x {tuple(x.shape)}, got {tuple(dout.shape)}")
    host = _host(dout, x, w)
    dd, dxi, dwi, dm, dv = (to_device(a) for a in (dout, x, w, mean, var))
    c = x.shape[1]
    dx = cuda.device_array(dxi.shape, np.float32)
    dw, db = cuda.device_array(c, np.float32), cuda.device_array(c, np.float32)
    K.batchnorm_columns_backward[c, K.THREADS](
        dd, dxi, dwi, dm, dv, np.float32(eps), bool(training), dx, dw, db
    )
    return tuple(_answer(a, host) for a in (dx, dw, db))


# ---- residual skip -----------------------------------------------------------------------
def _add(a, b):
    host = _host(a, b)
    da, db = to_device(a), to_device(b)
    out = cuda.device_array(da.shape, np.float32)
    blocks, threads = grid_1d(out.size)
    K.add_arrays[blocks, threads](_flat(da), _flat(db), _flat(out))
    return _answer(out, host)


def residual_forward(x, fx):
    """x + fx, one thread per element."""
    check_same_shape("x", x, "fx", fx)
    return _add(x, fx)


def residual_backward(dout, dfx):
    """dout + dfx: the skip's gradient plus the block's."""
    check_same_shape("dout", dout, "dfx", dfx)
    return _add(dout, dfx)


# ---- weight normalisation ----------------------------------------------------------------
def weightnorm_forward(v, g):
    """w = g v / |v| per column: one block per output unit."""
    check_weightnorm(v, g)
    host = _host(v, g)
    dv, dg = to_device(v), to_device(g)
    w = cuda.device_array(dv.shape, np.float32)
    K.weightnorm_columns[v.shape[1], K.THREADS](dv, dg, w)
    return _answer(w, host)


def weightnorm_backward(dout, v, g):
    """(dv, dg) from dout = d loss / d w: one block per output unit."""
    check_weightnorm(v, g)
    if tuple(dout.shape) != tuple(v.shape):
        raise ValueError(f"dout must have the shape of v {tuple(v.shape)}, got {tuple(dout.shape)}")
    host = _host(dout, v, g)
    dd, dvi, dgi = to_device(dout), to_device(v), to_device(g)
    dv = cuda.device_array(dvi.shape, np.float32)
    dg = cuda.device_array(v.shape[1], np.float32)
    K.weightnorm_columns_backward[v.shape[1], K.THREADS](dd, dvi, dgi, dv, dg)
    return _answer(dv, host), _answer(dg, host)


# the engines, built on the launchers above
from .landscape import grid_losses  # noqa: E402
from .mlp import DenseTrainer  # noqa: E402
