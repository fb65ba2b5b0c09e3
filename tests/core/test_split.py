"""The dense epoch's element-wise passes (``core/cpu/split.py``) against numpy, on arrays
small enough for the plain loop and large enough to be split over the threads (or
vectorised in blocks), and the reductions' values independent of the number of threads."""

import numba
import numpy as np
import pytest

from deepscope.core.cpu.split import (
    BLOCK,
    SPLIT_MIN,
    bias_activate,
    gather_rows,
    mse_value_grad,
    slope_and_bias_grad,
    sums_of_squares,
)
from deepscope.core.reference.mlp import HALF_MSE, MSE

# activation codes of reference.mlp, and each one in numpy
ACTIVATIONS = {
    0: lambda z: z,
    1: lambda z: np.maximum(z, 0),
    2: lambda z: np.where(z > 0, z, 0.1 * z),
    3: lambda z: 1 / (1 + np.exp(-z)),
    4: np.tanh,
}
SLOPES = {  # the derivative written with the activation's output a
    0: lambda a: np.ones_like(a),
    1: lambda a: (a > 0).astype(a.dtype),
    2: lambda a: np.where(a > 0, 1.0, 0.1),
    3: lambda a: a * (1 - a),
    4: lambda a: 1 - a * a,
}
SHAPES = pytest.mark.parametrize(
    "shape", [(7, 5), (SPLIT_MIN // 128 + 1, 128)], ids=["plain loop", "large"]
)


@pytest.fixture
def rng():
    return np.random.default_rng(3)


@SHAPES
@pytest.mark.parametrize("code", list(ACTIVATIONS))
def test_bias_and_activation(rng, shape, code):
    z = rng.normal(size=shape).astype(np.float32)
    b = rng.normal(size=shape[1]).astype(np.float32)
    out = z.copy()
    bias_activate(out, b, code, 0.1, False)
    np.testing.assert_allclose(out, ACTIVATIONS[code](z + b), rtol=1e-5, atol=1e-6)


@SHAPES
@pytest.mark.parametrize("code", list(SLOPES))
def test_slope_and_bias_gradient(rng, shape, code):
    a = ACTIVATIONS[code](rng.normal(size=shape)).astype(np.float32)
    dz = rng.normal(size=shape).astype(np.float32)
    want = dz * SLOPES[code](a)
    got, db = dz.copy(), np.full(shape[1], np.nan, np.float32)
    slope_and_bias_grad(code, got, a, 0.1, db, True)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(db, want.sum(axis=0), rtol=1e-4, atol=1e-4)
    frozen = np.full(shape[1], 7.0, np.float32)  # a frozen layer's db is left as it is
    slope_and_bias_grad(code, dz.copy(), a, 0.1, frozen, False)
    assert (frozen == 7.0).all()


@SHAPES
@pytest.mark.parametrize("kind, factor", [(MSE, 1.0), (HALF_MSE, 0.5)])
def test_mean_squared_error_and_its_gradient(rng, shape, kind, factor):
    p, t = rng.random(shape), rng.random(shape)
    d = np.empty_like(p)
    value = mse_value_grad(kind, p, t, d)
    assert value == pytest.approx(factor * np.mean((p - t) ** 2), rel=1e-13)
    np.testing.assert_allclose(d, factor * 2 * (p - t) / p.size, rtol=1e-13)


@pytest.mark.parametrize("lo, hi", [(3, 40), (5, BLOCK + 4100)], ids=["plain loop", "vectorised"])
def test_sums_of_squares_of_a_slice(rng, lo, hi):
    x = rng.normal(size=hi + 9).astype(np.float32)
    y = rng.normal(size=hi + 9).astype(np.float32)
    sx, sy = sums_of_squares(x, y, lo, hi)
    for got, v in ((sx, x), (sy, y)):
        # the plain loop squares in float32 (a playground layer's few weights), then adds
        assert got == pytest.approx(np.sum(v[lo:hi].astype(np.float64) ** 2), rel=1e-6)


@SHAPES
def test_gather_rows(rng, shape):
    x = rng.normal(size=(shape[0] * 2, shape[1])).astype(np.float32)
    order = rng.permutation(x.shape[0])
    out = np.empty(shape, np.float32)
    gather_rows(x, order, 3, out)
    np.testing.assert_array_equal(out, x[order[3 : 3 + shape[0]]])


def test_the_sums_do_not_depend_on_the_number_of_threads(rng):
    p = rng.random((SPLIT_MIN // 64 + 3, 64)).astype(np.float32)
    t = rng.random(p.shape).astype(np.float32)
    flat = p.reshape(-1)
    values = []
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, before}):
            numba.set_num_threads(threads)
            d = np.empty_like(p)
            values.append((mse_value_grad(MSE, p, t, d), sums_of_squares(flat, flat, 1, flat.size)))
    finally:
        numba.set_num_threads(before)
    assert all(v == values[0] for v in values)
