"""``reference.optim.apply_update`` compiled: one loop over the entries, the same rule,
codes and hyperparameter layout (defined there). ``nn.optim`` steps with it on the cpu
backend and on plain arrays, and the compiled training epoch in ``mlp.py`` calls it after
every mini-batch.

Plain SGD and Adam without penalties, the usual cases, take loops of their own written with
selects rather than branches, so that they vectorise: an Adam step over the autoencoder's
210,000 float32 entries took 0.38-0.40 ms in the general loop and 0.13 ms in its own
(alone; inside the autoencoder's epoch, bench B, the two timed the same, 54-56 ms).
"""

import math

from numba import njit, prange

from ..reference.optim import (
    ADAM,
    ALPHA,
    BETA1,
    BETA2,
    EPS,
    FROZEN,
    L1,
    L1_PRUNE,
    MOMENTUM,
    NESTEROV,
    PENALIZED,
    PRUNED,
    RMSPROP,
    SGD,
    WEIGHT_DECAY,
)
from .split import SPLIT_MIN


@njit(cache=True)
def apply_update(kind, p, g, s1, s2, mask, hyper, lr, t):
    """Update p in place from gradient g (flat vectors, with s1, s2 and ``mask``): the
    rule of ``reference.optim.apply_update``, in float64 per entry."""
    wd, l1, eps = hyper[WEIGHT_DECAY], hyper[L1], hyper[EPS]
    prune = hyper[L1_PRUNE] != 0.0 and l1 != 0.0 and kind == SGD and hyper[MOMENTUM] == 0.0
    if kind == SGD and hyper[MOMENTUM] == 0.0 and wd == 0.0 and l1 == 0.0:
        for i in range(p.size):  # plain SGD: a select, not a branch, so the loop vectorises
            p[i] = p[i] if (mask[i] == PRUNED or mask[i] >= FROZEN) else p[i] - lr * g[i]
        return
    b1, b2, step_size, root_c2 = hyper[BETA1], hyper[BETA2], lr, 1.0
    if kind == ADAM:
        step_size = lr / (1.0 - b1**t)
        root_c2 = math.sqrt(1.0 - b2**t)
        if wd == 0.0 and l1 == 0.0:
            _adam_plain(p, g, s1, s2, mask, b1, b2, step_size, root_c2, eps)
            return
    for i in range(p.size):
        m = mask[i]
        if m == PRUNED or m >= FROZEN:
            continue
        gi = g[i]
        sign = 0.0
        if m == PENALIZED:
            gi += wd * p[i]
            if l1 != 0.0:
                sign = 1.0 if p[i] > 0 else (-1.0 if p[i] < 0 else 0.0)
                if not prune:
                    gi += l1 * sign
        if kind == SGD:
            mu = hyper[MOMENTUM]
            if mu != 0.0:
                buf = gi if t == 1 else mu * s1[i] + gi
                s1[i] = buf
                gi = gi + mu * buf if hyper[NESTEROV] != 0.0 else buf
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
            a = hyper[ALPHA]
            s1[i] = a * s1[i] + (1.0 - a) * gi * gi
            p[i] -= lr * gi / (math.sqrt(s1[i]) + eps)
        elif kind == ADAM:
            s1[i] = b1 * s1[i] + (1.0 - b1) * gi
            s2[i] = b2 * s2[i] + (1.0 - b2) * gi * gi
            p[i] -= step_size * s1[i] / (math.sqrt(s2[i]) / root_c2 + eps)
        else:  # ADAGRAD
            s1[i] += gi * gi
            p[i] -= lr * gi / (math.sqrt(s1[i]) + eps)


@njit(inline="always", cache=True, error_model="numpy")
def _adam_entry(i, p, g, s1, s2, mask, b1, b2, step_size, root_c2, eps):
    m = mask[i]
    keep = (m == PRUNED) | (m >= FROZEN)
    gi, old1, old2, old_p = g[i], s1[i], s2[i], p[i]
    s1[i] = old1 if keep else b1 * old1 + (1.0 - b1) * gi
    s2[i] = old2 if keep else b2 * old2 + (1.0 - b2) * gi * gi
    step = step_size * s1[i] / (math.sqrt(s2[i]) / root_c2 + eps)
    p[i] = old_p if keep else old_p - step


@njit(parallel=True, cache=True, error_model="numpy")
def _adam_plain(p, g, s1, s2, mask, b1, b2, step_size, root_c2, eps):
    """Adam without penalties, branch-free: a pruned or frozen entry computes its step and
    keeps its old values. The moments are stored before the step reads them, so it sees
    them rounded to the arrays' dtype, as the general loop does. From ``SPLIT_MIN``
    entries on, the entries are split over the threads."""
    if p.size >= SPLIT_MIN:
        for i in prange(p.size):
            _adam_entry(i, p, g, s1, s2, mask, b1, b2, step_size, root_c2, eps)
    else:
        for i in range(p.size):
            _adam_entry(i, p, g, s1, s2, mask, b1, b2, step_size, root_c2, eps)
