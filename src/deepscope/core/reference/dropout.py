"""Inverted dropout. The keep-mask (1 = keep, 0 = drop) is drawn by the caller so every
backend applies the very same mask; kept units are scaled by 1 / (1 - p)."""


def dropout_forward(x, mask, p):
    return x * mask / (1 - p)


def dropout_backward(dout, mask, p):
    return dout * mask / (1 - p)
