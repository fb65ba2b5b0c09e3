"""The cuda engines against the cpu ones (numba's simulator or a GPU): the optimizer update
on host arrays, a dense network's fused epoch with clipping and a frozen layer, and the
loss landscape, called through the Backend records."""

import numpy as np
import pytest
from testkit import LOSSES, RULES, assert_one_interface, assert_same_training, train

from deepscope.core import get_backend
from deepscope.core.reference.optim import FREE, FROZEN, PENALIZED, PRUNED

pytestmark = pytest.mark.cuda

CPU = get_backend("cpu")


def test_the_cuda_record_has_the_reference_signatures(cu):
    assert_one_interface([get_backend("numpy"), CPU, cu])


@pytest.mark.parametrize("rule", list(RULES))
def test_the_update_on_host_arrays_is_the_cpu_one(cu, rng, rule):
    kind, hyper = RULES[rule]
    n = 40
    p = rng.uniform(-0.2, 0.2, size=n).astype(np.float32)
    p[:2], p[-4] = [0.002, -0.003], 0.0
    mask = np.tile(np.array([PENALIZED, FREE], np.uint8), n // 2)
    mask[:2] = PENALIZED
    mask[-4:] = [PRUNED, FROZEN | PENALIZED, FROZEN | FREE, PENALIZED]
    g = rng.normal(size=n).astype(np.float32) * 0.1
    g[:2] = 0.0
    runs = []
    for backend in (CPU, cu):
        state = [p.copy(), np.full(n, 0.01, np.float32), np.full(n, 0.02, np.float32), mask.copy()]
        backend.apply_update(kind, state[0], g, state[1], state[2], state[3], np.array(hyper),
                             0.1, 2)  # fmt: skip
        runs.append(state)
    for mine, want in zip(runs[1], runs[0]):
        np.testing.assert_allclose(mine, want, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize(
    "loss, rule, frozen, clip, rtol",
    [
        ("cross_entropy", "momentum", (1,), (0.0, 0.0), 1e-5),
        # clipped by norm, then by value; RMSprop divides by the gradient's running RMS (its
        # first step is lr * g / (0.1 |g|)), which amplifies the float32 rounding of the sums
        ("mse", "rmsprop", (0,), (1.0, 0.05), 1e-4),
    ],
)
def test_the_fused_device_epoch_is_the_cpu_one(cu, loss, rule, frozen, clip, rtol):
    # two epochs of two steps: the simulator runs each CUDA thread as a Python thread. The
    # cpu's float32 tanh is the rational one evaluated in float32 (at most 7 ulps, 3.9e-7, from
    # the exact value), the device's is libm's: each array is judged against its own scale
    runs = [train(b, 3, loss, np.float32, rule, 0.05, frozen, clip, 2, 8) for b in (CPU, cu)]
    assert_same_training(runs[1], runs[0], rtol, scaled=True)


@pytest.mark.parametrize("loss", ["mse", "half_mse"])
def test_the_device_landscape_is_the_cpu_one(cu, rng, loss):
    kind = LOSSES[loss][0]
    theta = rng.normal(size=2 * 3 + 3 + 3 * 2 + 2).astype(np.float32)
    layout = np.array([[0, 6, 2, 3, 4], [9, 15, 3, 2, 0]], dtype=np.int64)
    alphas = np.zeros(2)
    X, Y = rng.normal(size=(10, 2)).astype(np.float32), rng.normal(size=(10, 2)).astype(np.float32)
    d1, d2 = (rng.normal(size=theta.size).astype(np.float32) for _ in range(2))
    coords = np.array([[0.0, 0.0], [0.5, -0.5], [-1.0, 0.25]])
    args = (theta, d1, d2, coords, layout, alphas, X, Y, kind)
    got = cu.grid_losses(*args)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got, CPU.grid_losses(*args), rtol=1e-5)
