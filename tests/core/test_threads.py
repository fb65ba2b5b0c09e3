"""The thread policy deepscope applies at import, in fresh interpreters (it reads the
environment once, before numba's OpenMP pool starts)."""

import json
import os
import subprocess
import sys

import pytest

CODE = (
    "import json, os; from deepscope.core.cpu import POLICY; "
    "print(json.dumps([POLICY, os.environ.get('GOMP_SPINCOUNT'), "
    "os.environ.get('OMP_WAIT_POLICY')]))"
)


def policy(**env):
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")}
    out = subprocess.run(
        [sys.executable, "-c", CODE], env={**clean, **env}, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_idle_openmp_workers_spin_briefly_then_sleep():
    told, spin, wait = policy()
    assert spin == "10000" and wait is None
    assert told["openmp_wait"] == "spin 10000 then sleep (GOMP_SPINCOUNT)"


@pytest.mark.parametrize("var, value", [("OMP_WAIT_POLICY", "passive"), ("GOMP_SPINCOUNT", "0")])
def test_a_users_openmp_wait_setting_is_left_alone(var, value):
    told, spin, wait = policy(**{var: value})
    assert (spin, wait) == ((value, None) if var == "GOMP_SPINCOUNT" else (None, value))
    assert told["openmp_wait"] == f"left to the user ({var} set)"


CACHED_CALLER = """
import sys
import numpy as np
from deepscope.core.cpu.mlp import _mm, forward_into
layout = np.array([[0, 784 * 128, 784, 128, 1]], dtype=np.int64)
theta = np.full(784 * 128 + 128, 0.01, np.float32)
x, out = np.ones((256, 784), np.float32), np.empty((256, 128), np.float32)
if sys.argv[1] == "product":
    _mm(x, theta[: 784 * 128].reshape(784, 128), out, 2)
else:
    out = forward_into(theta, layout, np.zeros(1), x, [out], False, 2)
print(float(out[0, 0]))
"""


def test_a_cached_caller_of_a_parallel_kernel_runs_in_a_fresh_process(tmp_path):
    """The dense forward pass calls the product that calls the parallel kernel
    (``gemm.mm_rows``). Compiled in a process that took the product from numba's cache, then
    loaded from the cache in a fresh process, it needs numba's threading layer started
    (numba starts it when it compiles a parallel kernel, not for this); without that it
    segfaulted."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path)}
    for run in ("product", "forward", "forward"):  # compiled, compiled, from the cache
        out = subprocess.run(
            [sys.executable, "-c", CACHED_CALLER, run], env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, f"{run}: {out.stderr[-500:]}"
        want = 784 * 0.01 + (0.01 if run == "forward" else 0.0)
        assert float(out.stdout) == pytest.approx(want, rel=1e-5)
    assert list(tmp_path.rglob("*forward_into*.nbc")), "nothing was cached"
