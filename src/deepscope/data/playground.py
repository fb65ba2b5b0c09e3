"""The TensorFlow Playground's 2-D data sets, made as its ``dataset.ts`` makes them, plus two
of ours (a spiral of any number of arms, Gaussian blobs), splitting and scaling.

The Playground's six sets, on its plane, where the heat map spans -6..6:

- ``circle`` (classification): half the points uniform in radius 0..2.5 around the
  origin, half in the ring 3.5..5; the label is "radius < 2.5".
- ``xor``: x and y uniform in -5..5, each pushed 0.3 away from 0; the label is
  "x * y >= 0".
- ``gauss``: two Gaussian clouds about (2, 2) (the first half, label 1) and (-2, -2),
  each coordinate with variance 0.5 + 7 * noise (the Playground's linear map of noise
  0..0.5 to variance 0.5..4); the points are not confined to the plane.
- ``spiral``: two interleaved arms out to radius 5, the first (label 1) and the second
  half a turn on; uniform(-1, 1) * noise is added to every drawn point.
- ``reg-plane`` (regression): x and y uniform in -6..6, target (x + y) / 10, unclipped
  (so in -1.2..1.2 at noise 0 and -1.8..1.8 at noise 0.5).
- ``reg-gauss``: x and y uniform in -6..6; six bumps of sign +-1 at (-4|0|4, +-2.5),
  each max(0, 1 - distance / 2); the target is the bump largest in absolute value (0 far
  from all of them), so in -1..1.

Noise follows the Playground too: ``noise`` is its slider (0..50) divided by 100. For
``circle``, ``xor``, ``reg-plane`` and ``reg-gauss`` it moves not the point drawn but the
point the label is computed at, by uniform(-r, r) * noise in each coordinate (r = 5 for
circle and xor, 6 for the regression sets): the points stay where they were drawn and
some of their labels are wrong, more of them the higher the noise. For ``gauss`` it
widens the clouds and for ``spiral`` it jitters the points, as above.

Labels: 0/1 for the binary sets (the Playground's -1/+1 is ``2 * y - 1``, made by a caller
that wants it), 0..classes-1 for ``multi-spiral`` and ``blobs``, float targets for the
regression sets. The points come in the order the recipe draws them (positives first);
the Playground shuffles before it splits, as :func:`train_test_split` does. The random
numbers are numpy's, not the Playground's seeded ``Math.random``, so a set matches the
Playground's recipe, not its exact points.
"""

from __future__ import annotations

from numbers import Real
from types import MappingProxyType

import numpy as np

from ..core.checks import as_float_array, check_int

CLASSIFICATION = ("circle", "xor", "gauss", "spiral", "multi-spiral", "blobs")
REGRESSION = ("reg-plane", "reg-gauss")
DATASETS = CLASSIFICATION + REGRESSION

#: How many points ``playground(name)`` makes when ``n`` is not given: the Playground's own
#: counts, 500 for a classification set (ours included) and 1200 for a regression set.
PLAYGROUND_COUNTS = MappingProxyType(
    {**{name: 500 for name in CLASSIFICATION}, **{name: 1200 for name in REGRESSION}}
)

#: The largest noise the Playground's slider gives (50, divided by 100).
MAX_NOISE = 0.5


def _halves(n):
    """Sizes of the positive (first) and negative halves of n points."""
    return n - n // 2, n // 2


def _binary(first, n):
    return (np.arange(n) < first).astype(np.int64)


def _label_noise(rng, n, reach, noise):
    """The Playground's label noise: uniform(-reach, reach) * noise in each coordinate."""
    return rng.uniform(-reach, reach, (n, 2)) * noise


def _circle(n, noise, rng):
    radius = 5.0
    inner, outer = _halves(n)
    r = np.r_[rng.uniform(0, 0.5 * radius, inner), rng.uniform(0.7 * radius, radius, outer)]
    angle = rng.uniform(0, 2 * np.pi, n)
    xy = r[:, None] * np.c_[np.sin(angle), np.cos(angle)]
    at = xy + _label_noise(rng, n, radius, noise)
    return xy, (np.hypot(at[:, 0], at[:, 1]) < 0.5 * radius).astype(np.int64)


def _xor(n, noise, rng):
    xy = rng.uniform(-5, 5, (n, 2))
    xy += np.where(xy > 0, 0.3, -0.3)  # keep the points 0.3 off the axes
    at = xy + _label_noise(rng, n, 5, noise)
    return xy, (at[:, 0] * at[:, 1] >= 0).astype(np.int64)


def _gauss(n, noise, rng):
    variance = 0.5 + 7.0 * noise  # the Playground's linear map of noise 0..0.5 to 0.5..4
    first, second = _halves(n)
    centres = np.r_[np.full((first, 2), 2.0), np.full((second, 2), -2.0)]
    xy = centres + np.sqrt(variance) * rng.standard_normal((n, 2))
    return xy, _binary(first, n)


def _spiral_arms(n, noise, rng, arms):
    sizes = [n // arms + (1 if k < n % arms else 0) for k in range(arms)]
    xy, labels = [], []
    for k, m in enumerate(sizes):
        step = np.arange(m) / max(m, 1)  # 0 up to (not reaching) 1 along the arm
        r = 5 * step
        t = 1.75 * 2 * np.pi * step + 2 * np.pi * k / arms
        pts = r[:, None] * np.c_[np.sin(t), np.cos(t)]
        xy.append(pts + rng.uniform(-1, 1, (m, 2)) * noise)
        labels.append(np.full(m, k, np.int64))
    return np.concatenate(xy), np.concatenate(labels)


def _spiral(n, noise, rng):
    xy, arm = _spiral_arms(n, noise, rng, 2)
    return xy, 1 - arm  # the Playground's first arm (no offset) is the positive class


def _blobs(n, noise, rng, classes):
    angle = 2 * np.pi * np.arange(classes) / classes
    centres = 3.5 * np.c_[np.cos(angle), np.sin(angle)]
    labels = np.arange(n) % classes
    return centres[labels] + rng.normal(0, 0.6 + 4 * noise, (n, 2)), labels.astype(np.int64)


def _plane_points(n, noise, rng):
    """Points uniform on the -6..6 plane and the noisy points their targets are taken at."""
    xy = rng.uniform(-6, 6, (n, 2))
    return xy, xy + _label_noise(rng, n, 6, noise)


def _reg_plane(n, noise, rng):
    xy, at = _plane_points(n, noise, rng)
    return xy, (at[:, 0] + at[:, 1]) / 10  # the Playground's scale, not clamped


# the reg-gauss bumps: centre x, centre y, sign
_REG_GAUSSIANS = np.array(
    [[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]],
    dtype=float,
)


def _reg_gauss(n, noise, rng):
    xy, at = _plane_points(n, noise, rng)
    d = np.hypot(at[:, None, 0] - _REG_GAUSSIANS[:, 0], at[:, None, 1] - _REG_GAUSSIANS[:, 1])
    values = _REG_GAUSSIANS[:, 2] * np.clip(1 - d / 2, 0, 1)
    pick = np.abs(values).argmax(axis=1)  # the first of equals, as the Playground keeps it
    return xy, values[np.arange(n), pick]


_MAKERS = {
    "circle": _circle,
    "xor": _xor,
    "gauss": _gauss,
    "spiral": _spiral,
    "reg-plane": _reg_plane,
    "reg-gauss": _reg_gauss,
}


def playground(name: str, n: int | None = None, noise: float = 0.0, seed=0, classes: int = 3):
    """Return (X, y) for a Playground data set (see the module's docstring for the recipes).

    name: "circle", "xor", "gauss", "spiral" (labels 0/1, int64; the Playground's -1/+1
    is ``2 * y - 1``); "multi-spiral", "blobs" (labels 0..classes-1); "reg-plane" (float
    targets in about [-1.8, 1.8], not clipped) and "reg-gauss" (float targets in [-1, 1]).
    n: how many points; None gives the Playground's count, ``PLAYGROUND_COUNTS[name]``
    (500 for classification, 1200 for regression). X is (n, 2) float64.
    noise: the Playground's noise slider divided by 100, a number in [0, 0.5].
    seed: for numpy's ``default_rng``; the same seed gives the same set.
    """
    if not isinstance(name, str) or name not in DATASETS:
        raise ValueError(f"name must be one of {', '.join(DATASETS)}; got {name!r}")
    n = PLAYGROUND_COUNTS[name] if n is None else check_int("n", n, 1)
    if isinstance(noise, bool) or not isinstance(noise, Real) or not 0 <= noise <= MAX_NOISE:
        raise ValueError(
            f"noise must be a number in [0, {MAX_NOISE}] (the Playground's noise slider, "
            f"0..50, divided by 100), got {noise!r}"
        )
    noise = float(noise)
    classes = check_int("classes", classes, 2)
    rng = np.random.default_rng(seed)
    if name == "multi-spiral":
        return _spiral_arms(n, noise, rng, classes)
    if name == "blobs":
        return _blobs(n, noise, rng, classes)
    return _MAKERS[name](n, noise, rng)


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
