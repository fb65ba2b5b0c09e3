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

Shorter spins were measured on the 2-core AMD machine with two other processes training
(autoencoder epochs and CNN steps) beside the one measured, all at the same count. At 1,000
turns the measured process trained faster (an autoencoder epoch, bench B, 147-150 ms
against 500-550 ms at 10,000; 55 ms alone), but a page beside them crawled: the
autoencoder dashboard's browser test, Voila, Chromium and its kernel, took 159-256 s and
failed on its 10 s waits (42 s twice at 10,000, 92 s at 3,000, 65 s at 30,000). Threads
that sleep and wake after every loop take the cores back from a page's processes each time
they wake; threads that spin do not. A class is pages, so the count stays at 10,000.
"""

import os

import numba

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
# numba starts its threading layer when it compiles a parallel kernel, but not when it loads a
# cached function that calls one (numba issue 8578): the dense forward pass, loaded from the
# cache in a fresh process that had run no parallel kernel yet, aborted with "LLVM ERROR:
# Symbol not found: allocate_sched" or called a null pointer. Started here, under the policy
# above (2.5-2.8 ms of import).
numba.get_num_threads()
