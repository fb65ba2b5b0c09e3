"""Layers with PyTorch-like names. Each has ``forward(x, training=True)``, ``backward(dout)``
and the dicts ``params`` / ``grads`` keyed "W" and "b"; each also works on its own.

A layer may also hold ``buffers`` (state that is saved but not trained: BatchNorm1d's
running statistics) and ``sublayers()`` (a Residual's block), whose parameters a Sequential
gathers into its flat vector like its own layers'.

``layer.trainable = False`` freezes a layer's parameters (transfer learning: a pretrained
encoder under a new head): no optimizer moves them, and inside a Sequential their gradients
read zero after ``backward``. On a container (a Residual) it freezes its whole block, whatever
the inner layers' own flags say.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..core import Backend, get_backend
from ..core.checks import (
    as_float_array,
    check_dropout,
    check_int,
    check_number,
    is_device_array,
)

INIT_NAMES = ('"xavier"', '"he"', '"normal(std)"', '"uniform(a)"', '"zeros"')
DTYPES = {"float32": np.float32, "float64": np.float64}


def resolve_dtype(dtype) -> np.dtype:
    key = np.dtype(dtype).name if not isinstance(dtype, str) else dtype
    if key not in DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64', got {dtype!r}")
    return np.dtype(DTYPES[key])


def init_weights(init: str, shape: tuple, fan_in: int, fan_out: int, rng, dtype) -> np.ndarray:
    """Draw a weight array by the name of its scheme (see INIT_NAMES)."""
    if not isinstance(init, str):
        raise TypeError(f"init must be a string, one of {', '.join(INIT_NAMES)}; got {init!r}")
    name = init.strip().lower()
    match = re.fullmatch(r"(normal|uniform)\(\s*([0-9.eE+-]+)\s*\)", name)
    if name == "xavier":
        a = np.sqrt(6.0 / (fan_in + fan_out))
        w = rng.uniform(-a, a, size=shape)
    elif name == "he":
        w = rng.normal(0.0, np.sqrt(2.0 / fan_in), size=shape)
    elif name == "zeros":
        w = np.zeros(shape)
    elif match:
        try:
            scale = float(match.group(2))
        except ValueError:
            scale = -1.0
        if not scale > 0:
            raise ValueError(f"init {init!r}: the scale must be a positive number")
        if match.group(1) == "normal":
            w = rng.normal(0.0, scale, size=shape)
        else:
            w = rng.uniform(-scale, scale, size=shape)
    else:
        raise ValueError(f"init must be one of {', '.join(INIT_NAMES)}; got {init!r}")
    return w.astype(dtype)


def check_widths(layers) -> tuple[int | None, int | None]:
    """Walk a chain of layers: each layer that knows its input width (Dense ``in_features``,
    BatchNorm1d ``features``) must get it from the layer before. Returns (the width the
    chain takes, the width it gives), None where a convolution hides it."""
    first, width, hidden = None, None, False
    for layer in layers:
        if hasattr(layer, "in_features"):
            need, gives, what = layer.in_features, layer.out_features, "in_features"
        elif hasattr(layer, "features"):
            need, gives, what = layer.features, layer.features, "features"
        else:
            if hasattr(layer, "in_channels"):
                width, hidden = None, True
            continue
        if width is not None and width != need:
            raise ValueError(
                f"{what} disagree: {layer!r} expects {need} but the layer before it gives {width}"
            )
        if width is None and not hidden and first is None:
            first = need
        width = gives
    return first, width


class Layer:
    """Base class: holds the backend, dtype, parameters and their gradients."""

    def __init__(self, dtype="float32", backend: str | Backend = "auto"):
        self.dtype = resolve_dtype(dtype)
        self.backend = get_backend(backend)
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.buffers: dict[str, np.ndarray] = {}
        self._x: np.ndarray | None = None

    # structure --------------------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        """True (the default): training moves this layer's parameters. False freezes them
        (and those of a container's whole block): every optimizer leaves them bit for bit as
        they are, penalties and momentum included, on every training path; the layer still
        passes gradients through to the layers below it. Read when the optimizer steps (the
        compiled path: at each epoch), so a change between fits takes effect. Not part of
        ``state_dict``."""
        return getattr(self, "_trainable", True)

    @trainable.setter
    def trainable(self, value) -> None:
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"trainable must be True or False, got {value!r}")
        self._trainable = bool(value)

    def sublayers(self) -> list[Layer]:
        """The layers inside this one (a Residual's block); none for a plain layer."""
        return []

    @property
    def weight_key(self) -> str | None:
        """Which parameter is this layer's weight for norms and diagnostics ("W"), or None."""
        return "W" if "W" in self.params else None

    # shapes -----------------------------------------------------------------------------
    def param_shapes(self) -> dict[str, tuple]:
        return {k: v.shape for k, v in self.params.items()}

    def output_shape(self, input_shape: tuple) -> tuple:
        """Shape of one sample's output given one sample's input shape."""
        return input_shape

    def reset_parameters(self, rng) -> None:
        """Draw fresh parameters (layers without parameters have nothing to do)."""

    def num_parameters(self) -> int:
        return int(sum(v.size for v in self.params.values()))

    # compute ----------------------------------------------------------------------------
    def _input(self, x) -> np.ndarray:
        if is_device_array(x):  # training on the GPU: stays there (see Sequential.on_device)
            return x
        return as_float_array("x", x, dtype=self.dtype)

    def _saved(self) -> np.ndarray:
        if self._x is None:
            raise RuntimeError(f"{type(self).__name__}.backward called before forward")
        return self._x

    def _set_grad(self, key: str, value: np.ndarray) -> None:
        if is_device_array(self.grads[key]):
            self.grads[key].copy_to_device(value)
        else:
            self.grads[key][...] = value

    def forward(self, x, training: bool = True) -> np.ndarray:
        raise NotImplementedError

    def backward(self, dout) -> np.ndarray:
        raise NotImplementedError

    def param_backward(self, dout) -> None:
        """The parameters' gradients alone, for a network's first layer in training (nothing
        reads its d loss / d input). Here the whole ``backward``; Conv2D leaves its dx out."""
        self.backward(dout)

    def input_backward(self, dout) -> np.ndarray:
        """d loss / d input alone, for an attack rather than training. Here the whole
        ``backward`` (``Sequential.input_backward`` puts the parameters' gradients back);
        a layer whose backend can leave its parameters' gradients out does (Conv2D)."""
        return self.backward(dout)

    def __call__(self, x, training: bool = True) -> np.ndarray:
        return self.forward(x, training)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Dense(Layer):
    """out = x @ W + b, with W (in_features, out_features) and b (out_features,).

    W is drawn by ``init`` (see INIT_NAMES; "uniform(0.5)" is TensorFlow Playground's,
    uniform in [-0.5, 0.5)); every bias starts at ``bias_init`` (the Playground's is 0.1).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        init: str = "xavier",
        dtype="float32",
        backend="auto",
        seed=None,
        bias_init: float = 0.0,
    ):
        super().__init__(dtype, backend)
        self.in_features = check_int("in_features", in_features, 1)
        self.out_features = check_int("out_features", out_features, 1)
        self.init = init
        self.bias_init = check_number("bias_init", bias_init)
        self.reset_parameters(np.random.default_rng(seed))
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def reset_parameters(self, rng) -> None:
        shape = (self.in_features, self.out_features)
        self.params["W"] = init_weights(self.init, shape, shape[0], shape[1], rng, self.dtype)
        self.params["b"] = np.full(self.out_features, self.bias_init, dtype=self.dtype)

    def output_shape(self, input_shape):
        if input_shape[-1] != self.in_features:
            raise ValueError(
                f"in_features disagree: {self!r} expects {self.in_features}, "
                f"its input has {input_shape[-1]}"
            )
        return (self.out_features,)

    def forward(self, x, training=True):
        x = self._input(x)
        if x.ndim != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"in_features disagree: {self!r} expects input (N, {self.in_features}), "
                f"got shape {x.shape}"
            )
        self._x = x
        return self.backend.dense_forward(x, self.params["W"], self.params["b"])

    def backward(self, dout):
        dx, dw, db = self.backend.dense_backward(dout, self._saved(), self.params["W"])
        self._set_grad("W", dw)
        self._set_grad("b", db)
        return dx

    def __repr__(self):
        return f"Dense({self.in_features}, {self.out_features})"


class WeightNorm(Layer):
    """Weight normalisation of a Dense layer (Salimans and Kingma 2016): the weight is
    w = g v / |v| per output unit (a column of v), so its length g and its direction v
    are learned apart. ``params``: "v" (in, out), starting as the Dense layer's W; "g"
    (out,), starting as |v| per column (so w starts as that W); "b", the Dense bias.

    ``layer`` is the wrapped Dense: after each forward its ``params["W"]`` holds the
    effective w, after each backward its ``grads["W"]`` holds d loss / d w (for display;
    the trained values are this layer's v, g and b). Norms and diagnostics of this layer
    are those of v, its ``weight_key``.
    """

    def __init__(self, layer: Dense, dtype=None, backend=None):
        if type(layer) is not Dense:
            raise TypeError(
                f"layer must be a Dense layer, e.g. WeightNorm(Dense(4, 8)); got {layer!r}"
            )
        super().__init__(
            layer.dtype if dtype is None else dtype,
            layer.backend if backend is None else backend,
        )
        self.layer = layer
        self.in_features, self.out_features = layer.in_features, layer.out_features
        self._from_dense()

    def _from_dense(self) -> None:
        v = np.array(self.layer.params["W"], dtype=self.dtype)
        self.params = {
            "v": v,
            "g": np.sqrt((v.astype(np.float64) ** 2).sum(axis=0)).astype(self.dtype),
            "b": np.array(self.layer.params["b"], dtype=self.dtype),
        }
        self.grads = {k: np.zeros_like(a) for k, a in self.params.items()}

    @property
    def weight_key(self) -> str:
        return "v"

    def reset_parameters(self, rng) -> None:
        """Re-draw the Dense layer's weights, then v = W and g = |W| per column again."""
        self.layer.reset_parameters(rng)
        self._from_dense()

    def output_shape(self, input_shape):
        return self.layer.output_shape(input_shape)

    def forward(self, x, training=True):
        x = self._input(x)
        if len(x.shape) != 2 or x.shape[1] != self.in_features:
            raise ValueError(
                f"in_features disagree: {self!r} expects input (N, {self.in_features}), "
                f"got shape {tuple(x.shape)}"
            )
        self._x = x
        w = self.backend.weightnorm_forward(self.params["v"], self.params["g"])
        self._w = w
        self.layer.params["W"], self.layer.params["b"] = w, self.params["b"]
        return self.backend.dense_forward(x, w, self.params["b"])

    def backward(self, dout):
        x = self._saved()
        dx, dw, db = self.backend.dense_backward(dout, x, self._w)
        dv, dg = self.backend.weightnorm_backward(dw, self.params["v"], self.params["g"])
        self._set_grad("v", dv)
        self._set_grad("g", dg)
        self._set_grad("b", db)
        self.layer.grads["W"], self.layer.grads["b"] = dw, db
        return dx

    def __repr__(self):
        return f"WeightNorm({self.layer!r})"


class Conv2D(Layer):
    """2-D convolution, NCHW. W is (out_channels, in_channels, K, K), b is (out_channels,),
    W drawn by ``init``, every bias starting at ``bias_init``."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        init: str = "he",
        dtype="float32",
        backend="auto",
        seed=None,
        bias_init: float = 0.0,
    ):
        super().__init__(dtype, backend)
        self.in_channels = check_int("in_channels", in_channels, 1)
        self.out_channels = check_int("out_channels", out_channels, 1)
        self.kernel_size = check_int("kernel_size", kernel_size, 1)
        self.stride = check_int("stride", stride, 1)
        self.padding = check_int("padding", padding, 0)
        self.init = init
        self.bias_init = check_number("bias_init", bias_init)
        self.reset_parameters(np.random.default_rng(seed))
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}

    def reset_parameters(self, rng) -> None:
        k, c, o = self.kernel_size, self.in_channels, self.out_channels
        self.params["W"] = init_weights(
            self.init, (o, c, k, k), c * k * k, o * k * k, rng, self.dtype
        )
        self.params["b"] = np.full(o, self.bias_init, dtype=self.dtype)

    def output_shape(self, input_shape):
        if len(input_shape) != 3 or input_shape[0] != self.in_channels:
            raise ValueError(
                f"channels disagree: {self!r} expects input (C={self.in_channels}, H, W), "
                f"got {input_shape}"
            )
        k, s, p = self.kernel_size, self.stride, self.padding
        h, w = ((d + 2 * p - k) // s + 1 for d in input_shape[1:])
        if h < 1 or w < 1:
            raise ValueError(f"kernel_size {k} is larger than the padded input {input_shape[1:]}")
        return (self.out_channels, h, w)

    def forward(self, x, training=True):
        x = self._input(x)
        self._x = x
        return self.backend.conv2d_forward(
            x, self.params["W"], self.params["b"], self.stride, self.padding
        )

    def backward(self, dout):
        dx, dw, db = self.backend.conv2d_backward(
            dout, self._saved(), self.params["W"], self.stride, self.padding
        )
        self._set_grad("W", dw)
        self._set_grad("b", db)
        return dx

    def param_backward(self, dout):
        dw, db = self.backend.conv2d_backward_params(
            dout, self._saved(), self.params["W"], self.stride, self.padding
        )
        self._set_grad("W", dw)
        self._set_grad("b", db)

    def input_backward(self, dout):
        return self.backend.conv2d_backward_input(
            dout, self._saved(), self.params["W"], self.stride, self.padding
        )

    def __repr__(self):
        extra = "".join(
            f", {n}={v}"
            for n, v in (("stride", self.stride), ("padding", self.padding))
            if v != (1 if n == "stride" else 0)
        )
        return (
            f"Conv2D({self.in_channels}, {self.out_channels}, "
            f"kernel_size={self.kernel_size}{extra})"
        )


class _Pool(Layer):
    kind = ""

    def __init__(self, size: int, stride: int | None = None, dtype="float32", backend="auto"):
        super().__init__(dtype, backend)
        self.size = check_int("size", size, 1)
        self.stride = self.size if stride is None else check_int("stride", stride, 1)

    def output_shape(self, input_shape):
        c, h, w = input_shape
        if self.size > h or self.size > w:
            raise ValueError(f"pool size {self.size} is larger than the input {h}x{w}")
        return (c, (h - self.size) // self.stride + 1, (w - self.size) // self.stride + 1)

    def forward(self, x, training=True):
        x = self._input(x)
        self._x = x
        return getattr(self.backend, f"{self.kind}_forward")(x, self.size, self.stride)

    def backward(self, dout):
        return getattr(self.backend, f"{self.kind}_backward")(
            dout, self._saved(), self.size, self.stride
        )

    def __repr__(self):
        return f"{type(self).__name__}({self.size}, stride={self.stride})"


class MaxPool2D(_Pool):
    """Largest value of each size x size window; the gradient goes to that arg-max."""

    kind = "maxpool2d"


class AvgPool2D(_Pool):
    """Mean of each size x size window; the gradient is shared equally."""

    kind = "avgpool2d"


class Flatten(Layer):
    """(N, C, H, W) -> (N, C*H*W), the bridge from feature maps to dense layers."""

    def output_shape(self, input_shape):
        return (int(np.prod(input_shape)),)

    def forward(self, x, training=True):
        x = self._input(x)
        self._x = x
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        dout = dout if is_device_array(dout) else np.asarray(dout)
        return dout.reshape(self._saved().shape)


class Activation(Layer):
    """Element-wise activation; ``name`` picks the primitive pair in the backend."""

    name = "linear"

    def forward(self, x, training=True):
        x = self._input(x)
        self._x = x
        return getattr(self.backend, f"{self.name}_forward")(x)

    def backward(self, dout):
        return getattr(self.backend, f"{self.name}_backward")(dout, self._saved())


class ReLU(Activation):
    name = "relu"


class Sigmoid(Activation):
    name = "sigmoid"


class Tanh(Activation):
    name = "tanh"


class Identity(Activation):
    name = "linear"


class Softmax(Activation):
    name = "softmax"


class LeakyReLU(Activation):
    name = "leaky_relu"

    def __init__(self, alpha: float = 0.01, dtype="float32", backend="auto"):
        super().__init__(dtype, backend)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha < 1:
            raise ValueError(f"alpha must be a number in [0, 1), got {alpha!r}")
        self.alpha = float(alpha)

    def forward(self, x, training=True):
        x = self._input(x)
        self._x = x
        return self.backend.leaky_relu_forward(x, self.alpha)

    def backward(self, dout):
        return self.backend.leaky_relu_backward(dout, self._saved(), self.alpha)

    def __repr__(self):
        return f"LeakyReLU(alpha={self.alpha})"


class Dropout(Layer):
    """Inverted dropout: in training each unit is zeroed with probability p, the kept ones
    scaled by 1 / (1 - p); at evaluation it passes its input through unchanged."""

    def __init__(self, p: float = 0.5, dtype="float32", backend="auto", seed=None):
        super().__init__(dtype, backend)
        self.p = check_dropout(p)
        self.rng = np.random.default_rng(seed)
        self._mask = None

    def reset_parameters(self, rng) -> None:
        self.rng = np.random.default_rng(rng.integers(2**63))

    def forward(self, x, training=True):
        x = self._input(x)
        if not training or self.p == 0:
            self._mask = None
            return x
        self._mask = (self.rng.random(x.shape) >= self.p).astype(x.dtype)
        return self.backend.dropout_forward(x, self._mask, self.p)

    def backward(self, dout):
        if self._mask is None:
            return dout if is_device_array(dout) else np.asarray(dout)
        return self.backend.dropout_backward(dout, self._mask, self.p)

    def __repr__(self):
        return f"Dropout(p={self.p})"


def _host(a) -> np.ndarray:
    return a.copy_to_host() if is_device_array(a) else np.asarray(a)


class BatchNorm1d(Layer):
    """Batch normalisation of (N, features) rows, with PyTorch's semantics.

    Training: each feature is normalised with the batch mean and biased variance, then
    scaled by ``params["W"]`` (ones) and shifted by ``params["b"]`` (zeros); the running
    statistics move towards the batch's, ``running = (1 - momentum) running + momentum
    batch``, running_var from the unbiased batch variance. Evaluation
    (``forward(x, training=False)``) normalises with the running statistics instead.
    """

    def __init__(
        self,
        features: int,
        momentum: float = 0.1,
        eps: float = 1e-5,
        dtype="float32",
        backend="auto",
    ):
        super().__init__(dtype, backend)
        self.features = check_int("features", features, 1)
        if (
            isinstance(momentum, bool)
            or not isinstance(momentum, (int, float, np.floating))
            or not 0 < momentum < 1
        ):
            raise ValueError(f"momentum must be a number in (0, 1), got {momentum!r}")
        if (
            isinstance(eps, bool)
            or not isinstance(eps, (int, float, np.floating))
            or not (math.isfinite(eps) and eps > 0)
        ):
            raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
        self.momentum, self.eps = float(momentum), float(eps)
        self.reset_parameters(None)
        self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
        self._saved_stats = None

    def reset_parameters(self, rng) -> None:
        """Scale ones, shift zeros, running mean 0 and variance 1 (as PyTorch)."""
        self.params["W"] = np.ones(self.features, dtype=self.dtype)
        self.params["b"] = np.zeros(self.features, dtype=self.dtype)
        self.buffers["running_mean"] = np.zeros(self.features, dtype=self.dtype)
        self.buffers["running_var"] = np.ones(self.features, dtype=self.dtype)

    @property
    def running_mean(self) -> np.ndarray:
        return self.buffers["running_mean"]

    @property
    def running_var(self) -> np.ndarray:
        return self.buffers["running_var"]

    def output_shape(self, input_shape):
        if tuple(input_shape) != (self.features,):
            raise ValueError(
                f"features disagree: {self!r} expects input (N, {self.features}), "
                f"one sample's shape is {tuple(input_shape)}"
            )
        return (self.features,)

    def forward(self, x, training=True):
        x = self._input(x)
        if len(x.shape) != 2 or x.shape[1] != self.features:
            raise ValueError(
                f"features disagree: {self!r} expects input (N, {self.features}), "
                f"got shape {tuple(x.shape)}"
            )
        self._x = x
        w, b = self.params["W"], self.params["b"]
        if not training:
            out, mean, var = self.backend.batchnorm_forward(
                x, w, b, self.eps, self.running_mean, self.running_var
            )
            self._saved_stats = (mean, var, False)
            return out
        n = x.shape[0]
        if n < 2:
            raise ValueError(
                f"{self!r} in training needs a batch of at least 2 rows to estimate the "
                f"variance, got {n}; use forward(x, training=False) for single samples"
            )
        out, mean, var = self.backend.batchnorm_forward(x, w, b, self.eps)
        self._saved_stats = (mean, var, True)
        m = self.momentum  # in place: running = (1 - m) running + m batch
        rm, rv = self.running_mean, self.running_var
        rm *= 1 - m
        rm += m * _host(mean)
        rv *= 1 - m
        rv += (m * n / (n - 1)) * _host(var)  # the unbiased variance
        return out

    def backward(self, dout):
        if self._saved_stats is None:
            raise RuntimeError("BatchNorm1d.backward called before forward")
        mean, var, training = self._saved_stats
        dx, dw, db = self.backend.batchnorm_backward(
            dout, self._saved(), self.params["W"], mean, var, self.eps, training
        )
        self._set_grad("W", dw)
        self._set_grad("b", db)
        return dx

    def __repr__(self):
        extra = "".join(
            f", {n}={v}"
            for n, v, d in (("momentum", self.momentum, 0.1), ("eps", self.eps, 1e-5))
            if v != d
        )
        return f"BatchNorm1d({self.features}{extra})"


class Residual(Layer):
    """A residual block: out = x + block(x), the block being ``layers`` in order (He et al.
    2016). The gradient reaching x is the incoming one, through the skip, plus the block's.

    The block must give back the width it takes: checked at build for Dense and
    BatchNorm1d widths, at the first forward otherwise. Inside a Sequential the block's
    parameters live in the model's flat vector like every other layer's. ``backend`` and
    ``dtype`` default to the first inner layer's; given, they are pushed into the block.
    """

    def __init__(self, layers, dtype=None, backend=None):
        layers = list(layers) if isinstance(layers, (list, tuple)) else layers
        if (
            not isinstance(layers, list)
            or not layers
            or not all(isinstance(layer, Layer) for layer in layers)
        ):
            bad = (
                [type(x).__name__ for x in layers if not isinstance(x, Layer)]
                if isinstance(layers, list)
                else type(layers).__name__
            )
            raise TypeError(f"layers must be a non-empty list of Layer objects; got {bad or []}")
        first = layers[0]
        super().__init__(
            first.dtype if dtype is None else dtype,
            first.backend if backend is None else backend,
        )
        self.layers = layers
        if dtype is not None or backend is not None:
            for layer in self._walk():
                layer.dtype, layer.backend = self.dtype, self.backend
        takes, gives = check_widths(layers)
        if takes is not None and gives is not None and takes != gives:
            raise ValueError(
                f"the block of a Residual must give back the width it takes (x + block(x)): "
                f"{self!r} takes {takes} features and gives {gives}"
            )
        if takes is not None and gives is not None:
            self.in_features = self.out_features = takes

    def _walk(self):
        for layer in self.layers:
            yield layer
            if isinstance(layer, Residual):
                yield from layer._walk()

    def sublayers(self) -> list[Layer]:
        return self.layers

    def reset_parameters(self, rng) -> None:
        for layer in self.layers:
            layer.reset_parameters(rng)

    def num_parameters(self) -> int:
        return int(sum(layer.num_parameters() for layer in self.layers))

    def output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self.layers:
            shape = tuple(layer.output_shape(shape))
        if shape != tuple(input_shape):
            raise ValueError(
                f"the block of {self!r} turns one sample of shape {tuple(input_shape)} into "
                f"{shape}; x + block(x) needs the same shape"
            )
        return shape

    def forward(self, x, training=True):
        x = self._input(x)
        h = x
        for layer in self.layers:
            h = layer.forward(h, training)
        if tuple(h.shape) != tuple(x.shape):
            raise ValueError(
                f"the block of {self!r} turns input {tuple(x.shape)} into {tuple(h.shape)}; "
                "x + block(x) needs the same shape"
            )
        self._x = x
        return self.backend.residual_forward(x, h)

    def backward(self, dout):
        self._saved()
        d = dout
        for layer in reversed(self.layers):
            d = layer.backward(d)
        return self.backend.residual_backward(dout, d)

    def __repr__(self):
        return f"Residual([{', '.join(repr(layer) for layer in self.layers)}])"


ACTIVATIONS = {
    "relu": ReLU, "leaky_relu": LeakyReLU, "sigmoid": Sigmoid, "tanh": Tanh,
    "identity": Identity, "linear": Identity, "softmax": Softmax,
}  # fmt: skip


def activation(name: str) -> Activation:
    """An activation layer by name (relu, leaky_relu, sigmoid, tanh, identity, softmax)."""
    if not isinstance(name, str) or name.lower() not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {', '.join(ACTIVATIONS)}; got {name!r}")
    return ACTIVATIONS[name.lower()]()
