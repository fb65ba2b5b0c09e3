"""numba direct convolution, NCHW. One parallel task per image (forward, dx) or per output
channel (dw); the innermost loop runs along an output row so it vectorises for stride 1."""

import numpy as np
from numba import njit, prange

from ..checks import check_conv


@njit(cache=True)
def pad(x, padding):
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=x.dtype)
    xp[:, :, padding : padding + h, padding : padding + w] = x
    return xp


@njit(parallel=True, cache=True, fastmath=True)
def _forward(xp, w, b, stride, ho, wo):
    n_img, n_in = xp.shape[0], xp.shape[1]
    n_out, k = w.shape[0], w.shape[2]
    out = np.empty((n_img, n_out, ho, wo), dtype=xp.dtype)
    for n in prange(n_img):
        for o in range(n_out):
            acc = out[n, o]
            acc[:, :] = b[o]
            for c in range(n_in):
                img = xp[n, c]
                for p in range(k):
                    for q in range(k):
                        wv = w[o, c, p, q]
                        for i in range(ho):
                            src = img[i * stride + p]
                            dst = acc[i]
                            if stride == 1:  # unit stride: this loop vectorises
                                for j in range(wo):
                                    dst[j] += wv * src[j + q]
                            else:
                                for j in range(wo):
                                    dst[j] += wv * src[j * stride + q]
    return out


@njit(parallel=True, cache=True, fastmath=True)
def _grad_w(dout, xp, k, stride):
    n_img, n_out, ho, wo = dout.shape
    n_in = xp.shape[1]
    dw = np.zeros((n_out, n_in, k, k), dtype=xp.dtype)
    for oc in prange(n_out * n_in):
        o, c = oc // n_in, oc % n_in
        for p in range(k):
            for q in range(k):
                s = 0.0
                for n in range(n_img):
                    for i in range(ho):
                        d = dout[n, o, i]
                        src = xp[n, c, i * stride + p]
                        if stride == 1:
                            for j in range(wo):
                                s += d[j] * src[j + q]
                        else:
                            for j in range(wo):
                                s += d[j] * src[j * stride + q]
                dw[o, c, p, q] = s
    return dw


@njit(parallel=True, cache=True, fastmath=True)
def _grad_x(dout, w, stride, hp, wp):
    n_img, n_out, ho, wo = dout.shape
    n_in, k = w.shape[1], w.shape[2]
    dxp = np.zeros((n_img, n_in, hp, wp), dtype=dout.dtype)
    for n in prange(n_img):
        for o in range(n_out):
            d = dout[n, o]
            for c in range(n_in):
                g = dxp[n, c]
                for p in range(k):
                    for q in range(k):
                        wv = w[o, c, p, q]
                        for i in range(ho):
                            dst = g[i * stride + p]
                            src = d[i]
                            if stride == 1:
                                for j in range(wo):
                                    dst[j + q] += wv * src[j]
                            else:
                                for j in range(wo):
                                    dst[j * stride + q] += wv * src[j]
    return dxp


@njit(cache=True)
def _grad_b(dout):
    db = np.zeros(dout.shape[1], dtype=dout.dtype)
    for n in range(dout.shape[0]):
        for o in range(dout.shape[1]):
            db[o] += dout[n, o].sum()
    return db


def conv2d_forward(x, w, b, stride=1, padding=0):
    ho, wo = check_conv(x, w, b, stride, padding)
    xp = pad(np.ascontiguousarray(x), padding)
    return _forward(xp, np.ascontiguousarray(w), np.ascontiguousarray(b), stride, ho, wo)


def conv2d_backward(dout, x, w, stride=1, padding=0):
    ho, wo = check_conv(x, w, None, stride, padding)
    if dout.shape != (x.shape[0], w.shape[0], ho, wo):
        raise ValueError(f"dout must be {(x.shape[0], w.shape[0], ho, wo)}, got {dout.shape}")
    dout = np.ascontiguousarray(dout, dtype=x.dtype)
    w = np.ascontiguousarray(w)
    xp = pad(np.ascontiguousarray(x), padding)
    dw = _grad_w(dout, xp, w.shape[2], stride)
    dxp = _grad_x(dout, w, stride, xp.shape[2], xp.shape[3])
    h, wd = x.shape[2], x.shape[3]
    return dxp[:, :, padding : padding + h, padding : padding + wd], dw, _grad_b(dout)
