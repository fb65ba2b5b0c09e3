"""The split matrix product of the cpu backend (``core/cpu/gemm.py``) against numpy."""

import os
import subprocess
import sys

import numba
import numpy as np
import pytest

from deepscope.core.cpu.gemm import mm_rows
from deepscope.core.cpu.threads import USER_SET

# split in blocks, one call (F's 128x32x32), either side of gemm.SPLIT_MIN_WORK, the edges
SHAPES = [(256, 784, 128), (128, 32, 32), (256, 64, 64), (128, 64, 64), (784, 256, 32),
          (33, 7, 5), (17, 1, 1), (5, 3, 2)]  # fmt: skip


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("parts", [1, 2, 3])
@pytest.mark.parametrize("shape", SHAPES)
def test_each_transpose_matches_numpy(dtype, parts, shape):
    m, k, n = shape
    rng = np.random.default_rng(m * k + n)
    tol = 1e-4 if dtype == np.float32 else 1e-12
    cases = {
        (False, False): (rng.standard_normal((m, k)), rng.standard_normal((k, n))),
        (True, False): (rng.standard_normal((k, m)), rng.standard_normal((k, n))),
        (False, True): (rng.standard_normal((m, k)), rng.standard_normal((n, k))),
    }
    for (ta, tb), (a, b) in cases.items():
        a, b = a.astype(dtype), b.astype(dtype)
        out = np.full((m, n), np.nan, dtype)  # every cell must be written
        mm_rows(ta, tb, a, b, out, parts)
        want = (a.T if ta else a) @ (b.T if tb else b)
        scale = np.abs(want).max() + 1
        assert np.abs(out - want).max() <= tol * scale * k, (ta, tb)


def test_empty_inner_dimension_gives_zeros_and_empty_outputs_are_fine():
    out = np.full((40, 3), np.nan, np.float32)
    mm_rows(False, False, np.zeros((40, 0), np.float32), np.zeros((0, 3), np.float32), out, 2)
    assert (out == 0).all()
    mm_rows(False, False, np.zeros((0, 4)), np.zeros((4, 3)), np.zeros((0, 3)), 2)


def test_shapes_that_do_not_agree_are_refused():
    a = np.zeros((8, 4), np.float32)
    with pytest.raises(ValueError, match="do not agree"):
        mm_rows(False, False, a, np.zeros((5, 3), np.float32), np.zeros((8, 3), np.float32), 2)
    with pytest.raises(ValueError, match="do not agree"):
        mm_rows(True, False, a, np.zeros((8, 3), np.float32), np.zeros((8, 3), np.float32), 2)


def test_a_strided_or_mixed_array_is_refused_at_compile_time():
    a = np.zeros((8, 8), np.float32)
    with pytest.raises(numba.core.errors.TypingError):
        mm_rows(False, False, a[:, ::2], a[:4], np.zeros((8, 8), np.float32), 1)
    with pytest.raises(numba.core.errors.TypingError):
        mm_rows(False, False, a, a.astype(np.float64), np.zeros((8, 8), np.float32), 1)


def test_it_splits_over_numba_threads_while_blas_keeps_to_one():
    code = (
        "import numba; from deepscope.core.cpu.gemm import split_parts; "
        "print(split_parts(), numba.get_num_threads())"
    )

    def parts(**env):
        clean = {k: v for k, v in os.environ.items() if k not in USER_SET}
        out = subprocess.run([sys.executable, "-c", code], env={**clean, **env},
                             capture_output=True, text=True, check=True)  # fmt: skip
        return [int(x) for x in out.stdout.split()]

    split, threads = parts(NUMBA_NUM_THREADS="2")
    assert split == threads == 2  # deepscope's policy: BLAS on one thread, the rows split
    assert parts(NUMBA_NUM_THREADS="2", OPENBLAS_NUM_THREADS="2")[0] == 1  # BLAS threads itself
