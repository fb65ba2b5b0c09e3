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
from ..core.checks import as_float_array, check_choice, check_finite, check_int, check_number
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
    pixels ``mask`` hides set to 0 (see ``hidden_pixels``: one image's mask, one mask per
    image, or a fraction of each image's pixels drawn at random from ``seed``)."""
    X = as_float_array("X", X)
    if not 0 <= noise <= 1:
        raise ValueError(f"noise must be a number in [0, 1], got {noise!r}")
    out = X.copy()
    if noise:
        out = np.clip(out + np.random.default_rng(seed).normal(0, noise, X.shape), 0, 1)
    if mask is not None:
        out = np.where(hidden_pixels(mask, X.shape, seed), 0.0, out)
    return out.astype(X.dtype)


# filling in -------------------------------------------------------------------------------
# The lecture: "if an image has some missing values, the autoencoder will likely fill them
# in". A mask hides pixels (they reach the network as 0); the network's output there is its
# guess, measured against the pixels that were hidden.
SIDE = 28  # a digit is SIDE x SIDE pixels


def rectangle_mask(top: int, left: int, height: int, width: int, shape=(SIDE, SIDE)):
    """A (rows, cols) mask of bools, True on the hidden rectangle: rows top .. top + height
    - 1, columns left .. left + width - 1, all inside the image."""
    rows, cols = (check_int("shape", n, 1, 4096) for n in shape)
    top, left = check_int("top", top, 0, rows - 1), check_int("left", left, 0, cols - 1)
    height = check_int("height", height, 1, rows)
    width = check_int("width", width, 1, cols)
    if top + height > rows:
        raise ValueError(
            f"the mask's rectangle runs off the bottom of the {rows}-row image: top {top} + "
            f"height {height} = {top + height}; top + height must be at most {rows}"
        )
    if left + width > cols:
        raise ValueError(
            f"the mask's rectangle runs off the right of the {cols}-column image: left {left} "
            f"+ width {width} = {left + width}; left + width must be at most {cols}"
        )
    mask = np.zeros((rows, cols), dtype=bool)
    mask[top : top + height, left : left + width] = True
    return mask


def hidden_pixels(mask, shape, seed: int = 0) -> np.ndarray:
    """Where ``mask`` hides pixels of images shaped ``shape`` (N, pixels): a bool array of
    that shape, True = hidden. ``mask`` is a number in [0, 1], that fraction of each image's
    pixels drawn at random (seeded, a fresh draw per image); or an array of 0/1 (or bools),
    shaped like one image (pixels,), like its square (28, 28) for 784 pixels, or like the
    images (N, pixels), one mask each."""
    shape = tuple(shape)
    if len(shape) != 2:
        raise ValueError(f"the images must be (N, pixels) to be masked, got shape {shape}")
    if isinstance(mask, (bool, np.bool_)) or isinstance(mask, str):
        raise TypeError(
            f"mask must be an array of 0/1 shaped like one image or a fraction of pixels in "
            f"[0, 1]; got {mask!r}"
        )
    if isinstance(mask, (int, float, np.integer, np.floating)):
        fraction = check_number("mask (the fraction of pixels hidden)", mask, 0, 1)
        return np.random.default_rng([seed, 7]).random(shape) < fraction
    try:
        m = np.asarray(mask)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(
            f"mask must be an array of 0/1 or a fraction, got {type(mask).__name__}"
        ) from exc
    if m.dtype.kind not in "biuf":
        raise TypeError(f"mask must hold 0/1 or True/False, got dtype {m.dtype}")
    if m.dtype.kind != "b":
        bad = ~np.isin(m, (0, 1))
        if bad.any():
            raise ValueError(
                f"mask must hold only 0 (shown) and 1 (hidden), got {m[bad].ravel()[0].item()!r} "
                f"among its values (for a fraction of pixels pass one number in [0, 1])"
            )
        m = m.astype(bool)
    pixels = shape[1]
    side = int(round(pixels**0.5))
    allowed = [(pixels,), *([(side, side)] if side * side == pixels else []), shape]
    if m.shape not in allowed:
        raise ValueError(
            f"mask must be shaped like one image {' or '.join(map(str, allowed[:-1]))}, or "
            f"like the images {shape} (one mask each); got {m.shape}"
        )
    return np.broadcast_to(m.reshape(-1, pixels), shape)


@dataclass
class FillIn:
    """Digits with pixels hidden and the network's attempt to fill them in, all (N, 784) on
    the [0, 1] scale: ``masked`` (the input, hidden pixels 0), ``rebuilt`` (the network's
    output), ``original``; ``hidden`` True where a pixel was hidden. Mean squared errors
    against the original: ``blank_error`` of the masked input over the hidden pixels (what
    leaving them black costs), ``filled_error`` of the output over the hidden pixels (the
    network's guess), ``visible_error`` of the output over the pixels left shown;
    ``fraction`` the share of pixels hidden (NaN errors where nothing is hidden)."""

    masked: np.ndarray
    rebuilt: np.ndarray
    original: np.ndarray
    hidden: np.ndarray
    blank_error: float
    filled_error: float
    visible_error: float
    fraction: float


def _masked_mse(a, b, where) -> float:
    if not where.any():
        return float("nan")
    d = np.asarray(a, np.float64)[where] - np.asarray(b, np.float64)[where]
    return float(np.mean(d * d))


def fill_in(model, X, mask, scale: float = 1.0, seed: int = 0) -> FillIn:
    """Hide the pixels ``mask`` names (``hidden_pixels``) in the digits X (N, 784) in [0, 1],
    let the network rebuild them and measure what it filled in. The network takes pixels
    x ``scale`` (255 for one trained on unscaled inputs); everything returned is on [0, 1]."""
    X = as_float_array("X", X, dtype=model.dtype)
    check_finite("X", X)
    if X.ndim != 2 or X.shape[1] != model.sizes[0]:
        raise ValueError(f"X must be (N, {model.sizes[0]}) to match the network, got {X.shape}")
    scale = check_number("scale", scale, 0, None, low_open=True)
    hidden = np.ascontiguousarray(hidden_pixels(mask, X.shape, seed))
    masked = np.where(hidden, 0.0, X).astype(X.dtype)
    rebuilt = reconstruct(model, masked * X.dtype.type(scale)) / scale
    return FillIn(masked, rebuilt, X, hidden, _masked_mse(masked, X, hidden),
                  _masked_mse(rebuilt, X, hidden), _masked_mse(rebuilt, X, ~hidden),
                  float(hidden.mean()))  # fmt: skip


class _PixelBCE(nn.BCELoss):
    """BCE on pixels: a rebuild, not a classification (no per-pixel "accuracy" each epoch)."""

    classification = False


def training(model, X, loss="mse", epochs=5, batch_size=256, lr=1e-3, noise=0.0, mask=None,
             X_val=None, seed=0):  # fmt: skip
    """The events of training ``model`` to rebuild X (Adam): every epoch a fresh corruption
    of the inputs when ``noise`` or ``mask`` is given (a denoising / filling-in autoencoder:
    corrupted input, clean target; ``mask`` as ``hidden_pixels`` takes it, a fraction drawn
    afresh every epoch); epoch events carry the held-out ``val_loss``."""
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
    if mask is not None:  # a bad mask is an error now, not at the first epoch
        for data in (X, X_val) if X_val is not None else (X,):
            hidden_pixels(mask, data.shape)

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


def _as_points(v) -> np.ndarray:
    return np.asarray(v, np.float64)


def _plane(model, X):
    """(points of X on the code plane, codes -> plane, plane -> codes, how): the 2-D code
    itself, or the first two principal components of X's codes (a plane point decodes
    through them, the other directions at the codes' mean)."""
    codes = encode(model, X).astype(np.float64)
    if codes.shape[1] == 2:
        return codes, _as_points, _as_points, "the 2-D code"
    p = pca(codes, 2)
    return p.encode(codes), p.encode, p.decode, "the code's first two principal components"


def code_plane(model, X, y):
    """(points (N, 2), labels, how): the 2-D code itself, or the first two principal
    components of a wider code."""
    points, _, _, how = _plane(model, X)
    return points, y, how


def decode_plane_point(model, X, point) -> np.ndarray:
    """The image a point of ``code_plane`` decodes to (through the PCA when the code is wide:
    the code at the point's principal coordinates, the rest at the codes' mean)."""
    _, _, to_codes, _ = _plane(model, X)
    point = np.asarray(point, np.float64).reshape(1, 2)
    return decode(model, to_codes(point).astype(np.float32))[0]


def _check_scale(scale) -> float:
    return check_number("scale", scale, 0, None, low_open=True)


@dataclass
class Manifold:
    """Decoded images on an n x n grid over the code plane (the manifold the decoder draws):
    ``xs`` (n,) the columns' plane x, left to right; ``ys`` (n,) the rows' plane y, top row
    first (largest y); ``images`` (n, n, 784) on [0, 1], row i and column j decoded from
    (xs[j], ys[i]); ``picture`` the images as one (n·28, n·28) array, top row first;
    ``extent`` (x0, x1, y0, y1) the area of the plane the picture covers (each image centred
    on its point); ``how`` which plane."""

    xs: np.ndarray
    ys: np.ndarray
    images: np.ndarray
    picture: np.ndarray
    extent: tuple
    how: str


def manifold(model, X, n: int = 10, extent=None, scale: float = 1.0) -> Manifold:
    """Decode an n x n grid of points of the code plane of the digits X (N, 784) in [0, 1]
    (``code_plane``). The grid spans ``extent`` (x0, x1, y0, y1), by default the range of
    X's points, so every digit of X lies on the picture. The network takes pixels x
    ``scale``; the images come back on [0, 1] (not clipped)."""
    n = check_int("n", n, 2, 40)
    scale = _check_scale(scale)
    X = as_float_array("X", X, dtype=model.dtype)
    points, _, to_codes, how = _plane(model, X * X.dtype.type(scale))
    if extent is None:
        (x0, y0), (x1, y1) = points.min(0), points.max(0)
    else:
        try:
            x0, x1, y0, y1 = (check_number("each value of extent", v) for v in extent)
        except (TypeError, ValueError) as err:
            raise type(err)(f"extent must be four numbers (x0, x1, y0, y1): {err}") from None
    if not (x1 > x0 and y1 > y0):
        raise ValueError(f"extent must have x0 < x1 and y0 < y1, got {(x0, x1, y0, y1)}")
    xs, ys = np.linspace(x0, x1, n), np.linspace(y1, y0, n)
    grid = np.stack(np.meshgrid(xs, ys), axis=-1).reshape(-1, 2)  # row by row, top first
    images = decode(model, to_codes(grid).astype(np.float32)).astype(np.float64) / scale
    side = int(round(images.shape[1] ** 0.5))
    picture = images.reshape(n, n, side, side).transpose(0, 2, 1, 3).reshape(n * side, -1)
    dx, dy = (x1 - x0) / (n - 1), (y1 - y0) / (n - 1)
    box = (x0 - dx / 2, x1 + dx / 2, y0 - dy / 2, y1 + dy / 2)
    return Manifold(xs, ys, images.reshape(n, n, -1), picture, tuple(map(float, box)), how)


@dataclass
class Placed:
    """Where a new image lands on the code plane of a set of digits and how the network
    rebuilds it: ``point`` (2,) on the plane, ``code`` (code size,), ``image`` and
    ``rebuilt`` (784,) on [0, 1], ``error`` the MSE per pixel of the rebuild, ``how`` which
    plane."""

    point: np.ndarray
    code: np.ndarray
    image: np.ndarray
    rebuilt: np.ndarray
    error: float
    how: str


def place_on_plane(model, X, image, scale: float = 1.0) -> Placed:
    """Encode ``image`` (a drawing: 28 x 28 or 784 values in [0, 1]) and put its code on the
    code plane of the digits X (N, 784) in [0, 1] (``code_plane``: where X's digits lie);
    decode it back. The network takes pixels x ``scale``."""
    scale = _check_scale(scale)
    im = as_float_array("image", image, dtype=model.dtype)
    if im.size != model.sizes[0]:
        raise ValueError(f"image must have {model.sizes[0]} pixels (28 x 28), got shape {im.shape}")
    check_finite("image", im)
    if im.min() < 0 or im.max() > 1:
        raise ValueError(f"image values must be in [0, 1], got {im.min():.3g} .. {im.max():.3g}")
    im = im.reshape(1, -1)
    X = as_float_array("X", X, dtype=model.dtype)
    _, to_plane, _, how = _plane(model, X * X.dtype.type(scale))
    code = encode(model, im * im.dtype.type(scale))
    rebuilt = decode(model, code)[0].astype(np.float64) / scale
    return Placed(to_plane(code)[0], code[0].astype(np.float64), im[0].astype(np.float64),
                  rebuilt, mse(rebuilt, im[0]), how)  # fmt: skip


def interpolate(model, a, b, steps: int = 8):
    """(pixel space, code space): ``steps`` images from digit a to digit b, a cross-fade of
    the pixels and a walk between the two codes, decoded."""
    steps = check_int("steps", steps, 2, 32)
    t = np.linspace(0, 1, steps)[:, None]
    a, b = np.asarray(a, np.float32).reshape(1, -1), np.asarray(b, np.float32).reshape(1, -1)
    ca, cb = encode(model, a), encode(model, b)
    return (1 - t) * a + t * b, decode(model, ((1 - t) * ca + t * cb).astype(np.float32))


# transfer learning ------------------------------------------------------------------------
# An autoencoder learns its code from digits without labels; its encoder half, copied under a
# new classification head, turns a few labelled digits into a classifier: (a) "frozen", the
# pretrained encoder kept as it is (``trainable = False``) and only the head trained; (b)
# "fine-tuned", the whole network trained from the pretrained start; (c) "scratch", the same
# network from random weights. The held-out accuracy of each, against the number of labels.
VARIANTS = ("frozen", "fine-tuned", "scratch")
N_CLASSES = 10
TRANSFER_SIZES = (784, 256, 64, 256, 784)


def copy_layers(layers) -> list:
    """Fresh copies of Dense layers and element-wise activations, the Dense weights and
    ``trainable`` flags copied (no array shared with the originals)."""
    out = []
    for layer in layers:
        if type(layer) is nn.Dense:
            new = nn.Dense(layer.in_features, layer.out_features, dtype=layer.dtype)
            for k in ("W", "b"):
                new.params[k] = np.array(layer.params[k], dtype=layer.dtype, copy=True)
        elif isinstance(layer, nn.LeakyReLU):
            new = nn.LeakyReLU(layer.alpha)
        elif isinstance(layer, nn.layers.Activation) and not isinstance(layer, nn.Softmax):
            new = type(layer)()
        else:
            raise TypeError(
                f"an encoder is Dense layers and element-wise activations; got {layer!r}"
            )
        new.trainable = layer.trainable
        out.append(new)
    return out


def encoder_of(model) -> list:
    """The encoder half of an autoencoder (``build_autoencoder``): copies of its layers up to
    and including the code's activation, with their trained weights, sharing nothing with
    ``model`` (training a classifier on them leaves the autoencoder as it is)."""
    if not isinstance(model, nn.Sequential) or not hasattr(model, "sizes"):
        raise TypeError(
            f"encoder_of takes an autoencoder from build_autoencoder, got {type(model).__name__}"
        )
    return copy_layers(model.layers[: _half(model)])


def _code_width(layers) -> tuple[int, int]:
    dense = [layer for layer in layers if type(layer) is nn.Dense]
    if not dense:
        raise ValueError("the encoder has no Dense layer")
    return dense[0].in_features, dense[-1].out_features


def check_head(head) -> tuple[int, ...]:
    """The head's Dense widths after the code: whole numbers >= 1 ending with 10 classes."""
    if isinstance(head, (int, np.integer)) and not isinstance(head, bool):
        head = (head,)
    if not isinstance(head, (tuple, list)) or not head:
        raise ValueError(f"head must be the widths of its Dense layers, such as (32, 10); "
                         f"got {head!r}")  # fmt: skip
    for w in head:
        check_int("each width in head", w, 1, 4096)
    if head[-1] != N_CLASSES:
        raise ValueError(f"head must end with {N_CLASSES} outputs (one per digit); got {head[-1]}")
    return tuple(int(w) for w in head)


def classifier(encoder, head=(32, 10), frozen=False, pretrained=True, seed=0,
               activation="relu"):  # fmt: skip
    """An nn.Sequential: copies of the ``encoder`` layers (a list of layers, or an
    autoencoder whose encoder half is taken) with their weights, then the head: Dense layers
    of widths ``head`` drawn from ``seed``, ``activation`` between them, logits at the end
    (train it with CrossEntropyLoss). ``frozen``: the encoder layers ``trainable = False``.
    ``pretrained=False``: the same network from scratch, the encoder's weights drawn afresh
    from ``seed`` (the head the same as the pretrained variants')."""
    layers = encoder_of(encoder) if isinstance(encoder, nn.Sequential) else copy_layers(encoder)
    head = check_head(head)
    _, width = _code_width(layers)
    if not pretrained:
        rng = np.random.default_rng([seed, 2])
        for layer in layers:
            layer.reset_parameters(rng)
    rng = np.random.default_rng([seed, 1])
    top = []
    for i, (a, b) in enumerate(zip((width, *head), head)):
        top.append(nn.Dense(a, b, seed=int(rng.integers(2**31))))
        if i < len(head) - 1:
            top.append(nn.activation(activation))
    for layer in layers:
        layer.trainable = not frozen
    model = nn.Sequential(layers + top, seed=None, backend="cpu")
    model.encoder_layers = len(layers)
    return model


def labelled_subset(y, n: int, seed: int = 0) -> np.ndarray:
    """Indices of ``n`` labelled rows of ``y``, the classes as balanced as n allows (n // 10
    each, one more for n % 10 of them), drawn in a seeded order: the subsets of a sweep
    are nested (the 100 contain the 10)."""
    y = np.asarray(y)
    rng = np.random.default_rng([seed, 3])
    order = rng.permutation(len(y))
    by_class = [order[y[order] == c] for c in range(N_CLASSES)]
    counts = np.full(N_CLASSES, n // N_CLASSES)
    counts[rng.permutation(N_CLASSES)[: n % N_CLASSES]] += 1
    for c in range(N_CLASSES):
        if counts[c] > len(by_class[c]):
            raise ValueError(f"n_labels={n} needs {counts[c]} digits of class {c}; the "
                             f"training digits hold {len(by_class[c])}")  # fmt: skip
    return np.sort(np.concatenate([by_class[c][: counts[c]] for c in range(N_CLASSES)]))


def accuracy(model, X, y) -> float:
    """The fraction of ``X`` whose largest logit is the label (evaluation mode)."""
    return float(np.mean(np.argmax(model.predict(X), axis=1) == np.asarray(y)))


@dataclass
class TransferResult:
    """Held-out accuracy per variant ("frozen", "fine-tuned", "scratch") and label count:
    ``accuracy[variant][i]`` for ``n_labels[i]`` labelled digits, NaN until fitted.
    ``models[variant]`` is the last classifier fitted of each variant; ``autoencoder`` the
    network whose encoder half was copied."""

    n_labels: tuple
    variants: tuple
    accuracy: dict
    n_test: int
    models: dict
    autoencoder: object = None

    def at(self, n_labels: int) -> dict:
        """{variant: held-out accuracy} for ``n_labels`` labelled digits."""
        if n_labels not in self.n_labels:
            raise KeyError(f"n_labels={n_labels!r} was not run; the sweep has {self.n_labels}")
        i = self.n_labels.index(n_labels)
        return {v: float(self.accuracy[v][i]) for v in self.variants}

    def table(self) -> str:
        """The accuracies as text: one row per label count, one column per variant."""
        rows = [("labels", *self.variants)]
        for i, n in enumerate(self.n_labels):
            rows.append((f"{n:,}", *(f"{self.accuracy[v][i]:.3f}" for v in self.variants)))
        widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
        return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows)


def _check_n_labels(n_labels, most: int) -> tuple[int, ...]:
    values = (n_labels,) if isinstance(n_labels, (int, np.integer)) else n_labels
    if isinstance(n_labels, bool) or not isinstance(values, (tuple, list, range, np.ndarray)):
        raise TypeError(f"n_labels must be a whole number or a list of them, got {n_labels!r}")
    values = tuple(values)
    if not values:
        raise ValueError("n_labels is empty: give at least one number of labelled digits")
    for n in values:
        check_int("n_labels", n, N_CLASSES, most)
    if len(set(values)) != len(values):
        raise ValueError(f"n_labels must not repeat a number, got {values}")
    return tuple(sorted(int(n) for n in values))


class TransferLearning:
    """Digit classification from a few labelled digits, three ways (``VARIANTS``): the
    pretrained encoder frozen plus a new head, the encoder fine-tuned, the same network
    from scratch; the held-out accuracy of each, for one or a sweep of label counts.

    ``events()`` runs it as "progress" events for a panel's bar (metrics "done", "total",
    "what": "pretraining epochs" while the autoencoder trains when none is given, then
    "fits" after each classifier, with its "variant", "n_labels" and held-out
    "accuracy"; ``loss`` is that fit's last training loss); ``self.result`` fills in as
    they come. ``run()`` runs to the end and returns the result.

    encoder: an autoencoder from ``build_autoencoder`` (trained: its encoder half is
    copied), a list of encoder layers (copied), or None: an autoencoder of ``sizes`` is
    pretrained here on the training digits, without their labels (``pretrain_epochs`` of
    Adam at 1e-3 on MSE, denoising: Gaussian noise ``pretrain_noise`` on its inputs).
    The labelled digits are a class-balanced subset of the ``n_train`` training digits
    (``labelled_subset``); the held-out set is ``n_test`` other digits. Every fit runs Adam
    (``lr``) on cross-entropy for ``epochs`` epochs, or with ``epochs=None`` for about
    ``steps`` updates of ``batch_size`` (at least 5 epochs).
    """

    def __init__(self, n_labels=100, encoder=None, head=(32, 10), fine_tune=True, epochs=None,
                 seed=0, steps=400, batch_size=32, lr=3e-3, n_train=4000, n_test=1000,
                 sizes=TRANSFER_SIZES, pretrain_epochs=10, pretrain_noise=0.3):  # fmt: skip
        self.n_train = check_int("n_train", n_train, N_CLASSES, 4000)
        self.n_test = check_int("n_test", n_test, 10, 1000)
        self.n_labels = _check_n_labels(n_labels, self.n_train)
        self.head = check_head(head)
        if not isinstance(fine_tune, bool):
            raise TypeError(f"fine_tune must be True or False, got {fine_tune!r}")
        self.variants = VARIANTS if fine_tune else ("frozen", "scratch")
        self.epochs = None if epochs is None else check_int("epochs", epochs, 1, 10_000)
        self.steps = check_int("steps", steps, 1, 100_000)
        self.batch_size = check_int("batch_size", batch_size, 1, 4096)
        if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < 1:
            raise ValueError(f"lr must be a number in (0, 1), got {lr!r}")
        self.lr = float(lr)
        self.seed = check_int("seed", seed, 0)
        self.pretrain_epochs = check_int("pretrain_epochs", pretrain_epochs, 1, 1000)
        if (
            isinstance(pretrain_noise, bool)
            or not isinstance(pretrain_noise, (int, float))
            or (not 0 <= pretrain_noise <= 1)
        ):
            raise ValueError(f"pretrain_noise must be a number in [0, 1], got {pretrain_noise!r}")
        self.pretrain_noise = float(pretrain_noise)
        if encoder is None:
            self.sizes = check_sizes(sizes)
            self.encoder = None
        elif isinstance(encoder, nn.Sequential):
            self.encoder = encoder_of(encoder)  # checks it is an autoencoder
            self.sizes = encoder.sizes
        elif isinstance(encoder, (list, tuple)) and all(isinstance(x, nn.Layer) for x in encoder):
            self.encoder = copy_layers(encoder)
            self.sizes = None
        else:
            raise TypeError(f"encoder must be None, an autoencoder from build_autoencoder or a "
                            f"list of layers; got {type(encoder).__name__}")  # fmt: skip
        self.autoencoder = encoder if isinstance(encoder, nn.Sequential) else None
        if self.encoder is not None:
            takes, _ = _code_width(self.encoder)
            if takes != 784:
                raise ValueError(f"the encoder must take the 784 pixels of a digit, "
                                 f"it takes {takes}")  # fmt: skip
        nan = np.full(len(self.n_labels), np.nan)
        self.result = TransferResult(self.n_labels, self.variants,
                                     {v: nan.copy() for v in self.variants}, self.n_test, {},
                                     self.autoencoder)  # fmt: skip
        self._data = None

    def data(self):
        """(X_train, y_train, X_test, y_test) as used: the seeded split of ``digits``."""
        if self._data is None:
            Xtr, ytr, Xte, yte = digits(self.n_train, self.seed)
            self._data = Xtr, ytr, Xte[: self.n_test], yte[: self.n_test]
        return self._data

    def epochs_for(self, n: int) -> int:
        """The epochs of a fit on n labelled digits."""
        if self.epochs is not None:
            return self.epochs
        return max(5, -(-self.steps * self.batch_size // n))

    def _fit(self, variant: str, n: int):
        Xtr, ytr, Xte, yte = self.data()
        rows = labelled_subset(ytr, n, self.seed)
        model = classifier(self.encoder, self.head, frozen=variant == "frozen",
                           pretrained=variant != "scratch", seed=self.seed)  # fmt: skip
        history = nn.fit(model, Xtr[rows], ytr[rows], nn.CrossEntropyLoss(),
                         nn.Adam(model, lr=self.lr), epochs=self.epochs_for(n),
                         batch_size=min(self.batch_size, n), seed=self.seed)  # fmt: skip
        loss = history["loss"][-1] if len(history) else float("nan")
        return model, accuracy(model, Xte, yte), loss

    def events(self):
        """Run it: "progress" events (see the class); the result fills in meanwhile. A
        stopped run resumes at its next fit when ``events`` is called again (a stopped
        pretraining starts over)."""
        fits = [(n, v) for n in self.n_labels for v in self.variants]
        pretrain = self.encoder is None
        if pretrain:
            Xtr = self.data()[0]
            self.autoencoder = build_autoencoder(self.sizes, seed=self.seed)
            for event in training(self.autoencoder, Xtr, "mse", self.pretrain_epochs,
                                  batch_size=64, lr=1e-3, noise=self.pretrain_noise,
                                  seed=self.seed):  # fmt: skip
                if event.kind == "diverged":
                    raise RuntimeError(f"pretraining the autoencoder {event.message}")
                yield nn.Event("progress", event.epoch, event.step, event.loss,
                               {"done": event.epoch, "total": self.pretrain_epochs,
                                "what": "pretraining epochs"})  # fmt: skip
            self.encoder = encoder_of(self.autoencoder)
            self.result.autoencoder = self.autoencoder
        for k, (n, variant) in enumerate(fits, start=1):
            i = self.n_labels.index(n)
            if not np.isnan(self.result.accuracy[variant][i]):
                continue
            model, acc, loss = self._fit(variant, n)
            self.result.accuracy[variant][i] = acc
            self.result.models[variant] = model
            yield nn.Event("progress", 0, 0, float(loss),
                           {"done": k, "total": len(fits), "what": "fits", "variant": variant,
                            "n_labels": n, "accuracy": acc})  # fmt: skip

    def run(self) -> TransferResult:
        for _ in self.events():
            pass
        return self.result


def transfer_learning(n_labels=100, encoder=None, head=(32, 10), fine_tune=True, epochs=None,
                      seed=0, **options) -> TransferResult:  # fmt: skip
    """Run ``TransferLearning`` to the end (``options``: its steps, batch_size, lr, n_train,
    n_test, sizes, pretrain_epochs, pretrain_noise) and return its result: the held-out
    accuracy of the frozen pretrained encoder + a new head, the fine-tuned encoder and the
    same network from scratch, for ``n_labels`` (one number, or a sweep such as (10, 100, 1000))."""
    return TransferLearning(n_labels, encoder, head, fine_tune, epochs, seed, **options).run()


# the lecture's critique and the compression curve ------------------------------------------
@dataclass
class LossComparison:
    """Two autoencoders of the same widths, seed and data, one trained on MSE and one on
    BCE: their held-out reconstructions of ``images`` and per-pixel squared errors, the mean
    error of each on ``n_test`` held-out digits, and BCE's floor on those digits."""

    sizes: tuple
    epochs: int
    images: np.ndarray  # (k, 784) held-out digits
    rebuilt: dict  # loss -> (k, 784)
    errors: dict  # loss -> (k, 784): (rebuilt - image)^2 per pixel
    mse: dict  # loss -> held-out MSE per pixel
    bce_floor: float
    n_test: int


def compare_losses(sizes=LECTURE, epochs=5, n_shown=4, n_test=500, seed=0, X=None,
                   X_test=None):  # fmt: skip
    """The lecture's critique, measured: the same network trained on MSE and on BCE from the
    same seed ("progress" events, one per epoch of either, then the ``LossComparison`` as the
    generator's return value: ``result = yield from compare_losses(...)``)."""
    sizes = check_sizes(sizes)
    epochs = check_int("epochs", epochs, 1, 100)
    n_shown = check_int("n_shown", n_shown, 1, 16)
    if X is None:
        X, _, X_test, _ = digits(seed=seed)
    X_test = np.asarray(X_test)[: check_int("n_test", n_test, 1, 1000)]
    models = {}
    for k, loss in enumerate(LOSSES):
        model = build_autoencoder(sizes, seed=seed)
        for event in training(model, X, loss, epochs, batch_size=64, lr=3e-3, seed=seed):
            if event.kind == "diverged":
                raise RuntimeError(f"the {loss.upper()} autoencoder diverged: {event.message}")
            if event.kind == "epoch":
                yield nn.Event("progress", event.epoch, event.step, event.loss,
                               {"done": k * epochs + event.epoch, "total": 2 * epochs,
                                "what": f"epochs ({loss.upper()} then the other)"})  # fmt: skip
        models[loss] = model
    shown = X_test[:n_shown]
    rebuilt = {loss: reconstruct(m, shown) for loss, m in models.items()}
    return LossComparison(
        sizes, epochs, shown, rebuilt,
        {loss: (r - shown) ** 2 for loss, r in rebuilt.items()},
        {loss: mse(reconstruct(m, X_test), X_test) for loss, m in models.items()},
        bce_floor(X_test), len(X_test),
    )  # fmt: skip


@dataclass
class CodeSizeCurve:
    """Held-out reconstruction error (MSE per pixel) against the code size, for an
    autoencoder of each size (``widths`` around the code) and for PCA with as many
    components; NaN where not trained yet."""

    codes: tuple
    autoencoder: np.ndarray
    pca: np.ndarray
    mean_digit: float
    epochs: int


def code_size_curve(codes=(2, 4, 8, 16, 32, 64), hidden=128, epochs=5, n_test=500, seed=0,
                    X=None, X_test=None):  # fmt: skip
    """Compression against quality: 784-``hidden``-k-``hidden``-784 for each code size k,
    trained ``epochs`` epochs on MSE, against PCA with k components, on the same held-out
    digits. A generator of "progress" events (one per network trained) whose return value
    is the ``CodeSizeCurve`` (``curve = yield from code_size_curve(...)``); the curve fills
    in as it goes (``partial`` below)."""
    codes = tuple(sorted({check_int("each code size", k, 1, 784) for k in codes}))
    epochs = check_int("epochs", epochs, 1, 100)
    if X is None:
        X, _, X_test, _ = digits(seed=seed)
    X_test = np.asarray(X_test)[: check_int("n_test", n_test, 1, 1000)]
    basis = pca(X, max(codes))
    curve = CodeSizeCurve(codes, np.full(len(codes), np.nan), np.array([
        mse(PCA(basis.mean, basis.components[:k]).decode(
            PCA(basis.mean, basis.components[:k]).encode(X_test)), X_test) for k in codes]),
        mse(np.tile(X.mean(0), (len(X_test), 1)), X_test), epochs)  # fmt: skip
    for i, k in enumerate(codes):
        model = build_autoencoder((784, hidden, k, hidden, 784), seed=seed)
        for event in training(model, X, "mse", epochs, batch_size=64, lr=3e-3, seed=seed):
            if event.kind == "diverged":
                raise RuntimeError(f"the code-{k} autoencoder diverged: {event.message}")
        curve.autoencoder[i] = mse(reconstruct(model, X_test), X_test)
        yield nn.Event("progress", 0, 0, float(curve.autoencoder[i]),
                       {"done": i + 1, "total": len(codes), "what": "networks",
                        "partial": curve})  # fmt: skip
    return curve
