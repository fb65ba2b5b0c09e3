"""The engines of every backend: one signature per Backend field on every backend, and the
compiled cpu engines against their numpy specification (the optimizer update, a dense
network's training epoch, its loss landscape)."""

import numpy as np
import pytest
from testkit import (
    LOSSES,
    RULES,
    assert_one_interface,
    assert_same_training,
    dataset,
    network,
    train,
)

from deepscope.core import ENGINES, PRIMITIVES, Backend, get_backend
from deepscope.core.cpu.losses import log_floored32
from deepscope.core.cpu.split import SPLIT_MIN
from deepscope.core.reference.mlp import BCE, CROSS_ENTROPY, SIGMOID, TANH, forward, loss_value
from deepscope.core.reference.optim import FREE, FROZEN, PENALIZED, PRUNED

REF, CPU = get_backend("numpy"), get_backend("cpu")


def test_every_backend_field_has_one_signature_on_every_backend():
    # the cuda module imports without a GPU (numba.cuda compiles at the first launch)
    cuda = pytest.importorskip("deepscope.core.cuda")
    assert_one_interface([REF, CPU, Backend.from_module("cuda", cuda)])
    assert repr(CPU) == f"Backend('cpu', {len(PRIMITIVES)} primitives, {len(ENGINES)} engines)"


# ---- the optimizer update ------------------------------------------------------------------
def update_case(rng, dtype, n=60):
    p = rng.uniform(-0.2, 0.2, size=n).astype(dtype)
    p[:4] = [0.002, 0.3, -0.003, 0.0]  # two weights the L1 step carries across zero
    mask = rng.choice(np.array([FREE, PENALIZED], np.uint8), size=n)
    mask[:4] = PENALIZED
    mask[-6:] = [PRUNED, FROZEN | PENALIZED, FROZEN | FREE, FROZEN | PRUNED, FREE, PENALIZED]
    p[-6] = 0.0  # pruned weights are zero
    return p, mask


@pytest.mark.parametrize("n", [60, SPLIT_MIN + 7], ids=["small", "split over the threads"])
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-13), (np.float32, 1e-6)])
@pytest.mark.parametrize("rule", list(RULES))
def test_the_compiled_update_is_the_reference_one(rng, rule, dtype, rtol, n):
    kind, hyper = RULES[rule]
    hyper = np.array(hyper)
    p, mask = update_case(rng, dtype, n)
    runs = {}
    for backend in (REF, CPU):
        state = [p.copy(), np.zeros_like(p), np.zeros_like(p), mask.copy()]
        rng_g = np.random.default_rng(7)
        for t in range(1, 4):  # the first step differs for momentum and Adam
            g = (rng_g.normal(size=p.size) * 0.1).astype(dtype)
            g[:4] = 0.0
            backend.apply_update(kind, state[0], g, state[1], state[2], state[3], hyper, 0.1, t)
        runs[backend.name] = state
    for mine, want in zip(runs["numpy"], runs["cpu"]):
        np.testing.assert_allclose(mine, want, rtol=rtol, atol=rtol * 1e-3)
    p_ref, *_, m_ref = runs["numpy"]
    np.testing.assert_array_equal(p_ref[-5:-2], p[-5:-2])  # frozen entries never move
    np.testing.assert_array_equal(p_ref[-6], 0.0)
    assert ((m_ref[:4] == PRUNED).sum() == 2) == (rule == "prune")


# ---- a dense network's epoch and landscape --------------------------------------------------
# float32: the cpu epoch takes the rational tanh (a few float32 ulps from libm's)
@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 2e-5)])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_the_compiled_epoch_is_the_reference_one(loss, dtype, rtol):
    want = train(CPU, 0, loss, dtype)
    assert_same_training(train(REF, 0, loss, dtype), want, rtol)


@pytest.mark.parametrize("dtype, rtol", [(np.float64, 1e-10), (np.float32, 1e-4)])
def test_the_compiled_epoch_with_products_for_blas_is_the_reference_one(dtype, rtol):
    """Layers wide enough that the products go to BLAS, split by rows over the threads
    (``gemm.mm_rows``): 70 rows in batches of 32 (the last of 6), the third layer frozen;
    SGD, as Adam makes a float32 rounding in a gradient near 0 a whole step."""
    sizes = (60, 50, 40, 30)
    want = train(CPU, 4, "half_mse", dtype, "sgd", 1e-5, (2,), rows=70, sizes=sizes, batch=32)
    mine = train(REF, 4, "half_mse", dtype, "sgd", 1e-5, (2,), rows=70, sizes=sizes, batch=32)
    assert_same_training(mine, want, rtol)


@pytest.mark.parametrize(
    "rule, frozen, clip",
    [
        ("momentum", (1,), (0.0, 0.0)),  # a frozen middle layer
        ("sgd", (0, 1), (0.0, 0.0)),  # the backward pass ends above the frozen bottom
        ("prune", (), (0.5, 0.0)),  # clipped to a norm, and the Playground's L1
        ("rmsprop", (3,), (0.0, 0.05)),  # clipped entries, the top frozen
        ("adagrad", (0, 1, 2, 3), (1.0, 0.1)),  # all frozen: nothing moves
    ],
)
def test_frozen_layers_clipping_and_every_rule_in_the_compiled_epoch(rule, frozen, clip):
    want = train(CPU, 1, "mse", np.float64, rule, 0.05, frozen, clip)
    mine = train(REF, 1, "mse", np.float64, rule, 0.05, frozen, clip)
    assert_same_training(mine, want, 1e-10)
    if frozen == (0, 1, 2, 3):
        start = train(REF, 1, "mse", np.float64, rule, 0.0, frozen, clip)[1][0]
        np.testing.assert_array_equal(mine[1][0], start)


def test_a_diverging_epoch_stops_at_the_same_step():
    with np.errstate(over="ignore", invalid="ignore"):  # the reference's overflow is the point
        firsts = [train(b, 2, "half_mse", np.float64, "sgd", lr=1e30)[0][0] for b in (REF, CPU)]
    for losses, _, done in firsts:  # the first epoch's
        assert done < 5 and not np.isfinite(losses[done]) and np.isfinite(losses[:done]).all()
    assert firsts[0][2] == firsts[1][2]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("loss", list(LOSSES))
def test_the_compiled_landscape_is_the_reference_one(rng, loss, dtype):
    kind, last = LOSSES[loss]
    k = 3 if kind == CROSS_ENTROPY else 2
    theta, layout, alphas = network(rng, (3, 6, k), (TANH, last), dtype)
    X, Y = dataset(rng, loss, 3, k, dtype, n=40)
    d1, d2 = (rng.normal(size=theta.size).astype(dtype) * 0.3 for _ in range(2))
    coords = np.array([[a, b] for b in (-1.0, 0.0, 0.5) for a in (-0.5, 0.0, 1.0)])
    args = (theta, d1, d2, coords, layout, alphas, X, Y, kind)
    want = CPU.grid_losses(*args)
    assert want.shape == (9,) and want.dtype == np.float64
    # the cpu grid takes the float32 path's rational tanh whatever the dtype
    np.testing.assert_allclose(REF.grid_losses(*args), want, rtol=1e-5)
    centre = loss_value(kind, forward(theta, layout, alphas, X)[1][-1], Y)  # (a, b) = (0, 0)
    assert REF.grid_losses(*args)[4] == centre


@pytest.mark.parametrize("targets", ["hard", "soft"])
def test_the_landscape_of_one_sigmoid_output_is_the_reference_one(rng, targets):
    """One sigmoid output under BCE (the landscape panel's networks): targets all 0 or 1 take
    the vectorised logarithm, soft ones the per-entry loss; both are the reference's."""
    theta, layout, alphas = network(rng, (2, 8, 1), (TANH, SIGMOID), np.float32)
    X = rng.normal(size=(60, 2)).astype(np.float32)
    Y = rng.integers(0, 2, (60, 1)) if targets == "hard" else rng.uniform(size=(60, 1))
    d1, d2 = (rng.normal(size=theta.size).astype(np.float32) * 0.3 for _ in range(2))
    coords = np.array([[a, b] for b in (-1.0, 0.0, 0.5) for a in (-0.5, 0.0, 1.0)])
    args = (theta, d1, d2, coords, layout, alphas, X, Y.astype(np.float32), BCE)
    np.testing.assert_allclose(CPU.grid_losses(*args), REF.grid_losses(*args), rtol=1e-5)
    if targets == "hard":  # a NaN network's loss is NaN, not the log's floor
        theta[:] = np.nan
        assert np.isnan(CPU.grid_losses(*args)).all()


def test_the_vectorised_log_is_libms_to_float32_and_floored():
    x = np.r_[np.random.default_rng(0).uniform(0, 3, 5000), 1e-30, 0.5, 0.70710677, 0.7071068]
    x = np.r_[x, 1.0, 2.0**-126, 3.4e38].astype(np.float32)
    out = np.empty_like(x)
    log_floored32(x, out)
    np.testing.assert_allclose(out, np.log(x.astype(np.float64)), rtol=2e-7, atol=2e-7)
    floor = np.float32([0.0, 1e-39, -1.0])  # zero, below the smallest normal float32, < 0
    log_floored32(floor, out[:3])
    np.testing.assert_array_equal(out[:3], [-100.0, -100.0, -100.0])
