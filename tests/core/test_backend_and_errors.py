import numpy as np
import pytest

from deepscope.core import PRIMITIVES, get_backend
from deepscope.core.backend import Backend


def test_backend_records_have_every_primitive():
    for name in ("numpy", "cpu"):
        be = get_backend(name)
        assert isinstance(be, Backend) and be.name == name
        assert all(callable(getattr(be, p)) for p in PRIMITIVES)


def test_auto_and_environment_override(monkeypatch):
    monkeypatch.delenv("DEEPSCOPE_BACKEND", raising=False)
    assert get_backend("auto").name == "cpu"  # no GPU on CI
    monkeypatch.setenv("DEEPSCOPE_BACKEND", "numpy")
    assert get_backend("auto").name == "numpy"
    monkeypatch.setenv("DEEPSCOPE_BACKEND", "tpu")
    with pytest.raises(ValueError, match="DEEPSCOPE_BACKEND"):
        get_backend("auto")


def test_unknown_and_missing_backends():
    with pytest.raises(ValueError, match="backend must be one of"):
        get_backend("gpu")
    with pytest.raises(RuntimeError, match=r"deepscope\[cuda\]"):
        get_backend("cuda")


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_bad_shapes_name_the_argument(backend):
    be = get_backend(backend)
    x = np.zeros((2, 3, 4, 4))
    with pytest.raises(ValueError, match="kernel size 7 is larger than the padded input"):
        be.conv2d_forward(x, np.zeros((1, 3, 7, 7)), np.zeros(1), 1, 1)
    with pytest.raises(ValueError, match="channels disagree"):
        be.conv2d_forward(x, np.zeros((1, 2, 3, 3)), np.zeros(1), 1, 0)
    with pytest.raises(ValueError, match="stride must be an integer >= 1, got 0"):
        be.conv2d_forward(x, np.zeros((1, 3, 3, 3)), np.zeros(1), 0, 0)
    with pytest.raises(ValueError, match="padding must be an integer >= 0, got -1"):
        be.conv2d_forward(x, np.zeros((1, 3, 3, 3)), np.zeros(1), 1, -1)
    with pytest.raises(ValueError, match="size must be an integer >= 1, got 0"):
        be.maxpool2d_forward(x, 0, 1)
    with pytest.raises(ValueError, match="in_features disagree"):
        be.dense_forward(np.zeros((2, 3)), np.zeros((4, 5)), np.zeros(5))
    with pytest.raises(ValueError, match="labels must lie in 0..1"):
        be.cross_entropy_forward(np.zeros((2, 2)), np.array([0, 5]))
