"""One switch for where the numbers are computed.

A :class:`Backend` is a record whose fields are the primitives (``dense_forward``, ...) and
the engines built on them (the optimizer update, a dense network's fused training epoch,
its loss over a plane of parameter space). Layers, optimizers, trainers and scenes receive
one and never ask which device they run on. Every field has the same signature on every
backend; ``core.reference`` is the specification the others follow.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

PRIMITIVES = (
    "dense_forward", "dense_backward",
    "conv2d_forward", "conv2d_backward",
    "conv2d_backward_input",  # dx alone (an attack's input gradient): no dw, no db
    "conv2d_backward_params",  # dw, db alone (a network's first layer): no dx
    "conv2d_relu_maxpool2d_forward",  # inference only: conv, ReLU, max pool in one pass
    "conv2d_relu_maxpool2d_train_forward",  # the same, and each pooled cell's arg-max
    "relu_maxpool2d_backward",  # the gradient at the conv's output from that arg-max
    "maxpool2d_forward", "maxpool2d_backward",
    "avgpool2d_forward", "avgpool2d_backward",
    "relu_forward", "relu_backward",
    "leaky_relu_forward", "leaky_relu_backward",
    "sigmoid_forward", "sigmoid_backward",
    "tanh_forward", "tanh_backward",
    "linear_forward", "linear_backward",
    "softmax_forward", "softmax_backward",
    "mse_forward", "mse_backward",
    "bce_forward", "bce_backward",
    "cross_entropy_forward", "cross_entropy_backward",
    "dropout_forward", "dropout_backward",
    "batchnorm_forward", "batchnorm_backward",
    "residual_forward", "residual_backward",
    "weightnorm_forward", "weightnorm_backward",
)  # fmt: skip

ENGINES = (
    "apply_update",  # one optimizer step on flat vectors (reference/optim.py)
    "DenseTrainer",  # a dense network's training epoch in one call (reference/mlp.py)
    "grid_losses",  # a dense network's loss at many points of a plane (reference/landscape.py)
)

BACKEND_NAMES = ("auto", "numpy", "cpu", "cuda")
ENV_VAR = "DEEPSCOPE_BACKEND"


@dataclass(frozen=True, repr=False)
class Backend:
    name: str
    dense_forward: Callable
    dense_backward: Callable
    conv2d_forward: Callable
    conv2d_backward: Callable
    conv2d_backward_input: Callable
    conv2d_backward_params: Callable
    conv2d_relu_maxpool2d_forward: Callable
    conv2d_relu_maxpool2d_train_forward: Callable
    relu_maxpool2d_backward: Callable
    maxpool2d_forward: Callable
    maxpool2d_backward: Callable
    avgpool2d_forward: Callable
    avgpool2d_backward: Callable
    relu_forward: Callable
    relu_backward: Callable
    leaky_relu_forward: Callable
    leaky_relu_backward: Callable
    sigmoid_forward: Callable
    sigmoid_backward: Callable
    tanh_forward: Callable
    tanh_backward: Callable
    linear_forward: Callable
    linear_backward: Callable
    softmax_forward: Callable
    softmax_backward: Callable
    mse_forward: Callable
    mse_backward: Callable
    bce_forward: Callable
    bce_backward: Callable
    cross_entropy_forward: Callable
    cross_entropy_backward: Callable
    dropout_forward: Callable
    dropout_backward: Callable
    batchnorm_forward: Callable
    batchnorm_backward: Callable
    residual_forward: Callable
    residual_backward: Callable
    weightnorm_forward: Callable
    weightnorm_backward: Callable
    apply_update: Callable
    DenseTrainer: type
    grid_losses: Callable

    @classmethod
    def from_module(cls, name: str, module: ModuleType) -> Backend:
        return cls(name=name, **{f: getattr(module, f) for f in PRIMITIVES + ENGINES})

    def __repr__(self) -> str:
        return f"Backend({self.name!r}, {len(PRIMITIVES)} primitives, {len(ENGINES)} engines)"


_CACHE: dict[str, Backend] = {}


def cuda_status() -> tuple[bool, str]:
    """(usable, why): whether a real CUDA GPU can run deepscope's kernels, and the reason."""
    try:
        import numba
        from numba import cuda
    except ImportError:  # pragma: no cover - numba is a dependency
        return False, "numba is not installed"
    if numba.config.ENABLE_CUDASIM:
        return False, "NUMBA_ENABLE_CUDASIM=1: only the CUDA simulator is present"
    if not cuda.is_available():
        return False, "no CUDA driver or GPU found"
    try:
        import numba_cuda  # noqa: F401
    except ImportError:
        return False, 'numba-cuda is not installed (pip install "deepscope[cuda]")'
    return True, "a CUDA GPU is present"


def _simulated() -> bool:
    """NUMBA_ENABLE_CUDASIM=1: asking for "cuda" by name runs the kernels in numba's
    simulator (slow, for tests); "auto" never picks it."""
    import numba

    return bool(numba.config.ENABLE_CUDASIM)


def _resolve(name: str) -> str:
    if name == "auto":
        env = os.environ.get(ENV_VAR, "").strip().lower()
        if env and env != "auto":
            if env not in BACKEND_NAMES:
                raise ValueError(
                    f"{ENV_VAR} must be one of {', '.join(BACKEND_NAMES)}; got {env!r}"
                )
            return env
        return "cuda" if cuda_status()[0] else "cpu"
    return name


def get_backend(name: str | Backend = "auto") -> Backend:
    """Return the Backend called ``name``: "numpy" (reference), "cpu" (numba), "cuda" or "auto".

    "auto" honours the ``DEEPSCOPE_BACKEND`` environment variable, else picks "cuda" only
    when a real GPU is present (never the simulator), else "cpu". "cuda" by name needs
    numba-cuda and a GPU, or NUMBA_ENABLE_CUDASIM=1 (the simulator).
    """
    if isinstance(name, Backend):
        return name
    if not isinstance(name, str) or name.lower() not in BACKEND_NAMES:
        raise ValueError(f"backend must be one of {', '.join(BACKEND_NAMES)}; got {name!r}")
    resolved = _resolve(name.lower())
    if resolved not in _CACHE:
        if resolved == "numpy":
            from . import reference as module
        elif resolved == "cpu":
            from . import cpu as module
        else:
            ok, why = cuda_status()
            if not (ok or _simulated()):
                raise RuntimeError(
                    f"backend 'cuda' is not available: {why}. Install the CUDA extra with"
                    ' pip install "deepscope[cuda]" on a machine with an NVIDIA GPU, or use'
                    ' backend="cpu".'
                )
            from . import cuda as module
        _CACHE[resolved] = Backend.from_module(resolved, module)
    return _CACHE[resolved]
