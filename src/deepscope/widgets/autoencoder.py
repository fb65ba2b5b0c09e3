"""AutoencoderPanel: watch a network squeeze digits through a narrow code and rebuild them."""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np
import traitlets as T

from ..scenes import autoencoder as scene
from . import raster, theme
from .canvas import DrawingCanvas
from .controls import Check, Choice, LogSlider, Slider, Text
from .figure import Figure
from .live import JobRow
from .panel import Panel, Training

ARCHS = (*scene.ARCHITECTURES, "typed")
STRIP = 8  # held-out digits in the reconstruction strip
SHOWN = slice(8, 12)  # the held-out digits the denoising and filling-in pictures show
GRAY = [[0, "black"], [1, "white"]]
GRAY_HEX = [[0, "#000000"], [1, "#ffffff"]]  # the same, as raster.colorize takes it
HIDDEN = "#2f7fd6"  # hidden pixels of a masked digit, and the outline of a hidden rectangle
MASKS = ("rectangle", "pixels")
GRIDS = (0, 8, 12, 16, 20)
TILE = scene.SIDE + 2  # a tile of _stitch: 28 pixels and a grey line either side
RECT = ("mask_top", "mask_left", "mask_height", "mask_width")


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


def _head(text, x, y, anchor="bottom", **props) -> dict:
    """A heading over (or under) one picture of a figure, in paper coordinates."""
    return dict(text=text, x=x, y=y, xref="paper", yref="paper", xanchor="left",
                yanchor=anchor, showarrow=False, align="left", **props)  # fmt: skip


class AutoencoderPanel(Panel):
    """Train the lecture's 784-128-32-128-784 autoencoder live on the shipped digits: the
    loss curves and held-out digits with their reconstructions refresh as it learns; then the
    code as a map (click it to decode a point, a grid of decoded points behind it, a digit
    you draw placed on it), the compression against PCA, denoising, filling in hidden
    pixels and interpolation in pixel space against code space."""

    dashboard = "autoencoder.ipynb"
    title = "Autoencoders"
    summary = (
        "The lecture's 784-128-32-128-784 autoencoder trains live on digits: reconstructions "
        "as it learns, MSE against BCE, the code as a map you can click or draw on, the grid "
        "of digits the decoder draws, compression against PCA, denoising, filling in hidden "
        "pixels, and a morph between two digits in code space."
    )
    train_on_start = True
    train_label = ("Train", "train the autoencoder from scratch, live")
    live_fps = 8.0  # an epoch of the lecture's network takes ~0.12 s: a frame after each
    tab_titles = ("Autoencoder", "Transfer learning", "Loss, code size")
    extra_controls = ("canvas",)

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
    train_mask = T.Bool(False).tag(
        state=True,
        control=Check("train with the mask below (filling in)",
                      help="every epoch the mask hides pixels of the inputs; targets stay whole"),
    )  # fmt: skip
    show_noise = T.Float(0.3, min=0.0, max=0.5).tag(
        state=True, control=Slider("noise on the shown digits", step=0.05), recompute=True
    )
    mask = T.Enum(MASKS, "rectangle").tag(
        state=True,
        control=Choice("mask", labels={"rectangle": "a rectangle", "pixels": "random pixels"},
                       style="toggle"),
        recompute=True,
    )  # fmt: skip
    mask_fraction = T.Float(0.5, min=0.0, max=1.0).tag(
        state=True, control=Slider("share of pixels hidden", step=0.05), recompute=True
    )
    mask_top = T.Int(10, min=0, max=27).tag(state=True, control=Slider("top row"), recompute=True)
    mask_left = T.Int(6, min=0, max=27).tag(
        state=True, control=Slider("left column"), recompute=True
    )
    mask_height = T.Int(8, min=1, max=28).tag(
        state=True, control=Slider("height (rows)"), recompute=True
    )
    mask_width = T.Int(16, min=1, max=28).tag(
        state=True, control=Slider("width (columns)"), recompute=True
    )
    digit_a = T.Int(0, min=0, max=999).tag(state=True, control=Slider("morph from"), recompute=True)
    digit_b = T.Int(1, min=0, max=999).tag(state=True, control=Slider("to"), recompute=True)
    manifold = T.Enum(GRIDS, 12).tag(
        state=True,
        control=Choice("grid", labels={0: "off", **{n: f"{n} × {n}" for n in GRIDS[1:]}},
                       help="a grid of decoded points behind the map", width="190px"),
        recompute=True,
    )  # fmt: skip
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
        self.code_fig.on_click(self._clicked, traces=["codes", "grid"])
        self.canvas = DrawingCanvas(28, 28, scale=6, brush=1.1)
        self.canvas.observe(lambda _: self._drawn(), "pixels")
        self.controls["canvas"] = self.canvas
        c = self.controls
        net = theme.column([c["architecture"], c["sizes"], c["loss"], c["scaled"]])
        fit = theme.column([c["epochs"], c["batch_size"], c["learning_rate"], c["noise"],
                            c["train_mask"]])  # fmt: skip
        draw = theme.column(
            [W.HTML("<b style='font-size:15px'>Draw a digit</b><br>it lands on the map as ★,"
                    "<br>its rebuild at the right"), self.canvas, c["manifold"]],
            "195px", margin="60px 8px 0 0",
        )  # fmt: skip
        self.code_fig.layout = W.Layout(flex="1 1 600px", min_width="520px")
        widths = dict(show_noise=310, mask_fraction=310, digit_a=240, digit_b=240)
        self._rect_head = W.HTML("<b>the rectangle hidden</b>")
        for name, width in dict(widths, **dict.fromkeys(RECT, 280)).items():
            c[name].layout.width = f"{width}px"  # three columns in one row, each label whole
        look = theme.row([
            theme.column([c["show_noise"], c["mask"], c["mask_fraction"]]),
            theme.column([self._rect_head, *(c[name] for name in RECT)]),
            theme.column([c["digit_a"], c["digit_b"]]),
        ])  # fmt: skip
        self.transfer, self.critique = TransferTab(self), CritiqueTab(self)
        main = W.VBox([self.train_fig, theme.row([draw, self.code_fig]), look, self.more_fig])
        self.tabs = W.Tab(children=[main, self.transfer, self.critique], titles=self.tab_titles)
        self.children = [
            theme.row([net, fit]),
            c["train"],
            self.message,
            self.tabs,
            self.link,
        ]
        self._sizes_shown()
        self._mask_shown()
        self.say("Press <b>Train</b>: the autoencoder learns to rebuild the digits.")

    @T.observe("architecture")
    def _sizes_shown(self, change=None):
        self.show_control("sizes", self.architecture == "typed")

    @T.observe("mask", "hidden")
    def _mask_shown(self, change=None):
        self.show_control("mask_fraction", self.mask == "pixels")
        for name in RECT:
            self.show_control(name, self.mask == "rectangle")
        if hasattr(self, "_rect_head"):  # (its heading goes with them)
            hidden = self.mask != "rectangle" or all(n in self.hidden for n in RECT)
            self._rect_head.layout.display = "none" if hidden else None

    def widths(self) -> tuple[int, ...]:
        if self.architecture == "typed":
            return scene.parse_sizes(self.sizes)
        return scene.ARCHITECTURES[self.architecture]

    def mask_spec(self):
        """The mask as the scene takes it: the rectangle's (28, 28) bools, or the share of
        pixels hidden at random (a bad rectangle is the scene's ValueError)."""
        if self.mask == "pixels":
            return self.mask_fraction
        return scene.rectangle_mask(self.mask_top, self.mask_left, self.mask_height,
                                    self.mask_width)  # fmt: skip

    def mask_words(self) -> str:
        if self.mask == "pixels":
            return f"{self.mask_fraction:.0%} of the pixels at random"
        t, left, h, w = self.mask_top, self.mask_left, self.mask_height, self.mask_width
        return f"rows {t}–{t + h - 1} × columns {left}–{left + w - 1}"

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
        mask = self.mask_spec() if self.train_mask else None
        self.model = scene.build_autoencoder(sizes)
        self.trained, self.history = False, []
        self._ran = dict(sizes=sizes, loss=self.loss, scaled=self.scaled, noise=self.noise,
                         mask=self.mask_words() if self.train_mask else "")  # fmt: skip
        Xtr, Xte = self._inputs(self.X_train), self._inputs(self.X_test[:500])
        events = scene.training(self.model, Xtr, self.loss, self.epochs, self.batch_size,
                                self.learning_rate, self.noise, mask, X_val=Xte)  # fmt: skip
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
        if getattr(self, "_pixel_pca", None) is None:  # the digits' SVD, once (0.2 s)
            self._pixel_pca = scene.pca(self.X_train, min(self.X_train.shape))
        p = scene.PCA(self._pixel_pca.mean, self._pixel_pca.components[:k])
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
        layout = theme.layout(520, title={"text": "The code as a map: click to decode a point"},
                              margin={"t": 80})  # fmt: skip
        layout["xaxis"] = theme.axis("code 1", domain=[0, 0.6])
        layout["yaxis"] = theme.axis("code 2")
        decoded = _image_axes(layout, 2, (0.72, 1.0), (0.56, 0.9))
        drawing = _image_axes(layout, 3, (0.72, 1.0), (0.04, 0.3))
        traces = [
            dict(type="scatter", name="grid", mode="markers", x=[], y=[],
                 marker=dict(size=18, opacity=0, color="white"),
                 hovertemplate="grid point (%{x:.2f}, %{y:.2f}): click to decode it"
                               "<extra></extra>"),
            dict(type="scatter", name="codes", mode="markers", x=[], y=[],
                 marker=dict(size=7, color=[], colorscale="Turbo", cmin=0, cmax=9, opacity=0.85,
                             line=dict(color="white", width=0.5),
                             colorbar=dict(title=dict(text="digit"), x=0.61, len=0.9,
                                           dtick=1)),
                 hovertemplate="a %{customdata}<br>(%{x:.2f}, %{y:.2f})<extra></extra>"),
            theme.now_marker("clicked", size=16),
            dict(type="scatter", name="drawing", mode="markers", x=[], y=[],
                 marker=dict(symbol="star", size=24, color="#ffd400",
                             line=dict(color="black", width=2)),
                 hovertemplate="your drawing lands at (%{x:.2f}, %{y:.2f})<extra></extra>"),
            dict(type="heatmap", name="decoded", z=np.zeros((28, 28)), colorscale=GRAY, zmin=0,
                 zmax=1, showscale=False, hovertemplate="pixel %{z:.2f}<extra></extra>",
                 **decoded),
            dict(type="heatmap", name="drawn", z=np.zeros((28, 2 * TILE)), colorscale=GRAY, zmin=0,
                 zmax=1, showscale=False, hovertemplate="pixel %{z:.2f}<extra></extra>",
                 **drawing),
        ]  # fmt: skip
        layout["showlegend"] = False
        self._code_heads = [
            _head("decoded at the ○", 0.72, 0.91),
            _head("your drawing → rebuilt:<br>draw on the left", 0.72, 0.31),
        ]
        # where the drawing landed: a label with a white box, readable over dots and digits
        self._drawing_label = dict(text="your drawing", xref="x", yref="y", showarrow=True,
                                   arrowhead=2, arrowwidth=2, ax=45, ay=-40, bgcolor="white",
                                   bordercolor="black", borderpad=3, font={"size": 15})  # fmt: skip
        layout["annotations"] = self._code_heads
        return Figure(traces, layout)

    def _more_figure(self) -> Figure:
        title = {"text": "Cleaning up, filling in, and a morph from one digit to another"}
        layout = theme.layout(660, title=title, showlegend=False, margin={"t": 60, "b": 20})
        denoise = _image_axes(layout, 1, (0.0, 0.46), (0.52, 0.88))
        morph = _image_axes(layout, 2, (0.0, 1.0), (0.0, 0.3))
        fill = _image_axes(layout, 3, (0.54, 1.0), (0.52, 0.88))
        shape = (3 * scene.SIDE + 4, len(range(500)[SHOWN]) * TILE)  # three rows of tiles
        traces = [
            # under the filling-in picture: a hidden pixel is NaN there, a gap this shows
            dict(type="heatmap", name="hidden", z=np.ones(shape), colorscale=[[0, HIDDEN],
                 [1, HIDDEN]], showscale=False, hoverinfo="skip", **fill),
            *(dict(type="heatmap", name=n, z=np.zeros((2, 2)), colorscale=GRAY, zmin=0, zmax=1,
                   showscale=False, hoverongaps=False,
                   hovertemplate="pixel %{z:.2f}<extra></extra>", **axes)
              for n, axes in (("denoise", denoise), ("morph", morph), ("fill", fill))),
        ]  # fmt: skip
        self._more_heads = [
            _head("noisy, rebuilt, clean", 0.0, 0.89),
            _head("", 0.0, 0.31),
            _head("masked, rebuilt, original", 0.54, 0.89),
            _head("", 0.54, 0.51, anchor="top", font={"size": 14}),
        ]
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

    def _scale(self) -> int:
        return 1 if self._ran["scaled"] else 255

    def recompute(self):
        if self.model is None or not self.trained:
            return
        self._draw_curves()
        self._draw_strip()
        scale = self._scale()
        X, y = self.X_test[:500], self.y_test[:500]
        pts, labels, how = scene.code_plane(self.model, self._inputs(X), y)
        self.code_fig.update("codes", x=pts[:, 0], y=pts[:, 1], customdata=labels,
                             marker={"color": labels})  # fmt: skip
        point = (self.code_x, self.code_y)
        image = scene.decode_plane_point(self.model, self._inputs(X), point) / scale
        self.code_fig.update("clicked", x=[point[0]], y=[point[1]])
        self.code_fig.update("decoded", z=np.clip(image, 0, 1).reshape(28, 28))
        grid = f"<br>behind: a {self.manifold} × {self.manifold} grid of decoded points" * bool(
            self.manifold
        )
        self.code_fig.relayout(
            title={"text": f"The code as a map ({how})<br>click a point: ({point[0]:.2f}, "
                   f"{point[1]:.2f}) decoded, right{grid}"}
        )  # fmt: skip
        self._draw_manifold(X, scale)
        self._draw_drawing()
        clean = self.X_test[SHOWN]
        noisy = scene.corrupt(clean, self.show_noise, seed=1)
        rebuilt = np.clip(scene.reconstruct(self.model, self._inputs(noisy)) / scale, 0, 1)
        self.more_fig.update("denoise", z=_stitch([noisy, rebuilt, clean]))
        a, b = self.X_test[self.digit_a], self.X_test[self.digit_b]
        pixels, codes = scene.interpolate(self.model, self._inputs(a), self._inputs(b))
        self.more_fig.update("morph", z=_stitch([pixels / scale, np.clip(codes / scale, 0, 1)]))
        ya, yb = self.y_test[self.digit_a], self.y_test[self.digit_b]
        heads = [
            dict(self._more_heads[0], text=f"<b>Denoising</b>, noise {self.show_noise:g}:"
                 "<br>noisy (top), rebuilt, clean"),
            dict(self._more_heads[1], text=f"<b>Morph</b> from a {ya} to a {yb}: pixels "
                 "cross-faded (top), codes walked (bottom)"),
        ]  # fmt: skip
        try:
            heads += self._draw_fill_in(scale)
        except ValueError:  # a rectangle off the image: the message says why
            off = "<b>Filling in</b>: the rectangle must lie inside the image (see above)"
            heads += [dict(self._more_heads[2], text=off), self._more_heads[3]]
            raise
        finally:
            self.more_fig.relayout(annotations=heads)

    def _draw_manifold(self, X, scale):
        if not self.manifold:
            self.code_fig.update("grid", x=[], y=[])
            self.code_fig.relayout(images=[], xaxis={"autorange": True, "showgrid": True},
                                   yaxis={"autorange": True, "showgrid": True})  # fmt: skip
            return
        m = scene.manifold(self.model, X, self.manifold, scale=scale)
        gx, gy = np.meshgrid(m.xs, m.ys)
        self.code_fig.update("grid", x=gx.ravel(), y=gy.ravel())
        picture = _stitch(list(np.clip(m.images, 0, 1)))
        x0, x1, y0, y1 = m.extent
        source = raster.png(raster.colorize(picture, GRAY_HEX, 0, 1))
        self.code_fig.relayout(images=[dict(
            source=source, xref="x", yref="y", x=x0, y=y1, sizex=x1 - x0, sizey=y1 - y0,
            sizing="stretch", xanchor="left", yanchor="top", layer="below", opacity=0.9,
        )], xaxis={"range": [x0, x1], "showgrid": False},
            yaxis={"range": [y0, y1], "showgrid": False})  # fmt: skip

    def _drawn(self):
        """A stroke on the canvas (or Clear): place the drawing, if there is a network."""
        if self.model is None or not self.trained:
            return
        with self.code_fig.batch():
            self._draw_drawing()

    def _draw_drawing(self):
        image = self.canvas.image
        head = dict(self._code_heads[1])
        label = []
        if not image.any():
            self.code_fig.update("drawing", x=[], y=[])
            self.code_fig.update("drawn", z=np.zeros((28, 2 * TILE)))
            head["text"] = "your drawing → rebuilt:<br>draw on the left"
        else:
            X = self.X_test[:500]
            p = scene.place_on_plane(self.model, X, image, scale=self._scale())
            self.code_fig.update("drawing", x=[p.point[0]], y=[p.point[1]])
            self.code_fig.update("drawn", z=_stitch([[p.image, np.clip(p.rebuilt, 0, 1)]]))
            head["text"] = (f"your drawing → rebuilt: lands at<br>★ ({p.point[0]:.2f}, "
                            f"{p.point[1]:.2f}), MSE {p.error:.4f}")  # fmt: skip
            label = [dict(self._drawing_label, x=p.point[0], y=p.point[1])]
        self.code_fig.relayout(annotations=[self._code_heads[0], head, *label])

    def _draw_fill_in(self, scale):
        f = scene.fill_in(self.model, self.X_test[:500], self.mask_spec(), scale=scale, seed=1)
        shown = np.arange(500)[SHOWN]
        masked = np.where(f.hidden[shown], np.nan, f.masked[shown])  # NaN: drawn as hidden
        rebuilt = np.clip(f.rebuilt[shown], 0, 1)
        self.more_fig.update("fill", z=_stitch([masked, rebuilt, f.original[shown]]))
        shapes = []
        if self.mask == "rectangle":  # the hidden rectangle outlined on the rebuilt row and
            t, left = self.mask_top - 0.5, self.mask_left + 0.5  # the original's
            for row in (1, 2):
                for j in range(len(shown)):
                    x0, y0 = j * TILE + left, row * TILE + t
                    shapes.append(dict(type="rect", xref="x3", yref="y3", x0=x0, y0=y0,
                                       x1=x0 + self.mask_width, y1=y0 + self.mask_height,
                                       line=dict(color=HIDDEN, width=2, dash="dot")))  # fmt: skip
        trained = self._ran["mask"]
        if not trained:
            how = "the network was trained without a mask"
        elif trained == self.mask_words():
            how = "the network was trained with this mask"
        else:
            how = f"the network was trained with another mask ({trained})"
        self.more_fig.relayout(shapes=shapes)
        return [
            dict(self._more_heads[2], text=f"<b>Filling in</b>, {self.mask_words()}:"
                 f"<br>masked (<span style='color:{HIDDEN}'>hidden in blue</span>), rebuilt, "
                 "original"),
            dict(self._more_heads[3], text=(
                f"{f.fraction:.0%} hidden; their error (MSE) on 500 held-out digits:<br>"
                f"{f.blank_error:.4f} left black, <b>{f.filled_error:.4f}</b> as rebuilt"
                f"<br>{how}") if f.fraction else "nothing hidden"),
        ]  # fmt: skip


LABELS = (10, 30, 100, 300, 1000, 2000)
VARIANT_COLORS = {"frozen": "#7f7f7f", "fine-tuned": "#1f77b4", "scratch": "#ff7f0e"}
VARIANT_WORDS = {
    "frozen": "pretrained encoder kept, new head",
    "fine-tuned": "pretrained encoder trained on",
    "scratch": "same network, random start",
}


class TransferTab(W.VBox):
    """Transfer learning: the encoder of the panel's trained autoencoder (or one pretrained
    here on the digits without their labels) under a new head that reads digits from a few
    labelled ones, frozen or fine-tuned, against the same network from scratch."""

    def __init__(self, panel):
        self.panel = panel
        self.labels = W.SelectionSlider(
            options=[(f"{n:,}", n) for n in LABELS],
            value=100,
            description="labelled digits",
            style=theme.WIDE,
            layout=W.Layout(width="380px"),
        )
        self.sweep = W.Checkbox(
            value=False,
            indent=False,
            layout=W.Layout(width="auto"),
            description="and accuracy against 10 to 2,000 labels (~20 s)",
        )
        self.row = JobRow("Train the three", "frozen, fine-tuned and from scratch")
        self.row.go.on_click(lambda _: self.start())
        self.progress, self.status = self.row.progress, self.row.status
        self.network = W.HTML()
        self.explain = W.HTML()
        self.fig = self._figure()
        panel.figures.append(self.fig)
        self.job = None
        super().__init__(
            [
                theme.row([self.labels, self.sweep]),
                self.row,
                self.network,
                self.fig,
                self.explain,
            ]
        )
        self._draw_network(None)

    def _figure(self) -> Figure:
        layout = theme.layout(
            380,
            title={"text": "Held-out accuracy on 1,000 digits"},
            legend=dict(x=1, xanchor="right", y=0.02, yanchor="bottom"),
        )
        layout["xaxis"] = theme.axis("", domain=[0, 0.38])
        layout["yaxis"] = theme.axis("accuracy", range=[0, 1])
        layout["xaxis2"] = theme.axis("labelled digits", domain=[0.5, 1], type="log", anchor="y2")
        layout["yaxis2"] = theme.axis("accuracy", range=[0, 1], anchor="x2")
        traces = [
            dict(
                type="bar",
                name="at the slider's labels",
                x=[],
                y=[],
                text=[],
                textposition="outside",
                marker=dict(color=[]),
                showlegend=False,
                hovertemplate="%{x}: %{y:.1%}<extra></extra>",
            )
        ]
        for v, color in VARIANT_COLORS.items():
            traces.append(
                dict(
                    type="scatter",
                    name=v,
                    mode="lines+markers",
                    x=[],
                    y=[],
                    xaxis="x2",
                    yaxis="y2",
                    line=dict(color=color, width=3),
                    hovertemplate=v + ", %{x} labels: %{y:.1%}<extra></extra>",
                )
            )
        return Figure(traces, layout)

    def _draw_network(self, result):
        """The three networks as boxes: the encoder's layers grey and locked when frozen."""
        p = self.panel
        if self.job is not None and self.job.sizes is not None:  # what this run used
            sizes = self.job.sizes
        else:  # what a run would use now
            sizes = p.model.sizes if p.model is not None and p.trained else scene.TRANSFER_SIZES
        code = len(sizes) // 2
        enc = " → ".join(map(str, sizes[: code + 1]))
        rows = []
        for v in scene.VARIANTS:
            color = VARIANT_COLORS[v]
            frozen = v == "frozen"
            box = (
                "background:#ddd;color:#666;border:2px dashed #999"
                if frozen
                else f"background:{color}22;border:2px solid {color}"
            )
            enc_label = (
                "FROZEN encoder " + enc + " (does not move)"
                if frozen
                else "encoder "
                + enc
                + (" (random start)" if v == "scratch" else " (pretrained, trains on)")
            )
            acc = ""
            if result is not None:
                a = (
                    result.accuracy[v][result.n_labels.index(self.labels.value)]
                    if (self.labels.value in result.n_labels)
                    else np.nan
                )
                acc = f" <b>{a:.1%}</b>" if np.isfinite(a) else ""
            rows.append(
                f"<div style='margin:3px 0'><span style='display:inline-block;width:300px'>"
                f"<b style='color:{color}'>{v}</b>: {html.escape(VARIANT_WORDS[v])}</span>"
                f"<span style='padding:2px 8px;{box}'>{html.escape(enc_label)}</span> → "
                f"<span style='padding:2px 8px;background:#1e7b3422;border:2px solid #1e7b34'>"
                f"new head {sizes[code]} → 32 → 10</span>{acc}</div>"
            )
        self.network.value = "".join(rows)

    def start(self):
        if self.row.running:
            return
        p = self.panel
        encoder = p.model if p.model is not None and p.trained else None
        n = (*LABELS,) if self.sweep.value else (self.labels.value,)
        if self.labels.value not in n:
            n = tuple(sorted({*n, self.labels.value}))
        self.job = scene.TransferLearning(n_labels=n, encoder=encoder, seed=0)
        self._done = (0, 1, "fits")
        where = (
            "the autoencoder trained above"
            if encoder is not None
            else "an autoencoder pretrained here on the 4,000 digits without their labels"
        )
        self.status.value = f"encoder: {html.escape(where)} …"
        self.row.run(self.job.events(), self._event, self.draw, self._finished)

    def _event(self, event):
        m = event.metrics
        self._done = (m["done"], m["total"], m["what"])

    def _finished(self, reason):
        r = self.job.result
        shown = self.labels.value
        if shown in r.n_labels and reason == "finished":
            acc = r.at(shown)
            best = max(acc, key=acc.get)
            if acc["frozen"] < acc["scratch"]:
                why = (
                    "The frozen encoder trails the network from scratch: a code learned to "
                    "rebuild pixels keeps what rebuilding needs, not what telling digits apart "
                    "needs; fine-tuning lets it adapt."
                )
            else:
                why = (
                    "The pretrained encoder starts ahead: what it learned from unlabelled "
                    "digits saves the few labels the work of learning the strokes."
                )
            self.explain.value = f"<div style='font-size:15px'>{why}</div>"
            self.status.value = (
                f"{reason}: with {shown:,} labelled digits, "
                + ", ".join(f"{v} {a:.1%}" for v, a in acc.items())
                + f". Best: {best}."
            )
        else:
            self.status.value = html.escape(reason)

    def draw(self):
        done, total, what = self._done
        self.progress.value = done / max(total, 1)
        self.status.value = f"{done} of {total} {what}"
        r = self.job.result
        i = r.n_labels.index(self.labels.value) if self.labels.value in r.n_labels else None
        with self.fig.batch():
            if i is not None:
                ys = [float(r.accuracy[v][i]) for v in r.variants]
                self.fig.update(
                    "at the slider's labels",
                    x=list(r.variants),
                    y=[y if np.isfinite(y) else None for y in ys],
                    text=[f"{y:.1%}" if np.isfinite(y) else "" for y in ys],
                    marker={"color": [VARIANT_COLORS[v] for v in r.variants]},
                )
                self.fig.relayout(
                    xaxis={"title": {"text": f"{self.labels.value:,} labelled digits"}}
                )
            for v in r.variants:
                acc = r.accuracy[v]
                keep = np.isfinite(acc)
                self.fig.update(v, x=np.asarray(r.n_labels)[keep], y=acc[keep])
        self._draw_network(r)


class CritiqueTab(W.VBox):
    """The lecture's critique and the price of compression, each trained on request: the
    same network on MSE and on BCE from one seed (rebuilds and per-pixel error maps side by
    side), and the held-out error against the code size beside PCA's."""

    def __init__(self, panel):
        self.panel = panel
        self.losses_row = JobRow("Train MSE and BCE", "the same network and seed, two losses")
        self.losses_row.go.on_click(lambda _: self.compare())
        self.sizes_row = JobRow("Error against code size", "codes of 2 to 64 numbers and PCA")
        self.sizes_row.go.on_click(lambda _: self.curve())
        self.losses_fig, self.sizes_fig = self._losses_figure(), self._sizes_figure()
        panel.figures += [self.losses_fig, self.sizes_fig]
        self.comparison, self.code_curve = None, None
        super().__init__([self.losses_row, self.losses_fig, self.sizes_row, self.sizes_fig])

    def _losses_figure(self) -> Figure:
        layout = theme.layout(
            440,
            title={"text": "MSE against BCE: press Train MSE and BCE"},
            showlegend=False,
            margin={"t": 95},
        )
        left = _image_axes(layout, 1, (0.0, 0.48), (0.0, 0.82))
        right = _image_axes(layout, 2, (0.52, 1.0), (0.0, 0.82))
        traces = [
            dict(
                type="heatmap",
                name="rebuilds",
                z=np.zeros((2, 2)),
                colorscale=GRAY,
                zmin=0,
                zmax=1,
                showscale=False,
                hovertemplate="pixel %{z:.2f}<extra></extra>",
                **left,
            ),
            dict(
                type="heatmap",
                name="errors",
                z=np.zeros((2, 2)),
                colorscale="Hot",
                reversescale=True,
                zmin=0,
                zmax=0.25,
                showscale=True,
                colorbar=dict(title=dict(text="squared error"), len=0.8, y=0.41),
                hovertemplate="squared error %{z:.3f}<extra></extra>",
                **right,
            ),
        ]
        layout["annotations"] = [
            dict(text=f"{what} · MSE · BCE", x=x, y=0.84, xref="paper", yref="paper",
                 yanchor="bottom", showarrow=False)
            for what, x in (("digit", 0.24), ("error", 0.74))
        ]  # fmt: skip
        return Figure(traces, layout)

    def _sizes_figure(self) -> Figure:
        layout = theme.layout(
            380,
            title={"text": "Compression against quality: press Error against code size"},
            margin={"t": 90},
        )
        layout["xaxis"] = theme.axis("code size (numbers kept of 784)", type="log")
        layout["yaxis"] = theme.axis("held-out error (MSE per pixel)", rangemode="tozero")
        traces = [
            dict(
                type="scatter",
                name="autoencoder",
                mode="lines+markers",
                x=[],
                y=[],
                line=dict(width=3, color=theme.PALETTE[0]),
                hovertemplate="code %{x}: %{y:.4f}<extra>autoencoder</extra>",
            ),
            dict(
                type="scatter",
                name="PCA, as many components",
                mode="lines+markers",
                x=[],
                y=[],
                line=dict(width=3, color=theme.PALETTE[1], dash="dash"),
                hovertemplate="%{x} components: %{y:.4f}<extra>PCA</extra>",
            ),
            dict(
                type="scatter",
                name="the mean digit (no code)",
                mode="lines",
                x=[],
                y=[],
                line=dict(color="#999", dash="dot"),
            ),
        ]
        return Figure(traces, layout)

    def _epochs(self) -> int:
        return min(self.panel.epochs, 5)  # quick: a class waits for it

    def compare(self):
        def events():
            self.comparison = yield from scene.compare_losses(
                self.panel.widths(),
                epochs=self._epochs(),
                X=self.panel.X_train,
                X_test=self.panel.X_test,
            )

        try:
            self.panel.widths()
        except ValueError as err:
            self.panel.show_error(err)
            return
        self.losses_row.run(events(), self._progress(self.losses_row), lambda: None, self._compared)

    def _progress(self, row):
        def handle(event):
            m = event.metrics
            row.progress.value = m["done"] / m["total"]
            row.status.value = f"{m['done']} of {m['total']} {html.escape(m['what'])}"

        return handle

    def _compared(self, reason):
        c = self.comparison
        if reason != "finished" or c is None:
            self.losses_row.status.value = html.escape(reason)
            return
        rows = [c.images, c.rebuilt["mse"], np.clip(c.rebuilt["bce"], 0, 1)]
        with self.losses_fig.batch():
            self.losses_fig.update("rebuilds", z=_stitch(list(zip(*rows))))
            self.losses_fig.update("errors", z=_stitch(list(zip(c.errors["mse"], c.errors["bce"]))))
            self.losses_fig.relayout(
                title={
                    "text": (
                        f"MSE against BCE, {c.epochs} epoch{'s' * (c.epochs != 1)} each: held-out "
                        "error (MSE per "
                        f"pixel)<br>{c.mse['mse']:.4f} trained on MSE, {c.mse['bce']:.4f} on BCE; "
                        "BCE of a "
                        f"perfect copy of these digits: {c.bce_floor:.3f}, not 0 (grey pixels are "
                        "not probabilities)"
                    )
                }
            )
        self.losses_row.status.value = f"finished: {c.n_test} held-out digits compared"

    def curve(self):
        def events():
            self.code_curve = yield from scene.code_size_curve(
                epochs=self._epochs(), X=self.panel.X_train, X_test=self.panel.X_test
            )

        def handle(event):
            self._progress(self.sizes_row)(event)
            self._draw_curve(event.metrics["partial"])

        self.sizes_row.run(events(), handle, lambda: None, self._curved)

    def _draw_curve(self, c):
        done = np.isfinite(c.autoencoder)
        codes = np.asarray(c.codes)
        with self.sizes_fig.batch():
            self.sizes_fig.update("autoencoder", x=codes[done], y=c.autoencoder[done])
            self.sizes_fig.update("PCA, as many components", x=codes, y=c.pca)
            self.sizes_fig.update(
                "the mean digit (no code)", x=[codes[0], codes[-1]], y=[c.mean_digit, c.mean_digit]
            )

    def _curved(self, reason):
        c = self.code_curve
        if reason != "finished" or c is None:
            self.sizes_row.status.value = html.escape(reason)
            return
        self._draw_curve(c)
        k = list(c.codes).index(32) if 32 in c.codes else -1
        self.sizes_fig.relayout(
            title={
                "text": (
                    f"Compression against quality ({c.epochs} epoch{'s' * (c.epochs != 1)} each): "
                    "a code of "
                    f"{c.codes[k]} keeps {c.codes[k] / 784:.1%} of the numbers<br>held-out error "
                    f"{c.autoencoder[k]:.4f} (autoencoder), {c.pca[k]:.4f} (PCA), "
                    f"{c.mean_digit:.4f} (the mean digit)"
                )
            }
        )
        self.sizes_row.status.value = "finished"
