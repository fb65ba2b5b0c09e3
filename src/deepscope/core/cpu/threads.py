"""Keep numba's thread pool and the BLAS thread pools from fighting over the cores.

numpy and scipy each carry an OpenBLAS whose idle threads spin, and numba's OpenMP workers
spin too; on a 2-core machine a conv step ran 3-4x slower with all of them awake. So, unless
the user chose thread counts already, deepscope asks OpenMP to sleep when idle
(OMP_WAIT_POLICY=passive) and keeps BLAS to ``DEEPSCOPE_BLAS_THREADS`` threads (default 1):
deepscope parallelises its own kernels with numba instead.
"""

import os

USER_SET = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


#: set by deepscope (not by the user): a process started from this one inherits it
OMP_WAIT_SET_HERE = "OMP_WAIT_POLICY" not in os.environ


def configure_threads() -> dict:
    """Apply the policy above once; returns what was decided (shown by ``deepscope info``)."""
    os.environ.setdefault("OMP_WAIT_POLICY", "passive")
    chosen = [v for v in USER_SET if v in os.environ]
    if chosen:
        return {"blas_threads": f"left to the user ({', '.join(chosen)} set)"}
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
    return {"blas_threads": n}


POLICY = configure_threads()
