"""ConvolutionPanel: a feature slides over an image, one window at a time; then ReLU, then
pooling; then a whole CNN, trained live, with its filters, its feature maps and its vote."""

from __future__ import annotations

import html
from dataclasses import dataclass

import ipywidgets as W
import numpy as np
import traitlets as T

from ..scenes import convolution as scene
from . import theme
from .canvas import DrawingCanvas
from .controls import Check, Choice, Control, Frames, Slider
from .figure import Figure
from .panel import Panel, Training

SOURCES = ("X", "O", "MNIST", "drawing")
# each input control and the sources it is shown for
INPUTS = {"variant": ("X", "O"), "digit": ("MNIST",), "canvas": ("drawing",)}
DATASETS = ("X / O", "MNIST")
REDO = dict(state=True, recompute=True)  # a setting whose change recomputes the frames
DRAW = dict(state=True, render=True)  # one that only redraws
NARROW, WIDE = "280px", "290px"
STEP_MAPS = ("input", "products", "output")
CELL_PX = 240  # the side of one step map in JupyterLab's 934 px output column
MIN_CELL_PX = 20  # a cell lower than this gets no number (14 px text)
GLYPH_PX = {".": 4.5, "-": 5.3, "×": 11.7}  # at 14 px in a wide font (Verdana, DejaVu)
DIGIT_PX = 8.9
TITLE = {"size": 15}
SIGNED, GRAY = "RdBu_r", "gray"  # plotly.py's names (Figure resolves them)


def _exact(v) -> str:
    """A kernel weight as typed, in full: 2, -1, 0.5, 0.1111111111111111 (1/9 stays 1/9)."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def _domains(weights, gap: float) -> list[list[float]]:
    """Consecutive [start, end] fractions of [0, 1], sized by ``weights``, ``gap`` apart."""
    unit = (1 - gap * (len(weights) - 1)) / sum(weights)
    out, at = [], 0.0
    for w in weights:
        out.append([at, min(at + w * unit, 1.0)])
        at += w * unit + gap
    return out


def _num(v: float, digits: int = 2) -> str:
    """A cell's number as short as it reads: 1, -0.56, 12."""
    v = float(v) + 0.0
    text = f"{v:.0f}" if abs(v) >= 10 else f"{v:.{digits}g}"
    return "0" if text == "-0" else text


def _labels(*grids) -> list[list[str]] | None:
    """The first grid of labels whose longest one fits a cell at 14 px, or None (hover still
    shows every number)."""
    for grid in grids:
        side = CELL_PX / max(len(grid), len(grid[0]))
        if side < MIN_CELL_PX:
            return None
        if max(sum(GLYPH_PX.get(c, DIGIT_PX) for c in s) for row in grid for s in row) + 2 <= side:
            return grid
    return None


def _numbers(a: np.ndarray, like: np.ndarray | None = None) -> list[list[str]] | None:
    """The cells' numbers, with as many digits as fit (those that fit ``like`` too, so two
    maps shown side by side write the same value the same way)."""
    if CELL_PX / max(a.shape) < MIN_CELL_PX:
        return None

    def grid(m, d):
        return [["" if np.isnan(v) else _num(v, d) for v in row] for row in m]

    for digits in (2, 1):
        if all(_labels(grid(m, digits)) is not None for m in (a, a if like is None else like)):
            return grid(a, digits)
    return None


def _note(text: str, x: float, y: float, **props) -> dict:
    """An annotation placed in paper coordinates (0..1 across the figure)."""
    return dict(text=text, x=x, y=y, xref="paper", yref="paper", showarrow=False, **props)


def _rect(axis: str, r0, c0, r1, c1, color, width=3, dash=None) -> dict:
    """A box around cells r0..r1 x c0..c1 (ends exclusive) of map ``axis`` ("x", "x2"...)."""
    line = dict(color=color, width=width, dash=dash)
    box = dict(x0=c0 - 0.5, x1=c1 - 0.5, y0=r0 - 0.5, y1=r1 - 0.5)
    return dict(type="rect", xref=axis, yref=axis.replace("x", "y"), line=line, **box)


@dataclass(frozen=True)
class KernelGrid(Control):
    """One text box per weight of a K x K kernel trait. The text is parsed as numbers, never
    evaluated; a bad cell is named in the panel's message and the last good kernel stays."""

    def build(self, name, trait):
        return W.GridBox(layout=W.Layout(grid_gap="2px", width=NARROW))

    def link(self, owner, name, grid):
        busy = []

        def typed(change):
            if busy:  # the cells being filled from the kernel: not typing
                return
            k = len(getattr(owner, name))
            texts = [c.value for c in grid.children]
            try:
                values = scene.parse_kernel([texts[i * k : (i + 1) * k] for i in range(k)])
            except ValueError as err:
                owner.show_error(err)
                return
            setattr(owner, name, values.tolist())

        def fill(change=None):
            kernel = getattr(owner, name)
            k = len(kernel)
            if len(grid.children) != k * k:
                width = max(36, min(56, 270 // k - 4))
                grid.children = [
                    W.Text(continuous_update=False, layout=W.Layout(width=f"{width}px"))
                    for _ in range(k * k)
                ]
                for cell in grid.children:
                    cell.observe(typed, names="value")
                grid.layout.grid_template_columns = f"repeat({k}, {width}px)"
            busy.append(1)
            try:
                for cell, v in zip(grid.children, (v for row in kernel for v in row)):
                    cell.value = _exact(v)
            finally:
                busy.pop()

        fill()
        owner.observe(fill, names=name)


class ConvolutionPanel(Panel):
    """Step through a convolution, ReLU and pooling; then stack the layers into a CNN and
    train it live. A bad setting (a cell that is not a number) shows in the message line."""

    dashboard = "convolution.ipynb"
    extra_controls = ("canvas",)
    tab_titles = ("Step by step", "Stack the layers")
    title = "Convolution and pooling"
    summary = (
        "A feature slides over the lecture's X (or an MNIST digit, or your drawing) one window "
        "at a time: the products, the sum, the output map filling in, the output-size formula; "
        "then ReLU and max pooling step by step; then a small CNN trained live, with its "
        "filters, every feature map and its vote."
    )
    # a browser takes ~0.1 s to redraw the stack's 30 maps: while training, at most 4 frames
    # a second (not the kit's 20), so clicks and the other figure stay quick
    live_fps = 4.0
    live_pace = 5.0  # epochs a second at most: X / O would be over in a tenth of a second
    train_label = ("Train", "train the CNN from scratch on the chosen images, live")

    source = T.Enum(SOURCES, "X").tag(control=Choice("input", style="toggle"), **REDO)
    variant = T.Enum(tuple(scene.VARIANTS), "plain").tag(
        control=Choice("drawn", width=WIDE), **REDO
    )
    digit = T.Int(0, min=0, max=4999).tag(control=Slider("MNIST digit #", width=WIDE), **REDO)
    preset = T.Enum((*scene.KERNELS, "custom"), "diagonal \\").tag(
        state=True, control=Choice("kernel", width=NARROW)
    )
    kernel_size = T.Int(3, min=1, max=scene.MAX_KERNEL).tag(control=Slider("size K", width=NARROW))
    kernel = T.List(T.List(T.Float()), default_value=scene.KERNELS["diagonal \\"].tolist()).tag(
        control=KernelGrid(), **REDO
    )
    stride = T.Int(1, min=1, max=3).tag(control=Slider("stride S", width=NARROW), **REDO)
    padding = T.Int(0, min=0, max=3).tag(control=Slider("padding P", width=NARROW), **REDO)
    average = T.Bool(True).tag(control=Check("divide the sum by K×K (average)"), **REDO)
    pool_mode = T.Enum(("max", "avg"), "max").tag(
        control=Choice("pooling", labels={"max": "max", "avg": "average"}, style="toggle"), **REDO
    )
    step = T.Int(0, min=0).tag(control=Frames("step", interval_ms=300), **DRAW)
    dataset = T.Enum(DATASETS, "X / O").tag(control=Choice("train on", style="toggle"), **DRAW)
    epochs = T.Int(10, min=1, max=30).tag(state=True, control=Slider())
    shuffle_input = T.Bool(False).tag(control=Check("shuffle the input's pixels"), **DRAW)

    def build(self):
        self.timeline: scene.Timeline | None = None
        self.models: dict[str, object] = {}  # per dataset: the network shown (trained or not)
        self.trained: dict[str, int] = {}  # per dataset: epochs trained
        self.history: list[dict] = []  # the epochs of the latest training
        self._tasks: dict[str, scene.CNNTask] = {}
        self._drawn_step = self._drawn_stack = self._stack_shapes = self._stage = None
        self.canvas = DrawingCanvas(28, 28, scale=7, brush=1.1)
        self.canvas.observe(lambda _: self.source == "drawing" and self.refresh(), "pixels")
        self.controls["canvas"] = self.canvas
        self.sizes, self.explain = W.HTML(), W.HTML()
        self.train_status = W.HTML(
            theme.status_html("Press <b>Train</b>: the maps below are the untrained network's.")
        )
        self.step_fig, self.stack_fig = self._step_figure(), self._stack_figure()
        self.figures = [self.step_fig, self.stack_fig]
        c = self.controls
        inputs = theme.column([c["source"], c["variant"], c["digit"], self.canvas], "300px")
        kernel = theme.column([c["preset"], c["kernel_size"], c["kernel"]], "280px")
        sizes = [c["stride"], c["padding"], c["average"], c["pool_mode"]]
        settings = theme.row([inputs, kernel, theme.column(sizes, margin="0 0 0 10px")])
        step_tab = W.VBox([settings, c["step"], self.sizes, self.step_fig, self.explain])
        training = theme.row([c["dataset"], c["epochs"], c["shuffle_input"]])
        stack_tab = W.VBox([training, c["train"], self.train_status, self.stack_fig])
        self.tabs = W.Tab([step_tab, stack_tab], titles=self.tab_titles)
        self.children = [self.message, self.tabs, self.link]

    # the kernel: a preset, a size, typed cells ---------------------------------------------
    @T.validate("kernel")
    def _valid_kernel(self, proposal):
        try:
            return scene.square_kernel(proposal["value"]).tolist()
        except (ValueError, TypeError) as err:
            raise T.TraitError(str(err)) from None

    @T.observe("preset")
    def _preset_chosen(self, change):
        if change["new"] != "custom":
            self.kernel = scene.KERNELS[change["new"]].tolist()

    @T.observe("kernel")
    def _kernel_set(self, change):
        self.kernel_size = len(change["new"])
        self.preset = scene.preset_of(change["new"])

    @T.observe("kernel_size")
    def _kernel_resized(self, change):
        if change["new"] != len(self.kernel):
            self.kernel = scene.resize_kernel(self.kernel, change["new"]).tolist()

    # compute ------------------------------------------------------------------------------
    def image(self) -> np.ndarray:
        """The input chosen now: the lecture's glyph, an MNIST digit or the drawing."""
        if self.source in ("X", "O"):
            return scene.lecture_image(self.source.lower(), self.variant)
        if self.source == "MNIST":
            return scene.mnist_image(self.digit)[0]
        return self.canvas.image

    def recompute(self):
        for name, sources in INPUTS.items():
            self.show_control(name, self.source in sources)
        tl = scene.timeline(
            self.image(), self.kernel, self.stride, self.padding, self.average, self.pool_mode
        )
        self.timeline = tl
        self.say("")
        h, k, s, p = tl.image.shape[0], len(tl.kernel), self.stride, self.padding
        oh, ow = tl.feature_map.shape
        pooling = (
            f"{len(tl.pool)} pooling window{'s' * (len(tl.pool) != 1)}"
            if tl.pool
            else "no pooling: the map is smaller than the 2×2 pooling window"
        )
        self.sizes.value = theme.status_html(
            f"output size = floor((H + 2P − K) / S) + 1 = floor(({h} + 2×{p} − {k}) / {s}) + 1 "
            f"= <b>{oh}</b>, so a {oh}×{ow} map: {len(tl.conv)} windows, then ReLU, then "
            f"{pooling}."
        )
        self.controls["step"].set_frames(len(tl))

    def render(self):
        self._draw_step()
        self._draw_stack()

    # step by step ---------------------------------------------------------------------------
    def _step_figure(self) -> Figure:
        layout = theme.layout(500, margin=dict(l=55, r=15, t=100, b=130))
        traces, self._step_notes = [], []
        bar = dict(orientation="h", xanchor="center", y=-0.2, yanchor="top", thickness=12)
        for i, (dom, name) in enumerate(zip(_domains([1, 1, 1], 0.05), STEP_MAPS)):
            n = "" if i == 0 else str(i + 1)
            traces.append(
                dict(
                    type="heatmap",
                    name=name,
                    xaxis=f"x{n}",
                    yaxis=f"y{n}",
                    z=np.zeros((1, 1)),
                    texttemplate="%{text}",
                    textfont={"size": theme.FONT},
                    colorbar=dict(bar, x=sum(dom) / 2, len=dom[1] - dom[0], title={"side": "top"}),
                )
            )
            cells = dict(constrain="domain", showgrid=False, zeroline=False)
            layout[f"xaxis{n}"] = theme.axis("column", domain=dom, anchor=f"y{n}", **cells)
            layout[f"yaxis{n}"] = theme.axis(
                "row" if i == 0 else "",
                anchor=f"x{n}",
                scaleanchor=f"x{n}",
                constraintoward="top",
                **cells,
            )
            self._step_notes.append(_note("", sum(dom) / 2, 1.02, yanchor="bottom", font=TITLE))
        return Figure(traces, layout)

    def _show(self, index: int, z, what: str, span, text=None, hover=None, custom=None):
        """Draw step map ``index``: its numbers, its colours over ``span`` (kept while the
        frames change), its axes fitted to its cells, its hover."""
        name, n = STEP_MAPS[index], "" if index == 0 else str(index + 1)
        z = np.asarray(z, dtype=np.float64)
        lo, hi = (-span, span) if np.isscalar(span) else span
        self.step_fig.update(
            name,
            z=z,
            text=_numbers(z) if text is None else text,
            customdata=custom,
            hovertemplate=f"row %{{y}}, col %{{x}}<br>{hover or what + ' %{z:.4~g}'}"
            f"<extra>{name}</extra>",
            colorbar={"title": {"text": what}},
            colorscale=GRAY if what == "pixel" else SIGNED,
            zmin=lo,
            zmax=hi if hi > lo else lo + 1,
        )
        h, w = z.shape
        tick = 1 if max(h, w) <= 10 else 2 if max(h, w) <= 16 else 5
        self.step_fig.relayout(
            **{
                f"xaxis{n}": {"range": [-0.5, w - 0.5], "dtick": tick},
                f"yaxis{n}": {"range": [h - 0.5, -0.5], "dtick": tick},
            }
        )

    def _titles(self, title: str, *maps: str) -> None:
        notes = [{**note, "text": t} for note, t in zip(self._step_notes, maps)]
        self.step_fig.relayout(title={"text": title}, annotations=notes)

    def _draw_step(self):
        tl = self.timeline
        if tl is None or self._drawn_step == (tl, self.step):  # holds them: no id reuse
            return
        kind, j = tl.stage(self.step)
        if self._drawn_step is None or self._drawn_step[0] is not tl or self._stage != kind:
            # the maps change size: plotly.js would keep adjusting the square cells' new
            # ranges from the old ones (a phantom row, titles overprinted), so draw afresh
            self.step_fig.replot()
        self._drawn_step, self._stage = (tl, self.step), kind
        getattr(self, f"_draw_{kind}")(tl, j)

    def _draw_conv(self, tl: scene.Timeline, j: int):
        fr, p = tl.conv[j], tl.padding
        pixels, weights, products = fr.pixels[0], tl.kernel, fr.products[0]
        pairs = [
            [f"{_num(a)}×{_num(b)}" for a, b in zip(pr, wr)] for pr, wr in zip(pixels, weights)
        ]
        labels = _labels(pairs, *[[[_num(v, d) for v in row] for row in products] for d in (2, 1)])
        self._show(0, tl.padded, "pixel", tl.span)
        self._show(
            1,
            products,
            "pixel × weight",
            tl.product_span,
            labels,
            "pixel × weight = %{customdata} = %{z:.4~g}",
            pairs,
        )
        self._show(2, fr.output, "output", tl.map_span)
        (r0, c0, r1, c1), (h, w) = fr.window, tl.image.shape
        shapes = [_rect("x", r0, c0, r1, c1, "gold", 4)]
        if p:
            shapes.append(_rect("x", p, p, p + h, p + w, "black", 2, "dot"))
        shapes.append(_rect("x3", *fr.index, fr.index[0] + 1, fr.index[1] + 1, "gold", 4))
        self.step_fig.relayout(shapes=shapes)
        self._titles(
            f"1. Convolution: window {j + 1} of {len(tl.conv)} · stride {tl.stride}, padding {p}",
            "input, gold: the window" + ("<br>dotted: the image, 0 outside" if p else ""),
            "pixel × weight<br>under the window",
            f"output: cell (row {fr.index[0]}, col {fr.index[1]})<br>= {fr.value:.3g}",
        )
        self.explain.value = theme.status_html(
            "<b>The arithmetic:</b> "
            + html.escape(scene.arithmetic(fr, tl.kernel, tl.average))
            + "<br>A high value means the window looks like the feature; a low or negative "
            "one means it does not."
        )

    def _draw_relu(self, tl: scene.Timeline, j: int):
        self._show(0, tl.padded, "pixel", tl.span)
        before, after = tl.feature_map, tl.rectified  # the positive cells read the same
        self._show(1, before, "before ReLU", tl.map_span, _numbers(before, after))
        self._show(2, after, "after ReLU", tl.map_span, _numbers(after, before))
        self.step_fig.relayout(shapes=[])
        self._titles(
            "2. ReLU: every negative number becomes 0",
            "input",
            "feature map<br>before ReLU",
            "after ReLU<br>max(0, x)",
        )
        self.explain.value = theme.status_html(
            f"{tl.negatives} of {tl.feature_map.size} cells were negative and are now 0; the "
            "positive ones are unchanged. The map keeps only where the feature was found."
        )

    def _draw_pool(self, tl: scene.Timeline, j: int):
        fr, rect = tl.pool[j], tl.rectified
        r0, c0, r1, c1 = fr.window
        window = rect[r0:r1, c0:c1]
        self._show(0, rect, "after ReLU", tl.map_span)
        self._show(1, window, "in the window", tl.map_span)
        self._show(2, fr.output, "pooled", tl.map_span)
        shapes = [_rect("x", r0, c0, r1, c1, "gold", 4)]
        if fr.argmax is not None:
            ar, ac = fr.argmax
            shapes.append(_rect("x", ar, ac, ar + 1, ac + 1, "black", 3))
            shapes.append(_rect("x2", ar - r0, ac - c0, ar - r0 + 1, ac - c0 + 1, "black", 3))
        shapes.append(_rect("x3", *fr.index, fr.index[0] + 1, fr.index[1] + 1, "gold", 4))
        self.step_fig.relayout(shapes=shapes)
        largest = tl.pool_mode == "max"
        self._titles(
            f"3. {'Max' if largest else 'Average'} pooling, 2×2, stride 2: "
            f"window {j + 1} of {len(tl.pool)}",
            "feature map after ReLU" + ("<br>black: the largest" if largest else ""),
            "the 2×2 window",
            f"pooled: cell (row {fr.index[0]}, col {fr.index[1]})<br>= {fr.value:.3g}",
        )
        (h, w), (oh, ow) = rect.shape, fr.output.shape
        self.explain.value = theme.status_html(
            f"Keep {'the largest' if largest else 'the average'} value of each 2×2 window: "
            f"{window.size} numbers become 1, so the {h}×{w} map shrinks to {oh}×{ow}. The "
            "feature is still found if it moves by a pixel."
        )

    # stack the layers -------------------------------------------------------------------------
    def _stack_figure(self) -> Figure:
        cols = _domains([1] * 4, 0.03)
        rows = _domains([1] * len(scene.STACK_ROWS) + [1.5], 0.025)[::-1]  # top row first
        # the title above the two notes that head the input and the vote: room for both
        layout = theme.layout(1400, margin=dict(l=125, r=70, t=130, b=20), showlegend=False)

        def square(n, x, y):
            common = dict(constrain="domain", visible=False)
            layout[f"xaxis{n}"] = dict(domain=x, anchor=f"y{n}", **common)
            layout[f"yaxis{n}"] = dict(domain=y, anchor=f"x{n}", scaleanchor=f"x{n}", **common)

        top = dict(y=1, xanchor="left", yanchor="bottom")
        vote = [cols[1][0] + 0.06, cols[3][1]]
        self._stack_notes = [
            _note("the input, as<br>the network sees it", cols[0][0], **top),
            _note(
                "the vote: each class's probability<br>(softmax of the dense layer)", vote[0], **top
            ),
        ]
        traces = [
            dict(
                type="heatmap",
                name="input",
                z=np.zeros((1, 1)),
                colorscale=GRAY,
                showscale=False,
                hovertemplate="input row %{y}, col %{x}: %{z:.3~g}<extra></extra>",
            ),
            dict(
                type="bar",
                name="vote",
                xaxis="x2",
                yaxis="y2",
                x=[],
                y=[],
                texttemplate="%{y:.0%}",
                textposition="outside",
                textfont={"size": theme.FONT},
                cliponaxis=False,
                hovertemplate="class %{x}: %{y:.1%}<extra></extra>",
            ),
        ]
        square("", cols[0], rows[0])
        layout["xaxis2"] = theme.axis(domain=vote, anchor="y2", type="category")
        layout["yaxis2"] = theme.axis(
            domain=rows[0], anchor="x2", range=[0, 1.15], tickformat=".0%"
        )
        for r, (name, (y0, y1)) in enumerate(zip(scene.STACK_ROWS, rows[1:]), start=1):
            axis = "coloraxis" if r == 1 else f"coloraxis{r}"
            signed = r == 1 or name.startswith("conv")
            layout[axis] = dict(
                colorscale=SIGNED if signed else "Viridis",
                cmid=0 if signed else None,
                colorbar=dict(x=1.01, y=(y0 + y1) / 2, len=y1 - y0, thickness=12),
            )
            self._stack_notes.append(_note(name, -0.01, (y0 + y1) / 2, xanchor="right"))
            what = "weight" if r == 1 else "value"
            for ch in range(4):
                n = 3 + (r - 1) * 4 + ch
                square(n, cols[ch], [y0, y1])
                traces.append(
                    dict(
                        type="heatmap",
                        name=f"{name} #{ch + 1}",
                        xaxis=f"x{n}",
                        yaxis=f"y{n}",
                        z=np.zeros((1, 1)),
                        coloraxis=axis,
                        hovertemplate=f"{name} #{ch + 1}<br>row %{{y}}, col %{{x}}: "
                        f"{what} %{{z:.3~g}}<extra></extra>",
                    )
                )
        layout["annotations"] = self._stack_notes
        return Figure(traces, layout)

    def _truth(self, task: scene.CNNTask) -> str | None:
        """The class the input really is, when the network has a class for it."""
        if self.source in ("X", "O"):
            truth = self.source
        elif self.source == "MNIST":
            truth = str(scene.mnist_image(self.digit)[1])
        else:
            return None  # a drawing: only its author knows
        return truth if truth in task.classes else None

    def _task(self) -> scene.CNNTask:
        if self.dataset not in self._tasks:
            make = scene.xo_task if self.dataset == "X / O" else scene.mnist_task
            self._tasks[self.dataset] = make()
        return self._tasks[self.dataset]

    def stack_input(self) -> np.ndarray:
        """The current input as the chosen dataset's network reads it."""
        image = None if self.source in ("X", "O") else self.image()
        return scene.stack_input(self._task(), self.source, self.variant, image, self.shuffle_input)

    def _draw_stack(self, live: bool = False):
        """The network's filters, every feature map of the input, and the vote; skipped when
        neither the input nor the network changed (always drawn while training)."""
        task = self._task()
        if self.dataset not in self.models:  # untrained: the weights training starts from
            self.models[self.dataset] = scene.build_cnn(task.size, len(task.classes))
        model, image = self.models[self.dataset], self.stack_input()
        key = (model, image.tobytes())
        if key == self._drawn_stack and not live:
            return
        self._drawn_stack = key
        fig, maps = self.stack_fig, scene.stack_maps(model, image)
        fig.update("input", z=image)
        for name, row in zip(scene.STACK_ROWS, maps):
            for ch in range(4):
                fig.update(f"{name} #{ch + 1}", z=row[ch])
        _, probs = scene.vote(model, image)
        best = int(np.argmax(probs))
        colors = [theme.PALETTE[0] if i == best else "#9aa5b1" for i in range(len(probs))]
        fig.update("vote", x=list(task.classes), y=probs, marker={"color": colors})
        epochs = self.trained.get(self.dataset, 0)
        if self.running and self._run[0] == self.dataset:  # this network, as it trains
            state = f"training on {task.name}, {epochs} of {self._run[2]} epochs done"
        elif epochs:
            state = f"after {epochs} epoch{'s' * (epochs != 1)} on {task.name}"
        else:
            state = "untrained: random filters, so the vote is a guess"
        shuffled = " · input pixels shuffled" if self.shuffle_input else ""
        truth = self._truth(task)
        verdict = (
            f" ({'right' if task.classes[best] == truth else 'wrong'}: the input is {truth})"
            if truth is not None
            else ""
        )
        title = f"The vote: <b>{task.classes[best]}</b>{verdict}, {state}{shuffled}"
        # the layout only when it changes: a browser redraws 30 maps far faster without
        layout = {"title": {"text": title}} if title != fig.plot_layout["title"].get("text") else {}
        if self._stack_shapes != [image.shape, *(m.shape for m in maps)]:
            self._stack_shapes = [image.shape, *(m.shape for m in maps)]
            layout.update(self._stack_axes(image.shape, maps))
        if layout:
            fig.relayout(**layout)

    def _stack_axes(self, size, maps) -> dict:
        """Axis ranges that fit each map's cells, and row labels with the maps' sizes."""
        notes = list(self._stack_notes)
        out = {"annotations": notes, "xaxis": {"range": [-0.5, size[1] - 0.5]}}
        out["yaxis"] = {"range": [size[0] - 0.5, -0.5]}
        for r, (name, (c, h, w)) in enumerate(zip(scene.STACK_ROWS, (m.shape for m in maps))):
            notes[2 + r] = {**notes[2 + r], "text": f"{name}<br>{c} of {h}×{w}"}
            for n in range(3 + 4 * r, 7 + 4 * r):
                out[f"xaxis{n}"] = {"range": [-0.5, w - 0.5]}
                out[f"yaxis{n}"] = {"range": [h - 0.5, -0.5]}
        return out

    # live training ------------------------------------------------------------------------
    def start_training(self) -> Training:
        task = self._task()
        model, events = scene.cnn_training(task, self.epochs)
        self.models[self.dataset], self.trained[self.dataset] = model, 0
        self._run = (self.dataset, task, self.epochs)
        self.history = []
        self.train_status.value = theme.status_html(f"Training on {task.name}: first epoch...")
        return Training(events, self.epochs)

    def on_event(self, event):
        if event.kind == "epoch":
            self.history.append(dict(event.metrics))
            self.trained[self._run[0]] = event.epoch

    def draw_training(self):
        self._draw_stack(live=True)
        _, task, epochs = self._run
        if self.history:
            m = self.history[-1]
            self.train_status.value = theme.status_html(
                f"{task.name}: epoch {len(self.history)} of {epochs}, loss {m['loss']:.3f}, "
                f"training accuracy {m['accuracy']:.1%}, held-out accuracy "
                f"<b>{m['val_accuracy']:.1%}</b> ({len(task.y_test)} images it never saw)"
            )

    def training_finished(self, reason):
        self._draw_stack(live=True)  # the vote's title: no longer "training"
        if reason == "stopped":
            done = f"{len(self.history)} of {self._run[2]} epochs"
            self.train_status.value += theme.status_html(
                f"Stopped after {done}; the network keeps what it learned."
            )
