"""numba max and average pooling, one parallel task per image. The usual 2x2 max pool at
stride 2 has kernels of its own (each window's four cells read at once, no window loops),
apart so that a cold cache compiles only what a network uses."""

import numpy as np
from numba import njit, prange

from ..checks import check_pool, check_relu_maxpool_arg


@njit(parallel=True, cache=True)
def _pool(x, size, stride, ho, wo, use_max):
    """Each output row starts as its windows' first input row, and every other row of the
    windows is folded in along the whole output row (max, or sum then / size^2)."""
    n_img, n_ch = x.shape[0], x.shape[1]
    out = np.empty((n_img, n_ch, ho, wo), dtype=x.dtype)
    for n in prange(n_img):
        for c in range(n_ch):
            plane, dst = x[n, c], out[n, c]
            for i in range(ho):
                row = dst[i]
                for p in range(size):
                    src = plane[i * stride + p]
                    for q in range(size):
                        if p == 0 and q == 0:
                            for j in range(wo):
                                row[j] = src[j * stride]
                        elif use_max:
                            for j in range(wo):
                                row[j] = max(row[j], src[j * stride + q])
                        else:
                            for j in range(wo):
                                row[j] += src[j * stride + q]
                if not use_max:
                    for j in range(wo):
                        row[j] /= size * size
    return out


@njit(parallel=True, cache=True)
def _max2(x, ho, wo):
    """The 2x2 max pool at stride 2: each window's four cells read at once."""
    n_img, n_ch = x.shape[0], x.shape[1]
    out = np.empty((n_img, n_ch, ho, wo), dtype=x.dtype)
    for n in prange(n_img):
        for c in range(n_ch):
            for i in range(ho):
                a0, a1, row = x[n, c, 2 * i], x[n, c, 2 * i + 1], out[n, c, i]
                for j in range(wo):
                    row[j] = max(max(a0[2 * j], a0[2 * j + 1]), max(a1[2 * j], a1[2 * j + 1]))
    return out


@njit(parallel=True, cache=True)
def _max2_backward(dout, x):
    """The 2x2, stride-2 max pool's backward: each window's gradient goes to its first
    arg-max in row-major order (as the reference), without branches. Every cell of dx is
    written (np.zeros here would be a parallel region of its own)."""
    n_img, n_ch, ho, wo = dout.shape
    h, w = x.shape[2], x.shape[3]
    dx = np.empty_like(x)
    for n in prange(n_img):
        for c in range(n_ch):
            for j in range(w if h % 2 else 0):  # an odd last row no window covers
                dx[n, c, h - 1, j] = 0
            for i in range(h if w % 2 else 0):  # ... and an odd last column
                dx[n, c, i, w - 1] = 0
            for i in range(ho):
                a0, a1, d = x[n, c, 2 * i], x[n, c, 2 * i + 1], dout[n, c, i]
                g0, g1 = dx[n, c, 2 * i], dx[n, c, 2 * i + 1]
                for j in range(wo):
                    p, q, r, s = a0[2 * j], a0[2 * j + 1], a1[2 * j], a1[2 * j + 1]
                    m, v = max(max(p, q), max(r, s)), d[j]
                    tp = p == m
                    tq = (q == m) & ~tp
                    tr = (r == m) & ~(tp | tq)
                    g0[2 * j] = v if tp else 0
                    g0[2 * j + 1] = v if tq else 0
                    g1[2 * j] = v if tr else 0
                    g1[2 * j + 1] = 0 if (tp | tq | tr) else v
    return dx


@njit(parallel=True, cache=True)
def _pool_backward(dout, x, size, stride, use_max):
    n_img, n_ch, ho, wo = dout.shape
    dx = np.zeros_like(x)
    share = 1.0 / (size * size)
    for n in prange(n_img):
        for c in range(n_ch):
            for i in range(ho):
                for j in range(wo):
                    r0, c0 = i * stride, j * stride
                    if use_max:  # first arg-max in row-major window order, as reference
                        bp, bq = 0, 0
                        m = x[n, c, r0, c0]
                        for p in range(size):
                            for q in range(size):
                                if x[n, c, r0 + p, c0 + q] > m:
                                    m, bp, bq = x[n, c, r0 + p, c0 + q], p, q
                        dx[n, c, r0 + bp, c0 + bq] += dout[n, c, i, j]
                    else:
                        for p in range(size):
                            for q in range(size):
                                dx[n, c, r0 + p, c0 + q] += dout[n, c, i, j] * share
    return dx


@njit(parallel=True, cache=True)
def _unpool(dout, arg, size, stride, wo, dz):
    """dz[n, c, arg[n, c, i, j]] gets dout[n, c, i, j] where arg >= 0; dz's planes are flat
    (ho * wo) and each task zeroes its own first (an np.zeros from the caller costs more
    than this whole pass: fresh pages faulted in by both threads). Windows apart (stride >=
    size, the usual pool) give each cell one gradient at most, so a dead window (-1, about
    half of a ReLU network's) stores its 0 in its own first cell rather than taking a
    branch the processor mispredicts; overlapping windows add up."""
    n_img, n_ch, hq, wq = dout.shape
    for n in prange(n_img):
        for c in range(n_ch):
            a, d, g = arg[n, c], dout[n, c], dz[n, c]
            g[:] = 0
            if stride >= size:
                for i in range(hq):
                    for j in range(wq):  # arithmetic, not a select: that one jumps too
                        at = a[i, j]
                        dead = at < 0
                        g[at + dead * (stride * (i * wo + j) + 1)] = 0 if dead else d[i, j]
            else:
                for i in range(hq):
                    for j in range(wq):
                        if a[i, j] >= 0:
                            g[a[i, j]] += d[i, j]


def relu_maxpool2d_backward(dout, arg, size, stride, ho, wo):
    check_relu_maxpool_arg(dout, arg, size, stride, ho, wo)
    dz = np.empty((dout.shape[0], dout.shape[1], ho * wo), dtype=dout.dtype)
    _unpool(np.ascontiguousarray(dout), np.ascontiguousarray(arg), size, stride, wo, dz)
    return dz.reshape(dout.shape[0], dout.shape[1], ho, wo)


def _forward(x, size, stride, use_max):
    ho, wo = check_pool(x, size, stride)
    if use_max and size == 2 and stride == 2:
        return _max2(np.ascontiguousarray(x), ho, wo)
    return _pool(np.ascontiguousarray(x), size, stride, ho, wo, use_max)


def _backward(dout, x, size, stride, use_max):
    ho, wo = check_pool(x, size, stride)
    if dout.shape != (x.shape[0], x.shape[1], ho, wo):
        raise ValueError(f"dout must be {(x.shape[0], x.shape[1], ho, wo)}, got {dout.shape}")
    d = np.ascontiguousarray(dout, dtype=x.dtype)
    if use_max and size == 2 and stride == 2:
        return _max2_backward(d, np.ascontiguousarray(x))
    return _pool_backward(d, np.ascontiguousarray(x), size, stride, use_max)


def maxpool2d_forward(x, size, stride):
    return _forward(x, size, stride, True)


def maxpool2d_backward(dout, x, size, stride):
    return _backward(dout, x, size, stride, True)


def avgpool2d_forward(x, size, stride):
    return _forward(x, size, stride, False)


def avgpool2d_backward(dout, x, size, stride):
    return _backward(dout, x, size, stride, False)
