"""NeuronPanel: one neuron, its decision line, and the logic gates it can (not) learn.

The smallest panel on the kit, and the example to copy: traits with their controls, one
``recompute`` (ask the scene for a Picture), one ``render`` (draw it), precomputed frames
behind a player (Learn), and live training (the hidden layer).
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np
import traitlets as T

from ..scenes import neuron as scene
from . import theme
from .controls import Check, Choice, Frames, LogSlider, Slider
from .figure import Figure
from .panel import Panel, Training

COLORS = {0: theme.PALETTE[3], 1: theme.PALETTE[0]}
HIDDEN_LINES = "each hidden neuron's line (z = 0)"
WEIGHT = dict(step=0.1, readout_format=".3")


class NeuronPanel(Panel):
    """Drag w1, w2 and b; pick an activation and a gate; press Learn; add a hidden layer."""

    dashboard = "neuron.ipynb"
    extra_controls = ("learn",)
    title = "The neuron"
    summary = (
        "A weighted sum and an activation make a decision line; AND and OR are learnable, "
        "XOR is not, and a hidden layer (trained live) fixes it. Activation curves show where "
        "sigmoid saturates."
    )
    train_label = ("Add a hidden layer", "train a 2-3-1 network live: the fix for XOR")
    live_pace = 100.0  # 400 epochs in about 4 s: the regions can be seen forming

    w1 = T.Float(1.0, min=-10.0, max=10.0).tag(state=True, control=Slider(**WEIGHT), recompute=True)
    w2 = T.Float(1.0, min=-10.0, max=10.0).tag(state=True, control=Slider(**WEIGHT), recompute=True)
    b = T.Float(-1.5, min=-10.0, max=10.0).tag(
        state=True, control=Slider("b (bias)", **WEIGHT), recompute=True
    )
    activation = T.Enum(scene.ACTIVATIONS, "sign").tag(state=True, control=Choice(), recompute=True)
    gate = T.Enum(tuple(scene.GATES), "AND").tag(
        state=True, control=Choice(style="toggle"), recompute=True
    )
    rule = T.Enum(scene.RULES, "perceptron").tag(state=True, control=Choice("learn by"))
    learning_rate = T.Float(0.5, min=0.01, max=10.0).tag(state=True, control=LogSlider())
    epochs = T.Int(30, min=1, max=300).tag(state=True, control=Slider())
    step = T.Int(0, min=0).tag(state=True, control=Frames("epoch", interval_ms=150))
    show_slope = T.Bool(True).tag(state=True, control=Check("show the slope f'(z)"), render=True)

    def build(self):
        self.frames: list[scene.LearnFrame] = []
        self.network = None
        self.picture: scene.Picture | None = None
        self._verdict = ""
        self.table = W.HTML()
        self.learn_button = W.Button(
            description="Learn",
            icon="play",
            button_style="primary",
            tooltip="train the single neuron on the gate, then replay it epoch by epoch",
        )
        self.learn_button.on_click(lambda _: self.learn())
        self.controls["learn"] = self.learn_button
        self.plane_fig = self._plane_figure()
        self.curve_fig = self._curve_figure()
        self.figures = [self.plane_fig, self.curve_fig]
        c = self.controls
        grow = dict(flex="1 1 400px", min_width="340px")
        self.plane_fig.layout = W.Layout(**grow)
        self.curve_fig.layout = W.Layout(**grow)
        self.children = [
            theme.row(
                [
                    theme.column(
                        [c["w1"], c["w2"], c["b"], c["activation"], c["gate"], self.table],
                        width="340px",
                    ),
                    self.plane_fig,
                ]
            ),
            theme.row(
                [
                    theme.column(
                        [c["rule"], c["learning_rate"], c["epochs"], c["learn"], c["step"]],
                        width="340px",
                    ),
                    theme.column([self.curve_fig, c["show_slope"]], **grow),
                ]
            ),
            c["train"],
            self.message,
            self.link,
        ]

    # figures ------------------------------------------------------------------------------
    def _plane_figure(self) -> Figure:
        grid = scene.GRID
        points = [
            dict(
                type="scatter",
                name=f"target {t}",
                x=[],
                y=[],
                mode="markers+text",
                marker=dict(size=22, color=COLORS[t], line=dict(color="white", width=2)),
                textposition="top center",
                textfont=dict(size=20, color="black"),
                hovertemplate="%{customdata}<extra></extra>",
            )
            for t in (0, 1)
        ]
        return Figure(
            [
                dict(
                    type="heatmap",
                    name="output",
                    x=grid,
                    y=grid,
                    z=np.zeros((grid.size, grid.size)),
                    colorscale="RdBu",
                    zmid=0.5,
                    colorbar=dict(title=dict(text="output"), len=0.8),
                    hovertemplate="x1=%{x:.2f}<br>x2=%{y:.2f}<br>output=%{z:.3f}<extra></extra>",
                ),
                dict(
                    type="scatter",
                    name="decision line (z = 0)",
                    x=[],
                    y=[],
                    mode="lines",
                    line=dict(color="black", width=3),
                    hoverinfo="skip",
                ),
                dict(
                    type="scatter",
                    name=HIDDEN_LINES,
                    x=[],
                    y=[],
                    mode="lines",
                    line=dict(color="black", width=2, dash="dash"),
                    hoverinfo="skip",
                ),
                *points,
            ],
            theme.layout(
                440,
                title={"text": "Neuron output over the input plane"},
                xaxis=theme.axis("x1", range=[-0.5, 1.5], constrain="domain"),
                yaxis=theme.axis("x2", range=[-0.5, 1.5], scaleanchor="x"),
                legend={"orientation": "h", "y": -0.2},
            ),
        )

    def _curve_figure(self) -> Figure:
        z = scene.CURVE_Z
        shade = dict(type="rect", yref="paper", y0=0, y1=1, fillcolor="grey", opacity=0.12)
        return Figure(
            [
                dict(type="scatter", name="f(z)", x=z, y=z, line=dict(width=3)),
                dict(type="scatter", name="f'(z)", x=z, y=z, line=dict(dash="dash")),
                dict(
                    type="scatter",
                    name="the four inputs",
                    x=[],
                    y=[],
                    mode="markers",
                    marker=dict(size=11, color="black"),
                    hovertemplate="z=%{x:.2f}<br>f(z)=%{y:.3f}<extra></extra>",
                ),
            ],
            theme.layout(
                340,
                xaxis=theme.axis("weighted sum z"),
                yaxis=theme.axis("value", range=[-1.2, 1.6]),
                legend={"orientation": "h", "y": -0.3},
                shapes=[
                    {**shade, "x0": -6, "x1": -4, "line": {"width": 0}},
                    {**shade, "x0": 4, "x1": 6, "line": {"width": 0}},
                ],
                annotations=[
                    dict(
                        x=5,
                        y=1.0,
                        yref="paper",
                        yanchor="bottom",
                        showarrow=False,
                        text="saturated: slope near 0",
                        font=dict(color=theme.MUTED),
                    )
                ],
            ),
        )

    # compute and draw ---------------------------------------------------------------------
    def recompute(self):
        self.picture = scene.picture(
            self.w1, self.w2, self.b, self.activation, self.gate, self.network
        )

    def render(self):
        pic = self.picture
        if pic is None:
            return
        with self.plane_fig.batch():
            self.plane_fig.update("output", z=pic.output, zmid=pic.threshold)
            xs, ys = [], []
            for lx, ly in pic.lines:  # several lines in one trace, a gap between them
                xs += [*lx, None]
                ys += [*ly, None]
            net = pic.who == "the network"
            self.plane_fig.update("decision line (z = 0)", x=[] if net else xs, y=[] if net else ys)
            self.plane_fig.update(HIDDEN_LINES, x=xs if net else [], y=ys if net else [])
            for target in (0, 1):
                rows = [r for r in pic.rows if r.target == target]
                self.plane_fig.update(
                    f"target {target}",
                    x=[r.x1 for r in rows],
                    y=[r.x2 for r in rows],
                    text=["✓" if r.correct else "✗" for r in rows],
                    customdata=[
                        f"x=({r.x1}, {r.x2}) target {r.target}<br>z = {r.z:.2f}, output "
                        f"{r.output:.3f}<br>{'right' if r.correct else 'wrong'}"
                        for r in rows
                    ],
                )
            none = "" if pic.lines or net else ": no line (w1 = w2 = 0, so z = b everywhere)"
            title = f"Output of {pic.who} over the input plane: {pic.right} of 4 right{none}"
            self.plane_fig.relayout(title={"text": title})
        z, f, slope = pic.curve
        with self.curve_fig.batch():
            self.curve_fig.update("f(z)", y=f)
            self.curve_fig.update("f'(z)", y=slope, visible=self.show_slope)
            self.curve_fig.update("the four inputs", x=pic.inputs_z, y=pic.inputs_f)
            who = " (the hidden neurons)" if pic.who == "the network" else ""
            title = f"{pic.activation}{who}: f(z) and its slope f'(z)"
            self.curve_fig.relayout(title={"text": title})
        self.table.value = self._table_html(pic)

    def _table_html(self, pic) -> str:
        cells = "".join(
            f"<tr><td>{r.x1}</td><td>{r.x2}</td><td>{r.target}</td>"
            f"<td>{'-' if np.isnan(r.z) else format(r.z, '+.2f')}</td>"
            f"<td>{r.output:.3f}</td><td>{r.predicted}</td>"
            f"<td style='color:{theme.OK if r.correct else theme.ERROR}'>"
            f"{'✓' if r.correct else '✗'}</td></tr>"
            for r in pic.rows
        )
        head = "".join(
            f"<th>{h}</th>" for h in ("x1", "x2", self.gate, "z", "output", "predicted", "")
        )
        return (
            f"<b>{html.escape(self.gate)} truth table</b> ({pic.who} gets {pic.right} of 4 "
            f"right)<table style='text-align:center;border-spacing:8px 2px;font-size:15px'>"
            f"<tr>{head}</tr>{cells}</table>"
        )

    # Learn: precomputed epochs behind the player ------------------------------------------
    def learn(self) -> list[scene.LearnFrame]:
        """Train the single neuron from the current weights and load its epochs into the
        player (the perceptron rule uses the step, gradient descent a sigmoid)."""
        self.stop()  # the single neuron again: a hidden layer still training ends here
        with self.batch():
            self.network = None
            self.activation = "sign" if self.rule == "perceptron" else "sigmoid"
            self.frames = scene.learn(
                self.gate,
                self.rule,
                self.learning_rate,
                self.epochs,
                (self.w1, self.w2, self.b),
                self.activation,
            )
            how = "The perceptron rule" if self.rule == "perceptron" else "Gradient descent"
            self._verdict = f"{how}: " + scene.verdict(self.gate, self.frames)
            self.controls["step"].set_frames(len(self.frames))
            if self.step == 0:
                self._show_frame(0)
            else:
                self.step = 0
        return self.frames

    @T.observe("step")
    def _step_moved(self, change):
        self._show_frame(change["new"])

    def _show_frame(self, i: int) -> None:
        if not self.frames:
            return
        fr = self.frames[min(max(i, 0), len(self.frames) - 1)]
        with self.batch():
            self.w1, self.w2, self.b = fr.w1, fr.w2, fr.b
        loss = "mistakes" if self.rule == "perceptron" else "BCE loss"
        self.say(
            f"{self._verdict}<br>epoch {fr.epoch}: {loss} {fr.loss:.4g}, {fr.correct} of 4 "
            "right. Press Play or drag the epoch slider."
        )

    @T.observe("gate", "rule")
    def _forget_frames(self, change):
        """Frames and a verdict belong to the gate and rule they were learned with."""
        self.stop()
        self.frames, self._verdict = [], ""
        self.controls["step"].set_frames(1)
        self.network = None
        self.say("")

    @T.observe("w1", "w2", "b", "activation")
    def _leave_network(self, change):
        """A weight moved: back to the single neuron (a hidden layer training stops)."""
        self.stop()
        if self.network is not None:
            self.network = None
            self.say("Back to the single neuron: press <b>Add a hidden layer</b> to train it.")

    # the hidden layer, trained live -------------------------------------------------------
    def start_training(self) -> Training:
        model, trainer = scene.hidden_layer(self.gate)
        self._hidden = model
        self._accuracy, self._epoch = 0.0, 0
        return Training(trainer.events(scene.HIDDEN_EPOCHS), scene.HIDDEN_EPOCHS)

    def on_event(self, event):
        if event.kind == "epoch":
            self._accuracy = event.metrics["accuracy"]
            self._epoch = event.epoch

    def draw_training(self):
        self.network = self._hidden
        self.refresh()
        self.say(
            f"A hidden layer of 3 tanh neurons, epoch {self._epoch} of "
            f"{scene.HIDDEN_EPOCHS} with Adam: accuracy {self._accuracy:.0%}. Two lines "
            "combined carve out the region one line cannot. Move any weight to return to "
            "the single neuron."
        )
