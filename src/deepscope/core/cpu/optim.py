"""One compiled update rule for every optimizer, on flat parameter vectors.

The same function serves ``nn.optim`` (a Python ``step()``), the compiled training epoch in
``mlp.py`` and the 2-D descent demos, so the numbers a student sees are the numbers that
train the networks. Rules and defaults follow PyTorch's documentation.
"""

import math

from numba import njit

SGD, RMSPROP, ADAM, ADAGRAD = 0, 1, 2, 3
# hyper layout: [momentum or beta1 or alpha, nesterov (0/1) or beta2, eps, weight_decay, l1]
MOMENTUM, NESTEROV, EPS, WEIGHT_DECAY, L1 = 0, 1, 2, 3, 4
BETA1, BETA2, ALPHA = 0, 1, 0


@njit(cache=True)
def apply_update(kind, p, g, s1, s2, hyper, lr, t):
    """Update p in place from gradient g; s1/s2 are the optimizer's state buffers.

    t is the 1-based step number (Adam's bias correction, SGD's first momentum step).
    The gradient seen by the rule includes the penalties: g + weight_decay * p + l1 * sign(p).
    """
    wd, l1, eps = hyper[WEIGHT_DECAY], hyper[L1], hyper[EPS]
    b1, b2, step_size, root_c2 = hyper[BETA1], hyper[BETA2], lr, 1.0
    if kind == ADAM:
        step_size = lr / (1.0 - b1**t)
        root_c2 = math.sqrt(1.0 - b2**t)
    for i in range(p.size):
        gi = g[i] + wd * p[i]
        if l1 != 0.0:
            gi += l1 * (1.0 if p[i] > 0 else (-1.0 if p[i] < 0 else 0.0))
        if kind == SGD:
            mu = hyper[MOMENTUM]
            if mu != 0.0:
                buf = gi if t == 1 else mu * s1[i] + gi
                s1[i] = buf
                gi = gi + mu * buf if hyper[NESTEROV] != 0.0 else buf
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
