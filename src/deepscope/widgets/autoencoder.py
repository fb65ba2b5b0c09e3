"""AutoencoderPanel: watch a network squeeze digits through a narrow code and rebuild them."""

from __future__ import annotations

import numpy as np
import traitlets as T

from ..scenes import autoencoder as scene
from . import theme
from .controls import Check, Choice, LogSlider, Slider, Text
from .figure import Figure
from .panel import Panel, Training

ARCHS = (*scene.ARCHITECTURES, "typed")
STRIP = 8  # held-out digits in the reconstruction strip
GRAY = [[0, "black"], [1, "white"]]


def _stitch(rows) -> np.ndarray:
    """Images (784 values each) laid side by side, one row of the picture per list, a grey
    line between rows."""
    out = []
    for images in rows:
        tiles = [np.asarray(im, np.float64).reshape(28, 28) for im in images]
        out.append(np.hstack([np.pad(t, ((0, 0), (1, 1)), constant_values=0.35) for t in tiles]))
        out.append(np.full((2, out[-1].shape[1]), 0.35))
    return np.vstack(out[:-1])


def _image_axes(layout, n, x, y):
    i = "" if n == 1 else str(n)
    bare = dict(showticklabels=False, ticks="", showgrid=False, zeroline=False)
    layout[f"xaxis{i}"] = dict(domain=list(x), anchor=f"y{i}", constrain="domain", **bare)
    layout[f"yaxis{i}"] = dict(domain=list(y), anchor=f"x{i}", scaleanchor=f"x{i}",
                               autorange="reversed", **bare)  # fmt: skip
    return {"xaxis": f"x{i}", "yaxis": f"y{i}"}


class AutoencoderPanel(Panel):
    """Train the lecture's 784-128-32-128-784 autoencoder live on the shipped digits: the
    loss curves and held-out digits with their reconstructions refresh as it learns; then the
    code as a map (click it to decode a point), the compression against PCA, denoising and
    interpolation in pixel space against code space."""

    dashboard = "autoencoder.ipynb"
    title = "Autoencoders"
    summary = (
        "The lecture's 784-128-32-128-784 autoencoder trains live on digits: reconstructions "
        "as it learns, MSE against BCE, the code as a map you can click, compression against "
        "PCA, denoising, and a morph between two digits in code space."
    )
    train_on_start = True
    train_label = ("Train", "train the autoencoder from scratch, live")
    live_fps = 5.0

    architecture = T.Enum(ARCHS, ARCHS[0]).tag(state=True, control=Choice("network"))
    sizes = T.Unicode("784-64-16-64-784").tag(
        state=True, control=Text("widths", help="whole numbers joined by -, code in the middle")
    )
    loss = T.Enum(scene.LOSSES, "mse").tag(
        state=True, control=Choice(labels={"mse": "MSE", "bce": "BCE"}, style="toggle")
    )
    scaled = T.Bool(True).tag(state=True, control=Check("inputs scaled to [0, 1]"))
    epochs = T.Int(20, min=1, max=100).tag(state=True, control=Slider())
    batch_size = T.Enum((32, 64, 256), 64).tag(state=True, control=Choice("batch size"))
    learning_rate = T.Float(0.003, min=1e-4, max=0.1).tag(state=True, control=LogSlider())
    noise = T.Float(0.0, min=0.0, max=0.5).tag(
        state=True, control=Slider("training noise (denoising)", step=0.05)
    )
    show_noise = T.Float(0.3, min=0.0, max=0.5).tag(
        state=True, control=Slider("noise on the shown digits", step=0.05), recompute=True
    )
    digit_a = T.Int(0, min=0, max=999).tag(state=True, control=Slider("morph from"), recompute=True)
    digit_b = T.Int(1, min=0, max=999).tag(state=True, control=Slider("to"), recompute=True)
    code_x = T.Float(0.0).tag(state=True, recompute=True)
    code_y = T.Float(0.0).tag(state=True, recompute=True)

    def build(self):
        self.X_train, self.y_train, self.X_test, self.y_test = scene.digits()
        self.model = None
        self.trained = False
        self.history: list[dict] = []
        self.train_fig, self.code_fig, self.more_fig = (
            self._train_figure(), self._code_figure(), self._more_figure()
        )  # fmt: skip
        self.figures = [self.train_fig, self.code_fig, self.more_fig]
        self.code_fig.on_click(self._clicked, traces=["codes"])
        c = self.controls
        net = theme.column([c["architecture"], c["sizes"], c["loss"], c["scaled"]])
        fit = theme.column([c["epochs"], c["batch_size"], c["learning_rate"], c["noise"]])
        look = theme.column([c["show_noise"], c["digit_a"], c["digit_b"]])
        self.children = [
            theme.row([net, fit, look]),
            c["train"],
            self.message,
            self.train_fig,
            self.code_fig,
            self.more_fig,
            self.link,
        ]
        self._sizes_shown()
        self.say("Press <b>Train</b>: the autoencoder learns to rebuild the digits.")

    @T.observe("architecture")
    def _sizes_shown(self, change=None):
        self.show_control("sizes", self.architecture == "typed")

    def widths(self) -> tuple[int, ...]:
        if self.architecture == "typed":
            return scene.parse_sizes(self.sizes)
        return scene.ARCHITECTURES[self.architecture]

    def _clicked(self, _trace, point):
        with self.batch():
            self.code_x, self.code_y = float(point["x"]), float(point["y"])

    def _inputs(self, X):
        """The pixels as the network gets them: [0, 1], or 0..255 when not scaled."""
        return X if self.scaled else X * 255

    # training -----------------------------------------------------------------------------
    def start_training(self) -> Training:
        sizes = self.widths()  # a bad typed list is a message, before anything changes
        if self.loss == "bce" and not self.scaled:
            raise ValueError(
                "BCE needs targets in [0, 1] (it reads them as probabilities): tick 'inputs "
                "scaled to [0, 1]' or pick MSE to see what 0..255 does to a sigmoid output"
            )
        self.model = scene.build_autoencoder(sizes)
        self.trained, self.history = False, []
        self._ran = dict(sizes=sizes, loss=self.loss, scaled=self.scaled, noise=self.noise)
        Xtr, Xte = self._inputs(self.X_train), self._inputs(self.X_test[:500])
        events = scene.training(self.model, Xtr, self.loss, self.epochs, self.batch_size,
                                self.learning_rate, self.noise, X_val=Xte)  # fmt: skip
        self.say(f"Training {'-'.join(map(str, sizes))} with {self.loss.upper()} ...")
        return Training(events, self.epochs)

    def on_event(self, event):
        if event.kind == "epoch":
            self.history.append(dict(event.metrics, epoch=event.epoch))

    def draw_training(self):
        self._draw_curves()
        self._draw_strip()

    def training_finished(self, reason):
        if reason == "finished":
            self.trained = True
            self.refresh()
            self.say(*self._summary())
        elif reason == "stopped":
            self.trained = True
            self.refresh()
            self.say(f"Stopped after {len(self.history)} epochs: what it learned so far.", "warn")

    def _summary(self):
        ran, sizes = self._ran, self._ran["sizes"]
        k = sizes[len(sizes) // 2]
        Xte = self.X_test[:500]
        rec = scene.reconstruct(self.model, self._inputs(Xte)) / (1 if ran["scaled"] else 255)
        err = scene.mse(rec, Xte)
        p = scene.pca(self.X_train, k)
        err_pca = scene.mse(p.decode(p.encode(Xte)), Xte)
        mean = scene.mse(np.tile(self.X_train.mean(0), (len(Xte), 1)), Xte)
        text = (
            f"A code of {k} numbers for 784 pixels: {784 / k:.1f}× smaller ({784 * 4} bytes "
            f"→ {k * 4} as float32). Held-out error (MSE per pixel): {err:.4f}; PCA with {k} "
            f"components {err_pca:.4f}; the mean digit {mean:.4f}."
        )
        kind = "info"
        if ran["loss"] == "bce":
            text += (
                f" BCE's floor: a perfect rebuild of these digits still scores "
                f"{scene.bce_floor(Xte):.3f}, because grey pixels are not probabilities."
            )
        if not ran["scaled"]:
            text += (
                " <b>Inputs 0..255 but a sigmoid output (0..1): it cannot reach them.</b> "
                "Scale the inputs to [0, 1]."
            )
            kind = "warn"
        return text, kind

    # figures ------------------------------------------------------------------------------
    def _train_figure(self) -> Figure:
        layout = theme.layout(360, title={"text": "Learning to rebuild: train first"},
                              legend=dict(x=0.44, y=1, xanchor="right"))  # fmt: skip
        layout["xaxis"] = theme.axis("epoch", domain=[0, 0.44])
        layout["yaxis"] = theme.axis("loss", type="log")
        strip = _image_axes(layout, 2, (0.52, 1.0), (0.1, 0.9))
        traces = [
            dict(type="scatter", name="training loss", mode="lines+markers", x=[], y=[]),
            dict(type="scatter", name="held-out loss", mode="lines+markers", x=[], y=[]),
            dict(type="heatmap", name="strip", z=np.zeros((2, 2)), colorscale=GRAY, zmin=0,
                 zmax=1, showscale=False, showlegend=False,
                 hovertemplate="pixel %{z:.2f}<extra></extra>", **strip),
        ]  # fmt: skip
        layout["annotations"] = [dict(text="held-out digits (top) and their reconstructions",
                                      x=0.76, y=0.95, xref="paper", yref="paper",
                                      yanchor="bottom", showarrow=False)]  # fmt: skip
        return Figure(traces, layout)

    def _code_figure(self) -> Figure:
        layout = theme.layout(460, title={"text": "The code as a map: click to decode a point"})
        layout["xaxis"] = theme.axis("code 1", domain=[0, 0.62])
        layout["yaxis"] = theme.axis("code 2")
        decoded = _image_axes(layout, 2, (0.7, 1.0), (0.2, 0.8))
        traces = [
            dict(type="scatter", name="codes", mode="markers", x=[], y=[],
                 marker=dict(size=6, color=[], colorscale="Turbo", cmin=0, cmax=9,
                             colorbar=dict(title=dict(text="digit"), x=0.63, len=0.9)),
                 hovertemplate="a %{customdata}<br>(%{x:.2f}, %{y:.2f})<extra></extra>"),
            theme.now_marker("clicked", size=16),
            dict(type="heatmap", name="decoded", z=np.zeros((28, 28)), colorscale=GRAY, zmin=0,
                 zmax=1, showscale=False, hovertemplate="pixel %{z:.2f}<extra></extra>",
                 **decoded),
        ]  # fmt: skip
        layout["showlegend"] = False
        return Figure(traces, layout)

    def _more_figure(self) -> Figure:
        title = {"text": "Denoising, and a morph from one digit to another"}
        layout = theme.layout(380, title=title, showlegend=False)
        left = _image_axes(layout, 1, (0.0, 0.36), (0.05, 0.85))
        right = _image_axes(layout, 2, (0.42, 1.0), (0.05, 0.85))
        traces = [
            dict(type="heatmap", name=n, z=np.zeros((2, 2)), colorscale=GRAY, zmin=0, zmax=1,
                 showscale=False, hovertemplate="pixel %{z:.2f}<extra></extra>", **axes)
            for n, axes in (("denoise", left), ("morph", right))
        ]  # fmt: skip
        self._more_heads = [
            dict(text=t, x=x, y=0.87, xref="paper", yref="paper", yanchor="bottom",
                 xanchor="left", showarrow=False)
            for t, x in (("noisy, rebuilt, clean", 0.0), ("", 0.42))
        ]  # fmt: skip
        layout["annotations"] = self._more_heads
        return Figure(traces, layout)

    # drawing ------------------------------------------------------------------------------
    def _draw_curves(self):
        h = self.history
        x = [e["epoch"] for e in h]
        self.train_fig.update("training loss", x=x, y=[e["loss"] for e in h])
        self.train_fig.update("held-out loss", x=x, y=[e.get("val_loss") for e in h])
        if h:
            self.train_fig.relayout(
                title={"text": f"Learning to rebuild: epoch {h[-1]['epoch']}, held-out "
                       f"{self._ran['loss'].upper()} {h[-1].get('val_loss', float('nan')):.4f}"}
            )  # fmt: skip

    def _draw_strip(self):
        X = self.X_test[:STRIP]
        scale = 1 if self._ran["scaled"] else 255
        rec = scene.reconstruct(self.model, self._inputs(X)) / scale
        self.train_fig.update("strip", z=_stitch([X, np.clip(rec, 0, 1)]))

    def recompute(self):
        if self.model is None or not self.trained:
            return
        self._draw_curves()
        self._draw_strip()
        scale = 1 if self._ran["scaled"] else 255
        X, y = self.X_test[:500], self.y_test[:500]
        pts, labels, how = scene.code_plane(self.model, self._inputs(X), y)
        self.code_fig.update("codes", x=pts[:, 0], y=pts[:, 1], customdata=labels,
                             marker={"color": labels})  # fmt: skip
        point = (self.code_x, self.code_y)
        image = scene.decode_plane_point(self.model, self._inputs(X), point) / scale
        self.code_fig.update("clicked", x=[point[0]], y=[point[1]])
        self.code_fig.update("decoded", z=np.clip(image, 0, 1).reshape(28, 28))
        self.code_fig.relayout(
            title={"text": f"The code as a map ({how})<br>click a point: ({point[0]:.2f}, "
                   f"{point[1]:.2f}) decoded, right"}
        )  # fmt: skip
        clean = self.X_test[8:12]
        noisy = scene.corrupt(clean, self.show_noise, seed=1)
        rebuilt = np.clip(scene.reconstruct(self.model, self._inputs(noisy)) / scale, 0, 1)
        self.more_fig.update("denoise", z=_stitch([noisy, rebuilt, clean]))
        a, b = self.X_test[self.digit_a], self.X_test[self.digit_b]
        pixels, codes = scene.interpolate(self.model, self._inputs(a), self._inputs(b))
        self.more_fig.update("morph", z=_stitch([pixels / scale, np.clip(codes / scale, 0, 1)]))
        ya, yb = self.y_test[self.digit_a], self.y_test[self.digit_b]
        heads = [
            dict(self._more_heads[0], text=f"noise {self.show_noise:g}: noisy / rebuilt / clean"),
            dict(self._more_heads[1], text=f"a {ya} to a {yb}: pixels cross-faded (top), "
                 "codes walked (bottom)"),
        ]  # fmt: skip
        self.more_fig.relayout(annotations=heads)
