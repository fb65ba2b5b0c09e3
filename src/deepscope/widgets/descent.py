"""DescentPanel: optimizers racing downhill on a surface you pick, type, or click a start on.

On the kit: every setting is a trait with its control; ``recompute`` asks the scene for a
``Picture`` (the walks and every display decision); ``render`` draws the current step. A step
moves only layout shapes and annotations (markers, arrows, tangent, step line) and keeps the
figure's data untouched, so plotly.js redraws them without recomputing the surface and Play
keeps up with its interval.
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np
import traitlets as T

from ..scenes import descent as scene
from ..scenes.expression import ALLOWED
from . import theme
from .controls import Checks, Choice, Frames, LogSlider, Slider, Text
from .figure import Figure
from .panel import Panel

COLORS = dict(zip(scene.OPTIMIZERS, theme.PALETTE))
LABELS = dict(zip(scene.OPTIMIZERS, ("GD", "momentum", "Nesterov", "RMSprop", "Adam", "AdaGrad")))
SCHEDULES = {
    "constant": "constant",
    "step": "halve every 50 steps",
    "exponential": "exponential decay",
    "inverse-time": "1/t decay",
    "dynamic": "dynamic: lr × |gradient|",
}
GREY, TANGENT = "#666", theme.PALETTE[6]
ARROWS = {"gradient": "arrow: −lr·∇f", "update": "arrow: the real update"}
TANGENT_NAME = "tangent: its slope is f'(x)"
# the modebar shows on hover, above the titles (they start below it)
CONFIG = {"displayModeBar": "hover", "modeBarButtonsToRemove": ["select2d", "lasso2d"]}
GROW = dict(flex="1 1 440px", min_width="340px")
ZEROS = ((0.0, 0.0), (0.0, 0.0))  # a surface before the first picture (1 x 1 breaks plotly.js)


def _num(v: float) -> str:
    return f"{v:.4g}".replace("-", "−")


def _vec(v, dims: int) -> str:
    return _num(v[0]) if dims == 1 else f"({_num(v[0])}, {_num(v[1])})"


def _scatter(name: str, **props) -> dict:
    return {"type": "scatter", "name": name, "x": [], "y": [], **props}


def _dot(x: float, y: float, color: str, radius: int, shown: bool) -> dict:
    """A marker of fixed size in pixels at a data point, as a layout shape (cheap to move)."""
    at = dict(xanchor=x, yanchor=y) if shown else dict(xanchor=0.0, yanchor=1.0)
    return dict(
        type="circle", xref="x", yref="y", xsizemode="pixel", ysizemode="pixel", **at,
        x0=-radius, x1=radius, y0=-radius, y1=radius, fillcolor=color,
        line=dict(color="white", width=2), visible=shown,
    )  # fmt: skip


def _layout(title: str = "", subtitle: str = "", **overrides) -> dict:
    """A figure's layout: the title starts below the modebar with a subtitle line under it,
    the legend below the x axis title. Fresh dicts (a Figure edits its own in place)."""
    subtitle = {"text": subtitle, "font": {"size": theme.FONT, "color": theme.MUTED}}
    title = {"text": title, "y": 1.0, "yanchor": "top", "pad": {"t": 34, "l": 8}}
    legend = {"orientation": "h", "x": 0, "y": -0.24, "xanchor": "left", "yanchor": "top"}
    return theme.layout(
        540, **{"title": {**title, "subtitle": subtitle}, "margin": {"t": 100, "r": 10},
                "legend": legend, **overrides}
    )  # fmt: skip


def _heights(m: scene.SurfaceMap) -> dict:
    """A surface trace's data: the drawn heights, and f itself for the hover on a log scale."""
    f = "%{customdata:.4~g}" if m.log else "%{z:.4~g}"
    return dict(
        x=m.xs, y=m.ys, z=m.height, customdata=m.z if m.log else None,
        hovertemplate=f"x=%{{x:.3f}}<br>y=%{{y:.3f}}<br>f={f}<extra>click: start here</extra>",
    )  # fmt: skip


def _axis3d(title: str) -> dict:
    return {
        "title": {"text": title, "font": {"size": theme.TITLE_FONT}},
        "tickfont": {"size": theme.FONT},
    }


class DescentPanel(Panel):
    """Pick a surface (or type one), tick optimizers, set the learning rate, watch them race.

    ``DescentPanel(surface="rosenbrock", optimizers=["sgd", "adam"])``; every setting is a
    trait (``panel.learning_rate = 0.5`` moves the slider). Click the map to move the start.
    """

    dashboard = "descent.ipynb"
    title = "Gradient descent on a landscape"
    summary = (
        "GD, momentum, Nesterov, RMSprop, Adam and AdaGrad race downhill from one start on "
        "classic surfaces or a formula you type: learning rate, schedules, noise, the "
        "−lr·gradient arrow beside the real update, divergence, 1-D tangents."
    )

    # the formula comes first: choosing "custom" reads it for its start
    expression = T.Unicode("x**2 + 3*sin(y)").tag(
        state=True,
        control=Text("f(x, y) =", help=f"allowed: {ALLOWED}", placeholder="x**2 + 3*sin(y)"),
        recompute=True,
    )
    # a surface (and the bowl's condition number) brings its start and a learning rate
    surface = T.Enum((*scene.SURFACES, "custom"), "rosenbrock").tag(
        state=True, control=Choice(), recompute=True
    )
    condition = T.Float(10.0, min=1.0, max=500.0).tag(
        state=True,
        control=LogSlider("condition number", help="largest over smallest curvature"),
        recompute=True,
    )
    start_x = T.Float(-1.5).tag(state=True, recompute=True)
    start_y = T.Float(2.0).tag(state=True, recompute=True)
    optimizers = T.List(T.Enum(scene.OPTIMIZERS), ["sgd", "momentum", "rmsprop", "adam"]).tag(
        state=True, control=Checks(labels=LABELS, colors=COLORS), recompute=True
    )
    arrows_for = T.Enum(scene.OPTIMIZERS, "sgd").tag(
        state=True, control=Choice("arrows for", labels=LABELS), render=True
    )
    learning_rate = T.Float(0.001, min=1e-4, max=10.0).tag(
        state=True, control=LogSlider(), recompute=True
    )
    momentum = T.Float(0.9, min=0.0, max=0.99).tag(
        state=True, control=Slider(step=0.01), recompute=True
    )
    beta1 = T.Float(0.9, min=0.0, max=0.99).tag(
        state=True, control=Slider("Adam β1", step=0.01), recompute=True
    )
    beta2 = T.Float(0.999, min=0.9, max=0.9999).tag(
        state=True, control=Slider("Adam β2", step=0.0001, readout_format=".4f"), recompute=True
    )
    steps = T.Int(200, min=10, max=1000).tag(state=True, control=Slider(step=10), recompute=True)
    schedule = T.Enum(tuple(SCHEDULES), "constant").tag(
        state=True, control=Choice(labels=SCHEDULES), recompute=True
    )
    decay = T.Float(0.01, min=1e-4, max=0.3).tag(state=True, control=LogSlider(), recompute=True)
    noise = T.Float(0.0, min=0.0, max=5.0).tag(
        state=True, control=Slider("gradient noise", step=0.05), recompute=True
    )
    view = T.Enum(("contour", "3-D"), "contour").tag(
        state=True, control=Choice(style="toggle"), render=True
    )
    step = T.Int(0, min=0).tag(state=True, control=Frames("step", interval_ms=60), render=True)

    def build(self):
        self.picture: scene.Picture | None = None
        self._whole, self._drawn = True, None  # draw everything next time; what was drawn
        self._keys = {}  # per figure: the surface whose map it holds
        self.note = W.HTML(layout=W.Layout(width="290px"))
        self.readout = W.HTML(layout=W.Layout(overflow="auto"))
        self.map_fig, self.surface_fig = self._map_figure(), self._surface_figure()
        self.loss_fig = self._loss_figure()
        self.figures = [self.map_fig, self.surface_fig, self.loss_fig]
        self.map_fig.on_click(self._clicked)  # anywhere, a path too: the start goes there
        self.surface_fig.on_click(self._clicked, traces=["surface"])
        self.map_fig.layout = W.Layout(**GROW)
        self.surface_fig.layout = W.Layout(display="none", **GROW)
        self.loss_fig.layout = W.Layout(flex="1 1 300px", min_width="300px", margin="0 0 0 16px")
        c = self.controls
        for name in ("surface", "arrows_for", "schedule", "expression"):
            c[name].layout.width = "290px"
        left = [c["surface"], c["expression"], c["condition"], self.note, c["view"]]
        middle = [c["optimizers"], c["arrows_for"], c["learning_rate"], c["schedule"]]
        right = [c[n] for n in ("decay", "momentum", "beta1", "beta2", "steps", "noise")]
        self.children = [
            theme.row([theme.column(part, width="300px") for part in (left, middle, right)]),
            c["step"],
            self.message,
            theme.row([self.map_fig, self.surface_fig, self.loss_fig]),
            self.readout,
            self.link,
        ]

    # figures ------------------------------------------------------------------------------
    def _map_figure(self) -> Figure:
        paths = [
            _scatter(LABELS[n], mode="lines+markers", legendgroup=n, line=dict(color=COLORS[n]),
                     marker=dict(size=4, color=COLORS[n]))
            for n in scene.OPTIMIZERS
        ]  # fmt: skip
        surface = dict(
            type="contour", name="surface", z=ZEROS, colorscale="Viridis",
            autocontour=False, contours=dict(coloring="heatmap", start=0.0, end=1.0, size=1.0),
            line=dict(width=0.5, color="white"),
            colorbar=dict(title=dict(text="f", side="right"), thickness=14, len=0.9, tick0=0),
            showlegend=False,
        )  # fmt: skip
        return Figure(
            [
                surface,
                _scatter("f(x)", mode="lines", line=dict(color="black", width=3),
                         hovertemplate="x=%{x:.3f}<br>f(x)=%{y:.4~g}<extra>click: start</extra>"),
                _scatter("slope f'(x) (right axis)", yaxis="y2", mode="lines",
                         line=dict(color=GREY, dash="dot", width=2),
                         hovertemplate="x=%{x:.3f}<br>f'(x)=%{y:.4~g}<extra></extra>"),
                _scatter("known minima", mode="markers",
                         marker=dict(symbol="star", size=18, color="gold", line=dict(width=1))),
                _scatter("start", mode="markers",
                         marker=dict(size=14, color="white", line=dict(color="black", width=2))),
                *paths,
                _scatter("left the map (diverged)", mode="markers",
                         marker=dict(symbol="x", size=16, color=theme.ERROR, line=dict(width=1)),
                         hovertemplate="%{text}<extra></extra>"),
                _scatter(ARROWS["gradient"], x=[None], y=[None], mode="lines",
                         line=dict(color=GREY, width=3)),
                _scatter(ARROWS["update"], x=[None], y=[None], mode="lines",
                         line=dict(color="black", width=3)),
                _scatter(TANGENT_NAME, x=[None], y=[None], mode="lines",
                         line=dict(color=TANGENT, width=3)),
            ],
            _layout(
                xaxis=theme.axis("x"),
                yaxis=theme.axis("y"),
                yaxis2=theme.axis("slope f'(x)", overlaying="y", side="right", showgrid=False,
                                  tickmode="auto", zeroline=False),
            ),
            CONFIG,
        )  # fmt: skip

    def _surface_figure(self) -> Figure:
        traces = [dict(type="surface", name="surface", z=ZEROS, colorscale="Viridis",
                       showscale=False, opacity=0.75)]  # fmt: skip
        for n in scene.OPTIMIZERS:
            common = dict(type="scatter3d", x=[], y=[], z=[], legendgroup=n)
            where = "x=%{x:.4~g}, y=%{y:.4~g}<extra></extra>"
            traces += [
                dict(common, name=LABELS[n], mode="lines", line=dict(color=COLORS[n], width=5),
                     hovertemplate=f"{LABELS[n]}<br>{where}"),
                dict(common, name=f"{LABELS[n]} now", mode="markers", showlegend=False,
                     marker=dict(size=7, color=COLORS[n], line=dict(color="white", width=2)),
                     hovertemplate=f"{LABELS[n]} now<br>{where}"),
            ]  # fmt: skip
        scene_layout = dict(
            xaxis=_axis3d("x"), yaxis=_axis3d("y"), zaxis=_axis3d("f"), aspectmode="manual",
            aspectratio=dict(x=1, y=1, z=0.7), camera=dict(eye=dict(x=1.25, y=-1.25, z=0.85)),
        )  # fmt: skip
        layout = _layout(margin={"t": 100, "l": 0, "r": 0, "b": 10}, scene=scene_layout)
        return Figure(traces, layout, CONFIG)

    def _loss_figure(self) -> Figure:
        lines = [
            _scatter(LABELS[n], mode="lines", line=dict(color=COLORS[n], width=2),
                     hovertemplate=f"{LABELS[n]} step %{{x}}: loss %{{y:.4~g}}<extra></extra>")
            for n in scene.OPTIMIZERS
        ]  # fmt: skip
        layout = _layout(
            "Loss at each step",
            "the dotted line marks the step shown",
            xaxis=theme.axis("step"),
            yaxis=theme.axis("loss f", exponentformat="power"),
        )
        return Figure(lines, layout, CONFIG)

    # settings -----------------------------------------------------------------------------
    @T.observe("surface", "condition", "optimizers")
    def _bring_along(self, change):
        """What a change brings along: a surface's start and learning rate, the arrows
        following the ticked optimizers (the kit runs it in the change's own batch, so
        ``panel.surface = "ravine"`` recomputes once and sends one message)."""
        name = change["name"]
        if name == "surface" or (name == "condition" and self.surface == "bowl"):
            try:
                s = self._surface()
            except ValueError:  # a bad formula: recompute says what is wrong
                return
            if name == "surface":
                self.start_x, self.start_y = s.start
            self.learning_rate = s.lr
        elif name == "optimizers" and self.optimizers and self.arrows_for not in self.optimizers:
            self.arrows_for = self.optimizers[0]

    def _surface(self) -> scene.Surface:
        if self.surface == "custom":
            try:
                return scene.surface_from_expression(self.expression)
            except ValueError as err:
                raise ValueError(f"Cannot use this formula: {err}") from None
        if self.surface == "bowl":
            return scene.bowl(self.condition)
        return scene.SURFACES[self.surface]

    def set_start(self, x: float, y: float = 0.0) -> None:
        """Move the common start point (what a click on the map does)."""
        with self.batch():
            self.start_x, self.start_y = float(x), float(y)

    def _clicked(self, trace, point):
        if self.picture is not None:  # rounded: a grid point reads 0.08, not 0.08000000000000007
            y = round(point["y"], 9) if self.picture.surface.dims == 2 else 0.0
            self.set_start(round(point["x"], 9), y)

    # compute ------------------------------------------------------------------------------
    def recompute(self):
        ticked = set(self.optimizers)
        self.show_control("expression", self.surface == "custom")
        self.show_control("condition", self.surface == "bowl")
        self.show_control("decay", self.schedule in ("exponential", "inverse-time"))
        self.show_control("momentum", bool(ticked & {"momentum", "nesterov"}))
        self.show_control("beta1", "adam" in ticked)
        self.show_control("beta2", "adam" in ticked)
        s = self._surface()
        self.show_control("view", s.dims == 2)
        self.note.value = (
            f"<div style='font-size:14px'><b>{html.escape(s.formula)}</b><br>"
            f"<i>{html.escape(s.note)}</i></div>"
        )
        hyper = dict(momentum=self.momentum, beta1=self.beta1, beta2=self.beta2)
        self.picture = scene.picture(
            s, self.optimizers, self.steps, start=(self.start_x, self.start_y),
            lr=self.learning_rate, schedule=self.schedule, decay=self.decay, noise=self.noise,
            **hyper,
        )  # fmt: skip
        self._whole = True
        self.controls["step"].set_frames(self.steps + 1)  # a step past the end: the last
        self.say(*self._summary())

    def _summary(self) -> tuple[str, str]:
        pic = self.picture
        if not pic.walks:
            return "Tick at least one optimizer.", "warn"
        s = pic.surface
        if s.name == "custom":  # nothing is known of a typed formula's bottom
            why = "the learning rate is too large for this surface, or it has no bottom"
        elif s.minima:
            why = "the learning rate is too large for this surface"
        else:
            why = "it ran downhill off the window: this surface has no bottom"
        left = {e.optimizer: e.step for e in pic.exits}
        lines = [
            f"{LABELS[n]} "
            + (f"left the map after step {left[n]} and " if n in left else "")
            + f"diverged at step {w.diverged_at}: {why}"
            for n, w in pic.walks.items()
            if w.diverged_at is not None
        ]
        if lines:
            return "<br>".join(lines), "warn"
        return "Press Play, Step, or drag the step slider; click the map to move the start.", "info"

    # drawing ------------------------------------------------------------------------------
    def render(self):
        if self.picture is None:
            return
        three_d = self.view == "3-D" and self.picture.surface.dims == 2
        drawn = (three_d, self.arrows_for in self.picture.walks)
        if self._whole or drawn != self._drawn:
            self._whole, self._drawn = False, drawn
            self.map_fig.layout.display = "none" if three_d else None
            self.surface_fig.layout.display = None if three_d else "none"
            self._draw_loss()
            if three_d:
                self._draw_surface()
            else:
                self._draw_map()
        if three_d:
            self._step_surface()
        else:
            self._step_map()
        self._step_loss()
        self.readout.value = self._readout()

    def _frame(self, walk: scene.Walk) -> scene.Frame:
        return walk[min(self.step, len(walk) - 1)]

    def _new_map(self, fig: Figure) -> bool:
        """Does ``fig`` need the picture's surface (it holds another, or none yet)?"""
        s = self.picture.surface
        key = (s.name, s.formula, s.window)
        new, self._keys[fig.model_id] = self._keys.get(fig.model_id) != key, key
        return new

    def _title(self, fig: Figure, subtitle: str) -> None:
        text = f"{self.picture.surface.name} · step {self.step} of {self.picture.steps}"
        fig.relayout(title={"text": text, "subtitle": {"text": subtitle}})

    def _draw_map(self) -> None:
        pic, fig = self.picture, self.map_fig
        s, m, one_d = pic.surface, pic.map, pic.surface.dims == 1
        where = "x=%{x:.4~g}" if one_d else "(%{x:.4~g}, %{y:.4~g})"
        if self._new_map(fig):
            if one_d:
                fig.update("f(x)", x=m.xs, y=m.z[0])
                fig.update("slope f'(x) (right axis)", x=m.xs, y=m.slope)
            else:
                start, end, size = m.levels
                fig.update("surface", colorbar={"title": {"text": m.label}}, **_heights(m),
                           contours={"start": start, "end": end, "size": size})  # fmt: skip
            fig.update("surface", visible=not one_d)
            fig.update("f(x)", visible=one_d)
            fig.update("slope f'(x) (right axis)", visible=one_d)
            fig.update("known minima", x=pic.minima[:, 0], y=pic.minima[:, 1],
                       hovertemplate=f"minimum at {where}<extra></extra>")  # fmt: skip
            fig.update(
                "start", hovertemplate=f"start {where}<extra>click the map to move it</extra>"
            )
            at = (
                "x=%{x:.4~g}<br>f(x)=%{y:.4~g}"
                if one_d
                else f"{where}<br>f=%{{customdata[1]:.4~g}}"
            )
            for n in scene.OPTIMIZERS:
                tip = f"{LABELS[n]} step %{{customdata[0]}}<br>{at}<extra></extra>"
                fig.update(LABELS[n], hovertemplate=tip)
            yaxis = {"range": list(m.yrange if one_d else s.window[1])}
            yaxis["title"] = {"text": "f(x)" if one_d else "y"}
            fig.relayout(xaxis={"range": list(s.window[0])}, yaxis=yaxis, yaxis2={"visible": one_d})
        fig.update("start", x=[pic.start[0]], y=[pic.start[1]])
        for n in scene.OPTIMIZERS:
            walk = pic.walks.get(n)
            fig.update(LABELS[n], visible=walk is not None)
            if walk is not None:
                pos, losses = walk.positions, walk.losses
                fig.update(LABELS[n], x=pos[:, 0], y=losses if one_d else pos[:, 1],
                           customdata=np.c_[np.arange(len(walk)), losses])  # fmt: skip
        text = [f"{LABELS[e.optimizer]} left the map after step {e.step}" for e in pic.exits]
        x, y = [e.x for e in pic.exits], [e.y for e in pic.exits]
        fig.update("left the map (diverged)", x=x, y=y, text=text)
        for name in ARROWS.values():
            fig.update(name, visible=self.arrows_for in pic.walks)
        fig.update(TANGENT_NAME, visible=one_d and self.arrows_for in pic.walks)

    def _step_map(self) -> None:
        pic = self.picture
        one_d = pic.surface.dims == 1
        shapes = []
        for n in scene.OPTIMIZERS:
            walk = pic.walks.get(n)
            x, y = np.nan, np.nan
            if walk is not None:
                fr = self._frame(walk)
                x, y = fr.position[0], fr.loss if one_d else fr.position[1]
            shapes.append(_dot(x, y, COLORS[n], 8, bool(np.isfinite([x, y]).all())))
        walk = pic.walks.get(self.arrows_for)
        fr = self._frame(walk) if walk is not None else None
        shapes.append(self._tangent(fr if one_d else None))
        annotations, note = self._arrows(fr)
        annotations += [
            dict(x=e.x, y=e.y, xref="x", yref="y", ax=e.dx, ay=e.dy, showarrow=True, arrowhead=0,
                 text=f"{LABELS[e.optimizer]} left after step {e.step}", arrowcolor=theme.ERROR,
                 arrowwidth=1.5, font=dict(color=theme.ERROR), bgcolor="rgba(255,255,255,0.85)",
                 bordercolor=theme.ERROR)
            for e in pic.exits
        ]  # fmt: skip
        self.map_fig.relayout(shapes=shapes, annotations=annotations)
        self._title(self.map_fig, note)

    def _tangent(self, fr) -> dict:
        """The tangent as a line shape (the legend names it; the readout has its slope)."""
        m = self.picture.map
        (x0, y0), (x1, y1) = (
            scene.tangent(fr, self.picture.surface, m.yrange) if fr else ((0, 0),) * 2
        )
        return dict(type="line", xref="x", yref="y", x0=x0, y0=y0, x1=x1, y1=y1,
                    line=dict(color=TANGENT, width=3), visible=fr is not None)  # fmt: skip

    def _arrows(self, fr) -> tuple[list[dict], str]:
        """The two arrow annotations (always two, hidden when not drawn, so a step only
        restyles them) and the subtitle saying what they are."""
        a = scene.arrows(fr, self.picture.surface) if fr is not None else None
        tips = [(None, GREY), (None, "black")]
        if a is not None:
            tips = [(None if a.same else a.gradient, GREY), (a.update, "black")]
        out = []
        for tip, color in tips:
            (x, y), (ax, ay) = (tip, a.origin) if tip else ((0.0, 0.0), (0.0, 0.0))
            out.append(
                dict(x=x, y=y, ax=ax, ay=ay, xref="x", yref="y", axref="x", ayref="y", text="",
                     showarrow=True, arrowhead=3, arrowsize=1.2, arrowwidth=3, arrowcolor=color,
                     visible=tip is not None)
            )  # fmt: skip
        name = LABELS[self.arrows_for]
        if a is None:
            return out, f"tick {name} to see its arrows"
        return out, f"arrows for {name}: {a.note}" + (" (for GD the update is −lr·∇f)" * a.same)

    def _draw_surface(self) -> None:
        pic, fig = self.picture, self.surface_fig
        m = pic.map
        if self._new_map(fig):
            fig.update("surface", **_heights(m))
            (x0, x1), (y0, y1) = pic.surface.window
            fig.relayout(scene={"xaxis": {"range": [x0, x1]}, "yaxis": {"range": [y0, y1]},
                                "zaxis": {"title": {"text": m.label}}})  # fmt: skip
        for n in scene.OPTIMIZERS:
            walk = pic.walks.get(n)
            fig.update(LABELS[n], visible=walk is not None)
            fig.update(f"{LABELS[n]} now", visible=walk is not None)
            if walk is not None:  # the part on the map (the axes keep to the window)
                pos = np.where(walk.in_view[:, None], walk.positions, np.nan)
                fig.update(LABELS[n], x=pos[:, 0], y=pos[:, 1],
                           z=m.above(walk.losses))  # fmt: skip

    def _step_surface(self) -> None:
        pic = self.picture
        for n, walk in pic.walks.items():
            fr = self._frame(walk)
            x, y = fr.position if walk.in_view[fr.step] else (None, None)
            z = float(pic.map.above(fr.loss)) if x is not None else None
            self.surface_fig.update(f"{LABELS[n]} now", x=[x], y=[y], z=[z])
        self._title(self.surface_fig, f"height: {pic.map.label}; drag to turn, click to start")

    def _draw_loss(self) -> None:
        pic, fig = self.picture, self.loss_fig
        for n in scene.OPTIMIZERS:
            walk = pic.walks.get(n)
            fig.update(LABELS[n], visible=walk is not None)
            if walk is not None:
                fig.update(LABELS[n], x=list(range(len(walk))), y=walk.losses)
        axis = pic.loss
        fig.relayout(
            xaxis={"range": [0, pic.steps]},
            yaxis={"type": "log" if axis.log else "linear", "dtick": axis.dtick,
                   "range": list(axis.range) if axis.range else None,
                   "title": {"text": "loss f (log scale)" if axis.log else "loss f"}},
        )  # fmt: skip

    def _step_loss(self) -> None:
        pic = self.picture
        line = dict(color=GREY, dash="dot", width=2)
        shapes = [dict(type="line", xref="x", yref="paper", x0=self.step, x1=self.step, y0=0,
                       y1=1, line=line)]  # fmt: skip
        for n in scene.OPTIMIZERS:
            walk = pic.walks.get(n)
            fr = self._frame(walk) if walk is not None else None
            shown = fr is not None and np.isfinite(fr.loss) and (fr.loss > 0 or not pic.loss.log)
            shapes.append(_dot(fr.step, fr.loss, COLORS[n], 6, True) if shown else
                          _dot(0, 1, COLORS[n], 6, False))  # fmt: skip
        self.loss_fig.relayout(shapes=shapes)

    def _readout(self) -> str:
        """The numbers of the step shown: a row per optimizer, and under it what its update
        is made of (the gradient term and momentum, or the per-coordinate rates), or that it
        diverged. Values wrap after a comma rather than run out of a narrow column."""
        dims = self.picture.surface.dims
        rows = []
        for n, walk in self.picture.walks.items():
            fr = self._frame(walk)
            moves = (_num(fr.lr), _vec(fr.update, dims)) if fr.parts else ("—", "— (no step after)")
            name = f"<b style='color:{COLORS[n]}'>{LABELS[n]}</b>"
            cells = (name, fr.step, _vec(fr.position, dims), _num(fr.loss), _vec(fr.grad, dims))
            cells += moves
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
            note = ""
            if walk.diverged_at is not None and self.step >= walk.diverged_at:
                note = (
                    f"<span style='color:{theme.ERROR}'>diverged at step {walk.diverged_at}</span>"
                )
            elif fr.parts.keys() - {"gradient term"}:  # more than plain GD's −lr·∇f
                note = (
                    f"<span style='color:{theme.MUTED}'>update = {self._made_of(fr, dims)}</span>"
                )
            if note:
                rows.append(f"<tr><td></td><td colspan=6>{note}</td></tr>")
        where, slope = ("x", "slope f'(x)") if dims == 1 else ("position (x, y)", "gradient ∇f")
        head = ("", "step", where, "loss f", slope, "lr used", "update (next move)")
        return (
            "<table style='border-spacing:10px 2px;font-size:15px;line-height:1.35;"
            "font-variant-numeric:tabular-nums;text-align:left'><tr>"
            + "".join(f"<th style='white-space:nowrap'>{h}</th>" for h in head)
            + f"</tr>{''.join(rows)}</table>"
        )

    @staticmethod
    def _made_of(fr: scene.Frame, dims: int) -> str:
        p = fr.parts
        if "momentum term" in p:
            grad, rest = _vec(p["gradient term"], dims), _vec(p["momentum term"], dims)
            return f"−lr·∇f {grad} + momentum term {rest}"
        rate = _vec(p["rate per coordinate"], dims)
        if "first moment m̂" in p:
            return f"−(rate per coordinate {rate}) × m̂ {_vec(p['first moment m̂'], dims)}"
        return f"−(rate per coordinate {rate}) × ∇f"
