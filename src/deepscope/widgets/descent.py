"""DescentPanel: optimizers racing downhill on a surface you pick, type, or click a start on."""

from __future__ import annotations

import html
import math
from contextlib import contextmanager

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import traitlets as T

from ..scenes import descent as scene
from ..scenes.expression import ALLOWED
from .figures import gaps, sync_state
from .player import Player
from .state import PanelState

COLORS = {
    "sgd": "#1f77b4",
    "momentum": "#ff7f0e",
    "nesterov": "#2ca02c",
    "rmsprop": "#d62728",
    "adam": "#9467bd",
    "adagrad": "#8c564b",
}
LABELS = {
    "sgd": "GD",
    "momentum": "momentum",
    "nesterov": "Nesterov",
    "rmsprop": "RMSprop",
    "adam": "Adam",
    "adagrad": "AdaGrad",
}
SURFACE_CHOICES = (*scene.SURFACES, "custom")
GRID = 101
# fixed trace order: the figure keeps its traces; each frame only restyles them
CONTOUR, SURFACE3D, CURVE, SLOPE, MINIMA, START, TANGENT, DIVERGED = range(8)
PER_OPT = 6  # path, current, path 3-D, current 3-D, loss curve, loss now
FIRST_OPT = 8
SCENE = dict(x=[0, 0.5], y=[0, 1])
PARKED = dict(x=[0.999, 1], y=[0.999, 1])


def _fmt(v) -> str:
    return "(" + ", ".join(f"{c:.4g}" for c in v) + ")"


class DescentPanel(PanelState, W.VBox):
    """Pick a surface (or type one), tick optimizers, set the learning rate and watch them race.

    Every teachable parameter is a traitlet (``panel.learning_rate = 0.5`` moves the slider);
    ``panel.state`` round-trips as JSON. Click the contour to move the start.
    """

    surface = T.Enum(SURFACE_CHOICES, "rosenbrock")
    expression = T.Unicode("x**2 + 3*sin(y)")
    condition = T.Float(10.0)
    optimizers = T.List(T.Enum(scene.OPTIMIZERS), ["sgd", "momentum", "rmsprop", "adam"])
    learning_rate = T.Float(0.001)
    momentum = T.Float(0.9)
    beta1 = T.Float(0.9)
    beta2 = T.Float(0.999)
    steps = T.Int(200)
    schedule = T.Enum(scene.SCHEDULES, "constant")
    decay = T.Float(0.01)
    noise = T.Float(0.0)
    start_x = T.Float(-1.5)
    start_y = T.Float(2.0)
    view = T.Enum(("contour", "3-D"), "contour")
    arrows_for = T.Enum(scene.OPTIMIZERS, "sgd")
    step = T.Int(0)

    STATE_KEYS = (
        "surface",
        "expression",
        "condition",
        "optimizers",
        "learning_rate",
        "momentum",
        "beta1",
        "beta2",
        "steps",
        "schedule",
        "decay",
        "noise",
        "start_x",
        "start_y",
        "view",
        "arrows_for",
        "step",
    )
    _RECOMPUTE = STATE_KEYS[:15]

    def __init__(self, **kwargs):
        super().__init__(layout=W.Layout(width="100%"))
        self.walks: dict[str, scene.Walk] = {}
        self._surface: scene.Surface | None = None
        self._grid = None
        self._applying_state = False
        self._quiet = 0
        self._log_view, self._zmin = False, 0.0  # how the surface is drawn (see _display)
        self._build_controls()
        self.fig = self._build_figure()
        self.children = [
            W.HBox([self.surface_box, self.optimizer_box, self.tuning_box]),
            W.HBox([self.player, self.view_toggle]),
            self.fig,
            self.message,
            self.readout,
        ]
        self._check_arguments(kwargs)
        self.observe(self._on_surface, names=["surface", "condition"])
        with self._one_recompute():  # one recompute, once every argument is in
            for key in ("surface", "condition"):  # first: they bring a start and a rate...
                if key in kwargs:
                    setattr(self, key, kwargs[key])
            for key, value in kwargs.items():  # ...which the other arguments override
                setattr(self, key, value)
        self.observe(self.recompute, names=list(self._RECOMPUTE))
        self.observe(lambda _: self.render(self.step), names=["arrows_for", "step"])
        self.observe(lambda _: self.render(self.step, full=True), names="view")
        sync_state(self.fig)

    # controls ------------------------------------------------------------------------------
    def _build_controls(self):
        wide = {"description_width": "initial"}
        self.surface_select = W.Dropdown(options=SURFACE_CHOICES, description="surface")
        self.expression_text = W.Text(
            description="f(x, y) =",
            continuous_update=False,
            placeholder="x**2 + 3*sin(y)",
            tooltip=f"allowed: {ALLOWED}",
            layout=W.Layout(width="300px"),
        )
        self.condition_slider = W.FloatLogSlider(
            base=10, min=0, max=2.5, step=0.05, description="condition", style=wide
        )
        self.surface_note = W.HTML()
        self.surface_box = W.VBox(
            [self.surface_select, self.expression_text, self.condition_slider, self.surface_note],
            layout=W.Layout(width="330px"),
        )
        self.optimizer_checks = {
            name: W.Checkbox(description=LABELS[name], indent=False, layout=W.Layout(width="110px"))
            for name in scene.OPTIMIZERS
        }
        for name, box in self.optimizer_checks.items():
            box.style.text_color = COLORS[name]
            box.observe(self._checks_changed, names="value")
        self.arrows_select = W.Dropdown(
            options=[(LABELS[n], n) for n in scene.OPTIMIZERS],
            description="arrows for",
            layout=W.Layout(width="200px"),
        )
        self.optimizer_box = W.VBox(
            [
                W.HTML("<b>optimizers</b>"),
                W.HBox(list(self.optimizer_checks.values())[:3]),
                W.HBox(list(self.optimizer_checks.values())[3:]),
                self.arrows_select,
            ]
        )
        self.lr_slider = W.FloatLogSlider(
            base=10,
            min=-4,
            max=1,
            step=0.05,
            description="learning rate",
            readout_format=".3g",
            style=wide,
        )
        self.momentum_slider = W.FloatSlider(min=0, max=0.99, step=0.01, description="momentum")
        self.beta1_slider = W.FloatSlider(min=0, max=0.99, step=0.01, description="Adam β1")
        self.beta2_slider = W.FloatSlider(
            min=0.9, max=0.9999, step=0.0001, readout_format=".4f", description="Adam β2"
        )
        self.steps_slider = W.IntSlider(min=10, max=1000, step=10, description="steps")
        self.schedule_select = W.Dropdown(
            options=[
                ("constant", "constant"),
                ("halve every 50 steps", "step"),
                ("exponential decay", "exponential"),
                ("1/t decay", "inverse-time"),
                ("dynamic: lr x |gradient|", "dynamic"),
            ],
            description="schedule",
        )
        self.decay_slider = W.FloatLogSlider(
            base=10, min=-4, max=-0.5, step=0.1, description="decay", readout_format=".3g"
        )
        self.noise_slider = W.FloatSlider(
            min=0, max=5, step=0.05, description="gradient noise", style=wide
        )
        self.tuning_box = W.VBox(
            [
                self.lr_slider,
                self.momentum_slider,
                W.HBox([self.beta1_slider, self.beta2_slider]),
                self.steps_slider,
                W.HBox([self.schedule_select, self.decay_slider]),
                self.noise_slider,
            ]
        )
        self.player = Player(interval_ms=60, description="step", buttons=True)
        self.player.bind(self, "step")
        self.view_toggle = W.ToggleButtons(options=["contour", "3-D"])
        self.message = W.HTML()
        self.readout = W.HTML()
        for widget, name in (
            (self.surface_select, "surface"),
            (self.expression_text, "expression"),
            (self.condition_slider, "condition"),
            (self.arrows_select, "arrows_for"),
            (self.lr_slider, "learning_rate"),
            (self.momentum_slider, "momentum"),
            (self.beta1_slider, "beta1"),
            (self.beta2_slider, "beta2"),
            (self.steps_slider, "steps"),
            (self.schedule_select, "schedule"),
            (self.decay_slider, "decay"),
            (self.noise_slider, "noise"),
            (self.view_toggle, "view"),
        ):
            T.link((self, name), (widget, "value"))
        self._sync_checks()
        self.observe(lambda _: self._sync_checks(), names="optimizers")

    def _sync_checks(self):
        self._quiet += 1  # the boxes follow the trait; their observers must not write back
        try:
            for name, box in self.optimizer_checks.items():
                box.value = name in self.optimizers
        finally:
            self._quiet -= 1
        if self.optimizers and self.arrows_for not in self.optimizers:
            self.arrows_for = self.optimizers[0]

    def _checks_changed(self, _):
        if self._quiet:
            return
        chosen = [n for n, box in self.optimizer_checks.items() if box.value]
        if chosen != list(self.optimizers):
            self.optimizers = chosen

    # figure --------------------------------------------------------------------------------
    def _build_figure(self) -> go.FigureWidget:
        fig = go.FigureWidget(
            layout=dict(
                width=1000,
                height=560,
                margin=dict(l=55, r=20, t=50, b=90),
                xaxis=dict(domain=[0, 0.5], title="x"),
                yaxis=dict(domain=[0, 1], title="y"),
                yaxis3=dict(overlaying="y", side="right", showgrid=False, visible=False),
                xaxis2=dict(domain=[0.66, 1], title="step", anchor="y2"),
                yaxis2=dict(domain=[0.0, 1.0], anchor="x2", type="log", title="loss"),
                scene=dict(
                    domain=PARKED,
                    xaxis_title="x",
                    yaxis_title="y",
                    zaxis_title="f",
                ),
                legend=dict(orientation="h", x=0, y=-0.13, xanchor="left", yanchor="top"),
                hovermode="closest",
            )
        )
        fig.add_contour(
            z=[[0]],
            colorscale="Viridis",
            ncontours=30,
            contours=dict(coloring="heatmap"),
            line=dict(width=0.5, color="white"),
            colorbar=dict(x=0.505, thickness=14, len=0.9, title=dict(text="f", side="right")),
            name="surface",
            showlegend=False,
        )
        fig.add_surface(
            z=[[0]],
            colorscale="Viridis",
            showscale=False,
            opacity=0.85,
            name="surface",
        )
        fig.add_scatter(
            x=[],
            y=[],
            name="f(x)",
            line=dict(color="black", width=3),
            hovertemplate="x=%{x:.3f}<br>f(x)=%{y:.4g}<extra>click: start here</extra>",
        )
        fig.add_scatter(
            x=[],
            y=[],
            yaxis="y3",
            name="slope f'(x) (right axis)",
            line=dict(color="grey", dash="dot"),
            hovertemplate="x=%{x:.3f}<br>f'(x)=%{y:.4g}<extra></extra>",
        )
        fig.add_scatter(
            x=[],
            y=[],
            mode="markers",
            name="known minima",
            marker=dict(symbol="star", size=16, color="gold", line=dict(color="black", width=1)),
            hovertemplate="minimum at (%{x:.4g}, %{y:.4g})<extra></extra>",
        )
        fig.add_scatter(
            x=[],
            y=[],
            mode="markers",
            name="start",
            marker=dict(symbol="circle-open", size=16, color="white", line=dict(width=3)),
            hovertemplate="start (%{x:.4g}, %{y:.4g})<extra></extra>",
        )
        fig.add_scatter(
            x=[],
            y=[],
            mode="lines",
            name="tangent: slope = f'(x)",
            line=dict(color="crimson", width=2),
            hoverinfo="skip",
        )
        fig.add_scatter(
            x=[],
            y=[],
            mode="markers+text",
            name="diverged",
            marker=dict(symbol="x", size=16, color="red", line=dict(width=2)),
            textposition="top center",
            textfont=dict(color="red"),
            hovertemplate="%{text}<extra></extra>",
        )
        for name in scene.OPTIMIZERS:
            color, label = COLORS[name], LABELS[name]
            fig.add_scatter(
                x=[],
                y=[],
                mode="lines+markers",
                name=label,
                legendgroup=name,
                line=dict(color=color, width=2),
                marker=dict(size=3, color=color),
                customdata=[],
                hovertemplate=label + " step %{customdata}<br>(%{x:.4g}, %{y:.4g})<extra></extra>",
            )
            fig.add_scatter(
                x=[],
                y=[],
                mode="markers",
                legendgroup=name,
                showlegend=False,
                name=label + " now",
                marker=dict(size=13, color=color, line=dict(color="white", width=2)),
                hovertemplate=label + " now (%{x:.4g}, %{y:.4g})<extra></extra>",
            )
            fig.add_scatter3d(
                x=[],
                y=[],
                z=[],
                mode="lines",
                legendgroup=name,
                showlegend=False,
                name=label,
                line=dict(color=color, width=5),
            )
            fig.add_scatter3d(
                x=[],
                y=[],
                z=[],
                mode="markers",
                legendgroup=name,
                showlegend=False,
                name=label + " now",
                marker=dict(size=6, color=color),
            )
            fig.add_scatter(
                x=[],
                y=[],
                xaxis="x2",
                yaxis="y2",
                legendgroup=name,
                showlegend=False,
                name=label + " loss",
                line=dict(color=color),
                hovertemplate=label + " step %{x}: loss %{y:.4g}<extra></extra>",
            )
            fig.add_scatter(
                x=[],
                y=[],
                xaxis="x2",
                yaxis="y2",
                mode="markers",
                legendgroup=name,
                showlegend=False,
                marker=dict(size=9, color=color),
                hoverinfo="skip",
            )
        fig.data[CONTOUR].on_click(self._clicked)
        fig.data[CURVE].on_click(self._clicked)
        return fig

    def _clicked(self, trace, points, state):
        if points.xs:
            self.set_start(points.xs[0], points.ys[0] if self._surface.dims == 2 else 0.0)

    # compute -------------------------------------------------------------------------------
    def _resolve_surface(self) -> scene.Surface:
        if self.surface == "custom":
            return scene.surface_from_expression(self.expression)
        if self.surface == "bowl":
            return scene.bowl(self.condition)
        return scene.SURFACES[self.surface]

    def _on_surface(self, change):
        """A new named surface starts at its standard start with its suggested rate; a new
        condition number for the bowl brings the rate that suits it. A restored state
        keeps its own start and rate."""
        if self._applying_state or self.surface == "custom":
            return
        if change["name"] == "condition" and self.surface != "bowl":
            return  # only the bowl has a condition number
        s = self._resolve_surface()
        with self._one_recompute():
            if change["name"] == "surface":
                self.start_x, self.start_y = s.start
            self.learning_rate = s.lr

    @contextmanager
    def _one_recompute(self):
        """Change several traits and recompute once, at the end."""
        self._quiet += 1
        try:
            yield
        finally:
            self._quiet -= 1
        if not self._quiet:
            self.recompute()

    def set_start(self, x: float, y: float = 0.0) -> None:
        """Move the common start point (what a click on the contour does)."""
        with self._one_recompute():
            self.start_x, self.start_y = float(x), float(y)

    def recompute(self, *_) -> dict[str, scene.Walk]:
        """Run every ticked optimizer from the start; redraw paths and the current step."""
        if self._quiet:
            return self.walks
        try:
            surface = self._resolve_surface()
        except ValueError as err:
            self.message.value = (
                f"<span style='color:crimson'>Cannot use this formula: {html.escape(str(err))}"
                "</span>"
            )
            return self.walks
        try:
            walks = scene.race(
                surface,
                self.optimizers,
                start=(self.start_x, self.start_y),
                steps=self.steps,
                lr=self.learning_rate,
                schedule=self.schedule,
                decay=self.decay,
                noise=self.noise,
                momentum=self.momentum,
                beta1=self.beta1,
                beta2=self.beta2,
            )
        except (TypeError, ValueError) as err:
            self.message.value = f"<span style='color:crimson'>{html.escape(str(err))}</span>"
            return self.walks
        if surface is not self._surface or self._grid is None:
            self._grid = surface.grid(GRID)
            z = self._grid[2]
            zmin, zmax, zmed = np.nanmin(z), np.nanmax(z), np.nanmedian(z)
            self._log_view = bool(zmax - zmin > 50 * max(zmed - zmin, 1e-12))
            self._zmin = float(zmin)
        self._surface, self.walks = surface, walks
        self.message.value = self._summary()
        self.surface_note.value = (
            f"<b>{html.escape(surface.formula)}</b><br><i>{html.escape(surface.note)}</i>"
        )
        self.expression_text.layout.display = None if self.surface == "custom" else "none"
        self.condition_slider.layout.display = None if self.surface == "bowl" else "none"
        self.player.set_frames(self.steps + 1)
        with self.hold_trait_notifications():
            self.step = min(self.step, self.steps)
        self.player.show(self.step)
        self.render(self.step, full=True)
        return walks

    def _summary(self) -> str:
        parts = []
        for name, walk in self.walks.items():
            if walk.diverged_at is None:
                continue
            why = (
                "it ran downhill off the window: this surface has no bottom"
                if not self._surface.minima
                else "learning rate too large for this surface"
            )
            parts.append(f"{LABELS[name]} diverged at step {walk.diverged_at}: {why}")
        if not self.walks:
            return "Tick at least one optimizer."
        return "<br>".join(f"<span style='color:crimson'>⚠ {p}</span>" for p in parts) or (
            "Press Play, Step, or drag the step slider; click the map to move the start."
        )

    def _display(self, z):
        """The surface height as drawn: log10(1 + f - min) when f spans many decades."""
        return np.log10(1.0 + np.asarray(z, dtype=float) - self._zmin) if self._log_view else z

    # drawing -------------------------------------------------------------------------------
    def render(self, i: int, full: bool = False) -> None:
        """Draw step i of every walk, in one batched figure update."""
        if self._surface is None:
            return
        s, fig = self._surface, self.fig
        one_d, three_d = s.dims == 1, s.dims == 2 and self.view == "3-D"
        xs, ys, z = self._grid
        with fig.batch_update():
            if full:
                self._draw_surface(fig, s, xs, ys, z, one_d, three_d)
            annotations, dx, dy, dtext = [], [], [], []
            for k, name in enumerate(scene.OPTIMIZERS):
                traces = fig.data[FIRST_OPT + PER_OPT * k : FIRST_OPT + PER_OPT * (k + 1)]
                path, now, path3, now3, loss_line, loss_now = traces
                walk = self.walks.get(name)
                shown = walk is not None and name in self.optimizers
                path.visible = now.visible = shown and not three_d
                path3.visible = now3.visible = shown and three_d
                loss_line.visible = loss_now.visible = shown
                if not shown:
                    continue
                if full:  # the whole paths; a plain frame only moves the markers
                    pos, heights = walk.positions, walk.losses
                    path.showlegend, path3.showlegend = not three_d, three_d
                    px = pos[:, 0]
                    py = heights if one_d else pos[:, 1]
                    path.x, path.y, path.customdata = gaps(px), gaps(py), np.arange(len(walk))
                    if three_d:  # 3-D copies of the paths travel only when they are seen
                        path3.x, path3.y = gaps(pos[:, 0]), gaps(pos[:, 1])
                        path3.z = gaps(self._display(heights))
                    loss_line.x, loss_line.y = np.arange(len(walk)), gaps(heights)
                    if walk.diverged_at is not None:  # mark where it was last in view
                        (x0, x1), (y0, y1) = s.window
                        finite = np.isfinite(pos).all(axis=1) & np.isfinite(heights)
                        inside = finite & (pos[:, 0] >= x0) & (pos[:, 0] <= x1)
                        if not one_d:
                            inside &= (pos[:, 1] >= y0) & (pos[:, 1] <= y1)
                        last = int(np.flatnonzero(inside)[-1]) if inside.any() else 0
                        dx.append(pos[last, 0])
                        dy.append(heights[last] if one_d else pos[last, 1])
                        dtext.append(f"{LABELS[name]} leaves (step {last})")
                fr = walk[min(i, len(walk) - 1)]
                fx, fy = fr.position
                hy = fr.loss if one_d else fy
                now.x, now.y = gaps([fx]), gaps([hy])
                now3.x, now3.y, now3.z = gaps([fx]), gaps([fy]), gaps([self._display(fr.loss)])
                loss_now.x, loss_now.y = [fr.step], gaps([fr.loss])
                if name == self.arrows_for and not three_d:
                    annotations += self._arrows(fr, one_d)
                    if one_d:
                        self._tangent(fig, fr)
            if full:
                fig.data[DIVERGED].x, fig.data[DIVERGED].y = dx, dy
                fig.data[DIVERGED].text = dtext
                positive = all(
                    (w.losses[np.isfinite(w.losses)] > 0).all() for w in self.walks.values()
                )
                fig.layout.yaxis2.type = "log" if positive else "linear"
                fig.layout.yaxis2.title.text = "loss (log scale)" if positive else "loss"
                fig.layout.yaxis2.range = self._loss_range(positive)
            if not one_d:
                fig.data[TANGENT].x, fig.data[TANGENT].y = [], []
            fig.layout.annotations = annotations
            fig.layout.shapes = [
                dict(
                    type="line",
                    xref="x2",
                    yref="paper",
                    x0=i,
                    x1=i,
                    y0=0,
                    y1=1.0,
                    line=dict(color="grey", dash="dot"),
                )
            ]
            fig.layout.title.text = f"{s.name}: {s.formula}  ·  step {i} of {self.steps}" + (
                "  ·  arrows: −lr·gradient (grey) and the update (black)" if not three_d else ""
            )
        self.readout.value = self._readout(i)

    def _loss_range(self, log: bool):
        """Fit the loss chart to the walks that stayed; diverged ones leave through the top
        (the message and the red crosses say so). None: let plotly autorange."""
        kept = [w.losses for w in self.walks.values() if w.diverged_at is None]
        if len(kept) == len(self.walks) or not kept:
            return None
        lo = min(float(np.nanmin(v)) for v in kept)
        hi = max(float(np.nanmax(v)) for v in kept)
        if log:
            return [math.log10(lo) - 0.2, math.log10(hi) + 0.5]
        pad = 0.1 * (hi - lo) or 1.0
        return [lo - pad, hi + 3 * pad]

    def _draw_surface(self, fig, s, xs, ys, z, one_d, three_d):
        shown = self._display(z)
        contour, surf, curve, slope = (fig.data[j] for j in (CONTOUR, SURFACE3D, CURVE, SLOPE))
        contour.visible = not one_d and not three_d
        surf.visible = three_d
        curve.visible = slope.visible = one_d
        fig.layout.yaxis3.visible = one_d
        fig.layout.xaxis.visible = fig.layout.yaxis.visible = not three_d
        # the 3-D scene's canvas lies over the map and would swallow its clicks: park it in
        # a corner unless it is the view
        fig.layout.scene.domain = SCENE if three_d else PARKED
        label = "log10(1 + f − min)" if self._log_view else "f"
        if one_d:
            curve.x, curve.y = xs, z[0]
            slope.x, slope.y = xs, s.grad(xs, np.zeros_like(xs))[0]
            fig.layout.yaxis.title.text = "f(x)"
            fig.layout.yaxis3.title.text = "slope f'(x)"
            fig.layout.yaxis.range = None
            fig.layout.xaxis.range = list(s.window[0])
        else:
            target = surf if three_d else contour
            target.x, target.y = xs, ys
            target.z = shown.astype(np.float32)
            target.customdata = z.astype(np.float32) if self._log_view else None
            hover_f = "%{customdata:.4g}" if self._log_view else "%{z:.4g}"
            target.hovertemplate = (
                f"x=%{{x:.3f}}<br>y=%{{y:.3f}}<br>f={hover_f}<extra>"
                + ("click: start here" if target is contour else "")
                + "</extra>"
            )
            contour.colorbar.title.text = label
            fig.layout.yaxis.title.text = "y"
            fig.layout.xaxis.range, fig.layout.yaxis.range = list(s.window[0]), list(s.window[1])
            fig.layout.scene.zaxis.title.text = label
        minima = np.array(s.minima, dtype=float).reshape(-1, 2)
        fig.data[MINIMA].x = minima[:, 0]
        fig.data[MINIMA].y = s(minima[:, 0], minima[:, 1]) if one_d else minima[:, 1]
        fig.data[MINIMA].visible = not three_d
        fig.data[START].x = [self.start_x]
        fig.data[START].y = [float(s(self.start_x, 0.0))] if one_d else [self.start_y]
        fig.data[START].visible = not three_d

    def _arrows(self, fr, one_d) -> list[dict]:
        """-lr*gradient and the actual update at the current point, on one common scale."""
        if fr.update == (0.0, 0.0) or not fr.parts:
            return []
        grad_term = fr.parts["gradient term"]
        (wx0, wx1), (wy0, wy1) = self._surface.window
        size = max(wx1 - wx0, (wy1 - wy0) if not one_d else 0.0)
        longest = max(math.hypot(*grad_term), math.hypot(*fr.update), 1e-300)
        scale = 0.15 * size / longest
        x, y = fr.position
        y = fr.loss if one_d else y
        out = []
        for vec, color, text in (
            (grad_term, "grey", "−lr·∇f"),
            (fr.update, "black", "update"),
        ):
            if not all(math.isfinite(c) for c in vec):
                continue
            tip_x = x + scale * vec[0]
            tip_y = y if one_d else y + scale * vec[1]
            out.append(
                dict(
                    x=tip_x,
                    y=tip_y,
                    ax=x,
                    ay=y,
                    xref="x",
                    yref="y",
                    axref="x",
                    ayref="y",
                    showarrow=True,
                    arrowhead=3,
                    arrowwidth=2.5,
                    arrowcolor=color,
                    text=text,
                    font=dict(color=color),
                )
            )
        out.append(
            dict(
                x=0.0,
                y=1.0,
                xref="paper",
                yref="paper",
                xanchor="left",
                yanchor="bottom",
                showarrow=False,
                text=f"arrows drawn ×{scale:.3g}",
                font=dict(size=11, color="grey"),
            )
        )
        return out

    def _tangent(self, fig, fr):
        x0, f0 = fr.position[0], fr.loss
        slope = fr.grad[0]
        half = 0.12 * (self._surface.window[0][1] - self._surface.window[0][0])
        xs = np.array([x0 - half, x0 + half])
        fig.data[TANGENT].x, fig.data[TANGENT].y = xs, f0 + slope * (xs - x0)

    def _readout(self, i: int) -> str:
        rows = []
        for name, walk in self.walks.items():
            fr = walk[min(i, len(walk) - 1)]
            status = (
                f"<span style='color:crimson'>diverged at step {walk.diverged_at}</span>"
                if walk.diverged_at is not None and i >= walk.diverged_at
                else ("finished" if i >= len(walk) - 1 else "")
            )
            rate = fr.parts.get("rate per coordinate")
            extra = f"rate per coordinate {_fmt(rate)}" if rate else ""
            if "momentum term" in fr.parts:
                extra = f"momentum term {_fmt(fr.parts['momentum term'])}"
            rows.append(
                f"<tr><td style='color:{COLORS[name]}'><b>{LABELS[name]}</b></td>"
                f"<td>{fr.step}</td><td>{_fmt(fr.position)}</td><td>{fr.loss:.5g}</td>"
                f"<td>{_fmt(fr.grad)}</td><td>{fr.lr:.3g}</td><td>{_fmt(fr.update)}</td>"
                f"<td>{extra}</td><td>{status}</td></tr>"
            )
        head = "".join(
            f"<th>{h}</th>"
            for h in (
                "",
                "step",
                "position",
                "loss",
                "gradient",
                "lr used",
                "update (next move)",
                "parts",
                "",
            )
        )
        return (
            "<table style='border-spacing:10px 2px;font-family:monospace;font-size:12px'>"
            f"<tr>{head}</tr>{''.join(rows)}</table>"
        )

    # state ---------------------------------------------------------------------------------
    def _apply_state(self, value: dict) -> None:
        self._applying_state = True
        try:
            with self._one_recompute():
                for k, v in value.items():
                    setattr(self, k, v)
        finally:
            self._applying_state = False
