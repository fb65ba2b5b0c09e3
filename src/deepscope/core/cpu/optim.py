"""One compiled update rule for every optimizer, on flat parameter vectors.

The same function serves ``nn.optim`` (a Python ``step()``), the compiled training epoch in
``mlp.py`` and the 2-D descent demos, so the numbers a student sees are the numbers that
train the networks. Rules and defaults follow PyTorch's documentation.

Penalties (weight decay, L1) apply to the entries a mask marks: ``mask[i]`` is FREE (no
penalty: a bias), PENALIZED (a weight) or PRUNED (set to zero by an L1 step with
``l1_prune`` and never moved again: the Playground's dead link). On top of the code, the
flag bit FROZEN marks an entry of a frozen layer (``layer.trainable = False``): it never
moves, whatever its code, penalties and optimizer state included; clearing the bit gives
the entry back its code (a pruned weight stays pruned).
"""

import math

from numba import njit

SGD, RMSPROP, ADAM, ADAGRAD = 0, 1, 2, 3
# hyper layout: [momentum or beta1 or alpha, nesterov (0/1) or beta2, eps, weight_decay, l1,
# l1_prune (0/1)]
MOMENTUM, NESTEROV, EPS, WEIGHT_DECAY, L1, L1_PRUNE = 0, 1, 2, 3, 4, 5
BETA1, BETA2, ALPHA = 0, 1, 0
FREE, PENALIZED, PRUNED = 0, 1, 2  # mask codes
FROZEN = 4  # a flag bit over the code: the entry is frozen (mask & CODE_BITS is its code)
CODE_BITS = 3


@njit(cache=True)
def apply_update(kind, p, g, s1, s2, mask, hyper, lr, t):
    """Update p in place from gradient g; s1/s2 are the optimizer's state buffers, ``mask``
    (uint8, one per entry) says which entries the penalties apply to (codes above).

    t is the 1-based step number (Adam's bias correction, SGD's first momentum step).
    The gradient seen by the rule includes the penalties of a PENALIZED entry:
    g + weight_decay * p + l1 * sign(p), both derivatives at p before this step. With
    l1_prune (plain SGD only, no momentum) the L1 term is a step of its own after the
    gradient step, as TensorFlow Playground takes it: p' = p - lr * (g + weight_decay * p),
    then p'' = p' - lr * l1 * sign(p); when p'' has crossed zero from p' the entry is set to
    0 and marked PRUNED, and PRUNED entries never move again. Entries with the FROZEN bit
    are left as they are, their state s1, s2 too.
    """
    wd, l1, eps = hyper[WEIGHT_DECAY], hyper[L1], hyper[EPS]
    prune = hyper[L1_PRUNE] != 0.0 and l1 != 0.0 and kind == SGD and hyper[MOMENTUM] == 0.0
    b1, b2, step_size, root_c2 = hyper[BETA1], hyper[BETA2], lr, 1.0
    if kind == ADAM:
        step_size = lr / (1.0 - b1**t)
        root_c2 = math.sqrt(1.0 - b2**t)
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
