"""numba.cuda kernels for every primitive, written for the GPU.

Each docstring says which thread computes which output. Everything is float32 (what GPUs
are fast at); the launchers in ``__init__.py`` convert. Reductions (losses, bias gradients,
weight gradients of a convolution, norms) are shared-memory trees inside a block, never one
global atomic. Under NUMBA_ENABLE_CUDASIM=1 every CUDA thread is a Python thread, so tiles and
blocks are made small there (the arithmetic is the same).
"""

import math

from numba import config, cuda, float32

SIMULATED = bool(config.ENABLE_CUDASIM)
TILE = 4 if SIMULATED else 16  # square thread tile of the matmul and conv kernels
THREADS = 32 if SIMULATED else 256  # 1-D block size; a power of two for the reductions
LOG_FLOOR = float32(-100.0)  # as core/reference/losses.py
EPS = float32(1e-12)
MAX_WIDTH = 64  # widest layer the per-thread landscape forward holds in registers
IDENTITY, RELU, LEAKY_RELU, SIGMOID, TANH = 0, 1, 2, 3, 4
MSE, BCE, CROSS_ENTROPY, HALF_MSE = 0, 1, 2, 3  # as core/cpu/mlp.py
SGD, RMSPROP, ADAM, ADAGRAD = 0, 1, 2, 3
FREE, PENALIZED, PRUNED = 0, 1, 2  # penalty mask codes, as core/cpu/optim.py
FROZEN = 4  # the frozen-entry flag bit of core/cpu/optim.py


# ---- dense ---------------------------------------------------------------------------------
@cuda.jit
def matmul(a, b, c, trans_a, trans_b, bias, add_bias):
    """c = op(a) @ op(b) (+ bias[col]), op = transpose when the flag is set.

    Thread (ty, tx) of block (by, bx) owns c[by*TILE + ty, bx*TILE + tx]. The block walks the
    shared dimension in TILE-wide steps: each thread stages one element of op(a) and one of
    op(b) in shared memory, the block synchronises, and every thread adds TILE products.
    """
    sa = cuda.shared.array((TILE, TILE), float32)
    sb = cuda.shared.array((TILE, TILE), float32)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    row = cuda.blockIdx.y * TILE + ty
    col = cuda.blockIdx.x * TILE + tx
    m, n = c.shape
    k_dim = a.shape[0] if trans_a else a.shape[1]
    acc = float32(0.0)
    for t in range((k_dim + TILE - 1) // TILE):
        ka = t * TILE + tx
        if row < m and ka < k_dim:
            sa[ty, tx] = a[ka, row] if trans_a else a[row, ka]
        else:
            sa[ty, tx] = 0.0
        kb = t * TILE + ty
        if col < n and kb < k_dim:
            sb[ty, tx] = b[col, kb] if trans_b else b[kb, col]
        else:
            sb[ty, tx] = 0.0
        cuda.syncthreads()
        for q in range(TILE):
            acc += sa[ty, q] * sb[q, tx]
        cuda.syncthreads()
    if row < m and col < n:
        if add_bias:
            acc += bias[col]
        c[row, col] = acc


@cuda.jit(device=True)
def _block_tree_sum(buf, t):
    """Halve the block's partial sums in shared memory until buf[0] holds the total."""
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:
        if t < step:
            buf[t] += buf[t + step]
        cuda.syncthreads()
        step //= 2


@cuda.jit
def column_sums(x, out):
    """out[j] = sum_i x[i, j]. Block j owns column j: thread t adds rows t, t + THREADS, ...
    into shared memory, then a tree halves the partial sums."""
    buf = cuda.shared.array(THREADS, float32)
    j, t = cuda.blockIdx.x, cuda.threadIdx.x
    s = float32(0.0)
    for i in range(t, x.shape[0], cuda.blockDim.x):
        s += x[i, j]
    buf[t] = s
    _block_tree_sum(buf, t)
    if t == 0:
        out[j] = buf[0]


@cuda.jit
def block_sums(x, scale, out, out_index):
    """out[out_index + b] = scale * sum of block b's grid-stride share of the flat x.

    Launched with many blocks to get partial sums, then with one block over those partials:
    a two-level tree, so a loss over millions of entries never serialises on one address.
    """
    buf = cuda.shared.array(THREADS, float32)
    t = cuda.threadIdx.x
    s = float32(0.0)
    for i in range(cuda.grid(1), x.size, cuda.gridsize(1)):
        s += x[i]
    buf[t] = s
    _block_tree_sum(buf, t)
    if t == 0:
        out[out_index + cuda.blockIdx.x] = buf[0] * scale


@cuda.jit
def squared_norms(theta, grad, layout, out):
    """out[l, 0] = |dW_l|^2, out[l, 1] = |W_l|^2 for dense layer l: block l, tree sums."""
    gbuf = cuda.shared.array(THREADS, float32)
    wbuf = cuda.shared.array(THREADS, float32)
    layer, t = cuda.blockIdx.x, cuda.threadIdx.x
    w_off = layout[layer, 0]
    size = layout[layer, 2] * layout[layer, 3]
    g2 = float32(0.0)
    w2 = float32(0.0)
    for i in range(t, size, cuda.blockDim.x):
        g2 += grad[w_off + i] * grad[w_off + i]
        w2 += theta[w_off + i] * theta[w_off + i]
    gbuf[t] = g2
    wbuf[t] = w2
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:
        if t < step:
            gbuf[t] += gbuf[t + step]
            wbuf[t] += wbuf[t + step]
        cuda.syncthreads()
        step //= 2
    if t == 0:
        out[layer, 0] = gbuf[0]
        out[layer, 1] = wbuf[0]


# ---- element-wise --------------------------------------------------------------------------
@cuda.jit(device=True)
def activate(code, z, alpha):
    if code == RELU:
        return max(z, float32(0.0))
    if code == LEAKY_RELU:
        return z if z > 0 else alpha * z
    if code == SIGMOID:
        return float32(0.5) * math.tanh(float32(0.5) * z) + float32(0.5)
    if code == TANH:
        return math.tanh(z)
    return z


@cuda.jit(device=True)
def slope_from_input(code, z, alpha):
    """f'(z) from the activation's input z."""
    if code == RELU:
        return float32(1.0) if z > 0 else float32(0.0)
    if code == LEAKY_RELU:
        return float32(1.0) if z > 0 else alpha
    if code == SIGMOID:
        s = float32(0.5) * math.tanh(float32(0.5) * z) + float32(0.5)
        return s * (float32(1.0) - s)
    if code == TANH:
        th = math.tanh(z)
        return float32(1.0) - th * th
    return float32(1.0)


@cuda.jit(device=True)
def slope_from_output(code, a, alpha):
    """f'(z) from the activation's output a = f(z) (what a training step keeps)."""
    if code == RELU:
        return float32(1.0) if a > 0 else float32(0.0)
    if code == LEAKY_RELU:
        return float32(1.0) if a > 0 else alpha
    if code == SIGMOID:
        return a * (float32(1.0) - a)
    if code == TANH:
        return float32(1.0) - a * a
    return float32(1.0)


@cuda.jit
def activation_forward(code, x, alpha, out):
    """out[i] = f(x[i]): one thread per element (flat arrays)."""
    i = cuda.grid(1)
    if i < x.size:
        out[i] = activate(code, x[i], alpha)


@cuda.jit
def activation_backward(code, dout, x, alpha, out):
    """out[i] = dout[i] * f'(x[i]): one thread per element."""
    i = cuda.grid(1)
    if i < x.size:
        out[i] = dout[i] * slope_from_input(code, x[i], alpha)


@cuda.jit
def bias_activate(code, z, bias, alpha):
    """z[r, j] = f(z[r, j] + bias[j]) in place: thread (r, j) of a 2-D grid."""
    r, j = cuda.grid(2)
    if r < z.shape[0] and j < z.shape[1]:
        z[r, j] = activate(code, z[r, j] + bias[j], alpha)


@cuda.jit
def multiply_slope(code, d, a, alpha):
    """d[i] *= f'(z) computed from the kept output a[i]: one thread per element."""
    i = cuda.grid(1)
    if i < d.size:
        d[i] *= slope_from_output(code, a[i], alpha)


@cuda.jit
def softmax_rows(x, out):
    """out[r] = softmax(x[r]): thread r owns row r (rows are short: class scores)."""
    r = cuda.grid(1)
    if r < x.shape[0]:
        m = x[r, 0]
        for j in range(1, x.shape[1]):
            m = max(m, x[r, j])
        s = float32(0.0)
        for j in range(x.shape[1]):
            e = math.exp(x[r, j] - m)
            out[r, j] = e
            s += e
        for j in range(x.shape[1]):
            out[r, j] /= s


@cuda.jit
def softmax_rows_backward(dout, x, out):
    """out[r] = s * (dout[r] - <dout[r], s>), s = softmax(x[r]): thread r owns row r."""
    r = cuda.grid(1)
    if r < x.shape[0]:
        m = x[r, 0]
        for j in range(1, x.shape[1]):
            m = max(m, x[r, j])
        total = float32(0.0)
        for j in range(x.shape[1]):
            total += math.exp(x[r, j] - m)
        dot = float32(0.0)
        for j in range(x.shape[1]):
            dot += dout[r, j] * math.exp(x[r, j] - m) / total
        for j in range(x.shape[1]):
            out[r, j] = math.exp(x[r, j] - m) / total * (dout[r, j] - dot)


@cuda.jit
def scale_by_mask(x, mask, scale, out):
    """out[i] = x[i] * mask[i] * scale (dropout, both directions): one thread per element."""
    i = cuda.grid(1)
    if i < x.size:
        out[i] = x[i] * mask[i] * scale


# ---- losses --------------------------------------------------------------------------------
@cuda.jit(device=True)
def _bce_term(p, t):
    lp = max(math.log(p), LOG_FLOOR) if p > 0 else LOG_FLOOR
    lq = max(math.log1p(-p), LOG_FLOOR) if p < 1 else LOG_FLOOR
    return -(t * lp + (float32(1.0) - t) * lq)


@cuda.jit
def loss_terms(kind, pred, target, terms):
    """terms[i] = the loss of element i (MSE, half MSE or BCE), one thread per element; a
    tree sum of ``terms`` (``block_sums``) then gives the mean."""
    i = cuda.grid(1)
    if i < pred.size:
        p, t = pred[i], target[i]
        if kind == BCE:
            terms[i] = _bce_term(p, t)
        elif kind == HALF_MSE:
            terms[i] = float32(0.5) * (p - t) * (p - t)
        else:
            terms[i] = (p - t) * (p - t)


@cuda.jit
def loss_grad(kind, pred, target, scale, out):
    """out[i] = d loss / d pred[i] for MSE, half MSE or BCE (scale = 1 / size): one thread
    each."""
    i = cuda.grid(1)
    if i < pred.size:
        p, t = pred[i], target[i]
        if kind == MSE:
            out[i] = float32(2.0) * (p - t) * scale
        elif kind == HALF_MSE:
            out[i] = (p - t) * scale
        else:
            out[i] = (p - t) / max(p * (float32(1.0) - p), EPS) * scale


@cuda.jit
def scale_array(x, factor):
    """x[i] *= factor, in place: one thread per element."""
    i = cuda.grid(1)
    if i < x.size:
        x[i] *= factor


@cuda.jit
def cross_entropy_rows(logits, labels, terms, grad, scale):
    """Thread r owns row r: terms[r] = logsumexp(logits[r]) - logits[r, label], and
    grad[r] = (softmax(logits[r]) - onehot(label)) * scale."""
    r = cuda.grid(1)
    if r < logits.shape[0]:
        m = logits[r, 0]
        for j in range(1, logits.shape[1]):
            m = max(m, logits[r, j])
        s = float32(0.0)
        for j in range(logits.shape[1]):
            s += math.exp(logits[r, j] - m)
        label = labels[r]
        terms[r] = m + math.log(s) - logits[r, label]
        for j in range(logits.shape[1]):
            g = math.exp(logits[r, j] - m) / s
            if j == label:
                g -= float32(1.0)
            grad[r, j] = g * scale


# ---- convolution and pooling ---------------------------------------------------------------
@cuda.jit
def conv2d_forward(x, w, b, stride, padding, out):
    """out[n, o, i, j] = b[o] + sum_{c, p, q} x_pad[n, c, i*S + p, j*S + q] * w[o, c, p, q].

    Block (bx, by, n * O + o) owns a TILE x TILE patch of output pixels of image n, channel o;
    thread (ty, tx) owns pixel (by*TILE + ty, bx*TILE + tx). For each input channel the block
    first stages the input patch its outputs read, ((TILE-1)*S + K) squared with the zero
    padding applied, in (dynamic) shared memory; then each thread sums its K x K window there.
    """
    tile = cuda.shared.array(0, float32)
    n_out, n_in, k = w.shape[0], w.shape[1], w.shape[2]
    h, wd = x.shape[2], x.shape[3]
    ho, wo = out.shape[2], out.shape[3]
    n = cuda.blockIdx.z // n_out
    o = cuda.blockIdx.z % n_out
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    i = cuda.blockIdx.y * TILE + ty
    j = cuda.blockIdx.x * TILE + tx
    side = (TILE - 1) * stride + k
    r0 = cuda.blockIdx.y * TILE * stride - padding
    c0 = cuda.blockIdx.x * TILE * stride - padding
    acc = float32(0.0)
    for c in range(n_in):
        for rr in range(ty, side, TILE):
            for cc in range(tx, side, TILE):
                r, q = r0 + rr, c0 + cc
                inside = r >= 0 and r < h and q >= 0 and q < wd
                tile[rr * side + cc] = x[n, c, r, q] if inside else float32(0.0)
        cuda.syncthreads()
        if i < ho and j < wo:
            for p in range(k):
                for q in range(k):
                    acc += tile[(ty * stride + p) * side + tx * stride + q] * w[o, c, p, q]
        cuda.syncthreads()
    if i < ho and j < wo:
        out[n, o, i, j] = acc + b[o]


@cuda.jit
def conv2d_backward_input(dout, w, stride, padding, dx):
    """dx[n, c, r, q] = sum over the outputs whose window covered (r, q): one thread per input
    element (flat index), gathering; no two threads write the same place."""
    idx = cuda.grid(1)
    n_img, n_in, h, wd = dx.shape
    if idx >= dx.size:
        return
    q = idx % wd
    r = (idx // wd) % h
    c = (idx // (wd * h)) % n_in
    n = idx // (wd * h * n_in)
    n_out, k = w.shape[0], w.shape[2]
    ho, wo = dout.shape[2], dout.shape[3]
    acc = float32(0.0)
    for p in range(k):
        ii = r + padding - p
        if ii < 0 or ii % stride != 0 or ii // stride >= ho:
            continue
        for qq in range(k):
            jj = q + padding - qq
            if jj < 0 or jj % stride != 0 or jj // stride >= wo:
                continue
            for o in range(n_out):
                acc += dout[n, o, ii // stride, jj // stride] * w[o, c, p, qq]
    dx[n, c, r, q] = acc


@cuda.jit
def conv2d_backward_weight(dout, x, stride, padding, dw):
    """dw[o, c, p, q] = sum_{n, i, j} dout[n, o, i, j] * x_pad[n, c, i*S + p, j*S + q].

    Block (o * C + c) * K * K + p * K + q owns one weight; its threads split the (n, i, j)
    terms and a shared-memory tree adds their partial sums.
    """
    buf = cuda.shared.array(THREADS, float32)
    n_in, k = dw.shape[1], dw.shape[2]
    b_idx, t = cuda.blockIdx.x, cuda.threadIdx.x
    q = b_idx % k
    p = (b_idx // k) % k
    c = (b_idx // (k * k)) % n_in
    o = b_idx // (k * k * n_in)
    n_img, h, wd = x.shape[0], x.shape[2], x.shape[3]
    ho, wo = dout.shape[2], dout.shape[3]
    s = float32(0.0)
    for e in range(t, n_img * ho * wo, cuda.blockDim.x):
        j = e % wo
        i = (e // wo) % ho
        n = e // (wo * ho)
        r, col = i * stride + p - padding, j * stride + q - padding
        if r >= 0 and r < h and col >= 0 and col < wd:
            s += dout[n, o, i, j] * x[n, c, r, col]
    buf[t] = s
    _block_tree_sum(buf, t)
    if t == 0:
        dw[o, c, p, q] = buf[0]


@cuda.jit
def channel_sums(dout, db):
    """db[o] = sum_{n, i, j} dout[n, o, i, j]: block o, a tree over its threads' sums."""
    buf = cuda.shared.array(THREADS, float32)
    o, t = cuda.blockIdx.x, cuda.threadIdx.x
    n_img, ho, wo = dout.shape[0], dout.shape[2], dout.shape[3]
    s = float32(0.0)
    for e in range(t, n_img * ho * wo, cuda.blockDim.x):
        s += dout[e // (ho * wo), o, (e // wo) % ho, e % wo]
    buf[t] = s
    _block_tree_sum(buf, t)
    if t == 0:
        db[o] = buf[0]


@cuda.jit(device=True)
def nchw(idx, a):
    """(n, c, i, j): the position of flat index ``idx`` in the 4-D C-order array ``a``."""
    h, w, ch = a.shape[2], a.shape[3], a.shape[1]
    return idx // (w * h * ch), (idx // (w * h)) % ch, (idx // w) % h, idx % w


@cuda.jit(device=True)
def windows_over(r, size, stride, count):
    """(lo, hi): the pool windows lo .. hi - 1 (of ``count``) along one axis that cover
    cell ``r``."""
    return max(0, (r - size + stride) // stride), min(count, r // stride + 1)


@cuda.jit
def pool_forward(x, size, stride, use_max, out):
    """out[n, c, i, j] = max (or mean) of x's size x size window at (i*S, j*S): one thread per
    output element (flat index)."""
    idx = cuda.grid(1)
    if idx >= out.size:
        return
    n, c, i, j = nchw(idx, out)
    best = x[n, c, i * stride, j * stride]
    total = float32(0.0)
    for p in range(size):
        for q in range(size):
            v = x[n, c, i * stride + p, j * stride + q]
            best = max(best, v)
            total += v
    out[n, c, i, j] = best if use_max else total / (size * size)


@cuda.jit
def pool_backward(dout, x, size, stride, use_max, dx):
    """dx[n, c, r, q]: one thread per input element gathers the gradients of the windows that
    contain it; for max pooling only where it is the window's arg-max (the first on ties,
    row by row, as the reference)."""
    idx = cuda.grid(1)
    if idx >= dx.size:
        return
    n, c, r, q = nchw(idx, dx)
    i_lo, i_hi = windows_over(r, size, stride, dout.shape[2])
    j_lo, j_hi = windows_over(q, size, stride, dout.shape[3])
    acc = float32(0.0)
    for i in range(i_lo, i_hi):
        for j in range(j_lo, j_hi):
            if not use_max:
                acc += dout[n, c, i, j] / (size * size)
                continue
            br, bq = i * stride, j * stride
            best = x[n, c, br, bq]
            for p in range(size):
                for qq in range(size):
                    v = x[n, c, i * stride + p, j * stride + qq]
                    if v > best:
                        best, br, bq = v, i * stride + p, j * stride + qq
            if br == r and bq == q:
                acc += dout[n, c, i, j]
    dx[n, c, r, q] = acc


@cuda.jit
def relu_maxpool_arg(z, size, stride, out, arg):
    """out[n, c, i, j] = relu of the max of z's window at (i*S, j*S), arg = that max's cell
    (row * Wo + column) of the plane, the first on ties row by row (the first NaN, if any),
    or -1 where it is not above 0: one thread per output element."""
    idx = cuda.grid(1)
    if idx >= out.size:
        return
    n, c, i, j = nchw(idx, out)
    wo = z.shape[3]
    r0, c0 = i * stride, j * stride
    best, at = z[n, c, r0, c0], r0 * wo + c0
    for p in range(size):
        for q in range(size):
            v = z[n, c, r0 + p, c0 + q]
            if v > best or v != v:  # a NaN wins its window, as in the layers one by one
                best, at = v, (r0 + p) * wo + c0 + q
    if not best <= 0:
        out[n, c, i, j], arg[n, c, i, j] = best, at
    else:
        out[n, c, i, j], arg[n, c, i, j] = float32(0.0), -1


@cuda.jit
def unpool_arg(dout, arg, size, stride, dz):
    """dz[n, c, r, q]: one thread per conv output cell gathers the gradients of the pool
    windows whose ``arg`` names it (no atomics: overlapping windows are summed here)."""
    idx = cuda.grid(1)
    if idx >= dz.size:
        return
    n, c, r, q = nchw(idx, dz)
    i_lo, i_hi = windows_over(r, size, stride, dout.shape[2])
    j_lo, j_hi = windows_over(q, size, stride, dout.shape[3])
    acc = float32(0.0)
    for i in range(i_lo, i_hi):
        for j in range(j_lo, j_hi):
            if arg[n, c, i, j] == r * dz.shape[3] + q:
                acc += dout[n, c, i, j]
    dz[n, c, r, q] = acc


# ---- training on the device ----------------------------------------------------------------
@cuda.jit
def gather_rows(src, order, start, out):
    """out[r] = src[order[start + r]]: thread (r, j) copies one element of the mini-batch."""
    r, j = cuda.grid(2)
    if r < out.shape[0] and j < out.shape[1]:
        out[r, j] = src[order[start + r], j]


@cuda.jit
def optimizer_update(kind, p, g, s1, s2, mask, hyper, lr, t):
    """One update of every parameter, the rules of core/cpu/optim.py (penalties where
    ``mask`` says, L1 pruning): thread i owns p[i] and mask[i]."""
    i = cuda.grid(1)
    if i >= p.size:
        return
    m = mask[i]
    if m == PRUNED or m >= FROZEN:  # pruned, or frozen (layer.trainable = False)
        return
    wd, l1, eps = hyper[3], hyper[4], hyper[2]
    prune = hyper[5] != 0.0 and l1 != 0.0 and kind == SGD and hyper[0] == 0.0
    gi = g[i]
    sign = 0.0
    if m == PENALIZED:
        gi += wd * p[i]
        if l1 != 0.0:
            sign = 1.0 if p[i] > 0 else (-1.0 if p[i] < 0 else 0.0)
            if not prune:
                gi += l1 * sign
    if kind == SGD:
        mu = hyper[0]
        if mu != 0.0:
            buf = gi if t == 1 else mu * s1[i] + gi
            s1[i] = buf
            gi = gi + mu * buf if hyper[1] != 0.0 else buf
        if prune and m == PENALIZED:
            w = p[i] - lr * gi
            moved = w - (lr * l1) * sign
            if w * moved < 0.0:
                p[i] = 0.0
                mask[i] = PRUNED
            else:
                p[i] = moved
        else:
            p[i] -= lr * gi
    elif kind == RMSPROP:
        a = hyper[0]
        s1[i] = a * s1[i] + (1.0 - a) * gi * gi
        p[i] -= lr * gi / (math.sqrt(s1[i]) + eps)
    elif kind == ADAM:
        b1, b2 = hyper[0], hyper[1]
        s1[i] = b1 * s1[i] + (1.0 - b1) * gi
        s2[i] = b2 * s2[i] + (1.0 - b2) * gi * gi
        step_size = lr / (1.0 - b1**t)
        p[i] -= step_size * s1[i] / (math.sqrt(s2[i]) / math.sqrt(1.0 - b2**t) + eps)
    else:
        s1[i] += gi * gi
        p[i] -= lr * gi / (math.sqrt(s1[i]) + eps)


@cuda.jit
def grid_losses(theta, d1, d2, coords, layout, alphas, x, y, loss_kind, out):
    """out[p] = loss of the network theta + coords[p, 0] d1 + coords[p, 1] d2 on (x, y).

    Block p owns grid point p; thread t runs samples t, t + THREADS, ... through the whole
    network in registers (layers up to MAX_WIDTH wide), adds their losses, and a tree sums
    the block's partials. One launch evaluates the whole grid.
    """
    buf = cuda.shared.array(THREADS, float32)
    a_buf = cuda.local.array(MAX_WIDTH, float32)
    b_buf = cuda.local.array(MAX_WIDTH, float32)
    point, t = cuda.blockIdx.x, cuda.threadIdx.x
    ca, cb = coords[point, 0], coords[point, 1]
    n_layers = layout.shape[0]
    total = float32(0.0)
    for s in range(t, x.shape[0], cuda.blockDim.x):
        width = x.shape[1]
        for u in range(width):
            a_buf[u] = x[s, u]
        for layer in range(n_layers):
            w_off, b_off, n_in, n_out, code = (
                layout[layer, 0],
                layout[layer, 1],
                layout[layer, 2],
                layout[layer, 3],
                layout[layer, 4],
            )
            for j in range(n_out):
                bi = b_off + j
                z = theta[bi] + ca * d1[bi] + cb * d2[bi]
                for u in range(n_in):
                    wi = w_off + u * n_out + j
                    z += a_buf[u] * (theta[wi] + ca * d1[wi] + cb * d2[wi])
                b_buf[j] = activate(code, z, alphas[layer])
            for j in range(n_out):
                a_buf[j] = b_buf[j]
            width = n_out
        if loss_kind == CROSS_ENTROPY:
            m = a_buf[0]
            for j in range(1, width):
                m = max(m, a_buf[j])
            e = float32(0.0)
            for j in range(width):
                e += math.exp(a_buf[j] - m)
            total += m + math.log(e) - a_buf[int(y[s, 0])]
        else:
            for j in range(width):
                p, target = a_buf[j], y[s, j]
                total += _bce_term(p, target) if loss_kind == BCE else (p - target) * (p - target)
    buf[t] = total
    _block_tree_sum(buf, t)
    if t == 0:
        denom = x.shape[0] if loss_kind == CROSS_ENTROPY else x.shape[0] * y.shape[1]
        half = float32(0.5) if loss_kind == HALF_MSE else float32(1.0)
        out[point] = half * (buf[0] / denom)


# ---- batch normalisation -------------------------------------------------------------------
@cuda.jit
def batchnorm_columns(x, w, b, eps, mean, var, given, out):
    """out[i, j] = (x[i, j] - mean[j]) / sqrt(var[j] + eps) * w[j] + b[j].

    Block j owns column j. Unless ``given`` (evaluation: mean and var are read), its threads
    first tree-sum the column for the mean, then the squared deviations for the biased
    variance, and thread 0 writes both; then every thread writes its rows of the column.
    """
    buf = cuda.shared.array(THREADS, float32)
    j, t = cuda.blockIdx.x, cuda.threadIdx.x
    n = x.shape[0]
    if given:
        m, v = mean[j], var[j]
    else:
        s = float32(0.0)
        for i in range(t, n, cuda.blockDim.x):
            s += x[i, j]
        buf[t] = s
        _block_tree_sum(buf, t)
        m = buf[0] / n
        cuda.syncthreads()  # every thread has read buf[0] before it is overwritten
        q = float32(0.0)
        for i in range(t, n, cuda.blockDim.x):
            d = x[i, j] - m
            q += d * d
        buf[t] = q
        _block_tree_sum(buf, t)
        v = buf[0] / n
        if t == 0:
            mean[j] = m
            var[j] = v
    scale = w[j] / math.sqrt(v + eps)
    for i in range(t, n, cuda.blockDim.x):
        out[i, j] = (x[i, j] - m) * scale + b[j]


@cuda.jit
def batchnorm_columns_backward(dout, x, w, mean, var, eps, training, dx, dw, db):
    """Block j owns column j: tree sums db[j] = sum_i dout[i, j] and dw[j] = sum_i dout[i, j]
    x_hat[i, j]; then each thread writes its rows of dx (the training or evaluation form of
    reference/batchnorm.py)."""
    sbuf = cuda.shared.array(THREADS, float32)
    xbuf = cuda.shared.array(THREADS, float32)
    j, t = cuda.blockIdx.x, cuda.threadIdx.x
    n = x.shape[0]
    m = mean[j]
    inv = float32(1.0) / math.sqrt(var[j] + eps)
    s = float32(0.0)
    sx = float32(0.0)
    for i in range(t, n, cuda.blockDim.x):
        d = dout[i, j]
        s += d
        sx += d * (x[i, j] - m) * inv
    sbuf[t] = s
    xbuf[t] = sx
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:
        if t < step:
            sbuf[t] += sbuf[t + step]
            xbuf[t] += xbuf[t + step]
        cuda.syncthreads()
        step //= 2
    total, total_x = sbuf[0], xbuf[0]
    if t == 0:
        db[j] = total
        dw[j] = total_x
    g = w[j] * inv
    for i in range(t, n, cuda.blockDim.x):
        if training:
            x_hat = (x[i, j] - m) * inv
            dx[i, j] = g / n * (n * dout[i, j] - total - x_hat * total_x)
        else:
            dx[i, j] = dout[i, j] * g


@cuda.jit
def add_arrays(a, b, out):
    """out[i] = a[i] + b[i] (a residual block's skip, both directions): one thread each."""
    i = cuda.grid(1)
    if i < out.size:
        out[i] = a[i] + b[i]


# ---- gradient clipping ---------------------------------------------------------------------
@cuda.jit
def clip_by_norm(g, squares, max_norm):
    """g[i] *= max_norm / (|g| + 1e-6) when that is below 1, |g|^2 = squares[0, 0] (from
    ``squared_norms``): one thread per element, each reads the norm on the device."""
    i = cuda.grid(1)
    if i < g.size:
        coef = max_norm / (math.sqrt(squares[0, 0]) + float32(1e-6))
        if coef < float32(1.0):
            g[i] *= coef


@cuda.jit
def clip_by_value(g, clip):
    """g[i] = min(max(g[i], -clip), clip): one thread per element."""
    i = cuda.grid(1)
    if i < g.size:
        g[i] = min(max(g[i], -clip), clip)


# ---- weight normalisation ------------------------------------------------------------------
@cuda.jit
def weightnorm_columns(v, g, w):
    """w[:, j] = g[j] v[:, j] / |v[:, j]|: block j owns column j, a tree sums its squares."""
    buf = cuda.shared.array(THREADS, float32)
    j, t = cuda.blockIdx.x, cuda.threadIdx.x
    s = float32(0.0)
    for i in range(t, v.shape[0], cuda.blockDim.x):
        s += v[i, j] * v[i, j]
    buf[t] = s
    _block_tree_sum(buf, t)
    scale = g[j] / math.sqrt(buf[0])
    for i in range(t, v.shape[0], cuda.blockDim.x):
        w[i, j] = v[i, j] * scale


@cuda.jit
def weightnorm_columns_backward(dout, v, g, dv, dg):
    """Block j owns column j: trees sum |v[:, j]|^2 and <dout[:, j], v[:, j]>; then
    dg[j] = <dout, v> / |v| and dv[:, j] = g / |v| (dout - dg v / |v|)."""
    nbuf = cuda.shared.array(THREADS, float32)
    dbuf = cuda.shared.array(THREADS, float32)
    j, t = cuda.blockIdx.x, cuda.threadIdx.x
    s = float32(0.0)
    d = float32(0.0)
    for i in range(t, v.shape[0], cuda.blockDim.x):
        s += v[i, j] * v[i, j]
        d += dout[i, j] * v[i, j]
    nbuf[t] = s
    dbuf[t] = d
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:
        if t < step:
            nbuf[t] += nbuf[t + step]
            dbuf[t] += dbuf[t + step]
        cuda.syncthreads()
        step //= 2
    n = math.sqrt(nbuf[0])
    grad_g = dbuf[0] / n
    if t == 0:
        dg[j] = grad_g
    for i in range(t, v.shape[0], cuda.blockDim.x):
        dv[i, j] = g[j] / n * (dout[i, j] - v[i, j] * grad_g / n)
