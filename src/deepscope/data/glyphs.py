"""The lecture's X and O images, drawn analytically so they can be shifted, rotated,
thickened and made noisy. Strokes are +1 and background -1, as on the slides."""

from __future__ import annotations

import numpy as np

from ..core.checks import check_int

KINDS = ("x", "o")
LABELS = {"o": 0, "x": 1}


def _segment_distance(px, py, ax, ay, bx, by):
    dx, dy = bx - ax, by - ay
    t = np.clip(((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0, 1)
    return np.hypot(px - (ax + t * dx), py - (ay + t * dy))


def glyph(
    kind: str,
    size: int = 9,
    shift=(0, 0),
    rotation: float = 0.0,
    stroke: float = 1.0,
    low: float = -1.0,
    high: float = 1.0,
) -> np.ndarray:
    """One (size, size) float32 image of an "x" or an "o".

    The shape is laid out on the slides' 9x9 grid and scaled to ``size``; ``shift`` is
    (rows, cols) in pixels, ``rotation`` in degrees, ``stroke`` the line width in 9x9 pixels.
    """
    if not isinstance(kind, str) or kind.lower() not in KINDS:
        raise ValueError(f"kind must be 'x' or 'o', got {kind!r}")
    size = check_int("size", size, 5)
    if not stroke > 0:
        raise ValueError(f"stroke must be > 0 pixels, got {stroke!r}")
    scale = size / 9.0
    rows, cols = np.mgrid[0:size, 0:size].astype(float)
    c = (size - 1) / 2
    # pixel centres in 9x9 slide units, rotated and shifted back onto the glyph
    y = (rows - c - shift[0]) / scale
    x = (cols - c - shift[1]) / scale
    a = np.deg2rad(rotation)
    xr, yr = np.cos(a) * x + np.sin(a) * y, -np.sin(a) * x + np.cos(a) * y
    if kind.lower() == "x":
        dist = np.minimum(
            _segment_distance(xr, yr, -3, -3, 3, 3), _segment_distance(xr, yr, -3, 3, 3, -3)
        )
    else:
        dist = np.abs(np.hypot(xr, yr) - 3.0)
    on = dist <= stroke / 2 + 1e-9
    return np.where(on, high, low).astype(np.float32)


def glyphs(
    n: int = 200,
    size: int = 9,
    shift: int = 0,
    rotation: float = 0.0,
    stroke=(1.0, 1.0),
    noise: float = 0.0,
    seed: int = 0,
):
    """A balanced set of n X and O images with random variations.

    shift: largest shift in pixels (each image draws rows and cols in [-shift, shift]);
    rotation: largest rotation in degrees; stroke: (min, max) line width; noise: standard
    deviation of Gaussian noise added to every pixel. Returns (images (n, size, size) float32,
    labels (n,) int64 with 1 = X, 0 = O), alternating X, O, X, O...
    """
    n = check_int("n", n, 1)
    shift = check_int("shift", shift, 0)
    if not 0 <= noise:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    lo, hi = (stroke, stroke) if np.isscalar(stroke) else stroke
    rng = np.random.default_rng(seed)
    images = np.empty((n, size, size), dtype=np.float32)
    labels = np.empty(n, dtype=np.int64)
    for i in range(n):
        kind = "x" if i % 2 == 0 else "o"
        images[i] = glyph(
            kind,
            size,
            tuple(rng.integers(-shift, shift + 1, 2)),
            rng.uniform(-rotation, rotation),
            rng.uniform(lo, hi),
        )
        labels[i] = LABELS[kind]
    if noise:
        images += rng.normal(0, noise, images.shape).astype(np.float32)
    return images, labels
