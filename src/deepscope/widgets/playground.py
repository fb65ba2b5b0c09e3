"""PlaygroundPanel: TensorFlow Playground in a notebook, trained by deepscope's engine."""

from __future__ import annotations

import html
import time

import ipywidgets as W
import numpy as np
import traitlets as T

from ..scenes import playground as scene
from . import raster, theme
from .controls import Check, Choice, Slider
from .figure import Figure
from .panel import Panel, Training
from .playground_tabs import SCALE, CompareTab, FilesTab, SearchTab, thin

# the Playground's colours: orange for -1, near-white for 0, blue for +1
ORANGE, BLUE, PALE = "#f59322", "#0877bd", "#e8eaeb"
NAN_GREY = "#9e9e9e"
CLASS_COLORS = (ORANGE, BLUE, "#2ca02c", "#d62728", "#9467bd")  # class 0, 1 as the Playground's
MAP_HOVER = "x₁ %{x:.2f}, x₂ %{y:.2f}: %{z:.3f}<extra></extra>"
# tiles: NaN is drawn as -1.2, below the colours' -1..1 (a grey band at the scale's foot)
SLOW_EVERY_S = 0.2  # while training, hover cards and the loss chart: 5 times a second
CELLS = 10  # a neuron's thumbnail: 10 x 10 cells, the Playground's
GAP_X, GAP_Y = 1.6, 0.4  # between layer columns / between tiles, in tile sizes
SPEEDS = {60: "60 epochs/s (the Playground's)", 600: "600/s", 6000: "6000/s", 0: "flat out"}
DATASETS = {
    "circle": "circle",
    "xor": "exclusive or",
    "gauss": "two Gaussians",
    "spiral": "spiral",
    "multi-spiral": "spiral arms (3-5 classes)",
    "blobs": "blobs (3-5 classes)",
    "reg-plane": "plane (regression)",
    "reg-gauss": "multi Gaussian (regression)",
    "sin": "sine curve, 1-D (regression)",
    "step": "step, 1-D (regression)",
    scene.OWN: "your data (load it in the Files tab)",
}


ACTIVATION_LABELS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid", "linear": "Linear"}
#: setups a teacher picks from the preset menu (the lesson's and the notebook's experiments)
OVERFIT = dict(dataset="xor", noise=20, train_percent=10, network_shape=[8, 8, 8], show_test=True)
PRESETS = {
    "the Playground's defaults": {},
    "XOR: one neuron cannot": dict(dataset="xor", network_shape=[]),
    "XOR with the X₁X₂ feature": dict(dataset="xor", features=["x1", "x2", "x1x2"],
                                       network_shape=[]),
    "the spiral needs depth": dict(dataset="spiral", network_shape=[8, 8]),
    "overfitting: 152 weights, 50 noisy points": OVERFIT,
    "overfitting, cured by L2": dict(OVERFIT, regularization="L2", regularization_rate=0.03),
    "overfitting, cured by early stopping": dict(OVERFIT, early_stopping=True),
    "overfitting, cured by more data": dict(OVERFIT, train_percent=50),
    "overfitting, cured by a smaller network": dict(OVERFIT, network_shape=[8]),
    "universal approximation: a sine from 6 tanh units": dict(
        dataset="sin", features=["x1"], network_shape=[6]),
    "universal approximation: a step from 8 ReLU units": dict(
        dataset="step", features=["x1"], network_shape=[8], activation="relu"),
}  # fmt: skip


def _pretty(rate) -> str:
    return f"{rate:g}"


class PlaygroundPanel(Panel):
    """TensorFlow Playground's experiment with its controls where its users expect them:
    its data sets, features (click an input to turn it on or off), 0-6 hidden layers of
    1-8 neurons (+ / - buttons), learning rate, activation, regularisation, batch size;
    trained by its own rule, live, with the output and every neuron's picture over the
    plane, the links drawn by weight (click one to type a new weight), both losses."""

    dashboard = "playground.ipynb"
    title = "Network playground"
    summary = (
        "TensorFlow Playground's experiments, same data, features, rule and controls: "
        "watch every neuron's picture form as the network trains, thousands of epochs a "
        "second; click an input to toggle it, + / - for layers, click a link to set a weight."
    )
    train_label = ("Play", "train on from where the network is (Reset starts again)")
    extra_controls = ("reset", "regenerate", "layers", "edit", "preset")
    #: frames the kernel draws a second while training; the page shows a few less (two
    #: frames that reach it within one of its own frames are drawn once)
    live_fps = 25.0
    tab_titles = ("Network", "Your data and files", "Compare runs", "Search")

    # the problem type follows from the data set (not part of the state: the data says it)
    problem = T.Enum(scene.PROBLEMS, "classification").tag(control=Choice("problem type"))
    dataset = T.Enum(tuple(DATASETS), "circle").tag(
        state=True, control=Choice("data", labels=DATASETS), recompute=True
    )
    train_percent = T.Int(50, min=10, max=90).tag(
        state=True, control=Slider("training data (%)", step=10), recompute=True
    )
    noise = T.Int(0, min=0, max=50).tag(
        state=True, control=Slider("noise (%)", step=5), recompute=True
    )
    batch_size = T.Int(10, min=1, max=30).tag(
        state=True, control=Slider("batch size"), recompute=True
    )
    seed = T.Int(0, min=0).tag(state=True, recompute=True)
    features = T.List(T.Enum(tuple(scene.FEATURES)), ["x1", "x2"]).tag(state=True, recompute=True)
    network_shape = T.List(T.Int(min=1, max=scene.MAX_NEURONS), [4, 2]).tag(
        state=True, recompute=True
    )
    learning_rate = T.Enum(scene.LEARNING_RATES, 0.03).tag(
        state=True,
        control=Choice("learning rate", labels={r: _pretty(r) for r in scene.LEARNING_RATES}),
    )
    activation = T.Enum(tuple(scene.ACTIVATIONS), "tanh").tag(
        state=True,
        control=Choice(labels=ACTIVATION_LABELS),
        recompute=True,
    )
    regularization = T.Enum(tuple(scene.REGULARIZATIONS), "none").tag(
        state=True, control=Choice(labels={"none": "None"}), recompute=True
    )
    regularization_rate = T.Enum(scene.REGULARIZATION_RATES, 0.0).tag(
        state=True,
        control=Choice(
            "regularization rate", labels={r: _pretty(r) for r in scene.REGULARIZATION_RATES}
        ),
        recompute=True,
    )
    show_test = T.Bool(False).tag(state=True, control=Check("show test data"), render=True)
    discretize = T.Bool(False).tag(state=True, control=Check("discretize output"), render=True)
    speed = T.Enum(tuple(SPEEDS), 60).tag(state=True, control=Choice("speed", labels=SPEEDS))
    epochs = T.Enum((100, 1000, 10000, 100000), 1000).tag(
        state=True, control=Choice("epochs per Play")
    )
    # beyond the Playground
    layer_activations = T.List(T.Unicode()).tag(state=True, recompute=True)  # "" = activation
    normalize = T.Enum(scene.NORMALIZE, "none").tag(
        state=True, control=Choice("normalise inputs"), recompute=True
    )
    early_stopping = T.Bool(False).tag(
        state=True,
        control=Check("early stopping (watch 20% of the training points)"),
        recompute=True,
    )
    patience = T.Enum((25, 50, 100, 200), 50).tag(state=True, control=Choice("patience (epochs)"))
    classes = T.Int(3, min=2, max=5).tag(
        state=True, control=Slider("classes (spiral arms, blobs)"), recompute=True
    )
    loss = T.Enum(("squared", "cross-entropy"), "squared").tag(
        state=True,
        control=Choice(
            labels={"squared": "squared error (the Playground's)", "cross-entropy": "cross-entropy"}
        ),
        recompute=True,
    )
    optimizer = T.Enum(("sgd", "momentum", "adam"), "sgd").tag(
        state=True,
        control=Choice(
            labels={
                "sgd": "SGD (the Playground's)",
                "momentum": "SGD + momentum 0.9",
                "adam": "Adam",
            }
        ),
        recompute=True,
    )
    dropout = T.Float(0.0, min=0.0, max=0.5).tag(
        state=True, control=Slider("dropout", step=0.1), recompute=True
    )
    batch_norm = T.Bool(False).tag(state=True, control=Check("batch norm"), recompute=True)

    # building -----------------------------------------------------------------------------
    def build(self):
        self.experiment: scene.Experiment | None = None
        self.own_data = None  # (points, labels or targets, problem) from a CSV
        self._built = self._resetting = False  # a network built yet; one being replaced
        self._setup = None
        self._shown = None  # (layer, node) in the big picture; None: the output
        self._editing = None  # ("weight", layer, node, source) or ("bias", layer, node)
        self._slow_drawn = 0.0
        self.net_fig, self.out_fig = self._network_figure(), self._output_figure()
        self.loss_fig = self._loss_figure()
        self.curve_fig = self._curve_figure()
        self.net_fig.layout = W.Layout(flex="1 1 520px", min_width="420px")
        self.figures = [self.net_fig, self.out_fig, self.curve_fig, self.loss_fig]
        self.net_fig.on_click(self._clicked, traces=["nodes", "link points"])

        def auto():
            return W.Layout(width="auto")

        reset = W.Button(description="Reset", icon="undo", tooltip="a new network", layout=auto())
        reset.on_click(lambda _: self.reset())
        regenerate = W.Button(
            description="Regenerate",
            icon="refresh",
            tooltip="new points from a new seed",
            layout=auto(),
        )
        regenerate.on_click(lambda _: setattr(self, "seed", self.seed + 1))
        self.controls["reset"], self.controls["regenerate"] = reset, regenerate
        self.layer_box = W.HBox(layout=W.Layout(flex_flow="row wrap", align_items="center"))
        self.controls["layers"] = self.layer_box
        self.edit_label = W.HTML()
        self.edit_value = W.FloatText(layout=W.Layout(width="110px"))
        edit_set = W.Button(description="Set", tooltip="use this value", layout=auto())
        edit_set.on_click(lambda _: self._set_value())
        self.controls["edit"] = W.HBox(
            [self.edit_label, self.edit_value, edit_set], layout=W.Layout(align_items="center")
        )
        self.readout = W.HTML()
        c = self.controls
        for name in (
            "learning_rate",
            "activation",
            "regularization",
            "regularization_rate",
            "problem",
        ):
            c[name].layout = W.Layout(width="200px")
            c[name].style = {"description_width": "initial"}
        top = theme.row(
            [
                c["learning_rate"],
                c["activation"],
                c["regularization"],
                c["regularization_rate"],
                c["problem"],
            ]
        )
        data = theme.row(
            [c["dataset"], c["regenerate"], c["train_percent"], c["noise"], c["batch_size"]]
        )
        preset = W.Dropdown(
            description="preset",
            options=[("choose an experiment…", ""), *[(k, k) for k in PRESETS]],
            style=theme.WIDE,
            layout=W.Layout(width="380px"),
        )

        def chose(change):
            if change["new"]:
                self.apply_preset(change["new"])
                preset.value = ""

        preset.observe(chose, names="value")
        c["preset"] = preset
        play = theme.row([c["reset"], c["train"], c["speed"], c["epochs"]])
        beyond = W.VBox([
            theme.row([c["preset"], c["normalize"], c["early_stopping"], c["patience"]]),
            theme.row([c["loss"], c["optimizer"], c["dropout"], c["batch_norm"], c["classes"]]),
        ])  # fmt: skip
        look = theme.row([c["show_test"], c["discretize"]])
        right = W.VBox([self.out_fig, self.curve_fig, self.loss_fig],
                       layout=W.Layout(flex="1 1 360px", min_width="330px"))  # fmt: skip
        network = W.VBox(
            [
                c["layers"],
                c["edit"],
                theme.row([self.net_fig, right]),
                self.readout,
                look,
            ]
        )
        self.files, self.compare, self.search = FilesTab(self), CompareTab(self), SearchTab(self)
        self.tabs = W.Tab(
            children=[network, self.files, self.compare, self.search], titles=self.tab_titles
        )
        self.tabs.observe(lambda _: self._tab_opened(), names="selected_index")
        self.children = [play, top, data, beyond, self.message, self.tabs, self.link]
        self._layer_buttons()
        self._classes_shown()
        self.show_control("edit", False)
        self.say(
            "Press <b>Play</b>. Click an input (left) to turn that feature on or off, a "
            "neuron to see its picture large, a link's dot to set its weight."
        )

    def _layer_buttons(self):
        """- / + for the number of hidden layers, and for each layer's neurons."""

        def button(text, tip, fn, disabled=False):
            b = W.Button(
                description=text,
                tooltip=tip,
                disabled=disabled,
                layout=W.Layout(width="34px", padding="0"),
            )
            b.on_click(lambda _: fn())
            return b

        def group(widgets):  # one layer's buttons never wrap apart
            return W.HBox(widgets, layout=W.Layout(align_items="center", flex="0 0 auto"))

        n = len(self.network_shape)
        items = [
            button("−", "remove the last hidden layer", self._remove_layer, n == 0),
            button("+", "add a hidden layer", self._add_layer, n == scene.MAX_LAYERS),
            W.HTML(
                f"<b>{n} hidden layer{'s' if n != 1 else ''}</b>",
                layout=W.Layout(margin="0 18px 0 6px"),
            ),
        ]
        groups = [group(items)]
        for i, width in enumerate(self.network_shape):
            items = [
                button(
                    "−",
                    f"one neuron less in layer {i + 1}",
                    lambda i=i: self._neurons(i, -1),
                    width == 1,
                ),
                button(
                    "+",
                    f"one neuron more in layer {i + 1}",
                    lambda i=i: self._neurons(i, 1),
                    width == scene.MAX_NEURONS,
                ),
                W.HTML(
                    f"layer {i + 1}: {width} neuron{'s' if width != 1 else ''}",
                    layout=W.Layout(margin="0 4px 0 4px"),
                ),
                self._layer_activation(i),
            ]
            groups.append(group(items))
        self.layer_box.children = groups

    def _layer_activation(self, layer: int) -> W.Dropdown:
        """Layer ``layer``'s own activation ("as set" follows the activation menu)."""
        chosen = list(self.layer_activations) + [""] * len(self.network_shape)
        pick = W.Dropdown(
            options=[("as set", ""), *[(ACTIVATION_LABELS[a], a) for a in scene.ACTIVATIONS]],
            value=chosen[layer] if chosen[layer] in ("", *scene.ACTIVATIONS) else "",
            tooltip=f"layer {layer + 1}'s activation",
            layout=W.Layout(width="90px", margin="0 14px 0 0"),
        )

        def changed(change):
            acts = (list(self.layer_activations) + [""] * len(self.network_shape))[
                : len(self.network_shape)
            ]
            acts[layer] = change["new"]
            self.layer_activations = acts if any(acts) else []

        pick.observe(changed, names="value")
        return pick

    @T.observe("network_shape", "layer_activations")
    def _hidden_changed(self, change):
        if hasattr(self, "layer_box"):
            self._layer_buttons()

    def _add_layer(self):
        if len(self.network_shape) < scene.MAX_LAYERS:
            self.network_shape = [*self.network_shape, 2]

    def _remove_layer(self):
        if self.network_shape:
            self.network_shape = self.network_shape[:-1]

    def _neurons(self, layer: int, delta: int):
        widths = list(self.network_shape)
        widths[layer] = min(max(widths[layer] + delta, 1), scene.MAX_NEURONS)
        self.network_shape = widths

    @T.observe("problem")
    def _problem_changed(self, change):
        kind = scene.CLASSIFY if self.problem == "classification" else scene.REGRESS
        kind = kind + (tuple(scene.CURVES) if self.problem == "regression" else ())
        own = self.dataset == scene.OWN and self.own_data and self.own_data[2] == self.problem
        if self.dataset not in kind and not own:
            self.dataset = kind[0]

    @T.observe("dataset")
    def _dataset_changed(self, change):
        self._classes_shown()
        if self.dataset == scene.OWN:
            if self.own_data:
                self.problem = self.own_data[2]
            return
        classify = self.dataset in (*scene.CLASSIFY, *scene.MULTICLASS)
        self.problem = "classification" if classify else "regression"

    def _classes_shown(self):
        if "classes" in self.controls:
            self.show_control("classes", self.dataset in scene.MULTICLASS)

    def _tab_opened(self):
        if self.tabs.selected_index == 2:
            self.compare.draw()

    def restart(self):
        self.reset()

    def reset(self):
        """A new network from the same settings (the Playground's Reset)."""
        self.stop()
        self._setup = None
        self.refresh()

    # the experiment ---------------------------------------------------------------------
    def _setup_now(self) -> tuple:
        return (
            self.problem,
            self.dataset,
            self.noise,
            self.train_percent,
            self.seed,
            tuple(self.features),
            tuple(self.network_shape),
            self.activation,
            self.regularization,
            self.regularization_rate,
            self.batch_size,
            id(self.own_data),
            tuple(self.layer_activations),
            self.normalize,
            self.early_stopping,
            self.classes,
            self.loss,
            self.optimizer,
            self.dropout,
            self.batch_norm,
        )

    def recompute(self):
        setup = self._setup_now()
        if setup != self._setup or self.experiment is None:
            self._resetting = True
            self.stop()  # as in the Playground: a new setting is a new network
            self._resetting = False
            self.experiment = scene.Experiment(
                problem=self.problem,
                dataset=self.dataset,
                noise=self.noise,
                train_percent=self.train_percent,
                seed=self.seed,
                features=self.features,
                hidden=tuple(self.network_shape),
                activation=self._activations(),
                data=self.own_data[:2] if self.own_data else None,
                normalize=self.normalize,
                validation_percent=20 if self.early_stopping else 0,
                classes=self.classes,
                loss=self.loss,
                optimizer=self.optimizer,
                dropout=self.dropout,
                batch_norm=self.batch_norm,
            )
            self._setup = setup
            if self._built:  # not the first picture: say why the network is new
                self.say("A new setting, a new network: press <b>Play</b>.")
            self._built = True
            if hasattr(self, "training_bar"):
                self.training_bar.clear()
            self._shown, self._editing = None, None
            self.show_control("edit", False)
            self._layout_network()

    def _activations(self) -> list[str]:
        """Each hidden layer's activation: its own where one is set, else the menu's."""
        own = list(self.layer_activations)
        if len(own) > len(self.network_shape):
            own = own[: len(self.network_shape)]
        bad = [a for a in own if a and a not in scene.ACTIVATIONS]
        if bad:
            allowed = ", ".join(scene.ACTIVATIONS)
            raise ValueError(
                f"layer_activations: {bad} are not activations; allowed: {allowed} or '' "
                "(the menu's)"
            )
        own += [""] * (len(self.network_shape) - len(own))
        return [a or self.activation for a in own]

    def apply_preset(self, name: str) -> None:
        """One of ``PRESETS``: the Playground's defaults, then the preset's settings."""
        if name not in PRESETS:
            raise ValueError(f"preset must be one of {', '.join(PRESETS)}; got {name!r}")
        keep = ("hidden", "speed", "epochs")  # the teacher's classroom and pace stay
        defaults = {k: self.trait_defaults(k) for k in self.state_keys() if k not in keep}
        self.state = {**defaults, **PRESETS[name]}
        self.say(f"Preset: {html.escape(name)}. Press <b>Play</b>.")

    def render(self):
        if self.experiment is not None:
            self._draw_points()
            self._draw()

    def _settings(self) -> dict:
        return dict(
            learning_rate=self.learning_rate,
            regularization=self.regularization,
            regularization_rate=self.regularization_rate,
            batch_size=self.batch_size,
        )

    @T.observe("speed")
    def _speed_changed(self, change):
        if self._runner is not None and self.running:
            self._runner.set_pace(self.speed or None)

    def start_training(self) -> Training:
        if self.experiment is None:
            self.refresh()
        if self.experiment is None:  # the settings are wrong: the message says why
            raise ValueError("fix the setting in the message above first")
        self.live_pace = self.speed or None

        def chunk():  # epochs per compiled call: one while stepping, fewer when paced
            if self.paused:
                return 1
            return max(1, self.speed // 200) if self.speed else 20  # ~2 ms a call

        self._early = None
        patience = self.patience if self.early_stopping else 0
        events = scene.training(self.experiment, self._settings, self.epochs, chunk, patience)
        what = f"{'-'.join(map(str, self.network_shape)) or 'no hidden layer'}"
        self.say(
            f"Training ({what}, learning rate {self.learning_rate:g}) from epoch "
            f"{self.experiment.epoch:,}: Pause, Stop or change the learning rate any time."
        )
        return Training(events, self.epochs, start=self.experiment.epoch)

    def on_event(self, event):
        if event.kind == "stopped":
            self._early = event

    def draw_training(self):
        slow = self._draw(live=self.running and not self.paused)
        if slow and self.tabs.selected_index == 2:
            self.compare.draw()  # the tab open while it trains follows it, 5 times a second

    def training_finished(self, reason):
        e = self.experiment
        if self._resetting:
            return  # the new network's message follows
        self.render()  # the map's hover values too
        if reason == "stopped" and self._early is not None:
            self.say(html.escape(self._early.message) + " Play trains on from here.", "ok")
            return
        if reason in ("finished", "stopped") and e is not None:
            kind = "ok" if reason == "finished" else "warn"
            self.say(
                f"{'Stopped' if reason == 'stopped' else 'Done'} at epoch {e.epoch:,}: "
                "Play trains on from here, Reset starts again.",
                kind,
            )

    @T.observe("learning_rate")
    def _rate_said(self, change):
        if self.running and self.experiment is not None:  # the line above named the old rate
            self.say(
                f"Learning rate {change['new']:g} from epoch {self.experiment.epoch:,}: the "
                "network keeps what it learned. Pause, Stop or change it again any time."
            )

    @T.observe("paused")
    def _paused_said(self, change):
        if self.running and self.experiment is not None:
            if change["new"]:
                self.say(f"Paused at epoch {self.experiment.epoch:,}: Resume carries on, Step "
                         "one epoch goes one at a time.")  # fmt: skip
            else:
                self.say("Training on: Pause, Stop or change the learning rate any time.")

    # clicks and edits ---------------------------------------------------------------------
    def _clicked(self, trace, point):
        index = point.get("index")
        if index is None:
            return
        if trace == "nodes":
            kind, layer, node = self._node_at[index]
            if kind == "input":
                name = list(scene.FEATURES)[node]
                on = list(self.features)
                self.features = [f for f in on if f != name] if name in on else [*on, name]
                return
            self._shown = None if self._shown == (layer, node) else (layer, node)
            self._edit(("bias", layer, node))
        else:
            self._edit(("weight", *self._link_at[index]))
        self.render()

    def _edit(self, what):
        net = self.experiment.network
        self._editing = what
        if what[0] == "bias":
            _, layer, node = what
            value = net.biases(layer)[node]
            text = f"bias of {self._node_name(layer + 1, node)}"
        else:
            _, layer, node, source = what
            value = net.weights(layer)[node, source]
            text = f"weight {self._node_name(layer, source)} → {self._node_name(layer + 1, node)}"
        self._edit_text = text
        self.edit_label.value = f"<b>{html.escape(text)}</b> = "
        self.edit_value.value = float(np.round(value, 6)) if np.isfinite(value) else 0.0
        self.show_control("edit", True)

    def _set_value(self):
        if self._editing is None or self.experiment is None:
            return
        net, value = self.experiment.network, self.edit_value.value
        try:
            if self._editing[0] == "bias":
                net.set_bias(*self._editing[1:], value)
            else:
                net.set_weight(*self._editing[1:], value)
        except (TypeError, ValueError) as err:
            self.show_error(err)
            return
        self.say(
            f"{html.escape(self._edit_text)} set to {value:g}: press Play to see what the "
            "network makes of it."
        )
        self.render()

    def _node_name(self, column: int, node: int) -> str:
        """A node by its column (0: the inputs) in words."""
        if column == 0:
            return scene.FEATURES[self.experiment.features[node]][0]
        if column == self.experiment.network.n_layers:
            return "the output" if self.experiment.k == 2 else f"output {node + 1} (class {node})"
        return f"neuron {node + 1} of layer {column}"

    # figures ------------------------------------------------------------------------------
    def _network_figure(self) -> Figure:
        key = (
            f"links: <span style='color:{BLUE}'>blue weight &gt; 0</span>, "
            f"<span style='color:{ORANGE}'>orange &lt; 0</span>, thicker: larger; "
            "dotted grey: dead (L1) or not a number"
        )
        layout = theme.layout(
            460,
            title={"text": "The network: features, hidden layers, output"},
            showlegend=False,
            margin={"l": 10, "r": 10, "t": 50, "b": 40},
            plot_bgcolor="white",
            hovermode="closest",
        )
        bare = dict(visible=False, fixedrange=True, constrain="domain")
        layout["xaxis"] = dict(bare)
        layout["yaxis"] = dict(bare, scaleanchor="x")
        layout["images"] = [
            dict(source="", xref="x", yref="y", x=0, y=0, sizex=1, sizey=1, xanchor="left",
                 yanchor="top", sizing="stretch", layer="below")
        ]  # fmt: skip
        layout["annotations"] = [
            dict(
                text=key,
                x=0,
                y=-0.02,
                xref="paper",
                yref="paper",
                xanchor="left",
                yanchor="top",
                showarrow=False,
                font=dict(size=13),
            )
        ]
        traces = []
        traces.append(
            dict(
                type="scatter",
                name="shown",
                mode="markers",
                x=[],
                y=[],
                marker=dict(symbol="square-open", size=40, color="black", line=dict(width=3)),
                hoverinfo="skip",
            )
        )
        traces.append(
            dict(
                type="scatter",
                name="link points",
                mode="markers",
                x=[],
                y=[],
                marker=dict(size=9, color="rgba(60,60,60,0.35)"),
                hovertemplate="%{customdata}<extra></extra>",
                customdata=[],
            )
        )
        traces.append(
            dict(
                type="scatter",
                name="nodes",
                mode="markers",
                x=[],
                y=[],
                marker=dict(size=30, color="rgba(0,0,0,0)"),
                hovertemplate="%{customdata}<extra></extra>",
                customdata=[],
            )
        )
        return Figure(traces, layout)

    def _output_figure(self) -> Figure:
        layout = theme.layout(480, title={"text": "Output", "y": 0.95}, showlegend=False,
                              margin={"l": 50, "r": 10, "t": 90, "b": 30})  # fmt: skip
        d = scene.DOMAIN
        flat = dict(showgrid=False, zeroline=False)
        layout["xaxis"] = theme.axis("", range=[-d, d], constrain="domain", **flat)
        layout["yaxis"] = theme.axis("", range=[-d, d], scaleanchor="x", constrain="domain",
                                     **flat)  # fmt: skip
        layout["title"]["yanchor"] = "top"
        # the map is a picture (redrawn alone, 20 times a second); the invisible heat map
        # under it gives the colour bar and the values on hover (5 times a second)
        layout["images"] = [
            dict(source="", xref="x", yref="y", x=-d, y=d, sizex=2 * d, sizey=2 * d,
                 xanchor="left", yanchor="top", sizing="stretch", layer="below")
        ]  # fmt: skip
        axis = np.linspace(-d, d, scene.DENSITY)
        point = dict(size=7, line=dict(color="white", width=1), cmin=-1, cmax=1,
                     colorscale=SCALE, color=[])  # fmt: skip
        traces = [
            dict(type="heatmap", name="map", x=axis, y=axis[::-1], z=np.zeros((2, 2)), zmin=-1,
                 zmax=1, colorscale=SCALE, opacity=0,
                 colorbar=dict(len=0.8, thickness=12, tickvals=[-1, 0, 1]),
                 hovertemplate=MAP_HOVER),
            dict(type="scatter", name="training points", mode="markers", x=[], y=[],
                 marker=point,
                 hovertemplate="(%{x:.2f}, %{y:.2f}) label %{customdata}<extra>training</extra>"),
            dict(type="scatter", name="test points", mode="markers", x=[], y=[], visible=False,
                 marker=dict(point, line=dict(color="black", width=1.5), symbol="diamond"),
                 hovertemplate="(%{x:.2f}, %{y:.2f}) label %{customdata}<extra>test</extra>"),
            dict(type="scatter", name="validation points", mode="markers", x=[], y=[],
                 marker=dict(point, line=dict(color="black", width=1.5), symbol="square"),
                 hovertemplate="(%{x:.2f}, %{y:.2f}) label %{customdata}"
                 "<extra>validation (not trained on)</extra>"),
        ]  # fmt: skip
        return Figure(traces, layout)

    def _curve_figure(self) -> Figure:
        """A 1-D set: the curve, the network's output and each hidden unit's part of it."""
        layout = theme.layout(500, title={"text": "Output", "y": 0.96, "yanchor": "top"},
                              margin={"b": 100, "t": 110},
                              legend=dict(orientation="h", y=-0.22, x=0))  # fmt: skip
        d = scene.DOMAIN
        layout["xaxis"] = theme.axis("x₁", range=[-d, d])  # the input; y: the target
        layout["yaxis"] = theme.axis("y")
        traces = [
            dict(type="scatter", name="training points", mode="markers", x=[], y=[],
                 marker=dict(size=6, color="#555"), hovertemplate="(%{x:.2f}, %{y:.2f})"),
            dict(type="scatter", name="test points", mode="markers", x=[], y=[], visible=False,
                 marker=dict(size=6, color="white", line=dict(color="#555", width=1))),
            dict(type="scatter", name="target", mode="lines", x=[], y=[],
                 line=dict(color="black", dash="dash", width=2)),
            dict(type="scatter", name="network", mode="lines", x=[], y=[],
                 line=dict(color=BLUE, width=4)),
        ] + [
            dict(type="scatter", name=f"unit {j + 1}", mode="lines", x=[], y=[],
                 line=dict(width=1.5, color=theme.PALETTE[(j + 1) % 10]), visible=False,
                 showlegend=False)
            for j in range(scene.MAX_NEURONS)
        ]  # fmt: skip
        return Figure(traces, layout)

    def _loss_figure(self) -> Figure:
        legend = dict(orientation="h", x=0, y=1.02, yanchor="bottom")
        layout = theme.layout(230, margin={"l": 60, "r": 10, "t": 40, "b": 45}, legend=legend)
        layout["xaxis"] = theme.axis("epoch")
        layout["yaxis"] = theme.axis("loss", rangemode="tozero")
        traces = [
            dict(type="scatter", name="training loss", mode="lines", x=[], y=[],
                 line=dict(color="#333", width=2)),
            dict(type="scatter", name="test loss", mode="lines", x=[], y=[],
                 line=dict(color="#999", width=2)),
            dict(type="scatter", name="validation loss", mode="lines", x=[], y=[],
                 line=dict(color=theme.PALETTE[3], width=2, dash="dash")),
        ]  # fmt: skip
        return Figure(traces, layout)

    def _layout_network(self):
        """Where each tile, link and dot goes for this network's shape (drawn once per
        shape; the values change every frame)."""
        e = self.experiment
        net = e.network
        columns = [len(scene.FEATURES), *net.sizes[1:]]
        xs = [c * (1 + GAP_X) for c in range(len(columns))]
        tallest = max(columns)

        def top(column, node):  # tiles centred on the tallest column
            offset = (tallest - columns[column]) * (1 + GAP_Y) / 2
            return -(offset + node * (1 + GAP_Y))

        self._xs, self._top = xs, top
        on = [list(scene.FEATURES).index(f) for f in e.features]
        self._input_rows = on  # input column's tile of each network input
        nodes_x, nodes_y, node_text, self._node_at = [], [], [], []
        for i, name in enumerate(scene.FEATURES):
            nodes_x.append(xs[0] + 0.5)
            nodes_y.append(top(0, i) - 0.5)
            state = "on: click to turn it off" if i in on else "off: click to turn it on"
            node_text.append(f"{scene.FEATURES[name][0]} ({state})")
            self._node_at.append(("input", 0, i))
        for l in range(net.n_layers):
            for j in range(net.sizes[l + 1]):
                nodes_x.append(xs[l + 1] + 0.5)
                nodes_y.append(top(l + 1, j) - 0.5)
                node_text.append("")  # filled with the bias each frame
                self._node_at.append(("node", l, j))
        self._nodes_xy = (nodes_x, nodes_y, node_text)
        self._link_at, self._link_xy = [], []
        for l in range(net.n_layers):
            for j in range(net.sizes[l + 1]):
                for i in range(net.sizes[l]):
                    row = on[i] if l == 0 else i
                    a = (xs[l] + 1, top(l, row) - 0.5)
                    b = (xs[l + 1], top(l + 1, j) - 0.5)
                    self._link_at.append((l, j, i))
                    self._link_xy.append((a, b))
        width = xs[-1] + 1
        height = tallest * (1 + GAP_Y) - GAP_Y
        labels = [
            dict(text=scene.FEATURES[name][0], x=xs[0] - 0.12, y=top(0, i) - 0.5, xref="x",
                 yref="y", xanchor="right", showarrow=False,
                 font=dict(size=14, color="black" if i in on else "#999"))
            for i, name in enumerate(scene.FEATURES)
        ]  # fmt: skip
        key = self.net_fig.plot_layout["annotations"][0]
        self.net_fig.relayout(
            xaxis={"range": [-1.9, width + 0.8]},  # room for the frame round the output
            yaxis={"range": [-height - 0.2, 0.3]},
            annotations=[key, *labels],
        )
        self.net_fig.replot()
        axis = np.linspace(-scene.DOMAIN, scene.DOMAIN, CELLS)
        gx, gy = np.meshgrid(axis, axis[::-1])
        every = scene.features(np.c_[gx.ravel(), gy.ravel()], list(scene.FEATURES))
        maps = every.T.reshape(-1, CELLS, CELLS)
        self._input_maps = maps / np.abs(maps).max(axis=(1, 2), keepdims=True)  # +-1 each

    def _tiles_picture(self, maps: np.ndarray) -> str:
        """Every tile of the network as one PNG: the inputs' features (faded when off) and
        each neuron's thumbnail at its place, transparent between them, NaN grey."""
        net = self.experiment.network
        columns = [len(scene.FEATURES), *net.sizes[1:]]
        tallest, pitch_x = max(columns), int(round((1 + GAP_X) * CELLS))
        pitch_y = int(round((1 + GAP_Y) * CELLS))
        width, height = (len(columns) - 1) * pitch_x + CELLS, (tallest - 1) * pitch_y + CELLS
        picture = np.zeros((height, width, 4), np.uint8)
        on = self._input_rows
        tiles = [(0, i, self._input_maps[i], 1.0 if i in on else 0.25)
                 for i in range(len(scene.FEATURES))]  # fmt: skip
        start = 0
        for l in range(net.n_layers):
            k = net.sizes[l + 1]
            dropped = getattr(net, "dropped", None)  # dropout: greyed while it trains
            off = dropped(l) if dropped is not None and self.running else np.zeros(k, bool)
            tiles += [(l + 1, j, maps[start + j], 0.2 if off[j] else 1.0) for j in range(k)]
            start += k
        for column, row, z, alpha in tiles:
            y0 = int(round((tallest - columns[column]) * pitch_y / 2)) + row * pitch_y
            x0 = column * pitch_x
            picture[y0 : y0 + CELLS, x0 : x0 + CELLS] = raster.colorize(z, SCALE, -1, 1,
                                                                        alpha=alpha)  # fmt: skip
        picture = picture.repeat(3, axis=0).repeat(3, axis=1)  # crisp tile edges when scaled
        self.net_fig.relayout(images=[dict(self.net_fig.plot_layout["images"][0],
                                           sizex=width / CELLS, sizey=height / CELLS,
                                           source=raster.png(picture))])  # fmt: skip

    def _draw(self, live: bool = False) -> bool:
        """The whole picture; ``live`` (a frame of a training) leaves the hover values of
        the map as they were (the map's picture changes, its invisible heat map does not)."""
        e = self.experiment
        net = e.network
        maps = e.maps()
        thumbs = scene.thumbnails(maps[net.sizes[0] :], CELLS)
        if e.k > 2:  # class probabilities 0..1 on the -1..1 colours
            thumbs[-e.k :] = 2 * thumbs[-e.k :] - 1
        now = time.perf_counter()
        slow = not live or now - self._slow_drawn >= SLOW_EVERY_S
        if slow:
            self._slow_drawn = now
        with self.net_fig.batch():
            self._tiles_picture(thumbs)
            self._draw_links(hover=slow)
            if slow:
                self._draw_nodes()
        self._draw_output(maps, slow)
        self._draw_readout()
        return slow

    def _draw_links(self, hover: bool):
        """The links as lines (layout shapes, redrawn without the traces): colour by weight
        on the Playground's scale, width 1-10 px for |weight| 0-5; dead or not a number:
        grey, dotted. With ``hover`` also the dots' hover cards (a few times a second while
        training: each costs the browser a redraw of the traces)."""
        net = self.experiment.network
        weights = np.concatenate([net.weights(l).ravel() for l in range(net.n_layers)])
        dead = np.concatenate([net.dead_links(l).ravel() for l in range(net.n_layers)])
        rgb = raster.colorize(np.clip(weights, -1, 1)[None], SCALE, -1, 1)[0]
        shapes = []
        for (a, b), w, d, c in zip(self._link_xy, weights, dead, rgb):
            line = {"color": NAN_GREY, "width": 1, "dash": "dot"}
            if not d and np.isfinite(w):
                width = 1 + 9 * min(abs(w), 5) / 5  # the Playground's linkWidthScale
                line = {"color": f"rgb({c[0]},{c[1]},{c[2]})", "width": round(width, 2)}
            shapes.append(dict(type="line", xref="x", yref="y", x0=a[0], y0=a[1], x1=b[0],
                               y1=b[1], line=line, layer="below"))  # fmt: skip
        self.net_fig.relayout(shapes=shapes)
        if not hover:
            return
        mid_x = [(a[0] + b[0]) / 2 for a, b in self._link_xy]
        mid_y = [(a[1] + b[1]) / 2 for a, b in self._link_xy]
        text = []
        for (l, j, i), w, d in zip(self._link_at, weights, dead):
            what = "dead (L1 set it to 0)" if d else f"{w:.3f}"
            text.append(
                f"weight {self._node_name(l, i)} → {self._node_name(l + 1, j)}: "
                f"{what}<br>click to type a new value"
            )
        self.net_fig.update("link points", x=mid_x, y=mid_y, customdata=text)

    def _draw_nodes(self):
        """The nodes' hover cards and the frame around the one in the big picture."""
        net = self.experiment.network
        xs, ys, text = self._nodes_xy
        text = list(text)
        k = len(scene.FEATURES)
        for index in range(k, len(text)):
            _, l, j = self._node_at[index]
            text[index] = (
                f"{self._node_name(l + 1, j)}: bias {net.biases(l)[j]:.3f}<br>"
                "click: its picture large, and edit its bias"
            )
        self.net_fig.update("nodes", x=xs, y=ys, customdata=text)
        if self._shown is None:  # the output (k outputs: the map is all of them)
            k = self.experiment.k if self.experiment.k > 2 else 1
            sx, sy = xs[-k:], ys[-k:]
        else:
            index = self._node_at.index(("node", *self._shown))
            sx, sy = [xs[index]], [ys[index]]
        self.net_fig.update("shown", x=sx, y=sy)

    def _draw_points(self):
        """The data on the map (drawn when it changes, not every frame: 500 points)."""
        e = self.experiment

        def colors(y):  # the -1..1 scale for two classes, a colour per class for more
            return np.array(CLASS_COLORS)[y].tolist() if e.k > 2 else y

        with self.out_fig.batch():
            self.out_fig.update(
                "training points",
                x=e.train_points[:, 0],
                y=e.train_points[:, 1],
                marker={"color": colors(e.y_train)},
            )
            self.out_fig.update(
                "test points",
                x=e.test_points[:, 0],
                y=e.test_points[:, 1],
                marker={"color": colors(e.y_test)},
                visible=self.show_test,
            )
            self.out_fig.update(
                "validation points",
                x=e.val_points[:, 0],
                y=e.val_points[:, 1],
                marker={"color": colors(e.y_val)},
            )

    def _draw_curve(self):
        e = self.experiment
        x = np.linspace(-scene.DOMAIN, scene.DOMAIN, 241)
        c = e.curve(x)
        h = e.history
        fig = self.curve_fig
        with fig.batch():
            fig.update("training points", x=e.train_points[:, 0], y=e.y_train)
            fig.update("test points", x=e.test_points[:, 0], y=e.y_test, visible=self.show_test)
            fig.update("target", x=x, y=c["target"])
            fig.update("network", x=x, y=c["output"])
            parts = c.get("parts", np.zeros((0, len(x))))
            for j in range(scene.MAX_NEURONS):
                shown = j < len(parts)
                fig.update(f"unit {j + 1}", x=x if shown else [], y=parts[j] if shown else [],
                           visible=shown)  # fmt: skip
            note = (f"thin lines: the {len(parts)} units' parts (sum + bias {c['bias']:.2f} "
                    "= output)" if len(parts)
                    else "one hidden layer shows each unit's part")  # fmt: skip
            fig.relayout(
                title={"text": f"Network output · epoch {e.epoch:,}<br>test loss "
                       f"{h[-1, 2]:.3f} · training loss {h[-1, 1]:.3f}<br>"
                       f"<span style='font-size:13px'>{note}</span>"},
            )  # fmt: skip

    def _draw_output(self, maps, slow: bool):
        """The big picture every frame; its hover values and the loss chart when ``slow``."""
        e = self.experiment
        curve = e.dataset in scene.CURVES
        self.out_fig.layout.display = "none" if curve else None
        self.curve_fig.layout.display = None if curve else "none"
        if curve:
            self._draw_curve()
            self._draw_losses(slow)
            return
        net = e.network
        if self._shown is None and e.k > 2:
            self._draw_classes(maps[-e.k :], slow)
            self._draw_losses(slow)
            return
        if self._shown is None:
            z, what = maps[-1], "Output"
        else:
            l, j = self._shown
            z = maps[int(net.n_off[l + 1]) + j]
            what = self._node_name(l + 1, j).capitalize()
        if self.discretize:
            z = np.where(np.isfinite(z), np.sign(z), np.nan)
        h = e.history
        train_loss, test_loss = h[-1, 1], h[-1, 2]
        image = dict(self.out_fig.plot_layout["images"][0],
                     source=raster.png(raster.colorize(z, SCALE, -1, 1)))  # fmt: skip
        with self.out_fig.batch():
            if slow:
                self.out_fig.update("map", z=z.astype(np.float32), showscale=True,
                                    hovertemplate=MAP_HOVER)  # fmt: skip
            self.out_fig.relayout(
                images=[image],
                title={"text": f"{what} · epoch {e.epoch:,}<br>test loss {test_loss:.3f} · "
                       f"training loss {train_loss:.3f}"},
            )  # fmt: skip
        self._draw_losses(slow)

    def _draw_classes(self, probs: np.ndarray, slow: bool):
        """k classes: each place coloured by its most likely class, paler where the network
        is less sure (white at 1/k, its colour at certainty)."""
        e = self.experiment
        best, sure = probs.argmax(axis=0), probs.max(axis=0)
        palette = np.array([raster.rgb(c) for c in CLASS_COLORS[: e.k]], np.float64)
        weight = np.clip((sure - 1 / e.k) / (1 - 1 / e.k), 0, 1)[..., None]
        rgb = 255 - weight * (255 - palette[best])
        rgba = np.dstack([np.round(rgb).astype(np.uint8), np.full(best.shape, 255, np.uint8)])
        rgba[~np.isfinite(sure)] = (158, 158, 158, 255)
        h = e.history
        with self.out_fig.batch():
            if slow:
                self.out_fig.update("map", z=best.astype(np.float32), showscale=False,
                                    hovertemplate="x₁ %{x:.2f}, x₂ %{y:.2f}: class %{z}"
                                    "<extra></extra>")  # fmt: skip
            self.out_fig.relayout(
                images=[dict(self.out_fig.plot_layout["images"][0], source=raster.png(rgba))],
                title={"text": f"The most likely class · epoch {e.epoch:,}: " + ", ".join(
                    f"<span style='color:{c}'>{k}</span>" for k, c in
                    enumerate(CLASS_COLORS[: e.k])) + f"<br>test loss {h[-1, 2]:.3f} · "
                    f"training loss {h[-1, 1]:.3f}"},
            )  # fmt: skip

    def _draw_losses(self, slow: bool):
        e = self.experiment
        h = e.history
        if not slow:
            return
        shown = thin(h)
        with self.loss_fig.batch():
            self.loss_fig.update("training loss", x=shown[:, 0], y=shown[:, 1])
            self.loss_fig.update("test loss", x=shown[:, 0], y=shown[:, 2])
            val = e.validation
            if np.isfinite(val).any():
                every = shown[:, 0].astype(int)
                self.loss_fig.update("validation loss", x=every, y=val[every])
            else:
                self.loss_fig.update("validation loss", x=[], y=[])
            best = np.nanargmin(val) if np.isfinite(val).any() and self.early_stopping else None
            self.loss_fig.relayout(shapes=[] if best is None else [
                dict(type="line", xref="x", yref="paper", x0=best, x1=best, y0=0, y1=1,
                     line=dict(color=theme.PALETTE[3], width=1.5, dash="dot"))
            ], annotations=[] if best is None else [
                dict(x=best, y=0.95, xref="x", yref="paper", text=f"best validation: epoch {best}",
                     showarrow=False, yanchor="top", font=dict(color=theme.PALETTE[3]),
                     xanchor="right" if best > e.epoch / 2 else "left",
                     bgcolor="rgba(255,255,255,0.8)")
            ])  # fmt: skip
            self.loss_fig.relayout(xaxis={"range": [0, max(10, e.epoch)]})

    def _draw_readout(self):
        e = self.experiment
        acc = e.accuracy()
        parts = [
            f"<b>epoch {e.epoch:,}</b>",
            f"training loss {e.history[-1, 1]:.4f}",
            f"test loss {e.history[-1, 2]:.4f}",
            *(
                [f"validation loss {e.validation[-1]:.4f} ({len(e.y_val)} points held out)"]
                if len(e.y_val)
                else []
            ),
        ]
        if acc is not None:
            parts.append(
                f"right: {acc[0]:.1%} of {len(e.y_train)} training points, "
                f"{acc[1]:.1%} of {len(e.y_test)} test points"
            )
        self.readout.value = " · ".join(parts)
