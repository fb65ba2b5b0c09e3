"""Convolution and pooling one window at a time, and a small CNN that tells X from O.

The lecture's recipe: slide a small feature over the image one pixel at a time, multiply
pixel by pixel, add up (and divide by the number of pixels), write the number in a map of
where the feature appears; then ReLU (negatives to 0), then max pooling (keep the largest of
each 2x2 window), then stack more layers and let a fully connected layer vote.

Every number here comes from ``deepscope.core`` (``conv2d_forward``, the pool forwards,
``relu_forward``), the code that trains the networks; the frames only add the arithmetic a
student reads (the window, the products).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import nn
from ..core import get_backend
from ..core.checks import as_float_array, check_finite, check_int, conv_output_size
from ..data import glyph, glyphs, load_mnist

_CPU = get_backend("cpu")

# The lecture's three 3x3 features (+1 stroke, -1 background) and classic image kernels.
KERNELS: dict[str, np.ndarray] = {
    "diagonal \\": np.array([[1, -1, -1], [-1, 1, -1], [-1, -1, 1]], dtype=np.float32),
    "centre cross": np.array([[1, -1, 1], [-1, 1, -1], [1, -1, 1]], dtype=np.float32),
    "diagonal /": np.array([[-1, -1, 1], [-1, 1, -1], [1, -1, -1]], dtype=np.float32),
    "sobel x": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=np.float32),
    "sobel y": np.array([[-1, -2, -1], [0, 0, 0], [1, 2, 1]], dtype=np.float32),
    "laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=np.float32),
    "box blur": np.full((3, 3), 1 / 9, dtype=np.float32),
    "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=np.float32),
    "identity": np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=np.float32),
}
LECTURE_FEATURES = ("diagonal \\", "centre cross", "diagonal /")
MAX_KERNEL = 7
VARIANTS = {  # the lecture's X and O as the slides draw them, and harder versions
    "plain": {},
    "shifted": {"shift": (1, -1)},
    "rotated": {"rotation": 20.0},
    "thicker": {"stroke": 2.0},
}


@dataclass(frozen=True)
class ConvFrame:
    """One output cell: ``index`` (row, col) of the output, ``window`` (row0, col0, row1, col1)
    in padded-input coordinates (end exclusive), ``pixels`` (C, K, K) under the window,
    ``products`` (C, K, K) pixel x weight,
    ``partials`` (C,) each channel's sum, ``value`` the cell (the average when averaging),
    ``output`` the map with the cells so far filled in (the rest NaN)."""

    index: tuple[int, int]
    window: tuple[int, int, int, int]
    pixels: np.ndarray
    products: np.ndarray
    partials: np.ndarray
    value: float
    output: np.ndarray


@dataclass(frozen=True)
class PoolFrame:
    """One pooled cell: ``index``, ``window`` in input coordinates, ``value``, ``argmax``
    (row, col) of the chosen pixel for max pooling (None for average), ``output`` so far."""

    index: tuple[int, int]
    window: tuple[int, int, int, int]
    value: float
    argmax: tuple[int, int] | None
    output: np.ndarray


def as_image(image, name: str = "image") -> np.ndarray:
    """A (C, H, W) float32 array from (H, W) or (C, H, W) input, checked finite."""
    x = as_float_array(name, image, dtype=np.float32)
    if x.ndim == 2:
        x = x[None]
    if x.ndim != 3:
        raise ValueError(f"{name} must be (H, W) or (C, H, W), got shape {x.shape}")
    check_finite(name, x)
    return np.ascontiguousarray(x)


def as_kernel(kernel, channels: int) -> np.ndarray:
    """A (C, K, K) float32 kernel; a (K, K) kernel is used for every channel."""
    k = as_float_array("kernel", kernel, dtype=np.float32)
    if k.ndim == 2:
        k = np.repeat(k[None], channels, axis=0)
    if k.ndim != 3 or k.shape[1] != k.shape[2]:
        raise ValueError(f"kernel must be square, (K, K) or (C, K, K), got shape {k.shape}")
    if k.shape[0] != channels:
        raise ValueError(f"kernel has {k.shape[0]} channels but the image has {channels}")
    check_finite("kernel", k)
    return np.ascontiguousarray(k)


def square_kernel(kernel, max_size: int = MAX_KERNEL) -> np.ndarray:
    """A (K, K) kernel with 1 <= K <= max_size, checked finite; ValueError otherwise. Kept in
    float64, the numbers as given (the convolution computes in float32)."""
    k = as_float_array("kernel", kernel, dtype=np.float64)
    if k.ndim != 2 or k.shape[0] != k.shape[1] or not 1 <= k.shape[0] <= max_size:
        raise ValueError(
            f"kernel must be a square K x K grid with K from 1 to {max_size}, got shape {k.shape}"
        )
    check_finite("kernel", k)
    return k


def resize_kernel(kernel, size: int) -> np.ndarray:
    """The kernel at size x size: cropped around its centre, or zeros added around it."""
    old = square_kernel(kernel)
    size = check_int("size", size, 1, MAX_KERNEL)
    new = np.zeros((size, size))
    n = min(size, len(old))
    a, b = (size - n) // 2, (len(old) - n) // 2
    new[a : a + n, a : a + n] = old[b : b + n, b : b + n]
    return new


def preset_of(kernel) -> str:
    """The name of the preset in KERNELS equal to ``kernel``, or "custom"."""
    k = np.asarray(kernel, dtype=np.float32)
    return next(
        (n for n, a in KERNELS.items() if a.shape == k.shape and np.allclose(a, k)), "custom"
    )


def parse_kernel(cells) -> np.ndarray:
    """A (K, K) kernel from the text of a grid of cells, as typed; ValueError names the bad
    cell by row and column (1-based) and what was typed."""
    rows = [list(r) for r in cells]
    k = len(rows)
    if k == 0 or any(len(r) != k for r in rows):
        raise ValueError(f"the kernel must be a square grid, got rows of {[len(r) for r in rows]}")
    out = np.empty((k, k))
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            try:
                value = float(str(text).strip())
            except ValueError:
                raise ValueError(
                    f"kernel cell (row {i + 1}, column {j + 1}) must be a number, got {text!r}"
                ) from None
            if not np.isfinite(value):
                raise ValueError(
                    f"kernel cell (row {i + 1}, column {j + 1}) must be finite, got {text!r}"
                )
            out[i, j] = value
    return out


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """floor((H + 2P - K) / S) + 1; ValueError when the kernel does not fit."""
    n = conv_output_size(size, kernel, stride, padding)
    if n < 1:
        raise ValueError(
            f"the {kernel}x{kernel} kernel is larger than the padded image "
            f"({size} + 2x{padding} = {size + 2 * padding} pixels)"
        )
    return n


def convolve(image, kernel, stride: int = 1, padding: int = 0, average: bool = False):
    """The whole output map (H_out, W_out), by the cpu backend's conv2d_forward."""
    x = as_image(image)
    k = as_kernel(kernel, x.shape[0])
    stride = check_int("stride", stride, 1)
    padding = check_int("padding", padding, 0)
    size = k.shape[1]
    output_size(x.shape[1], size, stride, padding)
    output_size(x.shape[2], size, stride, padding)
    out = _CPU.conv2d_forward(x[None], k[None], np.zeros(1, np.float32), stride, padding)[0, 0]
    return out / np.float32(x.shape[0] * size * size) if average else out


def conv_steps(image, kernel, stride: int = 1, padding: int = 0, average: bool = False):
    """One ConvFrame per output cell, row by row (see ConvFrame).

    image (H, W) or (C, H, W); kernel (K, K) or (C, K, K). With ``average`` the sum is divided
    by the number of products (C*K*K), as the lecture does ("add up and divide by 9").
    """
    x = as_image(image)
    k = as_kernel(kernel, x.shape[0])
    out = convolve(x, k, stride, padding, average)
    padded = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    size = k.shape[1]
    frames, so_far = [], np.full(out.shape, np.nan, dtype=np.float32)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            r, c = i * stride, j * stride
            pixels = padded[:, r : r + size, c : c + size]
            products = pixels * k
            so_far[i, j] = out[i, j]
            frames.append(
                ConvFrame(
                    (i, j),
                    (r, c, r + size, c + size),
                    pixels,
                    products,
                    products.sum(axis=(1, 2)),
                    float(out[i, j]),
                    so_far.copy(),
                )
            )
    return frames


def relu(fmap) -> np.ndarray:
    """max(0, x), by the cpu backend's relu_forward."""
    x = as_float_array("fmap", fmap, dtype=np.float32)
    return _CPU.relu_forward(np.ascontiguousarray(x))


def pool(fmap, size: int = 2, stride: int | None = None, mode: str = "max") -> np.ndarray:
    """Max or average pooling of an (H, W) map by the cpu backend."""
    x = as_float_array("fmap", fmap, dtype=np.float32)
    if x.ndim != 2:
        raise ValueError(f"fmap must be one (H, W) map, got shape {x.shape}")
    if mode not in ("max", "avg"):
        raise ValueError(f"mode must be 'max' or 'avg', got {mode!r}")
    size = check_int("size", size, 1)
    stride = size if stride is None else check_int("stride", stride, 1)
    if size > min(x.shape):
        raise ValueError(f"pool size {size} is larger than the map {x.shape[0]}x{x.shape[1]}")
    fn = _CPU.maxpool2d_forward if mode == "max" else _CPU.avgpool2d_forward
    return fn(np.ascontiguousarray(x)[None, None], size, stride)[0, 0]


def pool_steps(fmap, size: int = 2, stride: int | None = None, mode: str = "max"):
    """One PoolFrame per pooled cell, row by row: the window, the value, the chosen pixel."""
    out = pool(fmap, size, stride, mode)
    x = np.asarray(fmap, dtype=np.float32)
    stride = size if stride is None else stride
    frames, so_far = [], np.full(out.shape, np.nan, dtype=np.float32)
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            r, c = i * stride, j * stride
            window = x[r : r + size, c : c + size]
            arg = None
            if mode == "max":
                a, b = np.unravel_index(int(np.argmax(window)), window.shape)
                arg = (r + int(a), c + int(b))
            so_far[i, j] = out[i, j]
            frames.append(
                PoolFrame((i, j), (r, c, r + size, c + size), float(out[i, j]), arg, so_far.copy())
            )
    return frames


def arithmetic(frame: ConvFrame, kernel, average: bool, limit: int = 9) -> str:
    """The sum a frame computes, written out: "(1×1 + -1×1 + ...) / 9 = 5 / 9 = 0.556"."""
    k = as_kernel(kernel, frame.pixels.shape[0])
    terms = [f"{p:.3g}×{w:.3g}" for p, w in zip(frame.pixels.ravel(), k.ravel())]
    n = len(terms)
    shown = " + ".join(terms[:limit]) + (f" + ... ({n - limit} more)" if n > limit else "")
    if average:
        total = float(frame.partials.sum())
        return f"({shown}) / {n} = {total:.4g} / {n} = {frame.value:.4g}"
    return f"{shown} = {frame.value:.4g}"


@dataclass(frozen=True, eq=False)
class Timeline:
    """Every frame of the step-by-step view: one per convolution window, then the ReLU, then
    one per 2x2 pooling window (none when the map is smaller than 2x2)."""

    image: np.ndarray  # (H, W)
    kernel: np.ndarray  # (K, K)
    stride: int
    padding: int
    average: bool
    pool_mode: str
    conv: list[ConvFrame]
    rectified: np.ndarray
    pool: list[PoolFrame]

    def __len__(self) -> int:
        return len(self.conv) + 1 + len(self.pool)

    @property
    def padded(self) -> np.ndarray:
        return np.pad(self.image, self.padding)

    @property
    def feature_map(self) -> np.ndarray:
        """The whole convolution output, before ReLU."""
        return self.conv[-1].output

    @property
    def span(self) -> tuple[float, float]:
        """The lowest and highest pixel of the padded input."""
        padded = self.padded
        return float(padded.min()), float(padded.max())

    @property
    def product_span(self) -> float:
        """The largest |pixel x weight| any window can have."""
        return float(np.abs(self.padded).max() * np.abs(self.kernel).max())

    @property
    def map_span(self) -> float:
        """The largest |value| of the feature map (ReLU and pooling only shrink it)."""
        return float(np.abs(self.feature_map).max())

    @property
    def negatives(self) -> int:
        """How many cells of the feature map ReLU sets to 0."""
        return int((self.feature_map < 0).sum())

    def stage(self, i: int) -> tuple[str, int]:
        """Frame i (clamped to the timeline) as ("conv", window), ("relu", 0) or ("pool",
        window)."""
        i = min(max(int(i), 0), len(self) - 1)
        if i < len(self.conv):
            return "conv", i
        if i == len(self.conv):
            return "relu", 0
        return "pool", i - len(self.conv) - 1


def timeline(image, kernel, stride=1, padding=0, average=False, pool_mode="max") -> Timeline:
    """The Timeline of one (H, W) image and (K, K) kernel: convolution, ReLU, 2x2 pooling."""
    x = as_image(image)
    if x.shape[0] != 1:
        raise ValueError(f"the step-by-step view shows one channel, got {x.shape[0]}")
    k = square_kernel(kernel)
    frames = conv_steps(x, k, stride, padding, average)
    rectified = relu(frames[-1].output)
    pools = pool_steps(rectified, 2, 2, pool_mode) if min(rectified.shape) >= 2 else []
    return Timeline(x[0], k, stride, padding, bool(average), pool_mode, frames, rectified, pools)


# ---- the X/O image sources and a small CNN ---------------------------------------------
def lecture_image(kind: str = "x", variant: str = "plain", size: int = 9) -> np.ndarray:
    """The lecture's X or O (+1 stroke, -1 background) in one of VARIANTS; 9x9 as on the
    slides, or drawn at another size."""
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}, got {variant!r}")
    return glyph(kind, size, **VARIANTS[variant])


def mnist_image(index: int) -> tuple[np.ndarray, int]:
    """Digit ``index`` of the shipped 5,000 (scaled to [0, 1]) and its label."""
    images, labels = load_mnist()
    index = check_int("index", index, 0, len(images) - 1)
    return images[index].astype(np.float32) / 255, int(labels[index])


def resize(image, size: int) -> np.ndarray:
    """An (H, W) image resampled to (size, size) by bilinear interpolation (pixel centres
    aligned), e.g. a 28x28 drawing for the 9x9 X/O network."""
    x = as_image(image)[0]
    size = check_int("size", size, 1)
    h, w = x.shape

    def coords(n_in):
        c = (np.arange(size) + 0.5) * n_in / size - 0.5
        return np.clip(c, 0, n_in - 1)

    r, c = coords(h), coords(w)
    r0, c0 = np.floor(r).astype(int), np.floor(c).astype(int)
    r1, c1 = np.minimum(r0 + 1, h - 1), np.minimum(c0 + 1, w - 1)
    fr, fc = (r - r0)[:, None], (c - c0)[None, :]
    top = x[np.ix_(r0, c0)] * (1 - fc) + x[np.ix_(r0, c1)] * fc
    bottom = x[np.ix_(r1, c0)] * (1 - fc) + x[np.ix_(r1, c1)] * fc
    return (top * (1 - fr) + bottom * fr).astype(np.float32)


def shuffle_pixels(images: np.ndarray, seed: int = 0) -> np.ndarray:
    """The same fixed random permutation of pixel positions applied to every image: nothing
    is lost, but neighbours are no longer neighbours."""
    images = np.asarray(images)
    h, w = images.shape[-2:]
    perm = np.random.default_rng(seed).permutation(h * w)
    flat = images.reshape(*images.shape[:-2], h * w)
    return flat[..., perm].reshape(images.shape)


@dataclass
class CNNTask:
    """Images, labels and class names for training and held-out testing."""

    name: str
    classes: tuple[str, ...]
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    extra: dict = field(default_factory=dict)
    ink: tuple[float, float] = (0.0, 1.0)  # the pixel values of background and ink

    @property
    def size(self) -> int:
        """The side of the square images the task's network reads."""
        return int(self.X_train.shape[-1])


def xo_task(n_train: int = 400, n_test: int = 200, seed: int = 0, shuffled: bool = False):
    """X versus O glyphs with shifts of up to 1 pixel, rotations up to 20 degrees and strokes
    1-2 pixels; the test set is drawn with another seed (held out)."""
    variation = dict(size=9, shift=1, rotation=20.0, stroke=(1.0, 2.0), noise=0.1)
    X, y = glyphs(n_train, seed=seed, **variation)
    Xt, yt = glyphs(n_test, seed=seed + 1000, **variation)
    if shuffled:
        X, Xt = shuffle_pixels(X), shuffle_pixels(Xt)
    return CNNTask(
        "X or O" + (" (pixels shuffled)" if shuffled else ""),
        ("O", "X"),
        X[:, None],
        y,
        Xt[:, None],
        yt,
        ink=(-1.0, 1.0),
    )


def mnist_task(n_train: int = 4000, seed: int = 0):
    """The shipped MNIST digits: a seeded split into n_train and the rest held out."""
    images, labels = load_mnist()
    order = np.random.default_rng(seed).permutation(len(images))
    X = images[order, None].astype(np.float32) / 255
    y = labels[order].astype(np.int64)
    return CNNTask(
        "MNIST digits",
        tuple(str(d) for d in range(10)),
        X[:n_train],
        y[:n_train],
        X[n_train:],
        y[n_train:],
    )


def build_cnn(
    image_size: int, n_classes: int, channels=(4, 4), seed: int = 0, backend: str = "auto"
) -> nn.Sequential:
    """conv 3x3 (padding 1) -> relu -> maxpool 2 -> conv 3x3 -> relu -> maxpool 2 -> dense."""
    c1, c2 = channels
    side = image_size // 2 // 2
    return nn.Sequential(
        [
            nn.Conv2D(1, c1, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2D(2),
            nn.Conv2D(c1, c2, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2D(2),
            nn.Flatten(),
            nn.Dense(c2 * side * side, n_classes),
        ],
        seed=seed,
        backend=backend,
    )


def cnn_training(
    task: CNNTask,
    epochs: int = 15,
    lr: float = 0.01,
    batch_size: int = 32,
    seed: int = 0,
    backend: str = "cpu",
):
    """A fresh ``build_cnn`` for the task and its training with Adam and cross-entropy, as
    (model, events): an iterator of nn.Events, a "step" after every step and an "epoch" after
    every epoch, with loss, accuracy and the held-out val_loss and val_accuracy (or one
    "diverged"). The model changes in place as the events are drawn. The cpu backend by
    default: a live view reads the parameters between steps, which the cuda path keeps on
    the device until the epoch ends."""
    epochs = check_int("epochs", epochs, 1)
    model = build_cnn(task.size, len(task.classes), seed=seed, backend=backend)
    return model, task_events(model, task, epochs, lr, batch_size, seed)


def task_events(model, task: CNNTask, epochs, lr=0.01, batch_size=32, seed=0, held_out=None):
    """The events of training ``model`` on the task (Adam, cross-entropy), validated on the
    first ``held_out`` test images (None: all of them)."""
    trainer = nn.Trainer(
        model,
        task.X_train,
        task.y_train,
        nn.CrossEntropyLoss(),
        nn.Adam(model, lr=lr),
        batch_size=batch_size,
        seed=seed,
        validation=(task.X_test[:held_out], task.y_test[:held_out]),
    )
    return trainer.events(epochs)


def train_cnn(task: CNNTask, epochs: int = 15, **options):
    """Train to the end (``cnn_training``'s events, all of them); returns (model, history): one
    dict of metrics per epoch (loss, accuracy, val_loss, val_accuracy)."""
    model, events = cnn_training(task, epochs, **options)
    history = [dict(e.metrics) for e in events if e.kind == "epoch"]
    return model, history


def feature_maps(model: nn.Sequential, image) -> list[tuple[str, np.ndarray]]:
    """(layer name, output) for every layer of a CNN on one (H, W) image, in order; the last
    entry is the class scores."""
    x = as_image(image)[None]
    out = []
    for layer in model.layers:
        x = layer.forward(x, training=False)
        out.append((repr(layer), x[0]))
    return out


def vote(model: nn.Sequential, image) -> tuple[np.ndarray, np.ndarray]:
    """(scores, probabilities) of the final layer for one image: the fully connected vote."""
    scores = feature_maps(model, image)[-1][1].astype(np.float64)
    e = np.exp(scores - scores.max())
    return scores, e / e.sum()


#: what the stack view shows, one row each: the first layer's filters, then every map
STACK_ROWS = ("conv 1 filters", "conv 1", "ReLU 1", "max pool 1", "conv 2", "ReLU 2", "max pool 2")


def stack_maps(model: nn.Sequential, image) -> list[np.ndarray]:
    """One (C, h, w) array per STACK_ROWS entry for a ``build_cnn`` network and one input."""
    maps = [m for _, m in feature_maps(model, image)[:6]]
    return [model.layers[0].params["W"][:, 0], *maps]


def stack_input(task: CNNTask, source: str, variant="plain", image=None, shuffled=False):
    """The input as the task's network reads it: the lecture's X or O (``source`` "X" or "O")
    drawn at the task's size, or ``image`` (an (H, W) digit or drawing in [0, 1]) resampled;
    either way mapped onto the task's ink range; the pixels shuffled if asked."""
    lo, hi = task.ink
    if source in ("X", "O"):
        ink = (lecture_image(source.lower(), variant, task.size) + 1) / 2
    elif image is None:
        raise ValueError(f"source {source!r} needs an image (a digit or a drawing)")
    else:
        ink = as_image(image)[0]
        if ink.shape != (task.size, task.size):
            ink = resize(ink, task.size)
    x = (lo + (hi - lo) * ink).astype(np.float32)
    return shuffle_pixels(x) if shuffled else x
