import pytest

from deepscope.core import get_backend


@pytest.fixture(scope="module")
def cu():
    return get_backend("cuda")
