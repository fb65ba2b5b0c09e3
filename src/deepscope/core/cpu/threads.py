"""Keep numba's thread pool and the BLAS thread pools from fighting over the cores.

numpy and scipy each carry an OpenBLAS whose idle threads spin, and numba's OpenMP workers
spin too; on a 2-core machine a conv step ran 3-4x slower with all of them awake. So, unless
the user chose thread counts already, deepscope keeps BLAS to ``DEEPSCOPE_BLAS_THREADS``
threads (default 1): deepscope parallelises its own kernels with numba instead.

numba's OpenMP workers then wait for the next parallel loop spinning a short while
(``GOMP_SPINCOUNT`` = ``SPINCOUNT`` turns, about 0.3 ms here) and then sleep, unless the
user set ``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT``. Sleeping at once (OMP_WAIT_POLICY=passive,
the earlier policy) made every parallel loop pay a wake-up: the small CNN's training step
took 0.89 ms against 0.65 ms. libgomp's own default (300,000 turns, several ms) keeps a core
busy long after each loop, in every kernel of a class.
"""

import os

USER_SET = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
SPINCOUNT = "10000"
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
