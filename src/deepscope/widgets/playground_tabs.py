"""The playground's other tabs: your own data and the network's files; runs compared."""

from __future__ import annotations

import base64
import html
import io

import ipywidgets as W
import numpy as np

from ..scenes import playground as scene
from ..scenes import playground_io as files
from . import theme
from .figure import Figure
from .live import JobRow

SCALE = [[0, "#f59322"], [0.5, "#e8eaeb"], [1, "#0877bd"]]  # the Playground's colours


def thin(history: np.ndarray, most: int = 1000) -> np.ndarray:
    """At most about ``most`` rows of a history, evenly spaced, the last one kept."""
    step = max(1, len(history) // most)
    if step == 1 or (len(history) - 1) % step == 0:
        return history[::step]
    return np.vstack([history[::step], history[-1:]])


EXPORTS = {
    "JSON": ("network.json", "application/json"),
    ".npz": ("network.npz", "application/octet-stream"),
    "deepscope.nn code": ("network_deepscope.py", "text/x-python"),
    "PyTorch code": ("network_torch.py", "text/x-python"),
    "Keras code": ("network_keras.py", "text/x-python"),
}
EXAMPLE_CSV = "x1,x2,label\n-2.5,1.0,cat\n3.0,-0.5,dog\n..."


def _download(name: str, mime: str, data: bytes) -> str:
    """A link that saves ``data`` as ``name`` from the page (no server round trip)."""
    href = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    return f"<a download='{html.escape(name)}' href='{href}'>⬇ save {html.escape(name)}</a>"


def _uploaded(widget: W.FileUpload) -> tuple[str, bytes] | None:
    """The name and bytes of the file last chosen in ``widget`` (ipywidgets 8)."""
    if not widget.value:
        return None
    item = widget.value[0]
    return item["name"], bytes(item["content"])


class FilesTab(W.VBox):
    """Your data (a CSV uploaded or pasted), the trained network exported as JSON, .npz or
    code, and weights imported back."""

    def __init__(self, panel):
        self.panel = panel
        self.csv_file = W.FileUpload(accept=".csv,.txt", multiple=False, description="CSV file")
        self.csv_file.observe(lambda _: self._csv_uploaded(), names="value")
        self.csv_text = W.Textarea(
            placeholder=EXAMPLE_CSV, layout=W.Layout(width="420px", height="120px")
        )
        use = W.Button(description="Use the pasted data", layout=W.Layout(width="auto"))
        use.on_click(lambda _: self.load_csv(self.csv_text.value))
        self.export_buttons = []
        for kind in EXPORTS:
            b = W.Button(description=kind, layout=W.Layout(width="auto"))
            b.on_click(lambda _, kind=kind: self.export(kind))
            self.export_buttons.append(b)
        self.export_text = W.Textarea(layout=W.Layout(width="100%", height="220px"))
        self.export_link = W.HTML()
        self.import_file = W.FileUpload(accept=".json,.npz", multiple=False, description="weights")
        self.import_file.observe(lambda _: self._weights_uploaded(), names="value")
        head = "<b style='font-size:15px'>{}</b><br><span style='color:{}'>{}</span>"
        super().__init__(
            [
                W.HTML(
                    head.format(
                        "Your data",
                        theme.MUTED,
                        "two columns of numbers (x₁, x₂) and a label (two classes, words or "
                        "numbers) or a number to fit; a header row is optional",
                    )
                ),
                theme.row([self.csv_file, self.csv_text, use]),
                W.HTML(
                    head.format(
                        "Export the trained network",
                        theme.MUTED,
                        "its weights as a file, or as code that builds the same network",
                    )
                ),
                theme.row(self.export_buttons),
                self.export_link,
                self.export_text,
                W.HTML(
                    head.format(
                        "Import weights",
                        theme.MUTED,
                        "a .json or .npz exported here: the network and its features come back",
                    )
                ),
                self.import_file,
            ]
        )

    # your data ----------------------------------------------------------------------------
    def _csv_uploaded(self):
        got = _uploaded(self.csv_file)
        if got is not None:
            self.load_csv(got[1], got[0])

    def load_csv(self, text, name: str = "the pasted text"):
        """Parse a student's CSV and train on it (dataset "own")."""
        p = self.panel
        try:
            data = files.parse_csv(text, max_classes=2)
        except ValueError as err:
            p.show_error(f"{name}: {err}")
            return
        points, factor = files.fit_to_plane(data.points)
        y = data.labels if data.problem == "classification" else data.targets
        p.own_data = (points, y, data.problem)
        with p.batch():
            p.dataset = scene.OWN
            p.problem = data.problem
            p.refresh()
        what = f"{len(data)} points"
        if data.problem == "classification":
            names = data.classes or ("0", "1")
            what += (
                f", two classes: <b style='color:#f59322'>{html.escape(names[0])}</b> "
                f"(−1) and <b style='color:#0877bd'>{html.escape(names[-1])}</b> (+1)"
            )
        else:
            what += ", a number to fit (regression)"
        scaled = f"; scaled by {factor:.3g} to fit the −6..6 plane" if factor != 1 else ""
        p.say(f"Loaded {what} from {html.escape(name)}{scaled}. Press <b>Play</b>.", "ok")

    # export / import ----------------------------------------------------------------------
    def export(self, kind: str):
        p = self.panel
        e = p.experiment
        if e is None:
            return
        name, mime = EXPORTS[kind]
        extra = {"state": p.state, "epoch": e.epoch}
        try:
            if kind == ".npz":
                buffer = io.BytesIO()
                files.to_npz(buffer, e.network, e.features, e.problem, extra)
                data, text = buffer.getvalue(), f"({len(buffer.getvalue()):,} bytes: save it)"
            else:
                text = {
                    "JSON": lambda: files.to_json(e.network, e.features, e.problem, extra),
                    "deepscope.nn code": lambda: files.to_nn_code(e.network, e.features),
                    "PyTorch code": lambda: files.to_pytorch_code(e.network, e.features),
                    "Keras code": lambda: files.to_keras_code(e.network, e.features),
                }[kind]()
                data = text.encode()
        except ValueError as err:  # a network that overflowed has no numbers to write
            p.show_error(err)
            return
        self.export_text.value = text
        self.export_link.value = _download(name, mime, data) + (
            f" <span style='color:{theme.MUTED}'>the network at epoch {e.epoch:,}</span>"
        )

    def _weights_uploaded(self):
        got = _uploaded(self.import_file)
        if got is not None:
            self.import_weights(*got)

    def import_weights(self, name: str, data: bytes):
        """Bring back an exported network: its features, shape and activation become the
        panel's settings, then its weights replace the new network's."""
        p = self.panel
        try:
            if name.lower().endswith(".npz"):
                net, features, problem, _ = files.from_npz(io.BytesIO(data))
            else:
                net, features, problem, _ = files.from_json(data)
            hidden = set(net.activations[:-1])
            if len(hidden) > 1:
                raise ValueError(
                    "its hidden layers have different activations; this panel uses one for all"
                )
        except (ValueError, OSError) as err:
            p.show_error(f"{name}: {err}")
            return
        with p.batch():
            if p.problem != problem:
                p.problem = problem
            p.features = list(features)
            p.network_shape = [int(n) for n in net.sizes[1:-1]]
            if hidden:
                p.activation = hidden.pop()
            p.refresh()
        if p.experiment is not None:
            p.experiment.adopt(net)
            p.render()
            p.say(f"Imported {html.escape(name)}: press <b>Play</b> to train on from it.", "ok")


class CompareTab(W.VBox):
    """Snapshots of runs: both loss curves and both decision maps side by side; rewind to a
    snapshot and branch from it."""

    def __init__(self, panel):
        self.panel = panel
        self.snapshots: list[dict] = []
        take = W.Button(
            description="Snapshot this run", icon="camera", layout=W.Layout(width="auto")
        )
        take.on_click(lambda _: self.snapshot())
        self.pick = W.Dropdown(
            description="compare with", options=[], style=theme.WIDE, layout=W.Layout(width="360px")
        )
        self.pick.observe(lambda _: self.draw(), names="value")
        rewind = W.Button(
            description="Rewind to it",
            icon="undo",
            tooltip="its settings and weights back: train on from there",
            layout=W.Layout(width="auto"),
        )
        rewind.on_click(lambda _: self.rewind())
        self.fig = self._figure()
        panel.figures.append(self.fig)
        self.note = W.HTML(
            f"<span style='color:{theme.MUTED}'>Take a snapshot, change a setting (the "
            "new network starts from the same seed), press Play, and compare.</span>"
        )
        super().__init__([theme.row([take, self.pick, rewind]), self.note, self.fig])

    def _figure(self) -> Figure:
        layout = theme.layout(
            420, title={"text": "Runs compared"}, legend=dict(x=0.40, xanchor="right", y=1)
        )
        layout["xaxis"] = theme.axis("epoch", domain=[0, 0.40])
        layout["yaxis"] = theme.axis("test loss", rangemode="tozero")
        d = scene.DOMAIN
        axis = np.linspace(-d, d, scene.DENSITY)
        for i, x in ((2, [0.5, 0.74]), (3, [0.76, 1.0])):
            layout[f"xaxis{i}"] = dict(
                domain=x, range=[-d, d], showticklabels=False, constrain="domain"
            )
            layout[f"yaxis{i}"] = dict(
                anchor=f"x{i}",
                range=[-d, d],
                scaleanchor=f"x{i}",
                showticklabels=False,
                domain=[0.1, 0.9],
            )
        traces = [
            dict(
                type="scatter",
                name="this run",
                mode="lines",
                x=[],
                y=[],
                line=dict(color="black", width=2),
            ),
            dict(
                type="scatter",
                name="snapshot",
                mode="lines",
                x=[],
                y=[],
                line=dict(color=theme.PALETTE[3], width=2, dash="dash"),
            ),
        ] + [
            dict(
                type="heatmap",
                name=name,
                x=axis,
                y=axis[::-1],
                z=np.zeros((2, 2)),
                zmin=-1,
                zmax=1,
                colorscale=SCALE,
                showscale=False,
                xaxis=f"x{i}",
                yaxis=f"y{i}",
                hovertemplate="%{z:.3f}<extra>" + name + "</extra>",
            )
            for i, name in ((2, "snapshot map"), (3, "this run's map"))
        ]
        layout["annotations"] = [
            dict(text=t, x=x, y=0.92, xref="paper", yref="paper", showarrow=False, yanchor="bottom")
            for t, x in (("the snapshot", 0.62), ("this run", 0.88))
        ]
        return Figure(traces, layout)

    def snapshot(self):
        p = self.panel
        e = p.experiment
        if e is None:
            return
        net = e.network
        shot = dict(
            state=p.state,
            epoch=e.epoch,
            history=e.history.copy(),
            params=(
                net.W.copy(),
                net.b.copy(),
                net.dead.copy(),
                net.accW.copy(),
                net.accB.copy(),
                net.count.copy(),
            ),
            map=e.maps()[-1].copy(),
        )
        self.snapshots.append(shot)
        k = len(self.snapshots)
        diff = [
            f"{key}={v}"
            for key, v in p.state.items()
            if key not in ("hidden", "speed", "epochs") and v != p.trait_defaults(key)
        ]
        label = f"{k}: epoch {e.epoch:,}, test loss {e.history[-1, 2]:.3f}"
        shot["label"] = label + (f" ({', '.join(diff)})" if diff else " (defaults)")
        self.pick.options = [(s["label"][:80], i) for i, s in enumerate(self.snapshots)]
        self.pick.value = k - 1
        self.draw()
        p.say(
            f"Snapshot {k} taken at epoch {e.epoch:,}. Change a setting and Play to "
            "compare, or Rewind to come back to it.",
            "ok",
        )

    def rewind(self):
        p = self.panel
        if self.pick.value is None:
            return
        shot = self.snapshots[self.pick.value]
        p.stop()
        p.state = {k: v for k, v in shot["state"].items() if k != "hidden"}
        p.refresh()
        e = p.experiment
        if e is None:
            return
        net = e.network
        for target, saved in zip(
            (net.W, net.b, net.dead, net.accW, net.accB, net.count), shot["params"]
        ):
            target[:] = saved
        e.restore_history(shot["history"])
        p.render()
        self.draw()
        p.say(
            f"Back at snapshot {self.pick.value + 1}, epoch {e.epoch:,}: Play branches from here.",
            "ok",
        )

    def draw(self):
        p = self.panel
        e = p.experiment
        if e is None:
            return
        h = thin(e.history)
        with self.fig.batch():
            self.fig.update("this run", x=h[:, 0], y=h[:, 2])
            self.fig.update("this run's map", z=e.maps()[-1].astype(np.float32))
            if self.pick.value is not None and self.snapshots:
                shot = self.snapshots[self.pick.value]
                sh = shot["history"]
                sh = thin(sh)
                self.fig.update("snapshot", x=sh[:, 0], y=sh[:, 2])
                self.fig.update("snapshot map", z=shot["map"].astype(np.float32))


#: what the search tab can sweep, with the values a grid takes
SWEEPS = {
    "learning_rate": [0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0],
    "neurons": [1, 2, 3, 4, 5, 6, 7, 8],
    "layers": [1, 2, 3, 4, 5, 6],
    "batch_size": [1, 2, 5, 10, 20, 30],
    "regularization_rate": [0.0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1.0],
}
METHODS = {"grid": "grid", "random": "random", "bayesian": "Bayesian (Optuna's TPE)"}


def _position(values, grid) -> np.ndarray:
    """Where values fall between a grid's ticks, in tick indices (log-spaced for rates, 0
    placed one step below the smallest positive tick)."""
    grid = np.asarray(grid, np.float64)
    values = np.asarray(values, np.float64)
    if grid.min() >= 0 and grid.max() / max(grid[grid > 0].min(), 1e-12) > 20:  # a rate
        low = grid[grid > 0].min() / 3
        grid, values = np.log(np.maximum(grid, low)), np.log(np.maximum(values, low))
    return np.interp(values, grid, np.arange(len(grid)))


class SearchTab(W.VBox):
    """Hyperparameter search on the panel's experiment: two settings swept, each point
    scored by k-fold cross-validation on the training points; the validation loss as a heat
    map, the best point starred, random and Bayesian points on the same map."""

    def __init__(self, panel):
        from ..scenes import search

        self.panel, self.search_module = panel, search
        pick = dict(style=theme.WIDE, layout=W.Layout(width="230px"))
        names = list(SWEEPS)
        self.method = W.Dropdown(
            description="search", options=[(v, k) for k, v in METHODS.items()], **pick
        )
        options = [(n.replace("_", " "), n) for n in names]
        self.x = W.Dropdown(description="across", options=options, value="learning_rate",
                            **pick)  # fmt: skip
        self.y = W.Dropdown(description="and", options=options, value="neurons", **pick)
        self.folds = W.Dropdown(description="folds", options=[3, 5], value=5, **pick)
        self.epochs = W.Dropdown(
            description="epochs each", options=[50, 100, 200], value=100, **pick
        )
        self.n = W.Dropdown(
            description="points (random, Bayesian)",
            options=[10, 20, 40],
            value=20,
            style=theme.WIDE,
            layout=W.Layout(width="280px"),
        )
        self.row = JobRow("Run the search", "score every point by k-fold cross-validation")
        self.row.go.on_click(lambda _: self.start())
        self.progress, self.status = self.row.progress, self.row.status
        self.fig = self._figure()
        panel.figures.append(self.fig)
        self.grid = None  # the last grid's result: random and Bayesian points go on it
        super().__init__(
            [
                theme.row([self.method, self.x, self.y]),
                theme.row([self.folds, self.epochs, self.n]),
                self.row,
                self.fig,
            ]
        )

    def _figure(self) -> Figure:
        layout = theme.layout(460, title={"text": "Validation loss (mean over the folds)"})
        layout["xaxis"] = theme.axis("learning rate", visible=False)  # until a search has run
        layout["yaxis"] = theme.axis("neurons", visible=False)
        traces = [
            dict(
                type="heatmap",
                name="grid",
                x=[],
                y=[],
                z=np.zeros((1, 1)),
                colorscale="Viridis",
                reversescale=True,
                colorbar=dict(title=dict(text="validation loss")),
                customdata=[],
                visible=False,  # until a grid has run
                hovertemplate="%{customdata}<extra></extra>",
            ),
            dict(
                type="scatter",
                name="searched",
                mode="markers",
                x=[],
                y=[],
                customdata=[],
                marker=dict(
                    size=11,
                    color=[],
                    colorscale="Viridis",
                    reversescale=True,
                    line=dict(color="white", width=1.5),
                    showscale=False,
                ),
                hovertemplate="%{customdata}<extra></extra>",
            ),
            dict(
                type="scatter",
                name="best",
                mode="markers",
                x=[],
                y=[],
                marker=dict(
                    symbol="star", size=20, color="red", line=dict(color="white", width=1.5)
                ),
                hoverinfo="skip",
            ),
        ]
        layout["showlegend"] = False
        return Figure(traces, layout)

    def _axes(self) -> dict:
        if self.x.value == self.y.value:
            raise ValueError("sweep two different settings")
        return {self.x.value: SWEEPS[self.x.value], self.y.value: SWEEPS[self.y.value]}

    def start(self):
        p = self.panel
        if self.row.running or p.experiment is None:
            return
        S = self.search_module
        try:
            axes = self._axes()
            base = {k: v for k, v in p._settings().items() if k not in axes}
            if "regularization_rate" in axes and base["regularization"] == "none":
                base["regularization"] = "L2"  # a rate of no regularization moves nothing
            kind = self.method.value
            common = dict(base=base, folds=self.folds.value, epochs=self.epochs.value, seed=p.seed)
            if kind == "grid":
                self.search = S.Search.grid(axes, p.experiment, **common)
            elif kind == "random":
                self.search = S.Search.random(axes, self.n.value, p.experiment, **common)
            else:
                self.search = S.Search.bayesian(axes, self.n.value, p.experiment, **common)
        except (ValueError, TypeError, ImportError) as err:
            p.show_error(err)
            return
        self.done, self.total = 0, self.search.n * self.folds.value
        self.row.run(self.search.events(), self._event, self.draw, self._finished)

    def _event(self, event):
        if event.kind == "progress":
            self.done, self.total = event.metrics["done"], event.metrics["total"]

    def _finished(self, reason):
        r = self.search.result
        if r.kind == "grid":
            self.grid = r
        best = r.best_point
        text = f"{reason}: {self.done} of {self.total} fits"
        if best is not None:
            shown = ", ".join(f"{k} {self.search_module.label(v)}" for k, v in best.items())
            text += f" · best: {shown}, validation loss {r.best_loss:.4f}"
        self.status.value = html.escape(text)

    def draw(self):
        r = self.search.result
        self.progress.value = self.done / max(self.total, 1)
        self.status.value = f"{self.done} of {self.total} fits"
        names = list(r.axes)
        grid = r if r.kind == "grid" else self.grid
        if grid is not None and list(grid.axes) != names:
            grid = None  # the last grid swept other settings
        label = self.search_module.label
        with self.fig.batch():
            self.fig.relayout(
                xaxis={"title": {"text": names[0].replace("_", " ")}, "visible": True},
                yaxis={"title": {"text": names[1].replace("_", " ")}, "visible": True},
            )
            if grid is not None:  # tick i of each axis at i: points fall between them
                ticks = [[label(v) for v in grid.axes[n]] for n in names]
                z = grid.grid
                text = [
                    [
                        f"{names[0]} {a}, {names[1]} {b}: validation loss {z[j, i]:.4f}"
                        for i, a in enumerate(ticks[0])
                    ]
                    for j, b in enumerate(ticks[1])
                ]
                self.fig.update(
                    "grid",
                    x=list(range(len(ticks[0]))),
                    y=list(range(len(ticks[1]))),
                    z=z,
                    customdata=text,
                    visible=True,
                )
                self.fig.relayout(
                    xaxis={
                        "type": "linear",
                        "tickvals": list(range(len(ticks[0]))),
                        "ticktext": ticks[0],
                    },
                    yaxis={
                        "type": "linear",
                        "tickvals": list(range(len(ticks[1]))),
                        "ticktext": ticks[1],
                    },
                )
                if r.best is not None and r.kind == "grid":
                    b = r.best_point
                    self.fig.update(
                        "best",
                        x=[grid.axes[names[0]].index(b[names[0]])],
                        y=[grid.axes[names[1]].index(b[names[1]])],
                    )
                if r.kind == "grid":
                    self.fig.update("searched", x=[], y=[], customdata=[])
            else:
                self.fig.update("grid", visible=False)
            if r.kind != "grid":
                self._draw_points(r, names, grid)

    def _draw_points(self, r, names, grid):
        """Random or Bayesian points on the grid's map (between its ticks), or on their own
        axes when no grid of these settings was run."""
        done = r.done & np.isfinite(r.mean)
        xs, ys = (np.asarray(r.values(n), np.float64)[done] for n in names)
        mean = r.mean[done]
        if grid is not None:
            xs = _position(xs, grid.axes[names[0]])
            ys = _position(ys, grid.axes[names[1]])
        else:
            kind = ["log" if n == "learning_rate" else "linear" for n in names]
            self.fig.relayout(
                xaxis={"type": kind[0], "tickvals": None, "ticktext": None},
                yaxis={"type": kind[1], "tickvals": None, "ticktext": None},
            )
        text = [
            f"{names[0]} {self.search_module.label(float(a))}, "
            f"{names[1]} {self.search_module.label(float(b))}: validation loss {m:.4f}"
            for a, b, m in zip(
                np.asarray(r.values(names[0]))[done], np.asarray(r.values(names[1]))[done], mean
            )
        ]
        self.fig.update("searched", x=xs, y=ys, customdata=text, marker={"color": mean})
        if r.best is not None:
            b = r.best_point
            bx, by = float(b[names[0]]), float(b[names[1]])
            if grid is not None:
                bx = float(_position([bx], grid.axes[names[0]])[0])
                by = float(_position([by], grid.axes[names[1]])[0])
            self.fig.update("best", x=[bx], y=[by])
