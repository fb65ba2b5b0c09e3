import os

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def _cuda_runnable() -> bool:
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return True
    from deepscope.core.backend import cuda_status

    return cuda_status()[0]


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's chromium; on a laptop without it they skip with a reason,
    under CI=true they must run (a missing browser fails). CUDA tests run under
    NUMBA_ENABLE_CUDASIM=1 (make test's last run) or on a machine with a GPU."""
    need_browser = not (os.path.exists("/usr/bin/chromium") or os.environ.get("CI") == "true")
    no_browser = pytest.mark.skip(
        reason="no /usr/bin/chromium (apt-get install chromium); set CI=true to make this a failure"
    )
    no_cuda = pytest.mark.skip(
        reason="no GPU: run with NUMBA_ENABLE_CUDASIM=1 (make test does, in its last run)"
    )
    cuda_checked = None
    for item in items:
        if need_browser and "browser" in item.keywords:
            item.add_marker(no_browser)
        if "cuda" in item.keywords:
            cuda_checked = _cuda_runnable() if cuda_checked is None else cuda_checked
            if not cuda_checked:
                item.add_marker(no_cuda)
