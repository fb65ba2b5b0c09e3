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
