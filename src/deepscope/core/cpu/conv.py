"""numba direct convolution, NCHW, on flattened rows.

Each padded image plane is one flat row of ``Hp * Wp`` numbers, and the output is computed
``Wp`` wide: output cell ``u = i * Wp + j`` reads input ``stride * u + p * Wp + q`` for
kernel tap (p, q). The columns ``j >= Wo`` are computed and dropped, so the innermost loop
runs over a whole plane (hundreds of numbers, it vectorises) instead of one short output
row, for every stride. One parallel task per image (forward, dx) or per (out, in) channel
pair (dw).
"""

import numpy as np
from numba import njit, prange

from ..checks import check_conv, check_pool


@njit(cache=True)
def pad(x, padding):
    if padding == 0:  # nothing to add: no copy
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=x.dtype)
    xp[:, :, padding : padding + h, padding : padding + w] = x
    return xp


@njit(cache=True, fastmath=True)
def _plane(acc, flat, w, b, n, o, stride, wp):
    """acc[u] = output cell u of image n, out channel o, on the ``wp``-wide flat layout."""
    n_in, k, span = w.shape[1], w.shape[2], acc.shape[0]
    acc[:] = b[o]
    for c in range(n_in):
        for p in range(k):
            for q in range(k):
                wv, src = w[o, c, p, q], flat[n, c, p * wp + q :]
                if stride == 1:  # contiguous reads: this loop vectorises
                    for u in range(span):
                        acc[u] += wv * src[u]
                else:
                    for u in range(span):
                        acc[u] += wv * src[stride * u]


@njit(parallel=True, cache=True, fastmath=True)
def _forward(xp, w, b, stride, ho, wo):
    n_img, n_in, hp, wp = xp.shape
    flat = xp.reshape(n_img, n_in, hp * wp)
    out = np.empty((n_img, w.shape[0], ho, wo), dtype=xp.dtype)
    for n in prange(n_img):
        acc = np.empty((ho - 1) * wp + wo, dtype=xp.dtype)  # up to the last real cell
        for o in range(w.shape[0]):
            _plane(acc, flat, w, b, n, o, stride, wp)
            for i in range(ho):
                out[n, o, i] = acc[i * wp : i * wp + wo]
    return out


@njit(parallel=True, cache=True, fastmath=True)
def _forward_relu_maxpool(xp, w, b, stride, ho, wo, size, pool_stride, hq, wq):
    """max over each pool window of relu(conv): the conv plane stays in a buffer of the
    task's own and only the pooled cells are written (relu(max) = max(relu): one pass)."""
    n_img, n_in, hp, wp = xp.shape
    flat = xp.reshape(n_img, n_in, hp * wp)
    out = np.empty((n_img, w.shape[0], hq, wq), dtype=xp.dtype)
    for n in prange(n_img):
        acc = np.empty((ho - 1) * wp + wo, dtype=xp.dtype)
        for o in range(w.shape[0]):
            _plane(acc, flat, w, b, n, o, stride, wp)
            for i in range(hq):
                row = out[n, o, i]
                row[:] = 0.0  # the ReLU's floor
                for p in range(size):
                    src = acc[(i * pool_stride + p) * wp :]
                    for q in range(size):
                        for j in range(wq):
                            row[j] = max(row[j], src[j * pool_stride + q])
    return out


@njit(cache=True)
def _widen(dout, wp):
    """dout laid out ``wp`` wide, zeros in the dropped columns: (N, O, Ho * Wp)."""
    n_img, n_out, ho, wo = dout.shape
    wide = np.zeros((n_img, n_out, ho * wp), dtype=dout.dtype)
    for n in range(n_img):
        for o in range(n_out):
            for i in range(ho):
                wide[n, o, i * wp : i * wp + wo] = dout[n, o, i]
    return wide


@njit(parallel=True, cache=True, fastmath=True)
def _grad_w(wide, xp, k, stride, span):
    n_img, n_out = wide.shape[0], wide.shape[1]
    n_in, hp, wp = xp.shape[1], xp.shape[2], xp.shape[3]
    flat = xp.reshape(n_img, n_in, hp * wp)
    dw = np.zeros((n_out, n_in, k, k), dtype=xp.dtype)
    for oc in prange(n_out * n_in):
        o, c = oc // n_in, oc % n_in
        for p in range(k):
            for q in range(k):
                s = 0.0
                for n in range(n_img):
                    d, src = wide[n, o], flat[n, c, p * wp + q :]
                    if stride == 1:
                        for u in range(span):
                            s += d[u] * src[u]
                    else:
                        for u in range(span):
                            s += d[u] * src[stride * u]
                dw[o, c, p, q] = s
    return dw


@njit(parallel=True, cache=True, fastmath=True)
def _grad_x(wide, w, stride, hp, wp, span):
    n_img, n_out = wide.shape[0], wide.shape[1]
    n_in, k = w.shape[1], w.shape[2]
    dxp = np.zeros((n_img, n_in, hp * wp), dtype=wide.dtype)
    for n in prange(n_img):
        for o in range(n_out):
            d = wide[n, o]
            for c in range(n_in):
                for p in range(k):
                    for q in range(k):
                        wv, g = w[o, c, p, q], dxp[n, c, p * wp + q :]
                        if stride == 1:
                            for u in range(span):
                                g[u] += wv * d[u]
                        else:
                            for u in range(span):
                                g[stride * u] += wv * d[u]
    return dxp.reshape(n_img, n_in, hp, wp)


def conv2d_forward(x, w, b, stride=1, padding=0):
    ho, wo = check_conv(x, w, b, stride, padding)
    xp = pad(np.ascontiguousarray(x), padding)
    return _forward(xp, np.ascontiguousarray(w), np.ascontiguousarray(b), stride, ho, wo)


def conv2d_relu_maxpool2d_forward(x, w, b, stride, padding, size, pool_stride):
    ho, wo = check_conv(x, w, b, stride, padding)
    hq, wq = check_pool(np.empty((1, 1, ho, wo), dtype=x.dtype), size, pool_stride)
    xp = pad(np.ascontiguousarray(x), padding)
    w, b = np.ascontiguousarray(w), np.ascontiguousarray(b)
    return _forward_relu_maxpool(xp, w, b, stride, ho, wo, size, pool_stride, hq, wq)


def conv2d_backward(dout, x, w, stride=1, padding=0):
    ho, wo = check_conv(x, w, None, stride, padding)
    if dout.shape != (x.shape[0], w.shape[0], ho, wo):
        raise ValueError(f"dout must be {(x.shape[0], w.shape[0], ho, wo)}, got {dout.shape}")
    dout = np.ascontiguousarray(dout, dtype=x.dtype)
    w = np.ascontiguousarray(w)
    xp = pad(np.ascontiguousarray(x), padding)
    hp, wp = xp.shape[2], xp.shape[3]
    wide, span = _widen(dout, wp), (ho - 1) * wp + wo
    dw = _grad_w(wide, xp, w.shape[2], stride, span)
    dxp = _grad_x(wide, w, stride, hp, wp, span)
    h, wd = x.shape[2], x.shape[3]
    db = dout.sum(axis=(0, 2, 3), dtype=x.dtype)
    return dxp[:, :, padding : padding + h, padding : padding + wd], dw, db
