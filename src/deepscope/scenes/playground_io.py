"""The playground's files: a student's own data in, the trained network out and back in.

``parse_csv`` reads pasted or uploaded CSV text (two feature columns and a label or a
target) by the csv module and ``float()`` alone, never evaluating anything, and reports
every bad row with its line number in one message; ``fit_to_plane`` scales points that lie
off the Playground's -6..6 plane back onto it by one factor it returns. ``to_json`` /
``from_json`` and ``to_npz`` / ``from_npz`` write a network with its features and problem
and read it back checked (shapes, activations, finite numbers); ``to_nn_code``,
``to_pytorch_code`` and ``to_keras_code`` write Python a student can run that builds the
same network in deepscope.nn, PyTorch or Keras. A dead link (L1 killed it) is written as
the weight 0 everywhere.
"""

from __future__ import annotations

import csv
import json
import math
import zipfile
from dataclasses import dataclass

import numpy as np

from .playground import ACTIVATIONS, DOMAIN, FEATURES, MAX_LAYERS, MAX_NEURONS, PROBLEMS, Network

# --- your own data ------------------------------------------------------------------------

MAX_ROWS = 5000  # points a CSV may hold
MAX_BYTES = 1_000_000  # size of a CSV's text (UTF-8)
MAX_LISTED = 10  # bad rows listed in one message; the rest are counted
SEPARATORS = {",": "comma", ";": "semicolon", "\t": "tab"}


@dataclass
class CsvData:
    """A parsed CSV: ``points`` (n, 2) float64; for classification ``labels`` (n,) int64 in
    0..k-1 naming ``classes[label]``, for regression ``targets`` (n,) float64; ``header``
    the three column names if the file had a header row; ``separator`` the one it used."""

    points: np.ndarray
    problem: str
    labels: np.ndarray | None = None
    targets: np.ndarray | None = None
    classes: tuple[str, ...] = ()
    header: tuple[str, ...] | None = None
    separator: str = ","

    def __len__(self) -> int:
        return len(self.points)


def _number(cell: str, separator: str) -> float | None:
    """The float in a stripped cell, None if it holds none (a decimal comma counts where the
    separator is not the comma). NaN and inf come back as floats; the caller rejects them."""
    if separator != "," and "," in cell and "." not in cell:
        cell = cell.replace(",", ".")
    try:
        return float(cell)
    except ValueError:
        return None


def _cells(line: str, separator: str) -> list[str]:
    """One line's stripped cells; empty cells after the third (a trailing separator) go."""
    row = next(csv.reader([line], delimiter=separator), [])
    cells = [c.strip() for c in row]
    while len(cells) > 3 and not cells[-1]:
        cells.pop()
    return cells


def _detect_separator(lines: list[str]) -> str:
    """The separator that splits the most of the first lines into three cells whose first
    two are numbers; ties go to the comma, then the semicolon."""
    sample = lines[:50]

    def score(sep):
        good = three = 0
        for line in sample:
            cells = _cells(line, sep)
            if len(cells) == 3:
                three += 1
                if all(_number(c, sep) is not None for c in cells[:2]):
                    good += 1
        return good, three

    scores = {sep: score(sep) for sep in SEPARATORS}
    return max(SEPARATORS, key=lambda sep: scores[sep])  # max keeps the first of equals


def _class_key(cell: str, value: float | None):
    """Numbers sort before words, numbers by value ("1" and "1.0" are one class)."""
    return (0, value, "") if value is not None else (1, 0.0, cell)


def _class_name(key) -> str:
    kind, value, word = key
    if kind:
        return word
    return str(int(value)) if float(value).is_integer() else repr(value)


def parse_csv(text: str | bytes, problem: str | None = None, max_classes: int = 5, *,
              max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> CsvData:  # fmt: skip
    """Points and labels (or targets) from CSV text: ``x1, x2, label`` on each line.

    The first line is a header when its first two cells are words. The separator is the
    comma, or the semicolon or tab if they split the lines instead (then "1,5" is 1.5).
    Blank lines are skipped. ``problem`` None decides by the third column: classification
    when it holds words, or whole numbers with at most ``max_classes`` distinct values
    (labels 0..k-1 in sorted order, their names in ``classes``), else regression. Every bad
    row (a cell that is not a finite number, a missing or empty cell, too many cells) is
    reported with its line number in one ValueError; so are too many classes, a file over
    ``max_rows`` rows or ``max_bytes`` bytes, and a file with no data."""
    if problem is not None and problem not in PROBLEMS:
        raise ValueError(f"problem must be one of {', '.join(PROBLEMS)} or None; got {problem!r}")
    if isinstance(max_classes, bool) or not isinstance(max_classes, int) or max_classes < 2:
        raise ValueError(f"max_classes must be an integer >= 2, got {max_classes!r}")
    if isinstance(text, (bytes, bytearray)):
        if len(text) > max_bytes:
            raise ValueError(_too_big(len(text), max_bytes))
        try:
            text = bytes(text).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValueError(
                f"the file is not UTF-8 text (byte {exc.start} cannot be read): save it as "
                "CSV UTF-8 and try again"
            ) from None
    if not isinstance(text, str):
        raise TypeError(f"the CSV must be text (str or bytes), got {type(text).__name__}")
    size = len(text.encode("utf-8"))
    if size > max_bytes:
        raise ValueError(_too_big(size, max_bytes))
    text = text.removeprefix("\ufeff")
    numbered = [(i + 1, line) for i, line in enumerate(text.splitlines()) if line.strip()]
    if not numbered:
        raise ValueError("the CSV is empty: paste lines of x1, x2, label (or target)")
    sep = _detect_separator([line for _, line in numbered])

    header, first_line = None, numbered[0][0]
    first = _cells(numbered[0][1], sep)
    if len(first) >= 2 and all(c and _number(c, sep) is None for c in first[:2]):
        header, numbered = tuple(first), numbered[1:]
    names = header[:3] if header is not None and len(header) == 3 else ("x1", "x2", "label")
    if problem == "regression" and header is None:
        names = ("x1", "x2", "target")
    bad = []
    if header is not None and len(header) != 3:
        bad.append((first_line, f"the header has {len(header)} columns; it needs 3 (two "
                               "features, then a label or a target)"))  # fmt: skip
    if not numbered:
        raise ValueError("the CSV has no data rows, only a header: add lines of x1, x2, label")
    if len(numbered) > max_rows:
        raise ValueError(
            f"the CSV has {len(numbered):,} data rows; at most {max_rows:,} fit the playground "
            "(keep a sample of them)"
        )

    points = np.empty((len(numbered), 2))
    thirds: list[tuple[str, float | None]] = []
    for row, (line_no, line) in enumerate(numbered):
        cells = _cells(line, sep)
        why = []
        if len(cells) < 3:
            why.append(f"{len(cells)} cell{'s' * (len(cells) != 1)}, 3 needed "
                       f"({', '.join(names)})")  # fmt: skip
        elif len(cells) > 3:
            why.append(f"{len(cells)} cells, only 3 allowed ({', '.join(names)})")
        for col, cell in enumerate(cells[:3]):
            if not cell:
                why.append(f"the {names[col]} cell is empty")
                continue
            value = _number(cell, sep)
            if col < 2 and value is None:
                why.append(f"{names[col]} {cell!r} is not a number")
            elif value is not None and not math.isfinite(value):
                why.append(f"{names[col]} {cell!r} is not a finite number")
            elif col < 2:
                points[row, col] = value
            elif problem == "regression" and value is None:
                why.append(f"the target {cell!r} is not a number (regression needs numbers)")
        if why:
            bad.append((line_no, "; ".join(why)))
        else:
            thirds.append((cells[2], _number(cells[2], sep)))
    if bad:
        lone = any(why.startswith("1 cell,") for _, why in bad)
        listed = "\n".join(f"  line {n}: {why}" for n, why in bad[:MAX_LISTED])
        more = len(bad) - MAX_LISTED
        raise ValueError(
            f"the CSV has {len(bad)} bad row{'s' * (len(bad) != 1)}, nothing was loaded:\n"
            + listed
            + (f"\n  ... and {more} more" if more > 0 else "")
            + ("\n(separate the columns by commas, semicolons or tabs)" if lone else "")
        )

    values = [v for _, v in thirds]
    keys = sorted({_class_key(c, v) for c, v in thirds})
    if problem is None:
        words = any(v is None for v in values)
        whole = not words and all(float(v).is_integer() for v in values)
        if words and len(keys) > max_classes and not all(v is None for v in values):
            listed = [
                (line_no, cell)
                for (line_no, _), (cell, v) in zip(numbered, thirds)
                if v is None
            ]  # fmt: skip
            raise ValueError(
                f"the third column mixes numbers and words and has {len(keys)} distinct "
                f"values: too many for classes (at most {max_classes}), and regression needs "
                "numbers; the words are at "
                + ", ".join(f"line {n} ({c!r})" for n, c in listed[:MAX_LISTED])
                + (f" and {len(listed) - MAX_LISTED} more" if len(listed) > MAX_LISTED else "")
            )
        problem = "classification" if words or (whole and len(keys) <= max_classes) else (
            "regression")  # fmt: skip
    if problem == "regression":
        return CsvData(points, "regression", targets=np.array(values, np.float64),
                       header=header, separator=sep)  # fmt: skip
    if len(keys) > max_classes:
        raise ValueError(
            f"too many classes: the {names[2]} column has {len(keys)} distinct values, at most "
            f"{max_classes} are allowed"
            + (
                "; numbers with many values are a regression target"
                if all(v is not None for v in values)
                else ""
            )  # fmt: skip
        )
    index = {key: i for i, key in enumerate(keys)}
    labels = np.array([index[_class_key(c, v)] for c, v in thirds], np.int64)
    return CsvData(points, "classification", labels=labels,
                   classes=tuple(_class_name(k) for k in keys), header=header,
                   separator=sep)  # fmt: skip


def _too_big(size: int, limit: int) -> str:
    return (
        f"the CSV is {size:,} bytes; at most {limit:,} fit the playground (keep a sample of "
        "its rows)"
    )


def fit_to_plane(points, domain: float = DOMAIN) -> tuple[np.ndarray, float]:
    """``points`` (n, 2) scaled onto the plane -domain..domain when some lie off it: both
    axes by one factor (about the origin, so x1 = 0 stays 0), returned with the points for
    the caller to report; points already on the plane come back unchanged with factor 1."""
    points = np.array(points, np.float64)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"points must be (n, 2), got shape {points.shape}")
    if not np.isfinite(points).all():
        raise ValueError("points must be finite numbers")
    reach = float(np.abs(points).max()) if points.size else 0.0
    if reach <= domain:
        return points, 1.0
    factor = domain / reach
    return points * factor, factor


# --- export and import ---------------------------------------------------------------------

FORMAT, VERSION = "deepscope-playground", 1
MAX_JSON_BYTES = 1_000_000
#: each feature as Python over numpy arrays x1 and x2 (torch: "np." becomes "torch.")
FEATURE_CODE = {
    "x1": "x1",
    "x2": "x2",
    "x1sq": "x1 * x1",
    "x2sq": "x2 * x2",
    "x1x2": "x1 * x2",
    "sinx1": "np.sin(x1)",
    "sinx2": "np.sin(x2)",
}


def _check_features(features) -> tuple[str, ...]:
    if isinstance(features, str) or not isinstance(features, (list, tuple)):
        raise ValueError(f"features must be a list of feature names, got {features!r}")
    names = list(features)
    bad = [n for n in names if not isinstance(n, str) or n not in FEATURES]
    if bad:
        raise ValueError(f"unknown features {bad}; the features are {', '.join(FEATURES)}")
    if len(set(names)) != len(names):
        raise ValueError(f"features {names} name one feature twice")
    if not names:
        raise ValueError("features is empty: the network needs at least one input feature")
    return tuple(n for n in FEATURES if n in names)


def _export_layers(network: Network) -> list[dict]:
    if not np.isfinite(network.W).all() or not np.isfinite(network.b).all():
        raise ValueError(
            "the network's weights are not all finite numbers (training diverged): reset it "
            "and train with a lower learning rate before exporting"
        )
    layers = []
    for l in range(network.n_layers):
        dead = network.dead_links(l).astype(bool)
        layers.append({
            "activation": network.activations[l],
            "weights": np.where(dead, 0.0, network.weights(l)).tolist(),
            "biases": network.biases(l).tolist(),
            "dead": np.argwhere(dead).tolist(),
        })  # fmt: skip
    return layers


def _spec(network: Network, features, problem: str, extra) -> dict:
    names = _prepare(network, features)
    if problem not in PROBLEMS:
        raise ValueError(f"problem must be one of {', '.join(PROBLEMS)}; got {problem!r}")
    if extra is not None and not isinstance(extra, dict):
        raise TypeError(f"extra must be a dict or None, got {type(extra).__name__}")
    return {
        "format": FORMAT,
        "version": VERSION,
        "problem": problem,
        "features": list(names),
        "sizes": network.sizes.tolist(),
        "layers": _export_layers(network),
        "extra": dict(extra or {}),
    }


def _dump(value, depth: int = 0) -> str:
    """JSON with a list of plain values on one line (a weight matrix a row to a line)."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, dict) and value:
        items = [f"{inner}{json.dumps(str(k))}: {_dump(v, depth + 1)}" for k, v in value.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(value, list) and any(isinstance(v, (list, dict)) for v in value):
        return "[\n" + ",\n".join(f"{inner}{_dump(v, depth + 1)}" for v in value) + f"\n{pad}]"
    return json.dumps(value, allow_nan=False, ensure_ascii=False)


def to_json(network: Network, features, problem: str, extra: dict | None = None) -> str:
    """The network as JSON: format, version, problem, features (in the Playground's order),
    sizes, and per layer its activation, weights (nodes, inputs: row j holds node j's links
    from each input), biases and dead links ([node, input] pairs, weight 0); ``extra`` (any
    JSON values: the experiment's settings, say) goes along as it is."""
    spec = _spec(network, features, problem, extra)
    try:
        return _dump(spec) + "\n"
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"extra must hold JSON values (str, numbers, lists, dicts): {exc}"
        ) from None


def _where(l: int, n_layers: int) -> str:
    return "the output layer" if l == n_layers - 1 else f"hidden layer {l + 1}"


def _numbers(what: str, value, shape_rule: str) -> np.ndarray:
    """A list (or list of lists) of finite numbers as a float64 array."""

    def walk(v, path):
        if isinstance(v, list):
            return [walk(x, f"{path}[{i}]") for i, x in enumerate(v)]
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise ValueError(f"{what}{path} is {v!r}, not a number")
        if not math.isfinite(v):
            raise ValueError(f"{what}{path} is {v!r}: every weight and bias must be finite")
        return float(v)

    if not isinstance(value, list):
        raise ValueError(f"{what} must be a list ({shape_rule}), got {type(value).__name__}")
    nested = walk(value, "")
    try:
        return np.array(nested, np.float64)
    except ValueError:
        raise ValueError(f"{what} must be {shape_rule}; its rows differ in length") from None


def _network_from_spec(spec) -> tuple[Network, tuple[str, ...], str, dict]:
    """The one check of a loaded file (JSON or npz, as plain values)."""
    if not isinstance(spec, dict):
        raise ValueError(f"the weights file must hold an object {{...}}, got {type(spec).__name__}")
    if spec.get("format", FORMAT) != FORMAT:
        raise ValueError(f"this is not a playground weights file (format {spec['format']!r})")
    version = spec.get("version", VERSION)
    if isinstance(version, bool) or not isinstance(version, int) or version > VERSION:
        raise ValueError(
            f"the weights file has version {version!r}; this deepscope reads version {VERSION}"
        )
    missing = [k for k in ("problem", "features", "layers") if k not in spec]
    if missing:
        raise ValueError(
            f"the weights file has no {', '.join(map(repr, missing))} (it needs problem, "
            "features and layers)"
        )
    problem = spec["problem"]
    if not isinstance(problem, str) or problem not in PROBLEMS:
        raise ValueError(f"problem must be one of {', '.join(PROBLEMS)}; got {problem!r}")
    features = spec["features"]
    names = _check_features(features)
    if list(features) != list(names):
        raise ValueError(
            f"features {list(features)} must be listed in the Playground's order "
            f"({', '.join(names)}): the weights' columns follow it"
        )
    layers = spec["layers"]
    if not isinstance(layers, list) or not 1 <= len(layers) <= MAX_LAYERS + 1:
        raise ValueError(
            f"layers must be a list of 1 to {MAX_LAYERS + 1} layers (the hidden ones and the "
            f"output), got {len(layers) if isinstance(layers, list) else type(layers).__name__}"
        )
    extra = spec.get("extra", {})
    if not isinstance(extra, dict):
        raise ValueError(f"extra must be an object {{...}}, got {type(extra).__name__}")

    n, inputs, parsed = len(layers), len(names), []
    for l, layer in enumerate(layers):
        where = _where(l, n)
        if not isinstance(layer, dict):
            raise ValueError(f"{where} must be an object {{...}}, got {type(layer).__name__}")
        gone = [k for k in ("activation", "weights", "biases") if k not in layer]
        if gone:
            raise ValueError(f"{where} has no {', '.join(map(repr, gone))}")
        act = layer["activation"]
        if not isinstance(act, str) or act not in ACTIVATIONS:
            raise ValueError(
                f"{where}'s activation must be one of {', '.join(ACTIVATIONS)}; got {act!r}"
            )
        before = "feature" if l == 0 else f"node of {_where(l - 1, n)}"
        rule = f"nodes x inputs with {inputs} inputs (one per {before})"
        w = _numbers(f"{where}'s weights", layer["weights"], rule)
        if w.ndim != 2 or w.shape[1] != inputs:
            got = "x".join(map(str, w.shape)) if w.ndim == 2 else f"{w.ndim}-dimensional"
            got = "empty" if w.size == 0 and w.ndim < 2 else got
            raise ValueError(f"{where}'s weights are {got}; they must be {rule}")
        nodes = w.shape[0]
        if l == n - 1 and nodes != 1:
            raise ValueError(f"the output layer has {nodes} nodes; it must have 1")
        if not 1 <= nodes <= MAX_NEURONS:
            raise ValueError(f"{where} has {nodes} nodes; a layer has 1 to {MAX_NEURONS}")
        b = _numbers(f"{where}'s biases", layer["biases"], f"{nodes} numbers, one per node")
        if b.shape != (nodes,):
            raise ValueError(
                f"{where}'s biases have shape {b.shape}; they must be {nodes} numbers, one per node"
            )
        dead = np.zeros(w.shape, np.uint8)
        pairs = layer.get("dead", [])
        if not isinstance(pairs, list):
            raise ValueError(f"{where}'s dead links must be a list of [node, input] pairs")
        for pair in pairs:
            ok = (
                isinstance(pair, list)
                and len(pair) == 2
                and all(isinstance(i, int) and not isinstance(i, bool) for i in pair)
                and 0 <= pair[0] < nodes
                and 0 <= pair[1] < inputs
            )
            if not ok:
                raise ValueError(
                    f"{where}'s dead link {pair!r} must be a [node, input] pair within "
                    f"{nodes} nodes and {inputs} inputs"
                )
            if w[pair[0], pair[1]] != 0:
                raise ValueError(f"{where}'s dead link {pair} has weight {w[tuple(pair)]}, not 0")
            dead[pair[0], pair[1]] = 1
        parsed.append((act, w, b, dead))
        inputs = nodes

    hidden = [w.shape[0] for _, w, _, _ in parsed[:-1]]
    sizes = [len(names), *hidden, 1]
    if "sizes" in spec and spec["sizes"] != sizes:
        raise ValueError(f"sizes {spec['sizes']!r} disagree with the layers' shapes {sizes}")
    acts = [a for a, _, _, _ in parsed]
    network = Network(len(names), hidden, acts[:-1], acts[-1], seed=0)
    for l, (_, w, b, dead) in enumerate(parsed):
        network.weights(l)[...] = w
        network.biases(l)[...] = b
        network.dead_links(l)[...] = dead
    return network, names, problem, extra


def from_json(text: str | bytes) -> tuple[Network, tuple[str, ...], str, dict]:
    """(network, features, problem, extra) from ``to_json``'s text, checked: the keys, each
    layer's shape against the features and the layer before, activations among the
    Playground's, every weight and bias a finite number."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8-sig", errors="replace")
    if not isinstance(text, str):
        raise TypeError(f"the weights must be JSON text, got {type(text).__name__}")
    if len(text) > MAX_JSON_BYTES:
        raise ValueError(
            f"the weights file is {len(text):,} characters; a playground network needs far "
            f"fewer (at most {MAX_JSON_BYTES:,})"
        )
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"the weights file is not valid JSON: {exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}"
        ) from None
    return _network_from_spec(spec)


def to_npz(file, network: Network, features, problem: str, extra: dict | None = None) -> None:
    """The network as a .npz (a path, or a binary file): per layer l "weights_l" (nodes,
    inputs), "biases_l", "dead_l" (0/1 by link); "activations", "features", "problem",
    "format", "version", "extra" (JSON text); plain arrays only, no pickles. numpy adds
    ".npz" to a path without it."""
    spec = _spec(network, features, problem, extra)
    try:
        extra_text = json.dumps(spec["extra"], allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"extra must hold JSON values (str, numbers, lists, dicts): {exc}"
        ) from None
    arrays = {
        "format": np.array(FORMAT),
        "version": np.array(VERSION),
        "problem": np.array(problem),
        "features": np.array(spec["features"]),
        "activations": np.array(network.activations),
        "extra": np.array(extra_text),
    }
    for l, layer in enumerate(spec["layers"]):
        arrays[f"weights_{l}"] = np.array(layer["weights"], np.float64)
        arrays[f"biases_{l}"] = np.array(layer["biases"], np.float64)
        arrays[f"dead_{l}"] = network.dead_links(l).astype(np.uint8)
    np.savez(file, **arrays)


def _npz_spec(data) -> tuple[dict, dict]:
    """The plain values of an npz as ``_network_from_spec`` reads them, and the shape of each
    layer's dead-link mask (checked once the weights' shapes are)."""

    def get(key):
        try:
            return data[key]
        except ValueError:  # an object array: pickles are never read
            raise ValueError(
                f"the .npz's {key!r} holds Python objects; only plain arrays are read"
            ) from None

    def text(key, ndim):
        a = get(key)
        if a.dtype.kind != "U" or a.ndim != ndim:
            raise ValueError(
                f"the .npz's {key!r} must be {'text' if ndim == 0 else 'a list of text'}"
            )
        return a.tolist()

    keys = set(data.files)
    missing = [k for k in ("problem", "features", "activations") if k not in keys]
    if missing:
        raise ValueError(
            f"the .npz has no {', '.join(map(repr, missing))} (it needs problem, features, "
            "activations and weights_0, biases_0, ...)"
        )
    activations = text("activations", 1)
    layers, dead_shapes = [], {}
    for l in range(len(activations)):
        gone = [k for k in (f"weights_{l}", f"biases_{l}") if k not in keys]
        if gone:
            raise ValueError(f"the .npz has no {', '.join(map(repr, gone))}")
        layer = {"activation": activations[l]}
        for name in ("weights", "biases"):
            a = get(f"{name}_{l}")
            if a.dtype.kind not in "fiu":
                raise ValueError(f"the .npz's '{name}_{l}' must hold numbers, got {a.dtype}")
            layer[name] = a.tolist()
        if f"dead_{l}" in keys:
            dead = get(f"dead_{l}")
            if dead.dtype.kind not in "biu" or dead.ndim != 2:
                raise ValueError(f"the .npz's 'dead_{l}' must be 0/1 by link, like weights_{l}")
            layer["dead"] = np.argwhere(dead != 0).tolist()
            dead_shapes[l] = dead.shape
        layers.append(layer)
    spec = {"problem": text("problem", 0), "features": text("features", 1), "layers": layers}
    for key in ("format", "version"):
        if key in keys:
            spec[key] = get(key).tolist()
    if "extra" in keys:
        try:
            spec["extra"] = json.loads(text("extra", 0))
        except json.JSONDecodeError as exc:
            raise ValueError(f"the .npz's 'extra' is not valid JSON: {exc.msg}") from None
    return spec, dead_shapes


def from_npz(file) -> tuple[Network, tuple[str, ...], str, dict]:
    """(network, features, problem, extra) from ``to_npz``'s file (a path or a binary file),
    read with ``allow_pickle=False`` and checked as ``from_json`` checks."""
    try:
        data = np.load(file, allow_pickle=False)
    except FileNotFoundError:
        raise
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        raise ValueError(f"this is not a playground weights .npz: {exc}") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise ValueError("this is not a playground weights .npz: it holds one array, not a set")
    with data:
        try:
            spec, dead_shapes = _npz_spec(data)
        except (OSError, EOFError, zipfile.BadZipFile) as exc:
            raise ValueError(f"this .npz cannot be read whole: {exc}") from None
    network, *rest = _network_from_spec(spec)
    for l, shape in dead_shapes.items():
        if shape != network.dead_links(l).shape:
            raise ValueError(
                f"the .npz's 'dead_{l}' has shape {shape}; it must be 0/1 by link, shaped like "
                f"weights_{l} {network.dead_links(l).shape}"
            )
    return network, *rest


# --- code a student can run ---------------------------------------------------------------


def _floats(values) -> str:
    return "[" + ", ".join(repr(float(v)) for v in values) + "]"


def _matrix(rows, indent: str) -> str:
    return "[\n" + "".join(f"{indent}    {_floats(r)},\n" for r in rows) + f"{indent}]"


def _describe(network: Network, names, framework: str) -> str:
    """The snippet's docstring: what the network is and how to use it."""
    shape = "-".join(str(int(s)) for s in network.sizes)
    return (
        f'"""TensorFlow Playground\'s network in {framework}: {shape} '
        f"({', '.join(network.activations)}),\n"
        f"on the features {', '.join(names)}. predict(x1, x2) gives its output at the points"
        ' (x1, x2).\n"""\n\n'
    )


def _features_function(names, lib: str, convert: str, stack: str) -> str:
    cols = ", ".join(FEATURE_CODE[n].replace("np.", f"{lib}.") for n in names)
    return (
        "def features(x1, x2):\n"
        '    """The network\'s inputs at the points (x1, x2) of the plane: '
        f'{", ".join(names)}."""\n'
        f"    x1 = {convert.format('x1')}\n"
        f"    x2 = {convert.format('x2')}\n"
        f"    return {stack.format(cols)}\n"
    )


def _weights(network: Network, l: int) -> np.ndarray:
    """Layer l's (nodes, inputs) weights with dead links as 0."""
    return np.where(network.dead_links(l).astype(bool), 0.0, network.weights(l))


def _prepare(network, features) -> tuple[str, ...]:
    """The feature names, checked against the network (and its weights all finite)."""
    if not isinstance(network, Network):
        raise TypeError(f"network must be a playground Network, got {type(network).__name__}")
    names = _check_features(features)
    if len(names) != network.sizes[0]:
        raise ValueError(
            f"{len(names)} features ({', '.join(names)}) for a network of "
            f"{int(network.sizes[0])} inputs"
        )
    _export_layers(network)  # the finiteness check
    return names


_NN_ACT = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Identity"}


def to_nn_code(network: Network, features) -> str:
    """A runnable Python snippet that builds this network in deepscope.nn (Sequential of
    Dense layers and activations, float64 on the CPU), loads its weights (Dense holds W as
    (inputs, nodes): the Playground's matrix transposed), and defines ``features(x1, x2)``
    and ``predict(x1, x2)``."""
    names = _prepare(network, features)
    imports = sorted({"Dense", "Sequential", *(_NN_ACT[a] for a in network.activations)})
    layers, state = [], []
    for l in range(network.n_layers):
        n_in, n_out = int(network.sizes[l]), int(network.sizes[l + 1])
        layers.append(f"        Dense({n_in}, {n_out}),\n")
        layers.append(f"        {_NN_ACT[network.activations[l]]}(),\n")
        state.append(
            f'        "{2 * l}.W": np.array({_matrix(_weights(network, l).T, "        ")}),\n'
        )
        state.append(f'        "{2 * l}.b": np.array({_floats(network.biases(l))}),\n')
    return (
        _describe(network, names, "deepscope.nn") + "import numpy as np\n\n"
        f"from deepscope.nn import {', '.join(imports)}\n\n\n"
        + _features_function(
            names,
            "np",
            "np.atleast_1d(np.asarray({}, dtype=np.float64))",
            "np.stack([{}], axis=1)",
        )  # fmt: skip
        + "\n\n"
        "model = Sequential(\n"
        "    [\n" + "".join(layers) + "    ],\n"
        '    seed=None,\n    dtype="float64",\n    backend="cpu",\n)\n\n'
        "# Dense computes x @ W + b: W[i, j] is the weight of the link from input i to node j\n"
        "model.load_state_dict(\n    {\n" + "".join(state) + "    }\n)\n\n\n"
        "def predict(x1, x2):\n"
        '    """The network\'s output at the points (x1, x2)."""\n'
        "    return model.predict(features(x1, x2))[:, 0]\n\n\n"
        'if __name__ == "__main__":\n'
        "    print(predict([0.0, 1.0, -2.0], [0.0, 2.0, 3.0]))\n"
    )


_TORCH_ACT = {"relu": "nn.ReLU()", "tanh": "nn.Tanh()", "sigmoid": "nn.Sigmoid()",
              "linear": "nn.Identity()"}  # fmt: skip


def to_pytorch_code(network: Network, features) -> str:
    """A runnable PyTorch snippet: ``nn.Sequential`` of ``nn.Linear`` layers and activations
    in float64, the weights copied in as literal tensors (Linear's weight is (nodes,
    inputs), as the Playground's), ``features(x1, x2)`` and ``predict(x1, x2)``."""
    names = _prepare(network, features)
    layers, copies = [], []
    for l in range(network.n_layers):
        n_in, n_out = int(network.sizes[l]), int(network.sizes[l + 1])
        layers.append(f"    nn.Linear({n_in}, {n_out}),\n")
        layers.append(f"    {_TORCH_ACT[network.activations[l]]},\n")
        copies.append(
            f"    model[{2 * l}].weight.copy_(\n"
            f"        torch.tensor({_matrix(_weights(network, l), '        ')}, "
            "dtype=torch.float64)\n    )\n"
            f"    model[{2 * l}].bias.copy_(torch.tensor({_floats(network.biases(l))}, "
            "dtype=torch.float64))\n"
        )
    return (
        _describe(network, names, "PyTorch")
        + "import torch\nfrom torch import nn\n\n\n"
        + _features_function(
            names,
            "torch",
            "torch.as_tensor({}, dtype=torch.float64).reshape(-1)",
            "torch.stack([{}], dim=1)",
        )  # fmt: skip
        + "\n\n"
        "model = nn.Sequential(\n" + "".join(layers) + ").double()\n\n"
        "# nn.Linear computes x @ weight.T + bias: weight[j, i] is the weight of the link from\n"
        "# input i to node j\n"
        "with torch.no_grad():\n" + "".join(copies) + "\n\n"
        "def predict(x1, x2):\n"
        '    """The network\'s output at the points (x1, x2)."""\n'
        "    with torch.no_grad():\n"
        "        return model(features(x1, x2))[:, 0]\n\n\n"
        'if __name__ == "__main__":\n'
        "    print(predict([0.0, 1.0, -2.0], [0.0, 2.0, 3.0]))\n"
    )


def to_keras_code(network: Network, features) -> str:
    """A runnable Keras snippet: ``keras.Sequential`` of ``Dense`` layers with the
    Playground's activations (all Keras names), float64, the weights set by ``set_weights``
    (Keras holds a kernel as (inputs, nodes): the Playground's matrix transposed)."""
    names = _prepare(network, features)
    dense, sets = [], []
    for l in range(network.n_layers):
        n_out = int(network.sizes[l + 1])
        act = network.activations[l]
        dense.append(f'    layers.Dense({n_out}, activation="{act}", dtype="float64"),\n')
        sets.append(
            f"dense[{l}].set_weights(\n"
            f"    [\n        np.array({_matrix(_weights(network, l).T, '        ')}),\n"
            f"        np.array({_floats(network.biases(l))}),\n    ]\n)\n"
        )
    return (
        _describe(network, names, "Keras")
        + "import keras\nimport numpy as np\nfrom keras import layers\n\n\n"
        + _features_function(
            names,
            "np",
            "np.atleast_1d(np.asarray({}, dtype=np.float64))",
            "np.stack([{}], axis=1)",
        )  # fmt: skip
        + "\n\n"
        "dense = [\n" + "".join(dense) + "]\n"
        f'model = keras.Sequential([keras.Input(shape=({len(names)},), dtype="float64"), '
        "*dense])\n\n"
        "# a Dense kernel is (inputs, nodes): kernel[i, j] is the weight of the link from input\n"
        "# i to node j\n" + "".join(sets) + "\n\n"
        "def predict(x1, x2):\n"
        '    """The network\'s output at the points (x1, x2)."""\n'
        "    return model.predict(features(x1, x2), verbose=0)[:, 0]\n\n\n"
        'if __name__ == "__main__":\n'
        "    print(predict([0.0, 1.0, -2.0], [0.0, 2.0, 3.0]))\n"
    )


__all__ = [
    "CsvData", "parse_csv", "fit_to_plane", "to_json", "from_json", "to_npz", "from_npz",
    "to_nn_code", "to_pytorch_code", "to_keras_code", "FEATURE_CODE", "MAX_ROWS", "MAX_BYTES",
]  # fmt: skip
