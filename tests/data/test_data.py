import gzip

import numpy as np
import pytest

from deepscope.data import (
    glyph,
    glyphs,
    load_idx,
    load_mnist,
    minmax,
    train_test_split,
    zscore,
)


def test_split_and_scaling():
    X = np.arange(20.0).reshape(10, 2)
    Xtr, Xte, ytr, yte = train_test_split(X, np.arange(10), 0.7, seed=0)
    assert len(Xtr) == 7 and len(Xte) == 3
    assert sorted(np.r_[ytr, yte]) == list(range(10))
    np.testing.assert_allclose(zscore(X).std(axis=0), 1)
    np.testing.assert_allclose(minmax(X, -1, 1).min(axis=0), -1)
    with pytest.raises(ValueError, match="ratio must be a number in"):
        train_test_split(X, np.arange(10), 1.5)


def test_lecture_x_glyph():
    x = glyph("x")
    assert x.shape == (9, 9)
    assert all(x[i, i] == 1 and x[i, 8 - i] == 1 for i in range(1, 8))
    assert x[0].max() == -1 and (x == 1).sum() == 13
    images, labels = glyphs(10, size=28, shift=2, rotation=10, noise=0.1)
    assert images.shape == (10, 28, 28) and labels.tolist() == [1, 0] * 5


def test_shipped_mnist():
    images, labels = load_mnist()
    assert images.shape == (5000, 28, 28) and images.dtype == np.uint8
    assert labels.dtype == np.uint8 and np.bincount(labels).tolist() == [500] * 10


def _idx(data: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, data.ndim]) + b"".join(
        int(d).to_bytes(4, "big") for d in data.shape
    )
    return header + data.astype(np.uint8).tobytes()


def test_idx_reader(tmp_path):
    data = np.arange(24, dtype=np.uint8).reshape(2, 3, 4)
    (tmp_path / "a.idx").write_bytes(_idx(data))
    (tmp_path / "a.idx.gz").write_bytes(gzip.compress(_idx(data)))
    assert np.array_equal(load_idx(tmp_path / "a.idx"), data)
    assert np.array_equal(load_idx(tmp_path / "a.idx.gz"), data)
    (tmp_path / "short.idx").write_bytes(_idx(data)[:-5])
    with pytest.raises(ValueError, match="truncated"):
        load_idx(tmp_path / "short.idx")
    (tmp_path / "bad.idx").write_bytes(b"PK\x03\x04")
    with pytest.raises(ValueError, match="not an IDX file"):
        load_idx(tmp_path / "bad.idx")
