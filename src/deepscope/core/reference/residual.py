"""The skip connection of a residual block: out = x + f(x), f being the block's layers.

Backward: the gradient reaching x is the incoming one, straight through the skip, plus
what came back through the block (``dfx``, the block's own dx)."""

from ..checks import check_same_shape


def residual_forward(x, fx):
    check_same_shape("x", x, "fx", fx)
    return x + fx


def residual_backward(dout, dfx):
    check_same_shape("dout", dout, "dfx", dfx)
    return dout + dfx
