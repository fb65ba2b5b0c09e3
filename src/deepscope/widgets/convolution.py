"""ConvolutionPanel: a feature slides over an image, one window at a time; then ReLU, then
pooling; then a whole CNN, trained live, with its feature maps and its vote."""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import traitlets as T
from plotly.subplots import make_subplots

from ..scenes import convolution as scene
from .canvas import DrawingCanvas
from .figures import gaps, sync_state
from .player import Player
from .state import PanelState

SOURCES = ("X", "O", "MNIST", "drawing")
PRESETS = (*scene.KERNELS, "custom")
TASKS = ("X / O", "MNIST")
TEXT_LIMIT = 16  # write the numbers into heatmap cells up to this many per side
CHANNELS = 4


def _cells(a: np.ndarray):
    """Numbers for heatmap cells ('' for NaN), or None when the map is too big to read."""
    if max(a.shape) > TEXT_LIMIT:
        return None
    return [["" if np.isnan(v) else f"{v + 0.0:.2g}" for v in row] for row in a]


def _rect(xref, yref, r0, c0, r1, c1, color, width=3, dash=None):
    return dict(
        type="rect",
        xref=xref,
        yref=yref,
        x0=c0 - 0.5,
        x1=c1 - 0.5,
        y0=r0 - 0.5,
        y1=r1 - 0.5,
        line=dict(color=color, width=width, dash=dash),
    )


class ConvolutionPanel(PanelState, W.VBox):
    """Step through a convolution, ReLU and pooling; then stack the layers into a CNN.

    Every setting is a traitlet (``panel.stride = 2`` moves the slider), ``panel.state``
    round-trips as JSON, and a bad setting (a kernel larger than the padded image, a cell
    that is not a number) shows a message in the panel instead of raising.
    """

    source = T.Enum(SOURCES, "X")
    variant = T.Enum(tuple(scene.VARIANTS), "plain")
    digit = T.Int(0)
    preset = T.Enum(PRESETS, "diagonal \\")
    kernel = T.List(T.List(T.Float()))
    stride = T.Int(1)
    padding = T.Int(0)
    average = T.Bool(True)
    pool_mode = T.Enum(("max", "avg"), "max")
    step = T.Int(0)
    task = T.Enum(TASKS, "X / O")
    epochs = T.Int(10)
    shuffle_input = T.Bool(False)

    STATE_KEYS = (
        "source",
        "variant",
        "digit",
        "preset",
        "kernel",
        "stride",
        "padding",
        "average",
        "pool_mode",
        "step",
        "task",
        "epochs",
        "shuffle_input",
    )

    def __init__(self, **kwargs):
        super().__init__(layout=W.Layout(width="100%"))
        self._check_arguments(kwargs)
        self.conv_frames: list[scene.ConvFrame] = []
        self.pool_frames: list[scene.PoolFrame] = []
        self.models: dict[str, object] = {}
        self.histories: dict[str, list] = {}
        self.kernel = scene.KERNELS[self.preset].tolist()
        self._image = None
        self._building_grid = False
        self._build_controls()
        self.fig = self._build_step_figure()
        self.stack_fig = self._build_stack_figure()
        step_tab = W.VBox(
            [
                W.HBox([self.input_box, self.kernel_box, self.settings_box]),
                self.player,
                self.message,
                self.fig,
                self.explain,
            ]
        )
        stack_tab = W.VBox(
            [
                W.HBox(
                    [
                        self.task_select,
                        self.epochs_slider,
                        self.train_button,
                        self.progress,
                        self.shuffle_check,
                    ]
                ),
                self.train_status,
                self.stack_fig,
            ]
        )
        self.tabs = W.Tab(children=[step_tab, stack_tab])
        self.tabs.set_title(0, "Step by step")
        self.tabs.set_title(1, "Stack the layers")
        self.children = [self.tabs]
        with self.hold_trait_notifications():
            for key, value in kwargs.items():
                setattr(self, key, value)
        self._fill_grid()
        self.observe(
            self.recompute,
            names=[
                "source",
                "variant",
                "digit",
                "kernel",
                "stride",
                "padding",
                "average",
                "pool_mode",
            ],
        )
        self.observe(lambda _: self.render(self.step), names="step")
        # the stack view depends on the input only, not on the kernel or stride
        self.observe(
            lambda _: self.draw_stack(),
            names=["source", "variant", "digit", "shuffle_input", "task"],
        )
        self.canvas.observe(self._drawn, names="pixels")
        self.recompute()
        sync_state(self.fig)
        sync_state(self.stack_fig)

    # controls ------------------------------------------------------------------------------
    def _build_controls(self):
        wide = {"description_width": "initial"}
        self.source_select = W.ToggleButtons(options=SOURCES, description="input")
        self.variant_select = W.Dropdown(options=list(scene.VARIANTS), description="drawn")
        self.digit_slider = W.IntSlider(min=0, max=4999, description="digit #")
        self.canvas = DrawingCanvas(28, 28, scale=7, brush=1.1)
        self.input_box = W.VBox(
            [self.source_select, self.variant_select, self.digit_slider, self.canvas],
            layout=W.Layout(width="360px"),
        )
        self.preset_select = W.Dropdown(options=PRESETS, description="kernel")
        self.size_slider = W.IntSlider(min=1, max=7, value=3, description="size K")
        self.grid_box = W.GridBox(layout=W.Layout(grid_gap="2px"))
        self.kernel_box = W.VBox(
            [self.preset_select, self.size_slider, self.grid_box], layout=W.Layout(width="300px")
        )
        self.stride_slider = W.IntSlider(min=1, max=3, description="stride S")
        self.padding_slider = W.IntSlider(min=0, max=3, description="padding P")
        self.average_check = W.Checkbox(description="divide by the number of pixels (average)")
        self.pool_select = W.ToggleButtons(
            options=[("max pool", "max"), ("average pool", "avg")], description="pooling"
        )
        self.settings_box = W.VBox(
            [self.stride_slider, self.padding_slider, self.average_check, self.pool_select]
        )
        self.player = Player(interval_ms=300, description="step", buttons=True)
        self.player.bind(self, "step")
        self.message = W.HTML()
        self.explain = W.HTML()
        self.task_select = W.ToggleButtons(options=TASKS, description="train on")
        self.epochs_slider = W.IntSlider(min=1, max=30, description="epochs")
        self.train_button = W.Button(description="Train", icon="play", button_style="primary")
        self.train_button.on_click(lambda _: self.train())
        self.progress = W.IntProgress(min=0, max=1, description="epoch", style=wide)
        self.shuffle_check = W.Checkbox(description="shuffle the input's pixels", indent=False)
        self.train_status = W.HTML("Press <b>Train</b> to train the CNN on the chosen task.")
        for widget, name in (
            (self.source_select, "source"),
            (self.variant_select, "variant"),
            (self.digit_slider, "digit"),
            (self.preset_select, "preset"),
            (self.stride_slider, "stride"),
            (self.padding_slider, "padding"),
            (self.average_check, "average"),
            (self.pool_select, "pool_mode"),
            (self.task_select, "task"),
            (self.epochs_slider, "epochs"),
            (self.shuffle_check, "shuffle_input"),
        ):
            T.link((self, name), (widget, "value"))
        self.size_slider.observe(self._resize_kernel, names="value")

    @T.observe("preset")
    def _preset_chosen(self, change):
        if change["new"] != "custom":
            self.kernel = scene.KERNELS[change["new"]].tolist()
            self._fill_grid()

    @T.observe("kernel")
    def _kernel_set(self, change):
        if not hasattr(self, "grid_box"):
            return
        k = len(change["new"])
        if self.size_slider.value != k and 1 <= k <= 7:
            self._building_grid = True
            self.size_slider.value = k
            self._building_grid = False
        if not self._building_grid:
            self._fill_grid()

    def _fill_grid(self):
        """One text cell per kernel weight, so anything can be typed (and checked)."""
        k = len(self.kernel)
        self._building_grid = True
        cells = []
        for i, row in enumerate(self.kernel):
            for j, v in enumerate(row):
                cell = W.Text(value=f"{v:.4g}", layout=W.Layout(width="52px"))
                cell.observe(self._cell_typed, names="value")
                cell.position = (i, j)
                cells.append(cell)
        self.grid_box.children = cells
        self.grid_box.layout.grid_template_columns = f"repeat({k}, 54px)"
        self._building_grid = False

    def _cell_typed(self, _):
        if self._building_grid:
            return
        k = len(self.kernel)
        texts = [c.value for c in self.grid_box.children]
        try:
            values = scene.parse_kernel([texts[i * k : (i + 1) * k] for i in range(k)])
        except ValueError as err:
            self.message.value = f"<span style='color:crimson'>{html.escape(str(err))}</span>"
            return
        self._building_grid = True
        try:
            self.preset = next(
                (
                    n
                    for n, a in scene.KERNELS.items()
                    if a.shape == values.shape and np.allclose(a, values)
                ),
                "custom",
            )
            self.kernel = values.tolist()
        finally:
            self._building_grid = False

    def _resize_kernel(self, change):
        if self._building_grid:
            return
        old = np.array(self.kernel, dtype=np.float32)
        k = change["new"]
        new = np.zeros((k, k), dtype=np.float32)
        n = min(k, len(old))
        a, b = (k - n) // 2, (len(old) - n) // 2
        new[a : a + n, a : a + n] = old[b : b + n, b : b + n]
        self.preset = "custom"
        self.kernel = new.tolist()

    def _drawn(self, _):
        if self.source == "drawing":
            self.recompute()
            self.draw_stack()

    # compute -------------------------------------------------------------------------------
    def image(self) -> np.ndarray:
        """The input chosen now: the lecture's glyph, an MNIST digit or the drawing."""
        if self.source in ("X", "O"):
            return scene.lecture_image(self.source.lower(), self.variant)
        if self.source == "MNIST":
            return scene.mnist_image(self.digit)[0]
        return self.canvas.image

    def recompute(self, *_):
        """Precompute every frame: the convolution's cells, ReLU, the pooling's cells."""
        self.variant_select.layout.display = None if self.source in ("X", "O") else "none"
        self.digit_slider.layout.display = None if self.source == "MNIST" else "none"
        self.canvas.layout.display = None if self.source == "drawing" else "none"
        image = self.image()
        kernel = np.array(self.kernel, dtype=np.float32)
        try:
            frames = scene.conv_steps(image, kernel, self.stride, self.padding, self.average)
            rectified = scene.relu(frames[-1].output)
            too_small = min(rectified.shape) < 2
            pool_frames = [] if too_small else scene.pool_steps(rectified, 2, 2, self.pool_mode)
        except ValueError as err:
            self.message.value = f"<span style='color:crimson'>{html.escape(str(err))}</span>"
            return None
        self._image, self.conv_frames, self.pool_frames = image, frames, pool_frames
        self._rectified = rectified
        h, w = image.shape
        k, s, p = len(kernel), self.stride, self.padding
        oh = scene.output_size(h, k, s, p)
        self.message.value = (
            f"output size = floor((H + 2P − K) / S) + 1 = floor(({h} + 2×{p} − {k}) / {s}) + 1 "
            f"= <b>{oh}</b>, so a {oh}×{scene.output_size(w, k, s, p)} map; "
            f"{len(frames)} windows, then ReLU, then "
            + (
                "no pooling: the map is smaller than the 2×2 pooling window."
                if too_small
                else f"{len(pool_frames)} pooling windows."
            )
        )
        total = len(frames) + 1 + len(pool_frames)
        self.player.set_frames(total)
        with self.hold_trait_notifications():
            self.step = min(self.step, total - 1)
        self.player.show(self.step)
        self.render(self.step)
        return frames

    @property
    def n_frames(self) -> int:
        return len(self.conv_frames) + 1 + len(self.pool_frames)

    # step-by-step figure -------------------------------------------------------------------
    def _build_step_figure(self) -> go.FigureWidget:
        fig = go.FigureWidget(
            make_subplots(
                rows=1,
                cols=3,
                horizontal_spacing=0.08,
                subplot_titles=("input", "products", "output"),
            )
        )
        for col in (1, 2, 3):
            fig.add_heatmap(
                z=[[0]],
                colorscale="RdBu_r",
                zmid=0,
                showscale=col == 3,
                texttemplate="%{text}",
                textfont=dict(size=10),
                hovertemplate="row %{y}, col %{x}: %{z:.4g}<extra></extra>",
                row=1,
                col=col,
            )
            fig.update_yaxes(
                autorange="reversed", scaleanchor=f"x{'' if col == 1 else col}", row=1, col=col
            )
        fig.update_layout(width=1050, height=420, margin=dict(l=30, r=20, t=80, b=30))
        return fig

    def render(self, i: int) -> None:
        """Show frame i of the timeline: a convolution cell, the ReLU, or a pooling cell."""
        if not self.conv_frames:
            return
        i = min(max(i, 0), self.n_frames - 1)
        n_conv = len(self.conv_frames)
        a, b, c = self.fig.data
        with self.fig.batch_update():
            if i < n_conv:
                self._render_conv(self.conv_frames[i], a, b, c, i)
            elif i == n_conv:
                self._render_relu(a, b, c)
            else:
                self._render_pool(self.pool_frames[i - n_conv - 1], a, b, c, i - n_conv - 1)

    def _set(self, trace, z):
        z = np.asarray(z, dtype=np.float32)
        trace.z, trace.text = gaps(z), _cells(z)
        tick = 1 if max(z.shape) <= TEXT_LIMIT else 5  # whole rows and columns only
        for axis in (trace.xaxis, trace.yaxis):
            self.fig.layout[axis.replace("x", "xaxis").replace("y", "yaxis")].dtick = tick

    def _titles(self, *texts):
        for ann, text in zip(self.fig.layout.annotations, texts):
            ann.text = text

    def _render_conv(self, fr, a, b, c, i):
        p = self.padding
        padded = np.pad(self._image, p)
        self._set(a, padded)
        self._set(b, fr.products[0])
        b.text = (
            [
                [f"{px:.2g}×{w:.2g}" for px, w in zip(pr, wr)]
                for pr, wr in zip(fr.pixels[0], np.array(self.kernel))
            ]
            if len(self.kernel) <= 5
            else _cells(fr.products[0])
        )
        self._set(c, fr.output)
        r0, c0, r1, c1 = fr.window
        h, w = self._image.shape
        shapes = [_rect("x", "y", r0, c0, r1, c1, "gold", 4)]
        if p:
            shapes.append(_rect("x", "y", p, p, p + h, p + w, "black", 1, "dot"))
        shapes.append(_rect("x3", "y3", *fr.index, fr.index[0] + 1, fr.index[1] + 1, "gold", 4))
        self.fig.layout.shapes = shapes
        self._titles(
            f"input{' with zero padding (dotted: the image)' if p else ''}",
            "pixel × weight under the window",
            f"output: cell {fr.index} = {fr.value:.3g}",
        )
        self.fig.layout.title.text = (
            f"1. Convolution: window {i + 1} of {len(self.conv_frames)} · "
            f"stride {self.stride}, padding {p}"
        )
        kernel = np.array(self.kernel, dtype=np.float32)
        self.explain.value = (
            "<b>The arithmetic:</b> "
            + html.escape(scene.arithmetic(fr, kernel, self.average))
            + "<br>A high value means the window looks like the feature; a low or negative "
            "one means it does not."
        )

    def _render_relu(self, a, b, c):
        before = self.conv_frames[-1].output
        self._set(a, np.pad(self._image, self.padding))
        self._set(b, before)
        self._set(c, self._rectified)
        self.fig.layout.shapes = []
        n_neg = int((before < 0).sum())
        self._titles("input", "feature map before ReLU", "after ReLU: max(0, x)")
        self.fig.layout.title.text = "2. ReLU: every negative number becomes 0"
        self.explain.value = (
            f"{n_neg} of {before.size} cells were negative and are now 0; the positive ones are "
            "unchanged. The map keeps only where the feature was found."
        )

    def _render_pool(self, fr, a, b, c, j):
        r0, c0, r1, c1 = fr.window
        self._set(a, self._rectified)
        window = self._rectified[r0:r1, c0:c1]
        self._set(b, window)
        self._set(c, fr.output)
        shapes = [_rect("x", "y", r0, c0, r1, c1, "gold", 4)]
        if fr.argmax is not None:
            ar, ac = fr.argmax
            shapes.append(_rect("x", "y", ar, ac, ar + 1, ac + 1, "black", 3))
            shapes.append(_rect("x2", "y2", ar - r0, ac - c0, ar - r0 + 1, ac - c0 + 1, "black", 3))
        shapes.append(_rect("x3", "y3", *fr.index, fr.index[0] + 1, fr.index[1] + 1, "gold", 4))
        self.fig.layout.shapes = shapes
        picked = "the largest" if self.pool_mode == "max" else "the average"
        self._titles("feature map after ReLU", "the 2×2 window", f"pooled: {fr.value:.3g}")
        self.fig.layout.title.text = (
            f"3. {'Max' if self.pool_mode == 'max' else 'Average'} pooling, 2×2, stride 2: "
            f"window {j + 1} of {len(self.pool_frames)}"
        )
        oh, ow = fr.output.shape
        self.explain.value = (
            f"Keep {picked} value of each 2×2 window: {window.size} numbers become 1, "
            f"so the {self._rectified.shape[0]}×{self._rectified.shape[1]} map shrinks to "
            f"{oh}×{ow}. The feature is still found if it moves by a pixel."
        )

    # stack the layers ----------------------------------------------------------------------
    ROWS = ("conv1 filters", "conv1", "ReLU", "max pool", "conv2", "ReLU", "max pool")

    def _build_stack_figure(self) -> go.FigureWidget:
        specs = [[{}, {"colspan": 3}, None, None]] + [[{}] * CHANNELS for _ in self.ROWS]
        fig = go.FigureWidget(
            make_subplots(
                rows=len(self.ROWS) + 1,
                cols=CHANNELS,
                specs=specs,
                vertical_spacing=0.03,
                horizontal_spacing=0.04,
            )
        )
        fig.add_heatmap(
            z=[[0]],
            colorscale="gray",
            showscale=False,
            row=1,
            col=1,
            hovertemplate="input %{z:.3g}<extra></extra>",
        )
        fig.add_bar(
            x=[],
            y=[],
            row=1,
            col=2,
            marker_color="#1f77b4",
            texttemplate="%{y:.1%}",
            hovertemplate="%{x}: %{y:.2%}<extra></extra>",
            name="vote",
        )
        for r, name in enumerate(self.ROWS, start=2):
            for col in range(1, CHANNELS + 1):
                fig.add_heatmap(
                    z=[[0]],
                    colorscale="RdBu_r" if r == 2 else "Viridis",
                    zmid=0 if r == 2 else None,
                    showscale=False,
                    row=r,
                    col=col,
                    hovertemplate=f"{name} #{col}: %{{z:.3g}}<extra></extra>",
                )
            fig.update_yaxes(title_text=name, row=r, col=1)
        fig.update_yaxes(autorange="reversed")
        fig.update_xaxes(showticklabels=False)
        fig.update_yaxes(showticklabels=False)
        fig.update_yaxes(
            autorange=None, range=[0, 1], showticklabels=True, tickformat=".0%", row=1, col=2
        )
        fig.update_xaxes(showticklabels=True, row=1, col=2)
        fig.update_layout(
            width=760,
            height=1250,
            margin=dict(l=90, r=20, t=60, b=20),
            showlegend=False,
            title="Train the CNN to see its filters and maps",
        )
        return fig

    def stack_input(self) -> np.ndarray:
        """The current input resampled for the chosen task's network (9x9 for X / O,
        28x28 in [0, 1] for MNIST), pixels shuffled if asked."""
        size = 9 if self.task == "X / O" else 28
        if self.source in ("X", "O") and size == 28:
            image = (scene.lecture_image(self.source.lower(), self.variant, 28) + 1) / 2
        else:
            image = self.image()
            if image.shape[0] != size:
                image = scene.resize(image, size)
            if self.task == "X / O" and self.source not in ("X", "O"):
                image = image * 2 - 1  # [0, 1] ink to the glyphs' -1 .. +1
        return scene.shuffle_pixels(image) if self.shuffle_input else image

    def train(self):
        """Train the CNN for the chosen task live: a progress bar, accuracy, the maps."""
        task = scene.xo_task() if self.task == "X / O" else scene.mnist_task()
        self.progress.max, self.progress.value = self.epochs, 0
        self.train_button.disabled = True

        def on_epoch(epoch, metrics):
            self.progress.value = epoch
            self.train_status.value = (
                f"{task.name}: epoch {epoch} of {self.epochs}, loss {metrics['loss']:.4f}, "
                f"training accuracy {metrics['accuracy']:.1%}, held-out accuracy "
                f"<b>{metrics['test_accuracy']:.1%}</b> ({len(task.y_test)} images it never saw)"
            )

        try:
            model, history = scene.train_cnn(task, epochs=self.epochs, on_epoch=on_epoch)
        finally:
            self.train_button.disabled = False
        self.models[self.task], self.histories[self.task] = model, history
        self.draw_stack()
        return model, history

    def draw_stack(self):
        """Draw the trained network's filters, every feature map for the input, and the vote."""
        model = self.models.get(self.task)
        if model is None:
            return
        image = self.stack_input()
        maps = scene.feature_maps(model, image)
        scores, probs = scene.vote(model, image)
        classes = ("O", "X") if self.task == "X / O" else tuple(str(d) for d in range(10))
        filters = model.layers[0].params["W"][:, 0]
        rows = [filters, maps[0][1], maps[1][1], maps[2][1], maps[3][1], maps[4][1], maps[5][1]]
        with self.stack_fig.batch_update():
            self.stack_fig.data[0].z = image
            bars = self.stack_fig.data[1]
            bars.x, bars.y = list(classes), probs
            k = 2
            for row in rows:
                for ch in range(CHANNELS):
                    self.stack_fig.data[k].z = row[ch] if ch < len(row) else None
                    k += 1
            best = int(np.argmax(probs))
            self.stack_fig.layout.title.text = (
                f"The vote: <b>{classes[best]}</b> ({probs[best]:.1%})"
                + (" · input pixels shuffled" if self.shuffle_input else "")
            )
        # This figure sits in a tab that may not have been drawn when the update goes out,
        # and a view drawn later starts from the synced state: keep that state current.
        sync_state(self.stack_fig)
