"""batchnorm_forward / batchnorm_backward: the reference against central differences
(float64), the numba backend against the reference."""

import numpy as np
import pytest
from testkit import numeric_grad

from deepscope.core import get_backend

REF = get_backend("numpy")
CPU = get_backend("cpu")


def _case(rng, n=5, c=3):
    x = rng.normal(size=(n, c)) * 2 + rng.normal(size=c)
    w, b = rng.normal(size=c), rng.normal(size=c)
    return x, w, b, rng.normal(size=(n, c))


def test_training_forward_normalises_with_the_batch_statistics(rng):
    x, w, b, _ = _case(rng)
    out, mean, var = REF.batchnorm_forward(x, w, b, 1e-5)
    np.testing.assert_allclose(mean, x.mean(axis=0))
    np.testing.assert_allclose(var, x.var(axis=0))  # biased: divided by N
    np.testing.assert_allclose(out, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5) * w + b)
    z = REF.batchnorm_forward(x, np.ones(3), np.zeros(3), 1e-5)[0]
    np.testing.assert_allclose(z.mean(0), 0, atol=1e-12)
    np.testing.assert_allclose(z.var(0), 1, atol=1e-4)


@pytest.mark.parametrize("training", [True, False])
def test_gradients_match_central_differences(rng, training):
    x, w, b, dout = _case(rng)
    stats = {} if training else {"mean": rng.normal(size=3), "var": rng.uniform(0.5, 2, 3)}
    eps = 1e-3

    def f():
        return float(np.sum(REF.batchnorm_forward(x, w, b, eps, **stats)[0] * dout))

    _, mean, var = REF.batchnorm_forward(x, w, b, eps, **stats)
    dx, dw, db = REF.batchnorm_backward(dout, x, w, mean, var, eps, training)
    np.testing.assert_allclose(dx, numeric_grad(f, x), atol=1e-6)
    np.testing.assert_allclose(dw, numeric_grad(f, w), atol=1e-6)
    np.testing.assert_allclose(db, numeric_grad(f, b), atol=1e-6)


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(2, 1), (7, 4), (64, 9)])
def test_cpu_matches_the_reference(rng, training, shape):
    x, w, b, dout = _case(rng, *shape)
    c = shape[1]
    stats = {} if training else {"mean": rng.normal(size=c), "var": rng.uniform(size=c)}
    want = REF.batchnorm_forward(x, w, b, 1e-5, **stats)
    got = CPU.batchnorm_forward(x, w, b, 1e-5, **stats)
    for a, r in zip(got, want):
        np.testing.assert_allclose(a, r, atol=1e-10)
    want_b = REF.batchnorm_backward(dout, x, w, want[1], want[2], 1e-5, training)
    for a, r in zip(CPU.batchnorm_backward(dout, x, w, want[1], want[2], 1e-5, training), want_b):
        np.testing.assert_allclose(a, r, atol=1e-10)
    f32 = [a.astype(np.float32) for a in (x, w, b, dout)]
    got32 = CPU.batchnorm_forward(*f32[:3], 1e-5, **stats)
    assert got32[0].dtype == np.float32
    np.testing.assert_allclose(got32[0], want[0], rtol=1e-5, atol=1e-5)
    back32 = CPU.batchnorm_backward(f32[3], f32[0], f32[1], got32[1], got32[2], 1e-5, training)
    for a, r in zip(back32, want_b):
        np.testing.assert_allclose(a, r, rtol=1e-4, atol=1e-4 * max(1.0, np.abs(r).max()))


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_bad_shapes_name_the_argument(backend):
    be = get_backend(backend)
    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"batchnorm expects x \(N, features\), got shape"):
        be.batchnorm_forward(np.zeros((4, 3, 2)), np.ones(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"w must be \(features,\) = \(3,\)"):
        be.batchnorm_forward(x, np.ones(2), np.zeros(3))
    with pytest.raises(ValueError, match="mean and var go together"):
        be.batchnorm_forward(x, np.ones(3), np.zeros(3), 1e-5, np.zeros(3))
    with pytest.raises(ValueError, match="dout must have the shape of x"):
        be.batchnorm_backward(np.zeros((4, 2)), x, np.ones(3), np.zeros(3), np.ones(3))
