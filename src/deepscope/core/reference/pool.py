"""Max and average pooling over size x size windows moved by ``stride`` (no padding)."""

import numpy as np

from ..checks import check_pool
from .conv import windows


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
