"""Max and average pooling over size x size windows moved by ``stride`` (no padding), and
convolution, ReLU and max pooling in a row for inference."""

import numpy as np

from ..checks import check_pool
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
