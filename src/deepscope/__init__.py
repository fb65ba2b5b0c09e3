"""deepscope: Jupyter widgets that teach deep learning by showing it happen."""

import os
import sys

__version__ = "0.1.0"


def numba_cache_dir() -> str | None:
    """Where numba caches deepscope's compiled kernels. numba writes them beside the source;
    an installed package in a read-only place (a JupyterHub image, a shared environment)
    would then compile again in every kernel, so there a per-user directory is used
    (``$XDG_CACHE_HOME`` or ``~/.cache``, then ``deepscope/numba``). ``NUMBA_CACHE_DIR`` set
    by the user wins. Returns the directory chosen, None for numba's own place."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    if os.access(os.path.dirname(__file__), os.W_OK):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    path = os.path.join(base, "deepscope", "numba")
    os.environ["NUMBA_CACHE_DIR"] = path  # read when numba is imported ...
    if "numba" in sys.modules:  # ... or, imported already, from its config
        sys.modules["numba"].config.CACHE_DIR = path
    return path


numba_cache_dir()
