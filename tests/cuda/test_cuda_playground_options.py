"""The Playground options on the GPU (numba's simulator or a device): MSELoss(half=True),
penalties on weights only, SGD's l1_prune and shuffle=False, in the fused dense epoch and
in the layer-by-layer path, against the cpu backend."""

import numpy as np
import pytest

from deepscope import nn
from deepscope.core.cpu.optim import apply_update
from deepscope.core.reference import optim as rules

pytestmark = pytest.mark.cuda


def test_the_update_kernel_masks_and_prunes_like_the_cpu_rule(rng):
    from deepscope.core import cuda as gpu

    n = 40
    g = rng.normal(size=n).astype(np.float32) * 0.1
    mask = np.tile(np.array([rules.PENALIZED, rules.FREE], np.uint8), n // 2)
    mask[-3:] = rules.PRUNED
    for kind, hyper in (
        (rules.SGD, [0.0, 0.0, 0.0, 0.01, 0.05, 1.0]),  # the Playground's L1
        (rules.SGD, [0.9, 1.0, 0.0, 0.01, 0.05, 0.0]),
        (rules.ADAM, [0.9, 0.999, 1e-8, 0.01, 0.05, 0.0]),
    ):
        p = (rng.uniform(-0.2, 0.2, size=n)).astype(np.float32)
        p[:4], g[:4] = [0.002, 0.3, -0.003, 0.001], 0.0  # two weights the L1 step prunes
        s1, s2 = np.zeros(n, np.float32), np.zeros(n, np.float32)
        m_cpu, p_cpu = mask.copy(), p.copy()
        hyper = np.array(hyper)
        apply_update(kind, p_cpu, g, s1.copy(), s2.copy(), m_cpu, hyper, 0.1, 1)
        d = [gpu.to_device(a) for a in (p, g, s1, s2)]
        d_mask = gpu.to_device(mask, dtype=np.uint8)
        gpu.apply_update(
            kind, d[0], d[1], d[2], d[3], d_mask, gpu.to_device(hyper, np.float64), 0.1, 1
        )
        np.testing.assert_allclose(d[0].copy_to_host(), p_cpu, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(d_mask.copy_to_host(), m_cpu)
        if hyper[5]:
            assert (m_cpu[:-3] == rules.PRUNED).any()


@pytest.mark.parametrize("steps", [False, True])  # the fused epoch, the layer-by-layer path
@pytest.mark.parametrize("reg", ["L1", "L2"])
def test_a_playground_port_trains_on_the_device_like_on_the_cpu(rng, steps, reg):
    X = rng.uniform(-1, 1, size=(12, 2)).astype(np.float32)
    y = np.where(X[:, 0] * X[:, 1] > 0, 1.0, -1.0).astype(np.float32)
    runs = {}
    for backend in ("cpu", "cuda"):
        model = nn.Sequential(
            [
                nn.Dense(2, 3, init="uniform(0.5)", bias_init=0.1),
                nn.Tanh(),
                nn.Dense(3, 1, init="uniform(0.5)", bias_init=0.1),
                nn.Tanh(),
            ],
            seed=0,
            backend=backend,
        )
        if reg == "L1":
            opt = nn.SGD(model, lr=0.1, l1=0.5, l1_prune=True)
        else:
            opt = nn.SGD(model, lr=0.1, weight_decay=0.1)
        trainer = nn.Trainer(model, X, y, nn.MSELoss(backend, half=True), opt, batch_size=4,
                             shuffle=False)  # fmt: skip
        assert trainer.compiled
        events = [trainer.epoch(on_step=(lambda e: None) if steps else None) for _ in range(2)]
        runs[backend] = events[-1], model.theta.copy(), opt.masks[0].copy()
    (e_cpu, th_cpu, m_cpu), (e_gpu, th_gpu, m_gpu) = runs["cpu"], runs["cuda"]
    np.testing.assert_allclose(e_gpu.step_losses, e_cpu.step_losses, rtol=1e-5)
    np.testing.assert_allclose(th_gpu, th_cpu, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(m_gpu, m_cpu)
    assert e_gpu.metrics["accuracy"] == e_cpu.metrics["accuracy"]
    if reg == "L1":
        assert (m_cpu == rules.PRUNED).any()
