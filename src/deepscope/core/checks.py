"""Argument checks shared by every backend: each error names the argument, value and rule."""

from __future__ import annotations

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


def as_float_array(name: str, x, ndim: int | None = None, dtype=None) -> np.ndarray:
    """Return ``x`` as a float32/float64 array; reject non-numeric input and wrong ranks."""
    if isinstance(x, np.ndarray):
        arr = x
    else:
        try:
            arr = np.asarray(x)
        except Exception as exc:  # ragged lists and the like
            raise TypeError(f"{name} must be a numeric array, got {type(x).__name__}") from exc
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name} must hold numbers (bool, int or float), got dtype {arr.dtype}")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    elif arr.dtype not in FLOAT_DTYPES:
        arr = arr.astype(np.float64 if arr.dtype.itemsize > 4 else np.float32)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimensions, got shape {arr.shape}")
    return arr


def check_finite(name: str, x: np.ndarray) -> None:
    """Reject NaN or inf in data (training inputs and targets)."""
    if x.dtype.kind == "f" and not np.isfinite(x).all():
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise ValueError(f"{name} contains {bad} NaN or inf value(s); clean the data first")


def check_choice(name: str, value, allowed):
    """``value`` if it is one of ``allowed``; else an error listing them."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(str, allowed))}; got {value!r}")
    return value


def check_number(name: str, value, low=None, high=None, low_open: bool = False) -> float:
    """A finite number in [low, high] (or (low, high] with ``low_open``; either bound may be
    None), as a float."""
    if high is not None:
        rule = f" in {'(' if low_open else '['}{low}, {high}]"
    else:
        rule = f" {'>' if low_open else '>='} {low:g}" if low is not None else ""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number{rule}, got {value!r}")
    v = float(value)
    below = low is not None and (v <= low if low_open else v < low)
    if not np.isfinite(v) or below or (high is not None and v > high):
        raise ValueError(f"{name} must be a finite number{rule}, got {value!r}")
    return v


def check_int(name: str, value, minimum: int, maximum: int | None = None) -> int:
    allowed = f">= {minimum}" if maximum is None else f"in [{minimum}, {maximum}]"
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer {allowed}, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be an integer {allowed}, got {value}")
    return int(value)


def check_dense(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None) -> None:
    if x.ndim != 2 or w.ndim != 2 or (b is not None and b.ndim != 1):
        raise ValueError(
            f"dense expects x (N, in_features), w (in_features, out_features), b (out_features,);"
            f" got x {x.shape}, w {w.shape}, b {None if b is None else b.shape}"
        )
    if x.shape[1] != w.shape[0]:
        raise ValueError(
            f"in_features disagree: x has {x.shape[1]} columns but w has {w.shape[0]} rows"
        )
    if b is not None and b.shape[0] != w.shape[1]:
        raise ValueError(
            f"out_features disagree: w has {w.shape[1]} columns but b has {b.shape[0]} entries"
        )


def conv_output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """floor((H + 2P - K) / S) + 1, the output size of a convolution or pooling window."""
    return (size + 2 * padding - kernel) // stride + 1


def check_conv(x: np.ndarray, w: np.ndarray, b, stride, padding) -> tuple[int, int]:
    check_int("stride", stride, 1)
    check_int("padding", padding, 0)
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x.shape}")
    if w.ndim != 4 or w.shape[2] != w.shape[3]:
        raise ValueError(f"w must be (out_channels, in_channels, K, K), got shape {w.shape}")
    if x.shape[1] != w.shape[1]:
        raise ValueError(
            f"channels disagree: x has {x.shape[1]} channels but w expects {w.shape[1]}"
        )
    if b is not None and (b.ndim != 1 or b.shape[0] != w.shape[0]):
        raise ValueError(f"b must be (out_channels,) = ({w.shape[0]},), got shape {b.shape}")
    k = w.shape[2]
    h, wd = x.shape[2] + 2 * padding, x.shape[3] + 2 * padding
    if k > h or k > wd:
        raise ValueError(
            f"kernel size {k} is larger than the padded input {h}x{wd}"
            f" (input {x.shape[2]}x{x.shape[3]}, padding {padding})"
        )
    return conv_output_size(x.shape[2], k, stride, padding), conv_output_size(
        x.shape[3], k, stride, padding
    )


def check_pool(x: np.ndarray, size, stride) -> tuple[int, int]:
    check_int("size", size, 1)
    check_int("stride", stride, 1)
    if x.ndim != 4:
        raise ValueError(f"x must be (N, C, H, W), got shape {x.shape}")
    if size > x.shape[2] or size > x.shape[3]:
        raise ValueError(f"pool size {size} is larger than the input {x.shape[2]}x{x.shape[3]}")
    return conv_output_size(x.shape[2], size, stride, 0), conv_output_size(
        x.shape[3], size, stride, 0
    )


def _pooled(ho, wo, size, stride, stride_name) -> tuple[int, int]:
    """(Hq, Wq): what a ``size`` pool at ``stride`` makes of a conv's (ho, wo) output."""
    check_int("size", size, 1)
    check_int(stride_name, stride, 1)
    if size > ho or size > wo:
        raise ValueError(f"pool size {size} is larger than the conv's output {ho}x{wo}")
    return conv_output_size(ho, size, stride, 0), conv_output_size(wo, size, stride, 0)


def check_conv_pool(x, w, b, stride, padding, size, pool_stride) -> tuple[int, int, int, int]:
    """(Ho, Wo, Hq, Wq): the conv's output plane and the pooled one, for a conv followed by a
    ``size`` pool at ``pool_stride``."""
    ho, wo = check_conv(x, w, b, stride, padding)
    return (ho, wo, *_pooled(ho, wo, size, pool_stride, "pool_stride"))


def check_relu_maxpool_arg(dout, arg, size, stride, ho, wo) -> None:
    """The arguments of ``relu_maxpool2d_backward``: ``dout`` (N, C, Hq, Wq) with Hq, Wq what
    a ``size`` pool at ``stride`` makes of a (ho, wo) plane, ``arg`` int32 shaped like it,
    each entry -1 or a cell of that plane."""
    check_int("ho", ho, 1)
    check_int("wo", wo, 1)
    hq, wq = _pooled(ho, wo, size, stride, "stride")
    if dout.ndim != 4:
        raise ValueError(f"dout must be (N, C, Hq, Wq), got shape {tuple(dout.shape)}")
    if tuple(dout.shape[2:]) != (hq, wq):
        raise ValueError(
            f"dout must be (N, C, {hq}, {wq}) for a {size}x{size} pool at stride {stride} "
            f"over {ho}x{wo}, got shape {tuple(dout.shape)}"
        )
    if tuple(arg.shape) != tuple(dout.shape) or arg.dtype != np.int32:
        raise ValueError(
            f"arg must be int32 shaped like dout {tuple(dout.shape)}, got {arg.dtype} "
            f"{tuple(arg.shape)}"
        )
    if isinstance(arg, np.ndarray) and arg.size and (arg.min() < -1 or arg.max() >= ho * wo):
        raise ValueError(
            f"arg must hold -1 or cells of a {ho}x{wo} plane (0 .. {ho * wo - 1}), "
            f"got {arg.min()} .. {arg.max()}"
        )


def check_same_shape(a_name: str, a: np.ndarray, b_name: str, b: np.ndarray) -> None:
    if a.shape != b.shape:
        raise ValueError(
            f"{a_name} and {b_name} must have the same shape, got {a.shape} and {b.shape}"
        )


def check_labels(logits: np.ndarray, labels) -> np.ndarray:
    if logits.ndim != 2:
        raise ValueError(f"logits must be (N, classes), got shape {logits.shape}")
    labels = check_class_labels(labels, logits.shape[1])
    if labels.shape != (logits.shape[0],):
        raise ValueError(f"labels must be ({logits.shape[0]},) to match logits, got {labels.shape}")
    return labels


def check_class_labels(labels, n_classes: int) -> np.ndarray:
    """Integer labels in 0..n_classes-1, as int64."""
    labels = np.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be integers 0..{n_classes - 1}, got dtype {labels.dtype}")
    if labels.size and (labels.min() < 0 or labels.max() >= n_classes):
        raise ValueError(
            f"labels must lie in 0..{n_classes - 1}, got {labels.min()}..{labels.max()}"
        )
    return labels.astype(np.int64, copy=False)


def check_dropout(p) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float, np.floating)) or not 0 <= p < 1:
        raise ValueError(f"dropout p must be a number in [0, 1), got {p!r}")
    return float(p)


def is_device_array(a) -> bool:
    """True for a numba CUDA device array (real or simulated), without importing CUDA."""
    return hasattr(a, "copy_to_host")
