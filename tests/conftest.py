import os

import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def pytest_collection_modifyitems(config, items):
    """Browser tests need Debian's chromium; on a laptop without it they skip with a reason,
    under CI=true they must run (a missing browser fails)."""
    if os.path.exists("/usr/bin/chromium") or os.environ.get("CI") == "true":
        return
    skip = pytest.mark.skip(
        reason="no /usr/bin/chromium (apt-get install chromium); set CI=true to make this a failure"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)
