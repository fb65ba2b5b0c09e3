"""GradientsPanel: watch the gradient fade (or blow up) layer by layer, and each remedy."""

from __future__ import annotations

import html

import numpy as np
import traitlets as T

from ..scenes import gradients as scene
from . import theme
from .controls import Check, Choice, Frames, LogSlider, Slider
from .figure import Figure
from .panel import Panel, Training

PRESET_NAMES = tuple(scene.PRESETS)
SIDES = ("A", "B")
HALVES = ((0.0, 0.44), (0.56, 1.0))  # the two columns of every figure: A, then B
A_KEYS = ("depth", "width", "activation", "init", "batchnorm", "residual", "weightnorm",
          "dropout", "weight_decay", "optimizer", "learning_rate", "clip",
          "clip_threshold")  # fmt: skip
GUIDE = 1e-3  # the usual healthy update ratio


def _log(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(np.isfinite(a) & (a > 0), np.log10(np.where(a > 0, a, 1)), np.nan)


class GradientsPanel(Panel):
    """A deep network trains live, A beside B from the same seed on the same data: the
    gradient norm of every layer at every step (a heat map, first layer at the bottom), the
    current step's norms beside the product of the activations' slopes the chain rule
    multiplies, the loss, the update ratios and the activations' histograms."""

    dashboard = "gradients.ipynb"
    title = "Vanishing and exploding gradients"
    summary = (
        "A deep network trains live beside a second one: the gradient of every layer at "
        "every step, fading through 20 sigmoid layers or blowing up with large weights, and "
        "each remedy (fewer layers, ReLU, He init, batch norm, residual, clipping) bringing "
        "it back, one switch at a time."
    )
    train_label = ("Train A and B", "train both networks from the same seed, live")
    train_on_start = True
    live_fps = 8.0

    preset = T.Enum(PRESET_NAMES, PRESET_NAMES[0]).tag(
        state=True, control=Choice("A: preset", help="sets every switch of A")
    )
    depth = T.Int(20, min=1, max=scene.MAX_DEPTH).tag(state=True, control=Slider("hidden layers"))
    width = T.Int(32, min=2, max=128).tag(state=True, control=Slider(step=2))
    activation = T.Enum(scene.ACTIVATIONS, "sigmoid").tag(
        state=True, control=Choice(labels={"leaky_relu": "leaky ReLU", "relu": "ReLU"})
    )
    init = T.Enum(scene.INITS, "normal(0.1)").tag(
        state=True,
        control=Choice("initialisation", labels={"xavier": "Xavier", "he": "He"}),
    )
    batchnorm = T.Bool(False).tag(state=True, control=Check("batch norm"))
    residual = T.Bool(False).tag(state=True, control=Check("residual connections"))
    weightnorm = T.Bool(False).tag(state=True, control=Check("weight norm"))
    dropout = T.Float(0.0, min=0.0, max=0.5).tag(state=True, control=Slider(step=0.05))
    weight_decay = T.Float(0.0, min=0.0, max=0.1).tag(
        state=True, control=Slider("weight decay", step=0.001, readout_format=".3f")
    )
    optimizer = T.Enum(scene.OPTIMIZERS, "sgd").tag(
        state=True, control=Choice(labels={"sgd": "SGD", "adam": "Adam"})
    )
    learning_rate = T.Float(0.1, min=1e-4, max=10.0).tag(state=True, control=LogSlider())
    clip = T.Enum(scene.CLIPS, "off").tag(
        state=True,
        control=Choice(
            "gradient clipping", labels={"norm": "by norm", "value": "by value"}, style="toggle"
        ),  # fmt: skip
    )
    clip_threshold = T.Float(1.0, min=0.01, max=100.0).tag(state=True, control=LogSlider("clip at"))
    compare = T.Enum(PRESET_NAMES, "all remedies").tag(
        state=True, control=Choice("B: preset", help="the network A is compared with")
    )
    dataset = T.Enum(scene.DATASETS, "spiral").tag(
        state=True, control=Choice("data", labels={"digits": "digits (784 pixels)"})
    )
    epochs = T.Int(20, min=1, max=200).tag(state=True, control=Slider())
    step = T.Int(0, min=0).tag(state=True, control=Frames("step", interval_ms=80), render=True)

    def build(self):
        self.runs: dict[str, scene.Run | None] = {"A": None, "B": None}
        self._ended = {side: "" for side in SIDES}
        self.heat_fig, self.bars_fig = self._heat_figure(), self._bars_figure()
        self.curves_fig, self.hist_fig = self._curves_figure(), self._hist_figure()
        self.figures = [self.heat_fig, self.bars_fig, self.curves_fig, self.hist_fig]
        c = self.controls
        net = theme.column([c["preset"], c["depth"], c["width"], c["activation"], c["init"]])
        remedies = theme.column([c["batchnorm"], c["residual"], c["weightnorm"], c["dropout"],
                                 c["weight_decay"]])  # fmt: skip
        train = theme.column([c["optimizer"], c["learning_rate"], c["clip"], c["clip_threshold"],
                              c["compare"], c["dataset"], c["epochs"]])  # fmt: skip
        self.children = [
            theme.row([net, remedies, train]),
            c["train"],
            self.message,
            self.heat_fig,
            c["step"],
            self.bars_fig,
            self.curves_fig,
            self.hist_fig,
            self.link,
        ]
        self._clip_shown()
        self.say("Press <b>Train A and B</b>: both networks train from the same seed.")

    # settings -----------------------------------------------------------------------------
    @T.observe("preset")
    def _preset_chosen(self, change):
        s = scene.PRESETS[change["new"]]
        with self.batch():
            for key in A_KEYS:
                setattr(self, key, getattr(s, "lr" if key == "learning_rate" else key))

    @T.observe("clip")
    def _clip_shown(self, change=None):
        self.show_control("clip_threshold", self.clip != "off")

    def setup(self, side: str) -> scene.Setup:
        """The configuration of network A (the switches) or B (its preset), on this data."""
        if side == "B":
            base = scene.PRESETS[self.compare]
            return scene.Setup(**{**scene.setup_dict(base), "dataset": self.dataset})
        values = {k: getattr(self, k) for k in A_KEYS if k != "learning_rate"}
        return scene.Setup(**values, lr=self.learning_rate, dataset=self.dataset)

    # training -----------------------------------------------------------------------------
    def start_training(self) -> Training:
        setups = {side: self.setup(side) for side in SIDES}
        streams = {}
        for side, s in setups.items():
            self.runs[side], streams[side] = scene.training(s, self.epochs)
        self._ended = {side: "" for side in SIDES}
        self.say(
            f"Training A ({html.escape(setups['A'].describe())}) and B "
            f"({html.escape(setups['B'].describe())}) ..."
        )
        self.controls["step"].load(1)
        return Training(self._both(streams), self.epochs)

    def _both(self, streams):
        """A's and B's events step by step, A's epochs counting; a network that explodes
        stops while the other carries on (the kit hears of it only when both have ended)."""
        live = dict(streams)
        while live:
            for side in list(live):
                event = next(live[side], None)
                if event is None or event.kind == "diverged":
                    if event is not None:
                        self._ended[side] = event.message
                    del live[side]
                elif not (event.kind == "epoch" and side == "B" and "A" in live):
                    yield event

    def draw_training(self):
        self._draw(live=True)

    def training_finished(self, reason):
        n = max(len(r.steps) for r in self.runs.values() if r is not None)
        self.controls["step"].load(max(n, 1))
        self.step = max(n - 1, 0)
        self._draw(live=False)
        if reason == "finished":
            self.say(*self._summary())
        elif reason == "stopped":
            self.say("Stopped: what was trained so far is shown; press Train to start again.")

    def _summary(self):
        parts, kind = [], "info"
        for side in SIDES:
            r = self.runs[side]
            if self._ended[side]:
                parts.append(f"<b>{side} {html.escape(self._ended[side])}</b>")
                kind = "warn"
            elif r.steps:
                acc = f", accuracy {r.accuracy[-1][1]:.0%}" if r.accuracy else ""
                parts.append(
                    f"{side}: first layer's gradient / last's = {r.first_to_last():.1e}, loss "
                    f"{r.losses[0]:.3f} → {r.losses[-1]:.3f}{acc}"
                )
        return " · ".join(parts), kind

    # figures ------------------------------------------------------------------------------
    def _pair(self, height, title, xtitle, ytitle, **extra) -> dict:
        layout = theme.layout(height, title={"text": title}, showlegend=False, **extra)
        for i, x in enumerate(HALVES, start=1):
            a = "" if i == 1 else "2"
            layout[f"xaxis{a}"] = theme.axis(xtitle, domain=list(x), anchor=f"y{a}")
            layout[f"yaxis{a}"] = theme.axis(ytitle if i == 1 else "", anchor=f"x{a}")
        return layout

    @staticmethod
    def _axes(side):
        return {"xaxis": "x", "yaxis": "y"} if side == "A" else {"xaxis": "x2", "yaxis": "y2"}

    def _heat_figure(self) -> Figure:
        layout = self._pair(440, "Gradient norm of every layer at every step", "step", "layer")
        layout["margin"] = dict(t=110)
        layout["coloraxis"] = dict(
            colorscale="Viridis",
            colorbar=dict(title=dict(text="log10 |dL/dW|", side="right"), thickness=14),
        )
        layout["annotations"] = [self._head(s, "") for s in SIDES]
        traces = [
            dict(type="heatmap", name=f"norms {s}", z=np.zeros((1, 1)), coloraxis="coloraxis",
                 hovertemplate="step %{x}, %{y}<br>log10 |dL/dW| = %{z:.2f}<extra></extra>",
                 **self._axes(s))
            for s in SIDES
        ]  # fmt: skip
        traces += [theme.now_marker(f"now {s}", size=1, **self._axes(s)) for s in SIDES]
        return Figure(traces, layout)

    def _head(self, side, text):
        x0, _ = HALVES[SIDES.index(side)]
        return dict(text=text, x=x0, y=1.0, xref="paper", yref="paper", xanchor="left",
                    align="left", yanchor="bottom", showarrow=False, font={"size": 13})  # fmt: skip

    def _bars_figure(self) -> Figure:
        layout = self._pair(460, "This step: each layer's gradient norm, and the chain rule's "
                            "product of slopes (the weights multiply in too)",
                            "|dL/dW| (log scale)", "layer")  # fmt: skip
        for a in ("xaxis", "xaxis2"):
            layout[a]["type"] = "log"
        layout["showlegend"] = True
        layout["legend"] = dict(orientation="h", y=-0.2)
        traces = []
        for s in SIDES:
            first = s == "A"
            traces += [
                dict(type="bar", name=f"measured |dL/dW| ({s})", orientation="h", x=[], y=[],
                     marker={"color": theme.PALETTE[0]}, showlegend=first,
                     legendgroup="measured",
                     hovertemplate="%{y}: |dL/dW| = %{x:.2e}<extra></extra>", **self._axes(s)),
                dict(type="scatter",
                     name=f"slopes alone: last layer × product of mean |f′(z)| ({s})",
                     mode="markers+lines", x=[], y=[], marker={"color": theme.PALETTE[1]},
                     showlegend=first, legendgroup="chain",
                     hovertemplate="%{y}: %{x:.2e}<extra></extra>", **self._axes(s)),
            ]  # fmt: skip
        return Figure(traces, layout)

    def _curves_figure(self) -> Figure:
        layout = theme.layout(380, title={"text": "Loss, and each layer's update ratio |ΔW| / |W|"},
                              legend=dict(orientation="h", y=-0.28))  # fmt: skip
        layout["xaxis"] = theme.axis("step", domain=list(HALVES[0]), anchor="y")
        layout["yaxis"] = theme.axis("loss (log scale)", anchor="x", type="log")
        layout["xaxis2"] = theme.axis("layer", domain=list(HALVES[1]), anchor="y2")
        layout["yaxis2"] = theme.axis("update ratio", anchor="x2", type="log")
        traces = []
        for s, color in zip(SIDES, (theme.PALETTE[0], theme.PALETTE[1])):
            traces += [
                dict(type="scatter", name=f"loss {s}", mode="lines", x=[], y=[],
                     line={"color": color, "width": 2}, xaxis="x", yaxis="y",
                     hovertemplate=f"{s}: step %{{x}}, loss %{{y:.4f}}<extra></extra>"),
                dict(type="scatter", name=f"update ratio {s}", mode="lines+markers", x=[], y=[],
                     line={"color": color}, xaxis="x2", yaxis="y2",
                     hovertemplate=f"{s}: %{{x}}, ratio %{{y:.1e}}<extra></extra>"),
            ]  # fmt: skip
        traces.append(dict(type="scatter", name=f"the usual healthy ratio, {GUIDE:g}",
                           mode="lines", x=[], y=[], line={"color": "gray", "dash": "dot"},
                           xaxis="x2", yaxis="y2", hoverinfo="skip"))  # fmt: skip
        return Figure(traces, layout)

    def _hist_figure(self) -> Figure:
        layout = self._pair(380, "Where each layer's activations sit (the network as it is now)",
                            "activation value", "layer")  # fmt: skip
        layout["coloraxis"] = dict(
            colorscale="Blues", colorbar=dict(title=dict(text="share of units", side="right"))
        )
        traces = [
            dict(type="heatmap", name=f"histogram {s}", z=np.zeros((1, 1)), coloraxis="coloraxis",
                 hovertemplate="%{y}, value %{x:.2f}: %{z:.0%} of the units<extra></extra>",
                 **self._axes(s))
            for s in SIDES
        ]  # fmt: skip
        return Figure(traces, layout)

    # drawing ------------------------------------------------------------------------------
    def render(self):
        if not self.running and any(r is not None and r.steps for r in self.runs.values()):
            self._draw(live=False)

    def _draw(self, live: bool):
        heads = []
        for side in SIDES:
            r = self.runs[side]
            if r is None or not r.steps:
                heads.append(self._head(side, f"{side}: not trained yet"))
                continue
            t = len(r.steps) - 1 if live else min(self.step, len(r.steps) - 1)
            names = r.layer_names
            grads = np.array(r.grad)
            self.heat_fig.update(f"norms {side}", x=np.array(r.steps), y=names,
                                 z=_log(grads).T)  # fmt: skip
            self.heat_fig.update(f"now {side}", x=[r.steps[t]] * 2, y=[names[0], names[-1]],
                                 mode="lines", line={"color": "white", "width": 2})  # fmt: skip
            chain = r.chain_bound(t) * r.grad[t][-1]
            self.bars_fig.update(f"measured |dL/dW| ({side})", x=r.grad[t], y=names)
            self.bars_fig.update(
                f"slopes alone: last layer × product of mean |f′(z)| ({side})", x=chain, y=names
            )
            self.curves_fig.update(f"loss {side}", x=np.array(r.steps), y=np.array(r.losses))
            self.curves_fig.update(f"update ratio {side}", x=names, y=r.ratio[t])
            ended = self._ended[side]
            state = f" · <b>{html.escape(ended)}</b>" if ended else ""
            heads.append(
                self._head(
                    side,
                    f"{side}: {html.escape(r.setup.describe())}<br>step {r.steps[t]}: first / "
                    f"last layer = {r.first_to_last(t):.1e}{state}",
                )
            )
            if not live:
                edges, counts = r.histograms()
                share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
                centres = (edges[:-1] + edges[1:]) / 2
                self.hist_fig.update(f"histogram {side}", x=centres, y=names[:-1], z=share)
        names = self.runs["A"].layer_names if self.runs["A"] else []
        self.curves_fig.update(f"the usual healthy ratio, {GUIDE:g}", x=names,
                               y=[GUIDE] * len(names))  # fmt: skip
        self.heat_fig.relayout(annotations=heads)
