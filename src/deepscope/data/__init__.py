"""Data sets that ship with deepscope (nothing is downloaded at run time)."""

from .glyphs import glyph, glyphs
from .mnist import ATTRIBUTION, load_idx, load_mnist
from .playground import DATASETS, PLAYGROUND_COUNTS, minmax, playground, train_test_split, zscore

__all__ = [
    "glyph",
    "glyphs",
    "ATTRIBUTION",
    "load_idx",
    "load_mnist",
    "DATASETS",
    "PLAYGROUND_COUNTS",
    "minmax",
    "playground",
    "train_test_split",
    "zscore",
]
