"""Autoencoders: a network that squeezes digits through a narrow code and rebuilds them.

The lecture's network: 784 pixels -> 128 -> a code of 32 -> 128 -> 784, ReLU inside, a
sigmoid at the output, Adam on binary cross-entropy. Its critique: a sigmoid forces every
pixel into [0, 1] (so the inputs must be scaled there too), and cross-entropy treats grey
pixels as probabilities, when rebuilding intensities is a regression that wants MSE (a
perfect reconstruction of a grey pixel still has a BCE loss above 0). What autoencoders are
for: compression (784 numbers to 32), filling in missing values, dimensionality reduction,
visualising data (a 2-unit code is a map of the digits).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .. import nn
from ..core.checks import as_float_array, check_choice, check_finite, check_int
from ..data import load_mnist

LECTURE = (784, 128, 32, 128, 784)
ARCHITECTURES = {
    "784-128-32-128-784 (the lecture's)": LECTURE,
    "784-64-2-64-784 (a 2-D code map)": (784, 64, 2, 64, 784),
    "784-256-64-256-784": (784, 256, 64, 256, 784),
}
LOSSES = ("mse", "bce")
OUTPUTS = ("sigmoid", "linear")


def parse_sizes(text: str) -> tuple[int, ...]:
    """Widths typed as ``784-64-16-64-784``: whole numbers joined by "-" (never evaluated)."""
    if not isinstance(text, str) or not re.fullmatch(r"\s*\d+(\s*-\s*\d+)+\s*", text):
        raise ValueError(
            f"sizes must be whole numbers joined by '-', such as 784-64-16-64-784; got {text!r}"
        )
    return check_sizes(tuple(int(p) for p in text.split("-")))


def check_sizes(sizes) -> tuple[int, ...]:
    """An odd number of widths >= 3, each >= 1, input = output, the code in the middle."""
    sizes = tuple(sizes)
    if len(sizes) < 3 or len(sizes) % 2 == 0:
        raise ValueError(
            f"sizes must be an odd number (3 or more) of widths with the code in the middle, "
            f"such as 784-32-784; got {'-'.join(map(str, sizes))}"
        )
    for s in sizes:
        check_int("each width in sizes", s, 1, 4096)
    if sizes[0] != sizes[-1]:
        raise ValueError(
            f"sizes must end with the input's width ({sizes[0]}) to rebuild it; got {sizes[-1]}"
        )
    return sizes


def build_autoencoder(sizes=LECTURE, activation="relu", output="sigmoid", seed=0):
    """An nn.Sequential: Dense + ``activation`` for every layer, ``output`` ("sigmoid" or
    "linear") after the last. ``encode`` runs its first half, ``decode`` its second."""
    sizes = check_sizes(sizes)
    check_choice("output", output, OUTPUTS)
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        layers.append(nn.Dense(a, b))
        last = i == len(sizes) - 2
        layers.append(nn.activation("sigmoid" if last and output == "sigmoid" else "identity"
                                    if last else activation))  # fmt: skip
    model = nn.Sequential(layers, seed=seed, backend="cpu")
    model.sizes = sizes
    return model


def _half(model) -> int:
    """The index of the first decoder layer: after the code layer's activation."""
    return len(model.sizes) // 2 * 2


def encode(model, X) -> np.ndarray:
    """The codes (N, code size) of images (N, 784): the encoder half, the same weights."""
    x = as_float_array("X", X, dtype=model.dtype).reshape(len(X), -1)
    if x.shape[1] != model.sizes[0]:
        raise ValueError(f"X must have {model.sizes[0]} values per image, got {x.shape[1]}")
    for layer in model.layers[: _half(model)]:
        x = layer.forward(x, training=False)
    return x


def decode(model, codes) -> np.ndarray:
    """Images (N, 784) from codes (N, code size): the decoder half."""
    x = as_float_array("codes", codes, dtype=model.dtype, ndim=2)
    k = model.sizes[len(model.sizes) // 2]
    if x.shape[1] != k:
        raise ValueError(f"codes must have {k} values each (the code size), got {x.shape[1]}")
    for layer in model.layers[_half(model) :]:
        x = layer.forward(x, training=False)
    return x


def reconstruct(model, X) -> np.ndarray:
    return decode(model, encode(model, X))


def digits(n_train: int = 4000, seed: int = 0):
    """(X_train, y_train, X_test, y_test): the shipped digits as 784 pixels in [0, 1], a
    seeded split (the rest held out)."""
    images, labels = load_mnist()
    order = np.random.default_rng(seed).permutation(len(images))
    X = images[order].reshape(len(images), -1).astype(np.float32) / 255
    y = labels[order].astype(np.int64)
    return X[:n_train], y[:n_train], X[n_train:], y[n_train:]


def corrupt(X, noise: float = 0.0, mask=None, seed: int = 0) -> np.ndarray:
    """X with Gaussian noise of standard deviation ``noise`` (clipped to [0, 1]) and the
    pixels where ``mask`` (one image's shape, 1 = missing) is set to 0."""
    X = as_float_array("X", X)
    if not 0 <= noise <= 1:
        raise ValueError(f"noise must be a number in [0, 1], got {noise!r}")
    out = X.copy()
    if noise:
        out = np.clip(out + np.random.default_rng(seed).normal(0, noise, X.shape), 0, 1)
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        if m.shape != X.shape[1:]:
            raise ValueError(f"mask must be shaped like one image {X.shape[1:]}, got {m.shape}")
        out = np.where(m, 0.0, out)
    return out.astype(X.dtype)


class _PixelBCE(nn.BCELoss):
    """BCE on pixels: a rebuild, not a classification (no per-pixel "accuracy" each epoch)."""

    classification = False


def training(model, X, loss="mse", epochs=5, batch_size=256, lr=1e-3, noise=0.0, mask=None,
             X_val=None, seed=0):  # fmt: skip
    """The events of training ``model`` to rebuild X (Adam): every epoch a fresh corruption
    of the inputs when ``noise`` or ``mask`` is given (a denoising / filling-in autoencoder:
    corrupted input, clean target); epoch events carry the held-out ``val_loss``."""
    check_choice("loss", loss, LOSSES)
    X = as_float_array("X", X, dtype=model.dtype)
    check_finite("X", X)
    if X.ndim != 2 or X.shape[1] != model.sizes[0]:
        raise ValueError(f"X must be (N, {model.sizes[0]}) to match the network, got {X.shape}")
    epochs = check_int("epochs", epochs, 1)
    crit = nn.MSELoss() if loss == "mse" else _PixelBCE()
    optimizer = nn.Adam(model, lr=lr)
    if X_val is not None:
        X_val = as_float_array("X_val", X_val, dtype=model.dtype)
        check_finite("X_val", X_val)

    def stream():
        step = 0
        for epoch in range(epochs):
            inputs = corrupt(X, noise, mask, seed + epoch) if noise or mask is not None else X
            trainer = nn.Trainer(model, inputs, X, crit, optimizer, batch_size=batch_size,
                                 seed=seed + epoch, validation=None)  # fmt: skip
            for event in trainer.epoch_events():
                if event.kind == "step":
                    continue
                event.epoch, event.step = epoch + 1, step + trainer.step_index - 1
                if event.kind == "epoch" and X_val is not None:
                    val = corrupt(X_val, noise, mask, 999) if noise or mask is not None else X_val
                    event.metrics["val_loss"] = float(crit.forward(model.predict(val), X_val))
                yield event
                if event.kind == "diverged":
                    return
            step += trainer.step_index

    return stream()


def train_autoencoder(model, X, loss="mse", epochs=5, batch_size=256, lr=1e-3, noise=0.0,
                      mask=None, X_val=None, seed=0) -> nn.History:  # fmt: skip
    """Train to the end; the History (one entry per epoch: loss, val_loss)."""
    history = nn.History()
    for event in training(model, X, loss, epochs, batch_size, lr, noise, mask, X_val, seed):
        if event.kind == "diverged":
            history.diverged_at = event.step
        else:
            history.epochs.append({"epoch": event.epoch, **event.metrics})
    return history


# what it learned --------------------------------------------------------------------------
def mse(a, b) -> float:
    return float(np.mean((np.asarray(a, np.float64) - np.asarray(b, np.float64)) ** 2))


def bce_floor(X) -> float:
    """The binary cross-entropy of a PERFECT reconstruction of X: above 0 wherever a pixel is
    grey (neither 0 nor 1): BCE treats intensities as probabilities."""
    p = np.clip(np.asarray(X, np.float64), 1e-7, 1 - 1e-7)
    return float(np.mean(-(p * np.log(p) + (1 - p) * np.log(1 - p))))


@dataclass
class PCA:
    mean: np.ndarray
    components: np.ndarray  # (k, 784)

    def encode(self, X):
        return (np.asarray(X, np.float64) - self.mean) @ self.components.T

    def decode(self, codes):
        return np.asarray(codes) @ self.components + self.mean


def pca(X, k: int) -> PCA:
    """The first k principal components of X: the best linear code of size k."""
    X = np.asarray(X, np.float64)
    k = check_int("k", k, 1, min(X.shape))
    mean = X.mean(axis=0)
    _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
    return PCA(mean, vt[:k])


def code_plane(model, X, y):
    """(points (N, 2), labels, how): the 2-D code itself, or the first two principal
    components of a wider code."""
    codes = encode(model, X).astype(np.float64)
    if codes.shape[1] == 2:
        return codes, y, "the 2-D code"
    p = pca(codes, 2)
    return p.encode(codes), y, "the code's first two principal components"


def decode_plane_point(model, X, point) -> np.ndarray:
    """The image a point of ``code_plane`` decodes to (through the PCA when the code is wide:
    the code at the point's principal coordinates, the rest at the codes' mean)."""
    codes = encode(model, X).astype(np.float64)
    point = np.asarray(point, np.float64).reshape(1, 2)
    code = point if codes.shape[1] == 2 else pca(codes, 2).decode(point)
    return decode(model, code.astype(np.float32))[0]


def interpolate(model, a, b, steps: int = 8):
    """(pixel space, code space): ``steps`` images from digit a to digit b, a cross-fade of
    the pixels and a walk between the two codes, decoded."""
    steps = check_int("steps", steps, 2, 32)
    t = np.linspace(0, 1, steps)[:, None]
    a, b = np.asarray(a, np.float32).reshape(1, -1), np.asarray(b, np.float32).reshape(1, -1)
    ca, cb = encode(model, a), encode(model, b)
    return (1 - t) * a + t * b, decode(model, ((1 - t) * ca + t * cb).astype(np.float32))
