"""numba direct convolution, NCHW, on flattened rows.

Each padded image plane is one flat row of ``Hp * Wp`` numbers, and the output is computed
``Wp`` wide: output cell ``u = i * Wp + j`` reads input ``stride * u + p * Wp + q`` for
kernel tap (p, q). The columns ``j >= Wo`` are computed and dropped, so the innermost loop
runs over a whole plane (hundreds of numbers, it vectorises) instead of one short output
row, for every stride. One parallel task per image (forward, dx) or per (out, in) channel
pair (dw).

The 3x3 kernel at stride 1 (every shipped CNN's) has loops of its own: all nine taps in one
pass over the plane, so each output cell is loaded and stored once rather than nine times,
and its input gradient is gathered (each input cell sums the nine cells it reached, from a
copy of ``dout`` with a zero margin) rather than scattered.
"""

import numpy as np
from numba import get_num_threads, njit, prange

from ..checks import check_conv, check_conv_pool
from .scalar import FASTMATH_KEEP_NAN


@njit(cache=True)
def pad(x, padding):
    if padding == 0:  # nothing to add: no copy
        return x
    n, c, h, w = x.shape
    xp = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=x.dtype)
    for i in range(n):
        for j in range(c):
            for r in range(h):
                _copy(xp[i, j, r + padding, padding:], x[i, j, r], w)
    return xp


@njit(cache=True)
def _copy(dst, src, n):
    """dst[:n] = src[:n] for 1-D arrays, in a loop: numba compiles an array-to-array slice
    assignment with its shape-error formatting, about 3 s of a cold cache per function."""
    for j in range(n):
        dst[j] = src[j]


@njit(cache=True, fastmath=True)
def _plane3(acc, flat, w, b, n, o, wp):
    """``_plane`` for a 3x3 kernel at stride 1: the nine taps in one pass."""
    span = acc.shape[0]
    for c in range(w.shape[1]):
        r0, r1, r2 = flat[n, c, 0:], flat[n, c, wp:], flat[n, c, 2 * wp :]
        w00, w01, w02 = w[o, c, 0, 0], w[o, c, 0, 1], w[o, c, 0, 2]
        w10, w11, w12 = w[o, c, 1, 0], w[o, c, 1, 1], w[o, c, 1, 2]
        w20, w21, w22 = w[o, c, 2, 0], w[o, c, 2, 1], w[o, c, 2, 2]
        if c == 0:  # two loops: a branch inside one keeps it from vectorising
            for u in range(span):
                acc[u] = (
                    b[o]
                    + w00 * r0[u] + w01 * r0[u + 1] + w02 * r0[u + 2]
                    + w10 * r1[u] + w11 * r1[u + 1] + w12 * r1[u + 2]
                    + w20 * r2[u] + w21 * r2[u + 1] + w22 * r2[u + 2]
                )  # fmt: skip
        else:
            for u in range(span):
                acc[u] += (
                    w00 * r0[u] + w01 * r0[u + 1] + w02 * r0[u + 2]
                    + w10 * r1[u] + w11 * r1[u + 1] + w12 * r1[u + 2]
                    + w20 * r2[u] + w21 * r2[u + 1] + w22 * r2[u + 2]
                )  # fmt: skip


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
                _copy(out[n, o, i], acc[i * wp :], wo)
    return out


@njit(parallel=True, cache=True, fastmath=True)
def _forward3(xp, w, b, ho, wo):
    """``_forward`` for a 3x3 kernel at stride 1 (a kernel of its own, so that a cold cache
    compiles only the loops a network uses)."""
    n_img, n_in, hp, wp = xp.shape
    flat = xp.reshape(n_img, n_in, hp * wp)
    out = np.empty((n_img, w.shape[0], ho, wo), dtype=xp.dtype)
    for n in prange(n_img):
        acc = np.empty((ho - 1) * wp + wo, dtype=xp.dtype)
        for o in range(w.shape[0]):
            _plane3(acc, flat, w, b, n, o, wp)
            for i in range(ho):
                _copy(out[n, o, i], acc[i * wp :], wo)
    return out


@njit(parallel=True, cache=True, fastmath=FASTMATH_KEEP_NAN)
def _forward_relu_maxpool(xp, w, b, stride, ho, wo, size, pool_stride, out, arg, zero):
    """out = max over each pool window of relu(conv), and arg = the window's first arg-max
    as a cell of the (ho, wo) conv plane, or -1 where the max is not above ``zero`` (relu(max)
    = max(relu): one pass). A NaN wins its window, as in the layers one by one (a diverged
    network must not read as a finite one). The conv plane stays in a buffer of the task's
    own."""
    n_img, n_in, hp, wp = xp.shape
    flat = xp.reshape(n_img, n_in, hp * wp)
    hq, wq = out.shape[2], out.shape[3]
    for n in prange(n_img):
        acc = np.empty((ho - 1) * wp + wo, dtype=xp.dtype)
        for o in range(w.shape[0]):
            _plane(acc, flat, w, b, n, o, stride, wp)
            for i in range(hq):
                for j in range(wq):
                    r0, c0 = i * pool_stride, j * pool_stride
                    best, at = acc[r0 * wp + c0], r0 * wo + c0
                    for p in range(size):
                        a = acc[(r0 + p) * wp + c0 :]
                        for q in range(size):
                            take = (a[q] > best) | (a[q] != a[q])
                            best, at = (a[q], (r0 + p) * wo + c0 + q) if take else (best, at)
                    live = not best <= zero  # NaN too
                    out[n, o, i, j] = best if live else zero
                    arg[n, o, i, j] = at if live else -1


@njit(parallel=True, cache=True, fastmath=FASTMATH_KEEP_NAN)
def _forward3_relu_maxpool2(xp, w, b, ho, wo, out, arg, zero):
    """``_forward_relu_maxpool`` for a 3x3 kernel at stride 1 and a 2x2 pool at stride 2."""
    n_img, n_in, hp, wp = xp.shape
    flat = xp.reshape(n_img, n_in, hp * wp)
    hq, wq = out.shape[2], out.shape[3]
    for n in prange(n_img):
        acc = np.empty((ho - 1) * wp + wo, dtype=xp.dtype)
        for o in range(w.shape[0]):
            _plane3(acc, flat, w, b, n, o, wp)
            for i in range(hq):
                a0, a1, row, hit = (
                    acc[2 * i * wp :],
                    acc[(2 * i + 1) * wp :],
                    out[n, o, i],
                    arg[n, o, i],
                )
                top = 2 * i * wo
                for j in range(wq):
                    c = 2 * j
                    best, at = a0[c], top + c
                    for v, k in ((a0[c + 1], top + c + 1), (a1[c], top + wo + c),
                                 (a1[c + 1], top + wo + c + 1)):  # fmt: skip
                        take = (v > best) | (v != v)  # no short-circuit: selects, not jumps
                        best, at = (v, k) if take else (best, at)
                    live = not best <= zero  # NaN too
                    row[j] = best if live else zero
                    hit[j] = at if live else -1


@njit(cache=True)
def _widen(dout, wp):
    """dout laid out ``wp`` wide, zeros in the dropped columns: (N, O, Ho * Wp)."""
    n_img, n_out, ho, wo = dout.shape
    wide = np.zeros((n_img, n_out, ho * wp), dtype=dout.dtype)
    for n in range(n_img):
        for o in range(n_out):
            for i in range(ho):
                _copy(wide[n, o, i * wp :], dout[n, o, i], wo)
    return wide


@njit(cache=True)
def _widen_plane(buf, plane, wp, margin):
    """One dout plane (Ho, Wo) into the task's own ``buf``, ``wp`` wide from ``margin`` on;
    the cells in between are never written, so they stay the zeros ``buf`` started with."""
    for i in range(plane.shape[0]):
        at = margin + i * wp
        for j in range(plane.shape[1]):
            buf[at + j] = plane[i, j]


@njit(parallel=True, cache=True, fastmath=True)
def _backward3(dout, xp, w, with_dx, with_params, part_w, part_b, zero):
    """dx (``with_dx``; else an empty array) and the per-chunk sums of dw and db
    (``with_params``) of a 3x3 convolution at stride 1, in one parallel pass: the images
    are split into ``chunks`` (one per thread), and a chunk lays each image's dout planes
    out ``wp`` wide once, after a zero margin of 2 * wp + 2 cells, for both. dx is
    gathered: input cell v sums w[p, q] * (dout cell v - p * wp - q). dw and db are summed
    per chunk (dw's nine sums in one pass over a plane) into ``part_w`` (chunks, O, C, 9)
    and ``part_b`` (chunks, O), zeros from the caller (an allocation in here would be a
    parallel region of its own); the caller adds the chunks. A plane's sums run in x's own
    type (``zero``): float64 sums of float32 products take twice as long.
    """
    n_img, n_out, ho, wo = dout.shape
    n_in, hp, wp = xp.shape[1], xp.shape[2], xp.shape[3]
    cells, margin, span = hp * wp, 2 * wp + 2, (ho - 1) * wp + wo
    flat = xp.reshape(n_img, n_in, cells)
    dxp = np.empty((n_img if with_dx else 0, n_in, cells), dtype=xp.dtype)
    chunks = part_w.shape[0]
    for t in prange(chunks):
        wide = np.zeros((n_out, margin + cells), dtype=xp.dtype)
        for n in range(t * n_img // chunks, (t + 1) * n_img // chunks):
            for o in range(n_out):
                _widen_plane(wide[o], dout[n, o], wp, margin)
            for c in range(n_in if with_dx else 0):
                g = dxp[n, c]
                g[:] = 0.0
                for o in range(n_out):
                    d0, d1, d2 = wide[o, 2 * wp :], wide[o, wp:], wide[o, 0:]
                    w00, w01, w02 = w[o, c, 0, 0], w[o, c, 0, 1], w[o, c, 0, 2]
                    w10, w11, w12 = w[o, c, 1, 0], w[o, c, 1, 1], w[o, c, 1, 2]
                    w20, w21, w22 = w[o, c, 2, 0], w[o, c, 2, 1], w[o, c, 2, 2]
                    for v in range(cells):
                        g[v] += (
                            w00 * d0[v + 2] + w01 * d0[v + 1] + w02 * d0[v]
                            + w10 * d1[v + 2] + w11 * d1[v + 1] + w12 * d1[v]
                            + w20 * d2[v + 2] + w21 * d2[v + 1] + w22 * d2[v]
                        )  # fmt: skip
            if not with_params:
                continue
            for o in range(n_out):
                d = wide[o, margin:]
                sb = zero
                for u in range(span):
                    sb += d[u]
                part_b[t, o] += sb
                for c in range(n_in):
                    r0, r1, r2 = flat[n, c, 0:], flat[n, c, wp:], flat[n, c, 2 * wp :]
                    s00 = s01 = s02 = s10 = s11 = s12 = s20 = s21 = s22 = zero
                    for u in range(span):
                        e = d[u]
                        s00 += e * r0[u]
                        s01 += e * r0[u + 1]
                        s02 += e * r0[u + 2]
                        s10 += e * r1[u]
                        s11 += e * r1[u + 1]
                        s12 += e * r1[u + 2]
                        s20 += e * r2[u]
                        s21 += e * r2[u + 1]
                        s22 += e * r2[u + 2]
                    acc = part_w[t, o, c]
                    acc[0] += s00
                    acc[1] += s01
                    acc[2] += s02
                    acc[3] += s10
                    acc[4] += s11
                    acc[5] += s12
                    acc[6] += s20
                    acc[7] += s21
                    acc[8] += s22
    return dxp.reshape(dxp.shape[0], n_in, hp, wp)


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


def _is3(w, stride):
    return w.shape[2] == 3 and stride == 1


def conv2d_forward(x, w, b, stride=1, padding=0):
    ho, wo = check_conv(x, w, b, stride, padding)
    xp = pad(np.ascontiguousarray(x), padding)
    w, b = np.ascontiguousarray(w), np.ascontiguousarray(b)
    if _is3(w, stride):
        return _forward3(xp, w, b, ho, wo)
    return _forward(xp, w, b, stride, ho, wo)


def conv2d_relu_maxpool2d_train_forward(x, w, b, stride, padding, size, pool_stride):
    ho, wo, hq, wq = check_conv_pool(x, w, b, stride, padding, size, pool_stride)
    xp = pad(np.ascontiguousarray(x), padding)
    w, b = np.ascontiguousarray(w), np.ascontiguousarray(b)
    out = np.empty((x.shape[0], w.shape[0], hq, wq), dtype=x.dtype)
    arg = np.empty(out.shape, dtype=np.int32)
    zero = x.dtype.type(0)  # the ReLU's floor, in the arrays' own type
    if _is3(w, stride) and size == 2 and pool_stride == 2:
        _forward3_relu_maxpool2(xp, w, b, ho, wo, out, arg, zero)
    else:
        _forward_relu_maxpool(xp, w, b, stride, ho, wo, size, pool_stride, out, arg, zero)
    return out, arg


def conv2d_relu_maxpool2d_forward(x, w, b, stride, padding, size, pool_stride):
    """The training pass's kernels with ``arg`` dropped (one kernel to compile for both; arg
    costs a quarter of the conv's cells)."""
    return conv2d_relu_maxpool2d_train_forward(x, w, b, stride, padding, size, pool_stride)[0]


def _backward_setup(dout, x, w, stride, padding):
    ho, wo = check_conv(x, w, None, stride, padding)
    if dout.shape != (x.shape[0], w.shape[0], ho, wo):
        raise ValueError(f"dout must be {(x.shape[0], w.shape[0], ho, wo)}, got {dout.shape}")
    dout = np.ascontiguousarray(dout, dtype=x.dtype)
    xp = pad(np.ascontiguousarray(x), padding)
    return dout, xp, np.ascontiguousarray(w), (ho - 1) * xp.shape[3] + wo


def _run3(dout, xp, w, with_dx, with_params):
    """``_backward3`` split into one chunk per thread: (dxp, dw, db) in x's dtype."""
    chunks = min(dout.shape[0], get_num_threads())
    part_w, part_b = np.zeros((chunks, w.shape[0], w.shape[1], 9)), np.zeros((chunks, w.shape[0]))
    dxp = _backward3(dout, xp, w, with_dx, with_params, part_w, part_b, xp.dtype.type(0))
    dw = part_w.sum(axis=0).reshape(w.shape).astype(xp.dtype)
    return dxp, dw, part_b.sum(axis=0).astype(xp.dtype)


def _unpad(dxp, x, padding):
    h, wd = x.shape[2], x.shape[3]
    return dxp[:, :, padding : padding + h, padding : padding + wd]


def conv2d_backward_input(dout, x, w, stride=1, padding=0):
    dout, xp, w, span = _backward_setup(dout, x, w, stride, padding)
    if _is3(w, stride):
        return _unpad(_run3(dout, xp, w, True, False)[0], x, padding)
    hp, wp = xp.shape[2], xp.shape[3]
    return _unpad(_grad_x(_widen(dout, wp), w, stride, hp, wp, span), x, padding)


def conv2d_backward_params(dout, x, w, stride=1, padding=0):
    dout, xp, w, span = _backward_setup(dout, x, w, stride, padding)
    if _is3(w, stride):
        return _run3(dout, xp, w, False, True)[1:]
    dw = _grad_w(_widen(dout, xp.shape[3]), xp, w.shape[2], stride, span)
    return dw, dout.sum(axis=(0, 2, 3), dtype=x.dtype)


def conv2d_backward(dout, x, w, stride=1, padding=0):
    dout, xp, w, span = _backward_setup(dout, x, w, stride, padding)
    if _is3(w, stride):
        dxp, dw, db = _run3(dout, xp, w, True, True)
        return _unpad(dxp, x, padding), dw, db
    hp, wp = xp.shape[2], xp.shape[3]
    wide = _widen(dout, wp)
    dw = _grad_w(wide, xp, w.shape[2], stride, span)
    dxp = _grad_x(wide, w, stride, hp, wp, span)
    db = dout.sum(axis=(0, 2, 3), dtype=x.dtype)
    return _unpad(dxp, x, padding), dw, db
