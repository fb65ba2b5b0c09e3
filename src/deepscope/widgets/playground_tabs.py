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
                W.HTML(head.format("Your data", theme.MUTED,
                       "two columns of numbers (x₁, x₂) and a label (two classes, words or "
                       "numbers) or a number to fit; a header row is optional")),
                theme.row([self.csv_file, self.csv_text, use]),
                W.HTML(head.format("Export the trained network", theme.MUTED,
                       "its weights as a file, or as code that builds the same network")),
                theme.row(self.export_buttons),
                self.export_link,
                self.export_text,
                W.HTML(head.format("Import weights", theme.MUTED,
                       "a .json or .npz exported here: the network and its features come back")),
                self.import_file,
            ]
        )  # fmt: skip

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
                raise ValueError("its hidden layers have different activations; this panel "
                                 "uses one for all")  # fmt: skip
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
        take = W.Button(description="Snapshot this run", icon="camera",
                        layout=W.Layout(width="auto"))  # fmt: skip
        take.on_click(lambda _: self.snapshot())
        self.pick = W.Dropdown(description="compare with", options=[],
                               style=theme.WIDE, layout=W.Layout(width="360px"))  # fmt: skip
        self.pick.observe(lambda _: self.draw(), names="value")
        rewind = W.Button(description="Rewind to it", icon="undo",
                          tooltip="its settings and weights back: train on from there",
                          layout=W.Layout(width="auto"))  # fmt: skip
        rewind.on_click(lambda _: self.rewind())
        self.fig = self._figure()
        panel.figures.append(self.fig)
        self.note = W.HTML(
            f"<span style='color:{theme.MUTED}'>Take a snapshot, change a setting (the "
            "new network starts from the same seed), press Play, and compare.</span>"
        )
        super().__init__([theme.row([take, self.pick, rewind]), self.note, self.fig])

    def _figure(self) -> Figure:
        layout = theme.layout(420, title={"text": "Runs compared"},
                              legend=dict(x=0.40, xanchor="right", y=1))  # fmt: skip
        layout["xaxis"] = theme.axis("epoch", domain=[0, 0.40])
        layout["yaxis"] = theme.axis("test loss", rangemode="tozero")
        d = scene.DOMAIN
        axis = np.linspace(-d, d, scene.DENSITY)
        for i, x in ((2, [0.5, 0.74]), (3, [0.76, 1.0])):
            layout[f"xaxis{i}"] = dict(domain=x, range=[-d, d], showticklabels=False,
                                       constrain="domain")  # fmt: skip
            layout[f"yaxis{i}"] = dict(anchor=f"x{i}", range=[-d, d], scaleanchor=f"x{i}",
                                       showticklabels=False, domain=[0.1, 0.9])  # fmt: skip
        traces = [
            dict(type="scatter", name="this run", mode="lines", x=[], y=[],
                 line=dict(color="black", width=2)),
            dict(type="scatter", name="snapshot", mode="lines", x=[], y=[],
                 line=dict(color=theme.PALETTE[3], width=2, dash="dash")),
        ] + [
            dict(type="heatmap", name=name, x=axis, y=axis[::-1], z=np.zeros((2, 2)), zmin=-1,
                 zmax=1, colorscale=SCALE, showscale=False, xaxis=f"x{i}", yaxis=f"y{i}",
                 hovertemplate="%{z:.3f}<extra>" + name + "</extra>")
            for i, name in ((2, "snapshot map"), (3, "this run's map"))
        ]  # fmt: skip
        layout["annotations"] = [
            dict(text=t, x=x, y=0.92, xref="paper", yref="paper", showarrow=False,
                 yanchor="bottom")
            for t, x in (("the snapshot", 0.62), ("this run", 0.88))
        ]  # fmt: skip
        return Figure(traces, layout)

    def snapshot(self):
        p = self.panel
        e = p.experiment
        if e is None:
            return
        net = e.network
        shot = dict(
            state=p.state, epoch=e.epoch, history=e.history.copy(),
            params=(net.W.copy(), net.b.copy(), net.dead.copy(), net.accW.copy(),
                    net.accB.copy(), net.count.copy()),
            map=e.maps()[-1].copy(),
        )  # fmt: skip
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
        p.say(f"Snapshot {k} taken at epoch {e.epoch:,}. Change a setting and Play to "
              "compare, or Rewind to come back to it.", "ok")  # fmt: skip

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
        for target, saved in zip((net.W, net.b, net.dead, net.accW, net.accB, net.count),
                                 shot["params"]):  # fmt: skip
            target[:] = saved
        e.restore_history(shot["history"])
        p.render()
        self.draw()
        p.say(f"Back at snapshot {self.pick.value + 1}, epoch {e.epoch:,}: Play branches "
              "from here.", "ok")  # fmt: skip

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
