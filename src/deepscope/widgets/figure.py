"""Figure: a plotly.js chart as a small widget of our own.

Why not plotly's ``FigureWidget``: each one carries its own ~5 MB copy of plotly.js through
anywidget, which gives a widget 2 s to load it; with several figures on a page some miss
that deadline and stay blank for good, and a notebook saved with widget state holds one copy
per figure. Here plotly.js travels once per page (the state of one ``PlotlyJS`` model that
every figure points at) and a figure is plain state: its traces, each with a unique name, and
its layout. Arrays travel as binary buffers in plotly.js's own typed-array form (NaN is a gap,
no JSON detour). ``fig.update(name, ...)`` and ``fig.relayout(...)`` send only what changed;
inside ``with fig.batch():`` any number of them go out as one message. The Python side keeps
the whole current figure, so a page reloaded with the kernel running draws what is shown now.
"""

from __future__ import annotations

import math
import os
import uuid
from contextlib import contextmanager
from copy import deepcopy
from importlib.resources import files
from pathlib import Path

import anywidget
import ipywidgets as W
import numpy as np
import traitlets as T
from ipywidgets.widgets.widget import _remove_buffers

_DTYPES = {np.dtype("float64"): "f8", np.dtype("float32"): "f4", np.dtype("uint8"): "u1"}


def _typed(a: np.ndarray) -> dict:
    """plotly.js's typed-array spec {dtype, shape, bdata} with the bytes as a buffer."""
    if not a.dtype.isnative:
        a = a.astype(a.dtype.newbyteorder("="))
    if a.dtype == np.bool_:
        a = a.astype(np.uint8)
    elif a.dtype.kind in "iu":
        small = a.size == 0 or (a.min() >= -(2**31) and a.max() < 2**31)
        a = a.astype(np.int32) if small else a.astype(np.float64)
    elif a.dtype.kind == "f" and a.dtype not in _DTYPES:
        a = a.astype(np.float32)
    code = "i4" if a.dtype == np.int32 else _DTYPES[a.dtype]
    a = np.ascontiguousarray(a)
    data = memoryview(a.reshape(-1)).cast("B")  # (an empty 2-D array too)
    return {"dtype": code, "shape": ",".join(map(str, a.shape)), "bdata": data}


def pack(value):
    """``value`` ready for a widget message: numeric arrays as binary typed arrays, numpy
    scalars as Python numbers, NaN and inf outside arrays as None (JSON has no NaN)."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biuf" and 1 <= value.ndim <= 3:
            return _typed(value)
        return pack(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: pack(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [pack(v) for v in value]
    return value


def _state_json(value, widget):
    return pack(value)


def flatten(props: dict, prefix: str = "") -> dict:
    """{"marker": {"color": c}, "x": x} -> {"marker.color": c, "x": x}: nested dicts update
    one attribute at a time; lists and arrays replace."""
    out = {}
    for key, value in props.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out


def _set_path(obj, path: list[str], value) -> None:
    for key in path[:-1]:
        if isinstance(obj, list):
            obj = obj[int(key)]
        else:
            obj = obj.setdefault(key, {})
        if not isinstance(obj, (dict, list)):
            raise TypeError(
                f"cannot set {'.'.join(path)}: {key} holds {obj!r}, not a dict; "
                f"set {key} as a whole or make it a dict first"
            )
    last = path[-1]
    if isinstance(obj, list):
        obj[int(last)] = value
    else:
        obj[last] = value


def _colorscales(props: dict) -> dict:
    """Named colour scales as plotly.py defines them ("RdBu_r", "gray"...): plotly.js knows
    fewer names, silently draws its default for the others, and runs some the other way."""
    out = {}
    for key, value in props.items():
        if isinstance(value, dict):
            value = _colorscales(value)
        elif isinstance(value, str) and key.endswith("colorscale"):
            from plotly.colors import get_colorscale

            value = get_colorscale(value)
        out[key] = value
    return out


#: set by ``deepscope serve`` for its kernels: the address its server gives plotly.js at, so
#: a page fetches it as a file the browser keeps (one download a student, not one a page)
PLOTLY_URL_ENV = "DEEPSCOPE_PLOTLY_URL"


def plotly_file() -> Path:
    return Path(str(files("plotly") / "package_data" / "plotly.min.js"))


def plotly_version() -> str:
    with plotly_file().open(encoding="utf-8") as f:
        head = f.read(200)
    start = head.find("plotly.js v")
    return head[start + len("plotly.js v") :].split()[0] if start >= 0 else ""


class PlotlyJS(W.Widget):
    """plotly.js itself, once per kernel: every Figure points at this one model, and the page
    loads it the first time a figure draws: from ``url`` where the server offers it as a
    file, else from ``source``, the script's text in the model's state."""

    source = T.Unicode().tag(sync=True)
    url = T.Unicode().tag(sync=True)
    version = T.Unicode().tag(sync=True)


_library: PlotlyJS | None = None


def plotly_js() -> PlotlyJS:
    """The kernel's PlotlyJS model (made again if it was closed)."""
    global _library
    if _library is None or _library.comm is None:
        url = os.environ.get(PLOTLY_URL_ENV, "")
        source = "" if url else plotly_file().read_text(encoding="utf-8")
        _library = PlotlyJS(source=source, url=url, version=plotly_version())
    return _library


class Figure(anywidget.AnyWidget):
    """A plotly.js figure of named traces.

    ``Figure(traces=[{"type": "scatter", "name": "loss", "x": ...}, ...], layout={...})``
    (the plotly layout is ``fig.plot_layout``; ``fig.layout`` is the widget's own CSS box)
    (or ``fig.add("scatter", "loss", x=...)`` later); names are unique, and code addresses
    traces by name, never by position. Then
    ``fig.update("loss", y=...)``, ``fig.relayout(title={"text": ...})`` and ``with
    fig.batch():`` around several of them to send one message. ``fig.on_click(fn)`` calls
    ``fn(trace_name, point)`` with the point's x, y (z) and index. ``fig.sent`` counts the
    messages sent to the browser.
    """

    _esm = Path(__file__).with_name("figure.js")
    _plotly = T.Instance(PlotlyJS).tag(sync=True, **W.widget_serialization)
    traces = T.List(T.Dict()).tag(sync=True, to_json=_state_json)
    plot_layout = T.Dict().tag(sync=True, to_json=_state_json)
    config = T.Dict().tag(sync=True)
    _uid = T.Unicode().tag(sync=True)  # the page's key for this figure's store

    def __init__(self, traces=(), layout: dict | None = None, config: dict | None = None):
        base = {"displaylogo": False, "responsive": True}
        traces = [_colorscales(deepcopy(t)) for t in traces]  # a nested dict shared by two
        # traces must not change both when one is updated
        index = {}
        for i, t in enumerate(traces):
            if "type" not in t or "name" not in t:
                raise ValueError(f"trace {i} needs a 'type' and a 'name', got keys {sorted(t)}")
            if t["name"] in index:
                raise ValueError(f"two traces are named {t['name']!r}; names must be unique")
            index[t["name"]] = i
        super().__init__(
            _plotly=plotly_js(),
            traces=traces,
            plot_layout=_colorscales(deepcopy(layout or {})),
            config={**base, **(config or {})},
            _uid=uuid.uuid4().hex,
        )
        self._index: dict[str, int] = index
        self._pending: dict | None = None
        self._depth = 0
        self._click_handlers: list = []
        self.sent = 0
        self.on_msg(self._custom_msg)

    # building ------------------------------------------------------------------------------
    def add(self, type: str, name: str, **props) -> None:
        """Add a trace of plotly type ``type`` named ``name`` (unique in this figure)."""
        if name in self._index:
            raise ValueError(f"this figure already has a trace named {name!r}")
        self._index[name] = len(self.traces)
        self.traces = [*self.traces, _colorscales(deepcopy({"type": type, "name": name, **props}))]

    @property
    def names(self) -> list[str]:
        return list(self._index)

    def trace(self, name: str) -> dict:
        """The current properties of trace ``name`` (read them; change them with update)."""
        try:
            return self.traces[self._index[name]]
        except KeyError:
            raise KeyError(f"no trace named {name!r}; this figure has {self.names}") from None

    # changing ------------------------------------------------------------------------------
    def update(self, name: str, **props) -> None:
        """Restyle trace ``name``: nested dicts change single attributes, values replace."""
        self.trace(name)  # a clear error for an unknown name
        index = self._index[name]
        flat = flatten(_colorscales(props))
        for key, value in flat.items():
            _set_path(self.traces[index], key.split("."), value)
        self._queue("traces", index, flat)

    def relayout(self, **props) -> None:
        """Change the layout: ``relayout(title={"text": "..."}, shapes=[...])``."""
        flat = flatten(_colorscales(props))
        for key, value in flat.items():
            _set_path(self.plot_layout, key.split("."), value)
        self._queue("layout", None, flat)

    def replot(self) -> None:
        """Draw the next update from scratch in the browser (``Plotly.newPlot``): for
        layout changes plotly.js does not take incrementally, such as new axis ranges of
        square-celled maps (it keeps adjusting them from the old ones)."""
        self._queue("replot", None, {})

    @contextmanager
    def batch(self):
        """Every update and relayout inside goes to the browser as one message."""
        self._depth += 1
        try:
            yield self
        finally:
            self._depth -= 1
            if not self._depth:
                self._flush()

    def _queue(self, part: str, index, flat: dict) -> None:
        if self._pending is None:
            self._pending = {"traces": {}, "layout": {}}
        if part == "replot":
            self._pending["replot"] = True
        elif part == "traces":
            self._pending["traces"].setdefault(str(index), {}).update(flat)
        else:
            self._pending["layout"].update(flat)
        if not self._depth:
            self._flush()

    def _flush(self) -> None:
        pending, self._pending = self._pending, None
        if not pending or not (pending["traces"] or pending["layout"] or "replot" in pending):
            return
        content, paths, buffers = _remove_buffers({"kind": "update", **pack(pending)})
        content["buffer_paths"] = paths
        self.sent += 1
        if self.comm is not None:
            self.send(content, buffers)

    # events --------------------------------------------------------------------------------
    def on_click(self, callback, traces=None) -> None:
        """Call ``callback(trace_name, point)`` when a point of one of ``traces`` (names;
        None: any trace) is clicked. point: {"x", "y", "z", "index"}."""
        wanted = None if traces is None else set(traces)
        self._click_handlers.append((callback, wanted))

    def _custom_msg(self, _widget, content, _buffers) -> None:
        if not isinstance(content, dict) or content.get("event") != "click":
            return
        for point in content.get("points", [])[:1]:
            for callback, wanted in self._click_handlers:
                if wanted is None or point.get("trace") in wanted:
                    callback(point.get("trace"), point)
