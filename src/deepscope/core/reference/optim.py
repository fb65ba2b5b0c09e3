"""One update rule for every optimizer, on flat parameter vectors: the specification.

``apply_update`` moves the parameters ``p`` one step against their gradient ``g`` by the
rule ``kind`` (SGD with momentum and Nesterov, RMSprop, Adam, Adagrad; PyTorch's formulas),
its hyperparameters in ``hyper`` and its state in ``s1``, ``s2``. ``nn.optim`` steps with
its backend's version of this function, the fused epochs of ``mlp.py`` call it after every
mini-batch and the 2-D descent demos move a point with it, so the numbers a student sees
are the numbers that train the networks. The cpu backend compiles the same loop
(``core/cpu/optim.py``), the cuda backend runs it one thread per entry.

Penalties (weight decay, L1) apply to the entries a mask marks: ``mask[i]`` is FREE (no
penalty: a bias), PENALIZED (a weight) or PRUNED (set to zero by an L1 step with
``l1_prune`` and never moved again: the Playground's dead link). On top of the code, the
flag bit FROZEN marks an entry of a frozen layer (``layer.trainable = False``): it never
moves, whatever its code, penalties and optimizer state included; clearing the bit gives
the entry back its code (a pruned weight stays pruned).
"""

import numpy as np

SGD, RMSPROP, ADAM, ADAGRAD = 0, 1, 2, 3
# hyper layout: [momentum or beta1 or alpha, nesterov (0/1) or beta2, eps, weight_decay, l1,
# l1_prune (0/1)]
MOMENTUM, NESTEROV, EPS, WEIGHT_DECAY, L1, L1_PRUNE = 0, 1, 2, 3, 4, 5
BETA1, BETA2, ALPHA = 0, 1, 0
FREE, PENALIZED, PRUNED = 0, 1, 2  # mask codes
FROZEN = 4  # a flag bit over the code: the entry is frozen (mask & CODE_BITS is its code)
CODE_BITS = 3


def apply_update(kind, p, g, s1, s2, mask, hyper, lr, t):
    """Update p in place from gradient g; s1/s2 are the optimizer's state buffers, ``mask``
    (uint8, one per entry) says which entries the penalties apply to (codes above). All
    are flat vectors of one length.

    t is the 1-based step number (Adam's bias correction, SGD's first momentum step).
    The gradient seen by the rule includes the penalties of a PENALIZED entry:
    g + weight_decay * p + l1 * sign(p), both derivatives at p before this step. With
    l1_prune (plain SGD only, no momentum) the L1 term is a step of its own after the
    gradient step, as TensorFlow Playground takes it: p' = p - lr * (g + weight_decay * p),
    then p'' = p' - lr * l1 * sign(p); when p'' has crossed zero from p' the entry is set to
    0 and marked PRUNED, and PRUNED entries never move again. Entries with the FROZEN bit
    are left as they are, their state s1, s2 too.

    The arithmetic is in float64 whatever the arrays' dtype (the square roots of the state
    in its own); p, s1 and s2 store the results.
    """
    wd, l1, eps = hyper[WEIGHT_DECAY], hyper[L1], hyper[EPS]
    prune = hyper[L1_PRUNE] != 0.0 and l1 != 0.0 and kind == SGD and hyper[MOMENTUM] == 0.0
    moves = (mask != PRUNED) & (mask < FROZEN)  # the others keep their values and state
    w = p.astype(np.float64)  # the values before the step
    grad = g.astype(np.float64)
    penalized = mask == PENALIZED
    sign = np.where(penalized, np.sign(w), 0.0)  # of a penalized weight; 0 elsewhere
    grad += np.where(penalized, wd * w, 0.0)  # L2: the derivative of wd / 2 * w^2
    if l1 != 0.0 and not prune:
        grad += l1 * sign  # L1: the derivative of l1 * |w|
    if kind == SGD:
        mu = hyper[MOMENTUM]
        if mu != 0.0:
            buf = grad if t == 1 else mu * s1 + grad
            np.copyto(s1, buf, where=moves)
            grad = grad + mu * buf if hyper[NESTEROV] != 0.0 else buf
        new = w - lr * grad
        if prune:  # the Playground's L1 step; a weight it carries across zero dies
            moved = new - (lr * l1) * sign
            crossed = penalized & (new * moved < 0.0)
            new = np.where(crossed, 0.0, np.where(penalized, moved, new))
            np.copyto(mask, PRUNED, where=crossed)
    elif kind == RMSPROP:
        a = hyper[ALPHA]
        np.copyto(s1, a * s1 + (1.0 - a) * grad * grad, where=moves)  # running mean of g^2
        new = w - lr * grad / (np.sqrt(s1) + eps)
    elif kind == ADAM:
        b1, b2 = hyper[BETA1], hyper[BETA2]
        np.copyto(s1, b1 * s1 + (1.0 - b1) * grad, where=moves)  # first moment m
        np.copyto(s2, b2 * s2 + (1.0 - b2) * grad * grad, where=moves)  # second moment v
        step_size = lr / (1.0 - b1**t)  # m's bias correction
        root_c2 = np.sqrt(1.0 - b2**t)  # v's, under the square root
        new = w - step_size * s1 / (np.sqrt(s2) / root_c2 + eps)
    else:  # ADAGRAD
        np.copyto(s1, s1 + grad * grad, where=moves)  # the sum of every g^2 so far
        new = w - lr * grad / (np.sqrt(s1) + eps)
    np.copyto(p, new, where=moves)
