"""TensorFlow Playground's training rule, compiled: one call trains one epoch.

The Playground (its ``nn.ts`` and ``playground.ts``) trains sample by sample: a forward
pass, the derivative of half the squared error backwards, each derivative added to an
accumulator; after every ``batch`` samples of the epoch's fixed order the weights move by
the accumulators' mean. The samples left over at the end of an epoch stay in the
accumulators and join the first batch of the next one. Regularisation moves weights, never
biases, with the derivative taken at the weight before this update's gradient step; under
L1 a weight that would cross zero is set to zero and its link is dead from then on.

The network is a chain of dense layers, all parameters in flat float64 arrays (the
Playground computes in JavaScript's doubles): layer l has ``sizes[l]`` inputs and
``sizes[l + 1]`` nodes, its weights at ``w_off[l]`` row-major (node, input), its biases at
``b_off[l]``, its activation ``acts[l]`` (codes below, the Playground's formulas).
Node values of a sample live in one flat array, a layer at ``n_off[l]`` (the inputs first).
"""

import math

import numpy as np
from numba import njit

from .scalar import tanh_fast

LINEAR, RELU, TANH, SIGMOID = 0, 1, 2, 3
NO_REG, L1, L2 = 0, 1, 2


@njit(inline="always", cache=True)
def _act(code, x):
    if code == RELU:
        return max(0.0, x)
    if code == TANH:
        return math.tanh(x)
    if code == SIGMOID:
        return 1.0 / (1.0 + math.exp(-x))
    return x


@njit(inline="always", cache=True)
def _slope(code, x, y):
    """The derivative at summed input x whose output was y (the Playground recomputes
    tanh(x) and the sigmoid from x: the same doubles as y)."""
    if code == RELU:
        return 0.0 if x <= 0 else 1.0
    if code == TANH:
        return 1.0 - y * y
    if code == SIGMOID:
        return y * (1.0 - y)
    return 1.0


@njit(inline="always", cache=True)
def _forward(X, s, sizes, w_off, b_off, n_off, acts, W, b, total, out):
    """Node values of sample s: ``total`` the summed inputs, ``out`` the outputs."""
    for i in range(sizes[0]):
        out[i] = X[s, i]
    for layer in range(len(sizes) - 1):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        src, dst = n_off[layer], n_off[layer + 1]
        for j in range(n_out):
            z = b[b_off[layer] + j]
            row = w_off[layer] + j * n_in
            for i in range(n_in):
                z += W[row + i] * out[src + i]
            total[dst + j] = z
            out[dst + j] = _act(acts[layer], z)


@njit(cache=True)
def train_epoch(X, y, sizes, w_off, b_off, n_off, acts, W, b, dead, accW, accB, count,
                lr, reg, reg_rate, batch):  # fmt: skip
    """One epoch of the Playground's rule over the rows of X (features) and y (targets), in
    order. ``count[0]`` is how many samples the accumulators hold (carried across epochs)."""
    n_nodes = n_off[-1] + sizes[-1]
    total = np.zeros(n_nodes)
    out = np.zeros(n_nodes)
    d_in = np.zeros(n_nodes)  # dE / d(summed input) of each node
    d_out = np.zeros(n_nodes)  # dE / d(output)
    last = len(sizes) - 1
    for s in range(X.shape[0]):
        _forward(X, s, sizes, w_off, b_off, n_off, acts, W, b, total, out)
        o = n_off[last]
        d_out[o] = out[o] - y[s]
        for layer in range(last - 1, -1, -1):
            n_in, n_out = sizes[layer], sizes[layer + 1]
            src, dst = n_off[layer], n_off[layer + 1]
            for j in range(n_out):
                d = d_out[dst + j] * _slope(acts[layer], total[dst + j], out[dst + j])
                d_in[dst + j] = d
                accB[b_off[layer] + j] += d
                row = w_off[layer] + j * n_in
                for i in range(n_in):
                    if not dead[row + i]:
                        accW[row + i] += d * out[src + i]
            if layer == 0:
                continue
            for i in range(n_in):
                g = 0.0
                for j in range(n_out):
                    g += W[w_off[layer] + j * n_in + i] * d_in[dst + j]
                d_out[src + i] = g
        count[0] += 1
        if (s + 1) % batch == 0:
            _update(W, b, dead, accW, accB, count, lr, reg, reg_rate)


@njit(cache=True)
def _update(W, b, dead, accW, accB, count, lr, reg, reg_rate):
    n = count[0]
    if n == 0:
        return
    for k in range(b.size):
        b[k] -= lr * accB[k] / n
        accB[k] = 0.0
    for k in range(W.size):
        if dead[k]:
            continue
        w = W[k]
        der = 0.0
        if reg == L1:
            der = -1.0 if w < 0 else (1.0 if w > 0 else 0.0)
        elif reg == L2:
            der = w
        w = w - (lr / n) * accW[k]
        moved = w - (lr * reg_rate) * der
        if reg == L1 and w * moved < 0:
            W[k] = 0.0
            dead[k] = 1
        else:
            W[k] = moved
        accW[k] = 0.0
    count[0] = 0


@njit(cache=True)
def node_values(XT, sizes, w_off, b_off, n_off, acts, W, b, values, exact=True):
    """Every node's output for every sample at once, a layer at a time: ``XT`` holds the
    samples' features as rows (features, samples), ``values`` gets (nodes, samples), the
    inputs first. The same sums in the same order as the per-sample pass, in loops that run
    along the samples. ``exact=False`` takes tanh from a rational approximation good to a
    few float32 ulps (it vectorises: the per-epoch losses, 35% more epochs a second)."""
    n = XT.shape[1]
    for i in range(sizes[0]):
        for s in range(n):
            values[i, s] = XT[i, s]
    for layer in range(len(sizes) - 1):
        n_in, n_out = sizes[layer], sizes[layer + 1]
        src, dst = n_off[layer], n_off[layer + 1]
        code = acts[layer]
        for j in range(n_out):
            row = w_off[layer] + j * n_in
            z = values[dst + j]
            bias = b[b_off[layer] + j]
            for s in range(n):
                z[s] = bias
            for i in range(n_in):
                w = W[row + i]
                a = values[src + i]
                for s in range(n):
                    z[s] += w * a[s]
            if code == TANH and not exact:
                for s in range(n):
                    z[s] = tanh_fast(z[s])
            else:
                for s in range(n):
                    z[s] = _act(code, z[s])


@njit(cache=True)
def mean_half_squared_error(XT, y, sizes, w_off, b_off, n_off, acts, W, b, values, exact):
    """The Playground's loss: the mean over the samples (columns of XT) of
    0.5 * (output - target)^2. ``values`` is scratch space (nodes, samples)."""
    node_values(XT, sizes, w_off, b_off, n_off, acts, W, b, values, exact)
    out = values[n_off[-1]]
    loss = 0.0
    for s in range(XT.shape[1]):
        loss += 0.5 * (out[s] - y[s]) ** 2
    return loss / max(XT.shape[1], 1)


@njit(cache=True)
def train_epochs(X, y, XT, XT_test, y_test, XT_val, y_val, sizes, w_off, b_off, n_off, acts, W,
                 b, dead, accW, accB, count, lr, reg, reg_rate, batch, losses):  # fmt: skip
    """``len(losses)`` epochs over the rows of X, each followed by the training, test and
    validation losses (the Playground's ``oneStep``; XT, XT_test and XT_val are the features
    as columns; a validation set of no columns scores 0) into a row of ``losses``; stops
    after an epoch whose loss is not finite. Returns the epochs run. The training is exact;
    the losses take the float32-accurate tanh (relative error below 1e-6, far under the 3
    decimals a chart shows)."""
    n_nodes = n_off[-1] + sizes[-1]
    scratch = np.empty((n_nodes, X.shape[0]))
    scratch_test = np.empty((n_nodes, XT_test.shape[1]))
    scratch_val = np.empty((n_nodes, XT_val.shape[1]))
    for e in range(losses.shape[0]):
        train_epoch(X, y, sizes, w_off, b_off, n_off, acts, W, b, dead, accW, accB, count,
                    lr, reg, reg_rate, batch)  # fmt: skip
        losses[e, 0] = mean_half_squared_error(XT, y, sizes, w_off, b_off, n_off, acts, W, b,
                                               scratch, False)  # fmt: skip
        losses[e, 1] = mean_half_squared_error(XT_test, y_test, sizes, w_off, b_off, n_off,
                                               acts, W, b, scratch_test, False)  # fmt: skip
        losses[e, 2] = mean_half_squared_error(XT_val, y_val, sizes, w_off, b_off, n_off,
                                               acts, W, b, scratch_val, False)  # fmt: skip
        if not math.isfinite(losses[e, 0]):
            return e + 1
    return losses.shape[0]
