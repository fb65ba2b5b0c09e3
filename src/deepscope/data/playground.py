"""The TensorFlow Playground's 2-D data sets (same recipes, labels 0/1 instead of -1/+1),
a multi-class spiral, Gaussian blobs, splitting and scaling."""

from __future__ import annotations

import numpy as np

from ..core.checks import as_float_array, check_int

CLASSIFICATION = ("circle", "xor", "gauss", "spiral", "multi-spiral", "blobs")
REGRESSION = ("reg-plane", "reg-gauss")
DATASETS = CLASSIFICATION + REGRESSION


def _circle(n, noise, rng):
    radius = 5.0
    inner = n // 2
    r = np.r_[rng.uniform(0, radius * 0.5, inner), rng.uniform(radius * 0.7, radius, n - inner)]
    angle = rng.uniform(0, 2 * np.pi, n)
    xy = np.c_[r * np.sin(angle), r * np.cos(angle)]
    xy += rng.uniform(-radius, radius, (n, 2)) * noise
    return xy, (np.hypot(xy[:, 0], xy[:, 1]) < radius * 0.5).astype(np.int64)


def _xor(n, noise, rng):
    xy = rng.uniform(-5, 5, (n, 2))
    xy += np.where(xy > 0, 0.3, -0.3)
    xy += rng.uniform(-5, 5, (n, 2)) * noise
    return xy, (xy[:, 0] * xy[:, 1] >= 0).astype(np.int64)


def _gauss(n, noise, rng):
    spread = 0.5 + 7.0 * noise  # the Playground maps noise 0..0.5 to variance 0.5..4
    half = n // 2
    xy = np.r_[rng.normal(2, spread, (half, 2)), rng.normal(-2, spread, (n - half, 2))]
    return xy, np.r_[np.ones(half, np.int64), np.zeros(n - half, np.int64)]


def _spiral_arms(n, noise, rng, arms):
    sizes = [n // arms + (1 if k < n % arms else 0) for k in range(arms)]
    xy, labels = [], []
    for k, m in enumerate(sizes):
        i = np.arange(m)
        r = i / max(m, 1) * 5
        t = 1.75 * i / max(m, 1) * 2 * np.pi + 2 * np.pi * k / arms
        pts = np.c_[r * np.sin(t), r * np.cos(t)] + rng.uniform(-1, 1, (m, 2)) * noise
        xy.append(pts)
        labels.append(np.full(m, k, np.int64))
    return np.concatenate(xy), np.concatenate(labels)


def _spiral(n, noise, rng):
    xy, labels = _spiral_arms(n, noise, rng, 2)
    return xy, 1 - labels  # the Playground's first spiral is the positive class


def _blobs(n, noise, rng, classes):
    centers = (
        3.5
        * np.c_[
            np.cos(2 * np.pi * np.arange(classes) / classes),
            np.sin(2 * np.pi * np.arange(classes) / classes),
        ]
    )
    labels = np.arange(n) % classes
    return centers[labels] + rng.normal(0, 0.6 + 4 * noise, (n, 2)), labels.astype(np.int64)


def _reg_plane(n, noise, rng):
    xy = rng.uniform(-6, 6, (n, 2))
    noisy = xy + rng.uniform(-6, 6, (n, 2)) * noise
    return xy, np.clip((noisy[:, 0] + noisy[:, 1]) / 10, -1, 1)


_REG_GAUSSIANS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]],
    dtype=float,
)


def _reg_gauss(n, noise, rng):
    xy = rng.uniform(-6, 6, (n, 2))
    noisy = xy + rng.uniform(-6, 6, (n, 2)) * noise
    d = np.hypot(noisy[:, None, 0] - _REG_GAUSSIANS[:, 0], noisy[:, None, 1] - _REG_GAUSSIANS[:, 1])
    values = _REG_GAUSSIANS[:, 2] * np.clip(1 - d / 2, 0, 1)
    pick = np.abs(values).argmax(axis=1)
    return xy, values[np.arange(n), pick]


def playground(name: str, n: int = 500, noise: float = 0.0, seed: int = 0, classes: int = 3):
    """Return (X, y) for a Playground data set.

    name: "circle", "xor", "gauss", "spiral" (labels 0/1); "multi-spiral", "blobs" (labels
    0..classes-1); "reg-plane", "reg-gauss" (float targets in [-1, 1]). X is (n, 2) float64
    in about [-6, 6]. noise in [0, 1] (the Playground's slider goes to 0.5).
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"name must be one of {', '.join(DATASETS)}; got {name!r}")
    n = check_int("n", n, 1)
    if isinstance(noise, bool) or not isinstance(noise, (int, float)) or not 0 <= noise <= 1:
        raise ValueError(f"noise must be a number in [0, 1], got {noise!r}")
    classes = check_int("classes", classes, 2)
    rng = np.random.default_rng(seed)
    if name == "multi-spiral":
        return _spiral_arms(n, noise, rng, classes)
    if name == "blobs":
        return _blobs(n, noise, rng, classes)
    make = {
        "circle": _circle,
        "xor": _xor,
        "gauss": _gauss,
        "spiral": _spiral,
        "reg-plane": _reg_plane,
        "reg-gauss": _reg_gauss,
    }[name]
    return make(n, noise, rng)


def train_test_split(X, y, ratio: float = 0.5, seed: int = 0):
    """Shuffle and split: the first ``ratio`` of the samples train, the rest test.
    Returns (X_train, X_test, y_train, y_test)."""
    X, y = np.asarray(X), np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 0 < ratio < 1:
        raise ValueError(f"ratio must be a number in (0, 1), got {ratio!r}")
    cut = int(round(ratio * len(X)))
    if cut == 0 or cut == len(X):
        raise ValueError(f"ratio {ratio} of {len(X)} samples leaves one side empty")
    order = np.random.default_rng(seed).permutation(len(X))
    return X[order[:cut]], X[order[cut:]], y[order[:cut]], y[order[cut:]]


def zscore(X, mean=None, std=None):
    """(X - mean) / std per column; mean and std default to X's own (pass the training set's
    to scale test data the same way). Constant columns are centred, not divided."""
    X = as_float_array("X", X)
    mean = X.mean(axis=0) if mean is None else np.asarray(mean)
    std = X.std(axis=0) if std is None else np.asarray(std)
    return (X - mean) / np.where(std > 0, std, 1)


def minmax(X, low: float = 0.0, high: float = 1.0, data_min=None, data_max=None):
    """Scale each column linearly so its minimum maps to ``low`` and its maximum to ``high``."""
    if not low < high:
        raise ValueError(f"low must be below high, got low={low}, high={high}")
    X = as_float_array("X", X)
    lo = X.min(axis=0) if data_min is None else np.asarray(data_min)
    hi = X.max(axis=0) if data_max is None else np.asarray(data_max)
    span = np.where(hi > lo, hi - lo, 1)
    return low + (X - lo) / span * (high - low)
