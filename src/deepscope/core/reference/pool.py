"""Max and average pooling over size x size windows moved by ``stride`` (no padding), and
convolution, ReLU and max pooling in a row: for inference, and for training with each pooled
cell's arg-max kept for the backward pass."""

import numpy as np

from ..checks import check_conv_pool, check_pool, check_relu_maxpool_arg
from .activations import relu_forward
from .conv import conv2d_forward, windows


def maxpool2d_forward(x, size, stride):
    check_pool(x, size, stride)
    return windows(x, size, stride, 0).max(axis=(4, 5))


def maxpool2d_backward(dout, x, size, stride):
    """Route each output gradient to the arg-max of its window (the first one on ties)."""
    ho, wo = check_pool(x, size, stride)
    win = windows(x, size, stride, 0)
    n, c = x.shape[:2]
    arg = win.reshape(n, c, ho, wo, size * size).argmax(axis=4)
    dx = np.zeros_like(x)
    for p in range(size):
        for q in range(size):
            hit = arg == p * size + q
            dx[:, :, p : p + stride * ho : stride, q : q + stride * wo : stride] += dout * hit
    return dx


def avgpool2d_forward(x, size, stride):
    check_pool(x, size, stride)
    return windows(x, size, stride, 0).mean(axis=(4, 5))


def avgpool2d_backward(dout, x, size, stride):
    """Each output gradient is shared equally by the size*size inputs of its window."""
    ho, wo = check_pool(x, size, stride)
    dx = np.zeros_like(x)
    share = dout / (size * size)
    for p in range(size):
        for q in range(size):
            dx[:, :, p : p + stride * ho : stride, q : q + stride * wo : stride] += share
    return dx


def conv2d_relu_maxpool2d_forward(x, w, b, stride, padding, size, pool_stride):
    """Conv2D, ReLU, MaxPool2D in a row, for a forward pass no backward follows (predict).
    Faster backends compute it in one pass without storing the conv's output."""
    return maxpool2d_forward(
        relu_forward(conv2d_forward(x, w, b, stride, padding)), size, pool_stride
    )


def conv2d_relu_maxpool2d_train_forward(x, w, b, stride, padding, size, pool_stride):
    """(out, arg): Conv2D, ReLU, MaxPool2D in a row, and for the backward pass ``arg``, int32
    shaped like ``out``: for each pooled cell the flat index (row * Wo + column) in its conv
    output plane (Ho, Wo) of the window's largest value (the first on ties, row by row), or
    -1 where that value is not above 0 (the ReLU passes no gradient there). A NaN wins its
    window (out NaN, arg its first NaN), as in the layers one by one. Faster backends never
    store the conv's output."""
    ho, wo, hq, wq = check_conv_pool(x, w, b, stride, padding, size, pool_stride)
    z = conv2d_forward(x, w, b, stride, padding)
    n, c = z.shape[:2]
    win = windows(z, size, pool_stride, 0).reshape(n, c, hq, wq, size * size)
    k = win.argmax(axis=4)  # numpy's argmax: the first NaN, if any
    top = np.take_along_axis(win, k[..., None], axis=4)[..., 0]
    row = np.arange(hq)[:, None] * pool_stride + k // size
    col = np.arange(wq)[None, :] * pool_stride + k % size
    arg = np.where(~(top <= 0), row * wo + col, -1).astype(np.int32)
    return np.maximum(top, 0).astype(x.dtype), arg


def relu_maxpool2d_backward(dout, arg, size, stride, ho, wo):
    """d loss / d conv output (N, C, ho, wo) from the pooled gradient ``dout`` and the
    ``arg`` of ``conv2d_relu_maxpool2d_train_forward`` (a ``size`` pool at ``stride`` over
    ho x wo): each pooled cell's gradient goes to its arg-max (summed where windows
    overlap), nowhere where arg is -1. ``arg`` is that function's: a cell outside its own
    window is not checked, and backends may treat it differently."""
    check_relu_maxpool_arg(dout, arg, size, stride, ho, wo)
    n, c = dout.shape[:2]
    dz = np.zeros((n * c, ho * wo), dtype=dout.dtype)
    plane = np.broadcast_to(np.arange(n * c)[:, None], (n * c, arg[0, 0].size))
    a, d = arg.reshape(n * c, -1), dout.reshape(n * c, -1)
    hit = a >= 0
    np.add.at(dz, (plane[hit], a[hit]), d[hit])
    return dz.reshape(n, c, ho, wo)
