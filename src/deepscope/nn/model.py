"""Sequential: layers run in order, their parameters gathered into one flat vector."""

from __future__ import annotations

import os
from contextlib import contextmanager

import numpy as np

from ..core import get_backend
from .layers import Conv2D, Layer, MaxPool2D, ReLU, check_widths, resolve_dtype


class Sequential:
    """A stack of layers. ``seed`` (an int) re-draws every layer's parameters so the same seed
    gives the same network; ``seed=None`` keeps the values the layers already hold.

    All parameters live in one flat vector (``theta``) and all gradients in another
    (``grad``); each layer's ``params["W"]`` is a view into it. This is what lets an optimizer
    update the whole network in one pass and lets the loss landscape move along directions.
    """

    def __init__(self, layers, seed: int | None = 0, backend="auto", dtype="float32"):
        layers = list(layers)
        if not layers or not all(isinstance(layer, Layer) for layer in layers):
            bad = [type(x).__name__ for x in layers if not isinstance(x, Layer)]
            raise TypeError(f"layers must be a non-empty list of Layer objects; got {bad or []}")
        self.layers = layers
        self.backend = get_backend(backend)
        self.dtype = resolve_dtype(dtype)
        self.seed = seed
        rng = np.random.default_rng(seed)
        for _, layer in self.named_layers():
            layer.backend, layer.dtype = self.backend, self.dtype
        for layer in layers:  # a container re-draws its block itself, in order
            if seed is not None:
                layer.reset_parameters(rng)
        self._check_chain()
        self._gather()
        self._ran: list | None = None  # the steps of the last forward, for backward

    # parameters -------------------------------------------------------------------------
    def _check_chain(self) -> None:
        """Adjacent dense layers must agree on their widths (conv shapes need an input)."""
        check_widths(self.layers)

    def named_layers(self) -> list[tuple[str, Layer]]:
        """(path, layer) for every layer, depth first: "3" for the fourth layer, "3.1" for
        the second layer inside it (a Residual's block), the container before its block."""
        out = []

        def walk(prefix, layers):
            for i, layer in enumerate(layers):
                path = f"{prefix}{i}"
                out.append((path, layer))
                walk(path + ".", layer.sublayers())

        walk("", self.layers)
        return out

    def all_layers(self) -> list[Layer]:
        """Every layer, nested ones included, in the order of ``named_layers``."""
        return [layer for _, layer in self.named_layers()]

    def _gather(self) -> None:
        entries = [(layer, k) for layer in self.all_layers() for k in layer.params]
        total = sum(layer.params[k].size for layer, k in entries)
        self.theta = np.zeros(total, dtype=self.dtype)
        self.grad = np.zeros(total, dtype=self.dtype)
        self.offsets = {}
        off = 0
        for layer, k in entries:
            value = layer.params[k]
            n = value.size
            self.theta[off : off + n] = value.reshape(-1)
            layer.params[k] = self.theta[off : off + n].reshape(value.shape)
            layer.grads[k] = self.grad[off : off + n].reshape(value.shape)
            self.offsets[(id(layer), k)] = off
            off += n

    def parameters(self) -> list[np.ndarray]:
        """Every parameter array (views into ``theta``), layer by layer, W before b."""
        return [layer.params[k] for layer in self.all_layers() for k in layer.params]

    def gradients(self) -> list[np.ndarray]:
        return [layer.grads[k] for layer in self.all_layers() for k in layer.grads]

    def num_parameters(self) -> int:
        return int(self.theta.size)

    # freezing ---------------------------------------------------------------------------
    def frozen_layers(self) -> list[Layer]:
        """The layers with parameters that are frozen: ``trainable`` False on the layer or
        on a container above it (a Residual), in ``all_layers`` order."""
        out = []

        def walk(layers, frozen):
            for layer in layers:
                here = frozen or not layer.trainable
                if here and layer.params:
                    out.append(layer)
                walk(layer.sublayers(), here)

        walk(self.layers, False)
        return out

    def frozen_ranges(self) -> list[tuple[int, int]]:
        """(offset, size) in ``theta`` of every parameter array of the frozen layers."""
        return [
            (self.offsets[(id(layer), k)], v.size)
            for layer in self.frozen_layers()
            for k, v in layer.params.items()
        ]

    def trainable_mask(self) -> np.ndarray:
        """A boolean array over ``theta``: True where training moves the entry."""
        mask = np.ones(self.theta.size, dtype=bool)
        for off, n in self.frozen_ranges():
            mask[off : off + n] = False
        return mask

    def num_trainable_parameters(self) -> int:
        return int(self.theta.size - sum(n for _, n in self.frozen_ranges()))

    def set_trainable(self, trainable: bool, layers=None) -> Sequential:
        """Set ``trainable`` on the top-level layers ``layers`` (indices, a slice, or the
        layer objects; all of them by default), e.g. ``model.set_trainable(False,
        slice(0, 4))`` freezes the first four. Returns the model."""
        if layers is None:
            chosen = list(self.layers)
        elif isinstance(layers, slice):
            chosen = self.layers[layers]
        else:
            items = [layers] if isinstance(layers, (int, Layer)) else list(layers)
            chosen = []
            for item in items:
                if isinstance(item, Layer):
                    if not any(item is layer for layer in self.all_layers()):
                        raise ValueError(f"{item!r} is not a layer of this model")
                    chosen.append(item)
                elif isinstance(item, (int, np.integer)) and not isinstance(item, bool):
                    if not -len(self.layers) <= item < len(self.layers):
                        raise IndexError(
                            f"layer index {item} is out of range for {len(self.layers)} layers"
                        )
                    chosen.append(self.layers[item])
                else:
                    raise TypeError(
                        f"layers must be indices, a slice or Layer objects, got {item!r}"
                    )
        for layer in chosen:
            layer.trainable = trainable
        return self

    def param_layers(self) -> list[tuple[int, Layer]]:
        """(index, layer) for each layer that has a weight (``layer.weight_key``), in order,
        nested layers included; index is that of the top-level layer that holds it."""
        return [
            (int(path.split(".")[0]), layer)
            for path, layer in self.named_layers()
            if layer.weight_key is not None
        ]

    def norms(self) -> np.ndarray:
        """(layers with weights, 2): the gradient norm |dW| and the weight norm |W| of each."""
        return np.array(
            [
                [
                    np.linalg.norm(layer.grads[layer.weight_key]),
                    np.linalg.norm(layer.params[layer.weight_key]),
                ]
                for _, layer in self.param_layers()
            ],
            dtype=np.float64,
        ).reshape(-1, 2)

    @contextmanager
    def on_device(self, theta=None, grad=None):
        """(cuda backend) Point every layer's parameters and gradients at views of device
        arrays (``theta``/``grad`` if given, else uploads of the host ones), so forward and
        backward run GPU to GPU; yields (theta, grad) on the device. On exit the host
        ``theta`` and ``grad`` receive the device values and the layers point back at them.
        """
        if self.backend.name != "cuda":
            raise RuntimeError(
                f"on_device needs the cuda backend; this model is on {self.backend.name!r}"
            )
        from ..core.cuda import to_device

        theta_d = to_device(self.theta) if theta is None else theta
        grad_d = to_device(self.grad) if grad is None else grad
        host = [(layer, dict(layer.params), dict(layer.grads)) for layer in self.all_layers()]
        for layer in self.all_layers():
            for k, value in list(layer.params.items()):
                off, n = self.offsets[(id(layer), k)], value.size
                layer.params[k] = theta_d[off : off + n].reshape(value.shape)
                layer.grads[k] = grad_d[off : off + n].reshape(value.shape)
        try:
            yield theta_d, grad_d
        finally:
            for layer, params, grads in host:
                layer.params.update(params)
                layer.grads.update(grads)
            self.theta[:] = theta_d.copy_to_host()
            self.grad[:] = grad_d.copy_to_host()

    # compute ----------------------------------------------------------------------------
    def _steps(self) -> list:
        """The layers as a pass runs them: each Conv2D, ReLU, MaxPool2D run as one step."""
        layers, steps, i = self.layers, [], 0
        while i < len(layers):
            run = layers[i : i + 3]
            if [type(layer) for layer in run] == [Conv2D, ReLU, MaxPool2D]:
                steps.append(_ConvReluPool(*run))
                i += 3
            else:
                steps.append(layers[i])
                i += 1
        return steps

    def _last_steps(self) -> list:
        """The steps of the last ``forward``, while they still hold: the same layers, and no
        fused run's layers run on their own since (their own state is newer). Otherwise the
        layers one by one, each with what it kept."""
        steps = self._ran
        if steps is None:
            return self.layers
        flat = [x for s in steps for x in (s.layers if isinstance(s, _ConvReluPool) else (s,))]
        same = len(flat) == len(self.layers) and all(a is b for a, b in zip(flat, self.layers))
        if same and all(s.holds() for s in steps if isinstance(s, _ConvReluPool)):
            return steps
        return self.layers

    def forward(self, x, training: bool = True) -> np.ndarray:
        """The layers in order, each keeping what its backward needs. A Conv2D, ReLU,
        MaxPool2D run goes through the backend's ``conv2d_relu_maxpool2d_train_forward`` in
        one pass: the conv's output is not kept (the ReLU and the pool hold no input), only
        each pooled cell's arg-max, through which ``backward`` routes the gradient."""
        self._ran = self._steps()
        for step in self._ran:
            x = step.forward(x, training)
        return x

    __call__ = forward

    def predict(self, x) -> np.ndarray:
        """Forward pass in evaluation mode (dropout off), for reading the outputs: a Conv2D,
        ReLU, MaxPool2D run goes through the backend's ``conv2d_relu_maxpool2d_forward`` and
        keeps nothing for a backward pass (run ``forward`` before a ``backward``)."""
        self._ran = None
        for step in self._steps():
            x = step.predict(x) if isinstance(step, _ConvReluPool) else step.forward(x, False)
        return x

    def backward(self, dout, input_grad: bool = True) -> np.ndarray | None:
        """Back-propagate ``dout`` through the last ``forward``; returns d loss / d input, or
        with ``input_grad=False`` (a training step, where nothing reads it) None, the first
        layer computing only its parameters' gradients (a Conv2D's dx is left out, as PyTorch
        leaves out the input's gradient). The gradients of frozen layers (``trainable =
        False``) are computed on the way and then set to zero, so clipping, norms and
        diagnostics count only what training moves (as PyTorch, where a frozen parameter has
        no gradient)."""
        steps = self._last_steps()
        for i in range(len(steps) - 1, -1, -1):
            if i == 0 and not input_grad:
                steps[0].param_backward(dout)
                dout = None
            else:
                dout = steps[i].backward(dout)
        for layer in self.frozen_layers():
            for k, g in layer.grads.items():
                if isinstance(g, np.ndarray):
                    g[...] = 0
                else:
                    layer._set_grad(k, np.zeros(g.shape, dtype=g.dtype))
        return dout

    def input_backward(self, dout) -> np.ndarray:
        """d loss / d input alone (an attack's gradient): the parameters' gradients are
        left as they were, and layers that can skip computing theirs (Conv2D's dw, db) do."""
        kept = self.grad.copy()
        try:
            for step in reversed(self._last_steps()):
                dout = step.input_backward(dout)
        finally:
            self.grad[:] = kept
        return dout

    # persistence ------------------------------------------------------------------------
    def _state_arrays(self) -> dict[str, np.ndarray]:
        return {
            f"{path}.{k}": v
            for path, layer in self.named_layers()
            for k, v in (*layer.params.items(), *layer.buffers.items())
        }

    def state_dict(self) -> dict[str, np.ndarray]:
        """{"<layer path>.W": array, ...}: copies, safe to keep while training goes on. Paths
        as ``named_layers`` ("2.W", "3.0.b" inside a Residual); buffers such as a
        BatchNorm1d's "running_mean" are included."""
        return {key: v.copy() for key, v in self._state_arrays().items()}

    def load_state_dict(self, state: dict) -> None:
        expected = self._state_arrays()
        missing = sorted(set(expected) - set(state))
        extra = sorted(set(state) - set(expected))
        if missing or extra:
            raise ValueError(
                f"state does not fit this model: missing {missing}, unexpected {extra}"
            )
        for key, target in expected.items():
            value = np.asarray(state[key])
            if value.shape != target.shape:
                raise ValueError(
                    f"state[{key!r}] has shape {value.shape}, the model needs {target.shape}"
                )
            target[...] = value

    def save(self, path: str | os.PathLike) -> None:
        np.savez(path, **self.state_dict())

    def load(self, path: str | os.PathLike) -> None:
        with np.load(path) as data:
            self.load_state_dict(dict(data))

    # display ----------------------------------------------------------------------------
    def summary(self, input_shape: tuple | None = None) -> str:
        """A table of layers, their output shape (when ``input_shape`` of one sample is
        given) and parameter counts; a frozen layer's count is marked "frozen", and the
        trainable and frozen totals follow when any layer is frozen."""
        rows = [("layer", "output", "parameters")]
        shape = tuple(input_shape) if input_shape is not None else None
        frozen = {id(layer) for layer in self.frozen_layers()}

        def frozen_count(layer):  # the frozen parameters of a layer and its block
            todo, n = [layer], 0
            while todo:
                x = todo.pop()
                n += sum(v.size for v in x.params.values()) if id(x) in frozen else 0
                todo += x.sublayers()
            return n

        for i, layer in enumerate(self.layers):
            if shape is not None:
                shape = layer.output_shape(shape)
            params = " + ".join(f"{k}{list(v.shape)}" for k, v in layer.params.items())
            count = layer.num_parameters()
            rows.append(
                (
                    f"{i}: {layer!r}",
                    "" if shape is None else str(shape),
                    f"{count:,}"
                    + (f"  ({params})" if params else "")
                    + _frozen_note(count, frozen_count(layer)),
                )
            )
        widths = [max(len(r[c]) for r in rows) for c in range(3)]
        lines = ["  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows]
        lines.append(
            f"total parameters: {self.num_parameters():,}  "
            f"(dtype {self.dtype.name}, backend {self.backend.name})"
        )
        if frozen:
            n_train = self.num_trainable_parameters()
            lines.append(
                f"trainable parameters: {n_train:,}, frozen: {self.num_parameters() - n_train:,}"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        inner = "\n".join(
            f"  ({i}) {layer!r}"
            + (f"  params {layer.num_parameters():,}" if layer.num_parameters() else "")
            for i, layer in enumerate(self.layers)
        )
        return (
            f"Sequential(\n{inner}\n) total parameters {self.num_parameters():,}, "
            f"{self.dtype.name}, backend {self.backend.name!r}"
        )


class _ConvReluPool:
    """A Conv2D, ReLU, MaxPool2D run as one step of a pass (``Sequential._steps``): the
    backend computes the three in one go and keeps, for the backward pass, only each pooled
    cell's arg-max (``arg``), not the conv's output; the gradient at the conv's output comes
    from ``relu_maxpool2d_backward`` and goes on through the Conv2D's own backward."""

    def __init__(self, conv: Conv2D, relu: ReLU, pool: MaxPool2D):
        self.conv, self.relu, self.pool = conv, relu, pool
        self.layers = (conv, relu, pool)
        self._arg = self._plane = self._x = None

    def holds(self) -> bool:
        """Whether the layers still hold this step's forward (none ran on its own since)."""
        return (
            self._x is not None
            and self.conv._x is self._x
            and self.relu._x is None
            and (self.pool._x is None)
        )

    def _args(self, x):
        conv, pool = self.conv, self.pool
        x = conv._input(x)
        self._plane = conv.output_shape(tuple(x.shape[1:]))[1:]
        w, b = conv.params["W"], conv.params["b"]
        return x, (x, w, b, conv.stride, conv.padding, pool.size, pool.stride)

    def forward(self, x, training=True):
        x, args = self._args(x)
        out, self._arg = self.conv.backend.conv2d_relu_maxpool2d_train_forward(*args)
        self.conv._x, self.relu._x, self.pool._x, self._x = x, None, None, x
        return out

    def predict(self, x):
        out = self.conv.backend.conv2d_relu_maxpool2d_forward(*self._args(x)[1])
        self.conv._x = self.relu._x = self.pool._x = None
        return out

    def _conv_grad(self, dout):
        pool = self.pool
        return self.conv.backend.relu_maxpool2d_backward(
            dout, self._arg, pool.size, pool.stride, *self._plane
        )

    def backward(self, dout):
        return self.conv.backward(self._conv_grad(dout))

    def param_backward(self, dout):
        self.conv.param_backward(self._conv_grad(dout))

    def input_backward(self, dout):
        return self.conv.input_backward(self._conv_grad(dout))


def _frozen_note(count: int, n_frozen: int) -> str:
    if not n_frozen:
        return ""
    return "  frozen" if n_frozen == count else f"  ({n_frozen:,} frozen)"
