"""Keep numba's thread pool and the BLAS thread pools from fighting over the cores.

numpy and scipy each carry an OpenBLAS whose idle threads spin, and numba's OpenMP workers
spin too; on a 2-core machine a conv step ran 3-4x slower with all of them awake. So, unless
the user chose thread counts already, deepscope keeps BLAS to ``DEEPSCOPE_BLAS_THREADS``
threads (default 1): deepscope parallelises its own kernels with numba instead.

numba's OpenMP workers then wait for the next parallel loop spinning a short while
(``GOMP_SPINCOUNT`` = ``SPINCOUNT`` turns, some 30 us here) and then sleep, unless the user
set ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``. Sleeping at once (OMP_WAIT_POLICY=passive, the
earlier policy) made every parallel loop pay a wake-up: the small CNN's training step took
0.89 ms against 0.65 ms. Spinning long costs the machine when it is shared: a class's
kernels, or a test suite's processes, each keep a core busy after every loop. With two other
processes training beside it on the 2-core AMD machine, building the autoencoder panel took
26-32 s spinning 10,000 turns, 14-16 s at 3,000 and 11-13 s at 1,000; an autoencoder
epoch (bench B, 55 ms alone on a later machine of that kind) took 500-550 ms beside them at
10,000 and 147-150 ms at 1,000. Alone, the three counts timed the same (B 102-113 ms, C
1.2 ms, F 0.7-0.8 ms). libgomp's own default (300,000 turns, several ms) is worse still;
1,000 is also what it falls back to when it sees more threads than cores.
"""

import os

USER_SET = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
SPINCOUNT = "1000"
WAIT_VARS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")

#: set by deepscope (not by the user): a process started from this one inherits it
WAIT_SET_HERE = not any(v in os.environ for v in WAIT_VARS)


def configure_threads() -> dict:
    """Apply the policy above once; returns what was decided (shown by ``deepscope info``)."""
    if WAIT_SET_HERE:
        os.environ["GOMP_SPINCOUNT"] = SPINCOUNT
        wait = f"spin {SPINCOUNT} then sleep (GOMP_SPINCOUNT)"
    else:
        wait = "left to the user (" + ", ".join(v for v in WAIT_VARS if v in os.environ) + " set)"
    chosen = [v for v in USER_SET if v in os.environ]
    if chosen:
        return {"blas_threads": f"left to the user ({', '.join(chosen)} set)", "openmp_wait": wait}
    raw = os.environ.get("DEEPSCOPE_BLAS_THREADS", "1")
    try:
        n = int(raw)
        if n < 1:
            raise ValueError
    except ValueError as exc:
        raise ValueError(f"DEEPSCOPE_BLAS_THREADS must be an integer >= 1, got {raw!r}") from exc
    import scipy.linalg  # noqa: F401  (loads the BLAS that numba's np.dot calls)
    from threadpoolctl import threadpool_limits

    threadpool_limits(n, user_api="blas")
    return {"blas_threads": n, "openmp_wait": wait}


POLICY = configure_threads()
