"""NeuronPanel: one neuron, its decision line, and the logic gates it can (not) learn."""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import traitlets as T

from ..scenes import neuron as scene
from .figures import sync_state
from .player import Player
from .state import PanelState

GRID = scene.plane(61)
CURVE_Z = np.linspace(-6, 6, 241)
COLORS = {0: "#d62728", 1: "#1f77b4"}


class NeuronPanel(PanelState, W.VBox):
    """Drag w1, w2 and b; pick an activation and a gate; press Learn.

    Every teachable parameter is a traitlet (``panel.w1 = 2`` moves the slider) and
    ``panel.state`` round-trips as a JSON-able dict.
    """

    w1 = T.Float(1.0).tag(sync=False)
    w2 = T.Float(1.0).tag(sync=False)
    b = T.Float(-1.5).tag(sync=False)
    activation = T.Enum(scene.ACTIVATIONS, "sign")
    gate = T.Enum(tuple(scene.GATES), "AND")
    rule = T.Enum(scene.RULES, "perceptron")
    learning_rate = T.Float(0.5)
    epochs = T.Int(30)

    STATE_KEYS = ("w1", "w2", "b", "activation", "gate", "rule", "learning_rate", "epochs")

    def __init__(self, **kwargs):
        super().__init__(layout=W.Layout(width="100%"))
        self._frames: list[scene.LearnFrame] = []
        self._network = None
        slider = dict(
            min=-6.0,
            max=6.0,
            step=0.1,
            continuous_update=True,
            readout_format=".2f",
            layout=W.Layout(width="300px"),
        )
        self.w1_slider = W.FloatSlider(description="w1", **slider)
        self.w2_slider = W.FloatSlider(description="w2", **slider)
        self.b_slider = W.FloatSlider(description="b (bias)", **slider)
        self.activation_select = W.Dropdown(options=scene.ACTIVATIONS, description="activation")
        self.gate_select = W.ToggleButtons(options=list(scene.GATES), description="gate")
        self.rule_select = W.Dropdown(options=scene.RULES, description="learn by")
        self.lr_slider = W.FloatLogSlider(
            base=10,
            min=-2,
            max=1,
            step=0.1,
            description="learning rate",
            style={"description_width": "initial"},
        )
        self.epochs_slider = W.IntSlider(min=1, max=300, description="epochs")
        for widget, name in (
            (self.w1_slider, "w1"),
            (self.w2_slider, "w2"),
            (self.b_slider, "b"),
            (self.activation_select, "activation"),
            (self.gate_select, "gate"),
            (self.rule_select, "rule"),
            (self.lr_slider, "learning_rate"),
            (self.epochs_slider, "epochs"),
        ):
            T.link((self, name), (widget, "value"))
        self.learn_button = W.Button(
            description="Learn",
            icon="play",
            button_style="primary",
            tooltip="train the neuron on the gate and replay it",
        )
        self.two_layer_button = W.Button(
            description="Add a hidden layer", tooltip="train a 2-3-1 network: the fix for XOR"
        )
        self.learn_button.on_click(lambda _: self.learn())
        self.two_layer_button.on_click(lambda _: self.show_two_layer())
        self.player = Player(self.render, description="epoch")
        self.message = W.HTML()
        self.table = W.HTML()
        self.plane_fig = self._build_plane()
        self.curve_fig = self._build_curves()
        controls = W.VBox(
            [
                self.w1_slider,
                self.w2_slider,
                self.b_slider,
                self.activation_select,
                self.gate_select,
                self.table,
            ]
        )
        learning = W.VBox(
            [
                self.rule_select,
                self.lr_slider,
                self.epochs_slider,
                W.HBox([self.learn_button, self.two_layer_button]),
                self.player,
                self.message,
            ]
        )
        self.children = [W.HBox([controls, self.plane_fig]), W.HBox([learning, self.curve_fig])]
        self.observe(self._redraw, names=["w1", "w2", "b", "activation", "gate"])
        self._check_arguments(kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)
        self._redraw()
        sync_state(self.plane_fig)
        sync_state(self.curve_fig)

    # figures ------------------------------------------------------------------------------
    def _build_plane(self) -> go.FigureWidget:
        fig = go.FigureWidget(
            layout=dict(
                width=520,
                height=460,
                margin=dict(l=50, r=20, t=50, b=45),
                title="Neuron output over the input plane",
                xaxis=dict(title="x1", range=[-0.5, 1.5], constrain="domain"),
                yaxis=dict(title="x2", range=[-0.5, 1.5], scaleanchor="x"),
                legend=dict(orientation="h", y=-0.18),
            )
        )
        fig.add_heatmap(
            x=GRID,
            y=GRID,
            z=np.zeros((GRID.size, GRID.size)),
            colorscale="RdBu",
            zmid=0.5,
            colorbar=dict(title="output", len=0.8),
            name="output",
            hovertemplate="x1=%{x:.2f}<br>x2=%{y:.2f}<br>output=%{z:.3f}<extra></extra>",
        )
        fig.add_scatter(
            x=[],
            y=[],
            mode="lines",
            line=dict(color="black", width=3),
            name="decision line (z = 0)",
            hoverinfo="skip",
        )
        for target in (0, 1):
            fig.add_scatter(
                x=[],
                y=[],
                mode="markers+text",
                name=f"target {target}",
                marker=dict(size=22, color=COLORS[target], line=dict(color="white", width=2)),
                textposition="top center",
                textfont=dict(size=20, color="black"),
                hovertemplate="%{customdata}<extra></extra>",
            )
        return fig

    def _build_curves(self) -> go.FigureWidget:
        fig = go.FigureWidget(
            layout=dict(
                width=520,
                height=340,
                margin=dict(l=50, r=20, t=50, b=45),
                title="Activation f(z) and its slope f'(z)",
                xaxis=dict(title="weighted sum z"),
                yaxis=dict(title="value", range=[-1.2, 1.6]),
                legend=dict(orientation="h", y=-0.25),
            )
        )
        fig.add_scatter(x=CURVE_Z, y=CURVE_Z, name="f(z)", line=dict(width=3))
        fig.add_scatter(x=CURVE_Z, y=CURVE_Z, name="f'(z)", line=dict(dash="dash"))
        fig.add_scatter(
            x=[],
            y=[],
            mode="markers",
            name="the four inputs",
            marker=dict(size=11, color="black"),
            hovertemplate="z=%{x:.2f}<br>f(z)=%{y:.3f}<extra></extra>",
        )
        fig.add_vrect(x0=-6, x1=-4, fillcolor="grey", opacity=0.12, line_width=0)
        fig.add_vrect(
            x0=4,
            x1=6,
            fillcolor="grey",
            opacity=0.12,
            line_width=0,
            annotation_text="saturation: slope near 0",
            annotation_position="top left",
        )
        return fig

    # drawing ------------------------------------------------------------------------------
    def _redraw(self, *_):
        rows = scene.truth_table(self.w1, self.w2, self.b, self.activation, self.gate)
        if self._network is not None:
            outs = self._network.predict(scene.INPUTS).ravel()
            rows = [
                scene.Row(r.x1, r.x2, r.target, float("nan"), float(o), int(o > 0.5))
                for r, o in zip(rows, outs)
            ]
        x1, x2 = np.meshgrid(GRID, GRID)
        if self._network is not None:
            out = self._network.predict(np.c_[x1.ravel(), x2.ravel()]).reshape(x1.shape)
        else:
            out, _ = scene.activate(
                self.activation, scene.weighted_sum(self.w1, self.w2, self.b, x1, x2)
            )
        line = None if self._network is not None else scene.decision_line(self.w1, self.w2, self.b)
        f, slope = scene.activate(self.activation, CURVE_Z)
        z_points = scene.weighted_sum(self.w1, self.w2, self.b, *scene.INPUTS.T)
        with self.plane_fig.batch_update():
            heat, dline, pts0, pts1 = self.plane_fig.data
            heat.z = out
            heat.zmid = scene.THRESHOLD[self.activation] if self._network is None else 0.5
            dline.x, dline.y = line if line is not None else ([], [])
            for trace, target in ((pts0, 0), (pts1, 1)):
                sel = [r for r in rows if r.target == target]
                trace.x = [r.x1 for r in sel]
                trace.y = [r.x2 for r in sel]
                trace.text = ["✓" if r.correct else "✗" for r in sel]
                trace.customdata = [
                    f"x=({r.x1}, {r.x2}) target {r.target}<br>z = {r.z:.2f}, output "
                    f"{r.output:.3f}<br>{'right' if r.correct else 'wrong'}"
                    for r in sel
                ]
        with self.curve_fig.batch_update():
            fz, dfz, marks = self.curve_fig.data
            fz.y, dfz.y = f, slope
            marks.x, marks.y = z_points, scene.activate(self.activation, z_points)[0]
            self.curve_fig.layout.title.text = f"{self.activation}: f(z) and its slope f'(z)"
        self.table.value = self._table_html(rows)

    def _table_html(self, rows) -> str:
        right = sum(r.correct for r in rows)
        cells = "".join(
            f"<tr><td>{r.x1}</td><td>{r.x2}</td><td>{r.target}</td>"
            f"<td>{'-' if np.isnan(r.z) else format(r.z, '+.2f')}</td>"
            f"<td>{r.output:.3f}</td><td>{r.predicted}</td>"
            f"<td style='color:{'green' if r.correct else 'crimson'}'>"
            f"{'✓' if r.correct else '✗'}</td></tr>"
            for r in rows
        )
        head = "".join(
            f"<th>{h}</th>" for h in ("x1", "x2", self.gate, "z", "output", "predicted", "")
        )
        who = "the network" if self._network is not None else "the neuron"
        return (
            f"<b>{html.escape(self.gate)} truth table</b> ({who} gets {right} of 4 right)"
            f"<table style='text-align:center;border-spacing:8px 2px'><tr>{head}</tr>"
            f"{cells}</table>"
        )

    # actions ------------------------------------------------------------------------------
    def learn(self) -> list[scene.LearnFrame]:
        """Train from the current weights and load the epochs into the player."""
        self._network = None
        if self.rule == "gradient descent" and self.activation != "sigmoid":
            self.activation = "sigmoid"
        if self.rule == "perceptron":
            self.activation = "sign"
        self._frames = scene.learn(
            self.gate,
            self.rule,
            self.learning_rate,
            self.epochs,
            (self.w1, self.w2, self.b),
            self.activation,
        )
        self.player.load(len(self._frames))
        last = self._frames[-1]
        verdict = (
            "all four rows right"
            if last.correct == 4
            else f"only {last.correct} of 4 right: no single line separates "
            f"{self.gate}. Try 'Add a hidden layer'."
        )
        self.message.value = (
            f"Trained {len(self._frames) - 1} epochs by {self.rule}: "
            f"{verdict} Press Play or drag the epoch slider."
        )
        self.render(0)
        return self._frames

    def render(self, i: int) -> None:
        """Show learning frame i: set the weights (sliders move, plots redraw)."""
        if not self._frames:
            return
        fr = self._frames[min(max(i, 0), len(self._frames) - 1)]
        with self.hold_trait_notifications():
            self.w1, self.w2, self.b = fr.w1, fr.w2, fr.b
        loss_name = "mistakes" if self.rule == "perceptron" else "BCE loss"
        self.message.value = (
            self.message.value.split("<br>")[0]
            + f"<br>epoch {fr.epoch}: {loss_name} {fr.loss:.4g}, "
            f"{fr.correct}/4 right"
        )

    def show_two_layer(self):
        """Train Dense(2,3)-tanh-Dense(3,1)-sigmoid on the gate and colour the plane by it."""
        model, history = scene.two_layer(self.gate)
        self._network = model
        self._redraw()
        self.message.value = (
            f"A hidden layer of 3 tanh neurons, trained {len(history)} "
            f"epochs with Adam: accuracy {history['accuracy'][-1]:.0%}. "
            "Two lines combined carve out the region one line cannot. "
            "Move any slider to return to the single neuron."
        )
        return model

    @T.observe("w1", "w2", "b", "activation", "gate")
    def _leave_network(self, change):
        if self._network is not None and change["name"] != "gate":
            self._network = None
