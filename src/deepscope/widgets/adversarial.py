"""AdversarialPanel: fool a network the student has just trained, with the arithmetic in view."""

from __future__ import annotations

import dataclasses

import ipywidgets as W
import numpy as np
import traitlets as T

from ..nn import Event
from ..scenes import adversarial as scene
from . import theme
from .canvas import DrawingCanvas
from .controls import Choice, Frames, LogSlider, Slider
from .figure import Figure
from .panel import Panel, Training

NETWORK_LABELS = {"cnn": "CNN on digits", "mlp": "MLP on digits", "xo": "X / O CNN"}
ATTACK_LABELS = {"fgsm": "FGSM", "pgd": "PGD", "targeted": "targeted", "patch": "patch"}
PLANES = ("circle", "xor", "gauss", "spiral")
GRAY = [[0, "black"], [1, "white"]]
SIGNED = "RdBu_r"
COLS = ((0.0, 0.27), (0.365, 0.635), (0.73, 1.0))  # the three columns of the attack figure
ROWS = ((0.0, 0.36), (0.5, 1.0))  # bars and the sweep below, the images above
SWEEP_EPS = {"cnn": 0.3, "mlp": 0.3, "xo": 0.8}  # how far the sweep goes (pixel units)
IMAGES = 100  # the held-out images to pick from, attack and sweep
REDO = dict(state=True, recompute=True)
PLANE_TAB = 1  # the 2-D boundary's tab


def _note(text: str, x: float, y: float, **props) -> dict:
    return dict(
        text=text,
        x=x,
        y=y,
        xref="paper",
        yref="paper",
        showarrow=False,
        font={"size": theme.FONT},
        **props,
    )


class AdversarialPanel(Panel):
    """Train a classifier live, then fool it: FGSM, PGD, a targeted attack, a sticker patch.

    The original, the perturbation (its colour scale spans ±ε) and the adversarial image
    side by side with both predictions; Play replays the attack step by step. Below, the
    accuracy on 100 held-out images at every ε. The "2-D" tab pushes one point of a
    playground set across a network's decision boundary; "Transfer and defence" tries the
    attack on a second network and trains a defended copy on attacked images.
    """

    dashboard = "adversarial.ipynb"
    extra_controls = ("defend", "canvas")
    tab_titles = ("Attack", "2-D boundary", "Transfer, defence")
    title = "Adversarial examples"
    summary = (
        "Fool a network you just trained with noise you cannot see: FGSM, PGD, a targeted "
        "attack and a sticker; accuracy against ε, a point pushed across a decision "
        "boundary, attacks carried to a second network, and adversarial training."
    )
    train_on_start = True
    train_label = ("Train", "train the classifier (and a second one for transfer), live")

    network = T.Enum(scene.NETWORKS, "cnn").tag(
        state=True, control=Choice(labels=NETWORK_LABELS, help="press Train after changing it")
    )
    epochs = T.Int(3, min=1, max=20).tag(state=True, control=Slider())
    source = T.Enum(("test image", "drawing"), "test image").tag(
        control=Choice("input", style="toggle"), **REDO
    )
    image = T.Int(0, min=0, max=IMAGES - 1).tag(control=Slider("test image"), **REDO)
    method = T.Enum(scene.ATTACKS, "pgd").tag(
        control=Choice("attack", labels=ATTACK_LABELS, style="toggle"), **REDO
    )
    eps = T.Float(0.1, min=0.0, max=1.0).tag(control=Slider("ε (epsilon)", step=0.005), **REDO)
    alpha = T.Float(0.02, min=0.001, max=0.5).tag(control=LogSlider("step size α"), **REDO)
    steps = T.Int(10, min=1, max=100).tag(control=Slider("iterations"), **REDO)
    norm = T.Enum(scene.NORMS, "inf").tag(
        control=Choice("ball", labels={"inf": "L∞ (a cube)", "2": "L2 (a sphere)"}), **REDO
    )
    target = T.Int(3, min=0, max=9).tag(control=Slider("target class"), **REDO)
    patch_size = T.Int(8, min=2, max=14).tag(control=Slider("patch size"), **REDO)
    patch_row = T.Int(2, min=0, max=26).tag(control=Slider("patch row"), **REDO)
    patch_col = T.Int(2, min=0, max=26).tag(control=Slider("patch column"), **REDO)
    step = T.Int(0, min=0).tag(
        state=True, control=Frames("iteration", interval_ms=300), render=True
    )
    plane = T.Enum(PLANES, "circle").tag(control=Choice("data set"), **REDO)
    plane_eps = T.Float(1.0, min=0.0, max=4.0).tag(control=Slider("ε in 2-D", step=0.05), **REDO)
    point_x = T.Float(1.0, min=-6.0, max=6.0).tag(**REDO)
    point_y = T.Float(1.5, min=-6.0, max=6.0).tag(**REDO)
    defence_epochs = T.Int(3, min=1, max=10).tag(state=True, control=Slider("defence epochs"))

    def build(self):
        self.data = scene.classifier_task(self.network)
        self.model = scene.build_classifier(self.network, self.data)
        self.other = self.defended = None
        self.trained = ""  # the network the model was trained as ("" untrained)
        self.trained_as = self.network  # the network of the latest training (or build)
        self.sweeps: dict[str, scene.Sweep] = {}
        self.defence: dict[str, scene.Sweep] = {}
        self.replay: scene.Replay | None = None
        self._plane = None
        self._plane_key = self._plane_drawn = None
        self._own_step = self._step_given = False
        self._mode = "classifier"
        self._live = ""
        self._transfer_at = None
        self._label = 0
        self.attack_fig = self._attack_figure()
        self.plane_fig = self._plane_figure()
        self.defence_fig = self._defence_figure()
        self.figures = [self.attack_fig, self.plane_fig, self.defence_fig]
        self.plane_fig.on_click(self._moved, traces=["decision"])
        self.numbers = W.HTML()
        self.transfer_text = W.HTML()
        self.defend = W.Button(
            layout=W.Layout(width="230px"),
            description="Adversarial training",
            icon="shield",
            tooltip="train a copy of the network on clean and FGSM images",
        )
        self.defend.on_click(lambda _: self.train_defence())
        self.controls["defend"] = self.defend
        c = self.controls
        attack = theme.column([c["method"], c["eps"], c["alpha"], c["steps"], c["norm"]])
        aim = theme.column([c["target"], c["patch_size"], c["patch_row"], c["patch_col"]])
        self.canvas = DrawingCanvas(28, 28, scale=6, brush=1.1)
        self.canvas.observe(lambda _: self.source == "drawing" and self.refresh(), "pixels")
        self.controls["canvas"] = self.canvas
        what = theme.column([c["network"], c["epochs"], c["source"], c["image"], self.canvas])
        attack_tab = W.VBox(
            [theme.row([what, attack, aim]), c["train"], c["step"], self.attack_fig, self.numbers]
        )
        plane_tab = W.VBox([theme.row([c["plane"], c["plane_eps"]]), self.plane_fig])
        defence_tab = W.VBox(
            [self.transfer_text, theme.row([c["defence_epochs"], self.defend]), self.defence_fig]
        )
        self.tabs = W.Tab([attack_tab, plane_tab, defence_tab], titles=self.tab_titles)
        self.tabs.observe(self._tab_opened, "selected_index")
        self.children = [self.message, self.tabs, self.link]
        self._aim_controls()
        self.say("Press <b>Train</b>: the network learns the digits, then you can fool it.")

    # settings -----------------------------------------------------------------------------
    @T.observe("method")
    def _method_defaults(self, change):
        """A patch takes big steps (it may go anywhere in the pixel range); the others small."""
        if change["new"] == "patch":
            self.alpha, self.steps = 0.1, max(self.steps, 40)
        elif change["old"] == "patch":
            self.alpha, self.steps = 0.02, 10
        self._aim_controls()

    @T.observe("source")
    def _source_shown(self, change):
        self._aim_controls()

    def _aim_controls(self):
        self.show_control("image", self.source == "test image")
        self.show_control("canvas", self.source == "drawing")
        m = self.method
        for name in ("alpha", "steps"):
            self.show_control(name, m != "fgsm")
        self.show_control("norm", m in ("pgd", "targeted"))
        self.show_control("eps", m != "patch")
        self.show_control("target", m in ("targeted", "patch"))
        for name in ("patch_size", "patch_row", "patch_col"):
            self.show_control(name, m == "patch")

    @T.observe("network")
    def _network_changed(self, change):
        if self.running:  # the run keeps its network; the new one waits for the next Train
            return
        self.data = scene.classifier_task(change["new"])
        self.model = scene.build_classifier(change["new"], self.data)
        self.trained_as = change["new"]
        self.other = self.defended = None
        self.trained, self.sweeps, self.defence = "", {}, {}
        self._transfer_at = None
        self.eps = 0.2 if change["new"] == "xo" else 0.1
        self._transfer_text()
        self._draw_defence()
        self.say(f"Press <b>Train</b> to train the {NETWORK_LABELS[change['new']]}.")

    @T.observe("step")
    def _step_moved(self, change):
        """A step someone chose (a link, the slider) stays through the next recompute;
        otherwise a new attack shows its result, its last iterate."""
        if not self._own_step:
            self._step_given = True

    def _moved(self, _trace, point):
        with self.batch():
            self.point_x, self.point_y = float(point["x"]), float(point["y"])

    # compute ------------------------------------------------------------------------------
    def _picked(self):
        """The chosen held-out image (or the drawing, at the network's size and in its pixel
        range), its label (a drawing's: what the network reads it as), the pixel range."""
        if self.source == "drawing":
            x = scene.convolution.stack_input(self.data, "drawing", image=self.canvas.image)
            x = x[None, None]
            return x, scene.probabilities(self.model, x).argmax(1), self.data.ink
        i = self.image
        return self.data.X_test[i : i + 1], self.data.y_test[i : i + 1], self.data.ink

    def recompute(self):
        classes = len(self.data.classes)
        if self.method in ("targeted", "patch") and self.target >= classes:
            raise ValueError(
                f"target class must be 0..{classes - 1} for the {NETWORK_LABELS[self.trained_as]}"
                f" ({', '.join(self.data.classes)}); got {self.target}"
            )
        X, y, ink = self._picked()
        self._label = int(y[0])
        side = X.shape[-1]
        if self.method == "patch" and max(self.patch_row, self.patch_col) + self.patch_size > side:
            raise ValueError(
                f"the patch ({self.patch_size}×{self.patch_size} at row {self.patch_row}, column"
                f" {self.patch_col}) must fit in the {side}×{side} image"
            )
        self.replay = scene.attack_replay(
            self.model,
            X,
            y,
            self.method,
            self.eps,
            self.alpha,
            self.steps,
            self.norm,
            self.target,
            (self.patch_size, self.patch_row, self.patch_col),
            ink,
        )
        # the 2-D view only while its tab is open, and when its own settings moved: its
        # network trains 200 epochs (on a cold cache that compiles the dense engine, 14 s,
        # which the first picture of the Attack tab would wait for)
        moved = self.tabs.selected_index == PLANE_TAB and self._plane_settings() != self._plane_key
        if moved:
            self._plane_key = self._plane_settings()
            self._plane_recompute()
        with self.figures_batch():
            self.controls["step"].set_frames(len(self.replay.images))
            if not self._step_given:  # the result; Play replays from 0
                self._own_step = True
                self.step = len(self.replay.images) - 1
                self._own_step = False
            self._step_given = False
            self._draw_sweep()
            if moved:
                self._draw_plane()
            self.render()

    def _plane_settings(self):
        return (self.plane, self.plane_eps, self.point_x, self.point_y)

    def _plane_recompute(self):
        if self._plane is None or self._plane[0] != self.plane:
            model, X, y = scene.plane_classifier(self.plane)
            self._plane = (self.plane, model, X, y, scene.decision_map(model, 6.0, 81))
        _, model, *_ = self._plane
        point = np.array([[self.point_x, self.point_y]], np.float32)
        label = scene.probabilities(model, point).argmax(1)
        eps = self.plane_eps
        self._plane_attack = (
            point,
            label,
            scene.pgd_replay(model, point, label, eps, eps / 8, 16, clip=None),
            scene.fgsm(model, point, label, eps, clip=None),
            scene.input_gradient(model, point, label)[0],
        )

    # drawing: the attack ------------------------------------------------------------------
    def _attack_figure(self) -> Figure:
        """One figure, so a move of ε is one message: the three images above; the two
        predictions and the accuracy against ε below."""
        layout = theme.layout(
            660,
            margin=dict(l=60, r=30, t=70, b=60),
            legend=dict(x=1, y=ROWS[0][1], xanchor="right", yanchor="top"),
        )
        (b0, b1), (i0, i1) = ROWS
        traces = []

        def axes(n, x, y, xprops, yprops):
            """Axes n (plotly calls the first pair x and y, not x1 and y1)."""
            i = "" if n == 1 else str(n)
            layout[f"xaxis{i}"] = dict(domain=list(x), anchor=f"y{i}", **xprops)
            layout[f"yaxis{i}"] = dict(domain=list(y), anchor=f"x{i}", **yprops)
            return dict(xaxis=f"x{i}", yaxis=f"y{i}", showlegend=False)

        bare = dict(constrain="domain", showticklabels=False, ticks="", showgrid=False)
        for n, (name, x) in enumerate(zip(("original", "perturbation", "adversarial"), COLS), 1):
            signed = name == "perturbation"
            square = dict(scaleanchor="x" if n == 1 else f"x{n}", autorange="reversed", **bare)
            bar = dict(x=x[1] + 0.005, y=(i0 + i1) / 2, len=i1 - i0, thickness=12,
                       title=dict(text="x′ − x", side="right"))  # fmt: skip
            traces.append(
                dict(type="heatmap", name=name, z=np.zeros((2, 2)), showscale=signed,
                     colorscale=SIGNED if signed else GRAY, zmid=0 if signed else None,
                     colorbar=bar if signed else None, **axes(n, x, (i0, i1), bare, square),
                     hovertemplate=f"{name}<br>row %{{y}}, col %{{x}}: %{{z:.3f}}<extra></extra>")
            )  # fmt: skip
        for n, name in ((4, "original bars"), (5, "adversarial bars")):
            xa = theme.axis("class", type="category")
            ya = theme.axis("probability" if n == 4 else "", range=[0, 1.18], tickformat=".0%")
            traces.append(
                dict(type="bar", name=name, x=[], y=[], texttemplate="%{y:.0%}",
                     textposition="outside", cliponaxis=False, textfont={"size": 13},
                     hovertemplate="class %{x}: %{y:.2%}<extra></extra>",
                     **axes(n, COLS[n - 4], (b0, b1), xa, ya))
            )  # fmt: skip
        sweep = axes(6, COLS[2], (b0, b1), theme.axis("ε"),
                     theme.axis("accuracy", range=[0, 1.05], tickformat=".0%"))  # fmt: skip
        for name, line in (
            ("FGSM", dict(color=theme.PALETTE[0], width=3)),
            ("PGD", dict(color=theme.PALETTE[1], width=3)),
            ("clean", dict(color="gray", dash="dot", width=2)),
        ):
            traces.append(
                dict(sweep, type="scatter", name=name, x=[], y=[], line=line, showlegend=True,
                     mode="lines" if name == "clean" else "lines+markers",
                     hovertemplate=f"{name}, ε = %{{x:.3f}}: accuracy %{{y:.0%}}<extra></extra>")
            )  # fmt: skip
        traces.append(theme.now_marker("ε now", **sweep))
        self._heads = [
            _note("", (x0 + x1) / 2, y, yanchor="bottom")
            for y in (i1 + 0.02, b1 + 0.04)
            for x0, x1 in COLS
        ]
        layout["annotations"] = self._heads
        return Figure(traces, layout)

    def _prediction(self, probs) -> str:
        k = int(np.argmax(probs))
        return f"<b>{self.data.classes[k]}</b> ({probs[k]:.0%})"

    def render(self):
        r = self.replay
        if r is None:
            return
        t = min(self.step, len(r.images) - 1)
        x0, xt = r.images[0, 0, 0], r.images[t, 0, 0]
        delta = xt - x0
        p0, pt = r.probabilities[0, 0], r.probabilities[t, 0]
        label = int(self._label)
        classes = list(self.data.classes)
        lo, hi = self.data.ink
        span = float(self.eps) if self.method != "patch" else float(hi - lo)
        span = max(span, float(np.abs(delta).max()), 1e-6)
        fig = self.attack_fig
        fig.update("original", z=x0, zmin=lo, zmax=hi)
        fig.update("perturbation", z=delta, zmin=-span, zmax=span)
        fig.update("adversarial", z=xt, zmin=lo, zmax=hi)
        for name, p in (("original bars", p0), ("adversarial bars", pt)):
            colors = [
                theme.PALETTE[3] if k == int(np.argmax(p)) else "#9aa5b1" for k in range(len(p))
            ]
            fig.update(name, x=classes, y=p, marker={"color": colors})
        fooled = int(np.argmax(pt)) != label
        state = "untrained: " if not self.trained else ""
        what = {"fgsm": "one FGSM step", "patch": f"patch, {t} of {len(r.images) - 1} steps"}
        step_text = what.get(self.method, f"{t} of {len(r.images) - 1} steps")
        heads = [
            f"your drawing (read as {classes[label]})"
            if self.source == "drawing"
            else f"original: a {classes[label]}",
            f"perturbation (L∞ {r.linf[t, 0]:.3f}, L2 {r.l2[t, 0]:.2f})",
            f"adversarial ({step_text})",
            f"{state}reads {self._prediction(p0)}",
            f"now reads {self._prediction(pt)}"
            + (": <b>fooled</b>" if fooled and int(np.argmax(p0)) == label else ""),
            "accuracy against ε",
        ]
        notes = [dict(n, text=h) for n, h in zip(self._heads, heads)]
        shapes = []
        if self.method == "patch":
            s, row, col = self.patch_size, self.patch_row, self.patch_col
            shapes = [
                dict(
                    type="rect",
                    xref="x3",
                    yref="y3",
                    x0=col - 0.5,
                    x1=col + s - 0.5,
                    y0=row - 0.5,
                    y1=row + s - 0.5,
                    line=dict(color="#ffb000", width=3),
                )
            ]
        fig.relayout(annotations=notes, shapes=shapes)
        self._draw_eps_marker()
        self.numbers.value = theme.status_html(self._arithmetic(r, t, p0, pt, label))

    def _arithmetic(self, r, t, p0, pt, label) -> str:
        cls = self.data.classes
        if self.method == "fgsm":
            how = (
                f"x′ = clip(x + {self.eps:g} · sign(∂loss/∂x)): every pixel moves by "
                f"±{self.eps:g}, unless the pixel range stops it"
            )
        elif self.method == "patch":
            how = (
                f"only the {self.patch_size}×{self.patch_size} square changes, {self.alpha:g} a"
                f" step towards '{cls[self.target]}', as far as the pixel range allows"
            )
        else:
            towards = (
                f"down the loss of '{cls[self.target]}'"
                if self.method == "targeted"
                else "up the loss of the true class"
            )
            how = (
                f"{len(r.images) - 1} steps of {self.alpha:g} {towards}, each pulled back into"
                f" the {'cube' if self.norm == 'inf' else 'sphere'} of radius {self.eps:g}"
            )
        return (
            f"<b>The attack:</b> {how}. "
            f"{'Read as' if self.source == 'drawing' else 'True class'} {cls[label]}: probability "
            f"{p0[label]:.1%} → {pt[label]:.1%}. Largest pixel change {r.linf[t, 0]:.3f} of a "
            f"pixel range {self.data.ink[1] - self.data.ink[0]:g}."
        )

    def _draw_sweep(self):
        fig = self.attack_fig
        for name in ("fgsm", "pgd"):
            s = self.sweeps.get(name)
            fig.update(
                name.upper(), x=[] if s is None else s.eps, y=[] if s is None else s.accuracy
            )
        s = self.sweeps.get("fgsm")
        fig.update(
            "clean",
            x=[] if s is None else [0, s.eps[-1]],
            y=[] if s is None else [s.clean_accuracy] * 2,
        )

    def _draw_eps_marker(self):
        s = self.sweeps.get("pgd" if self.method in ("pgd", "targeted") else "fgsm")
        if s is None or self.method == "patch":
            self.attack_fig.update("ε now", x=[], y=[])
            return
        self.attack_fig.update("ε now", x=[self.eps], y=[np.interp(self.eps, s.eps, s.accuracy)])

    # drawing: the 2-D view ----------------------------------------------------------------
    def _plane_figure(self) -> Figure:
        traces = [
            dict(
                type="heatmap",
                name="decision",
                z=np.zeros((2, 2)),
                colorscale=SIGNED,
                zmin=0,
                zmax=1,
                opacity=0.75,
                colorbar=dict(title=dict(text="P(class 1)", side="right"), thickness=14),
                hovertemplate="x %{x:.2f}, y %{y:.2f}<br>P(class 1) %{z:.2f}"
                "<br>click: move the point here<extra></extra>",
            ),
        ]
        for k, color in ((0, "#2166ac"), (1, "#b2182b")):
            traces.append(
                dict(
                    type="scatter",
                    name=f"class {k}",
                    x=[],
                    y=[],
                    mode="markers",
                    marker=dict(color=color, size=5, line=dict(color="white", width=0.5)),
                    hoverinfo="skip",
                )
            )
        traces += [
            dict(
                type="scatter",
                name="PGD path",
                x=[],
                y=[],
                mode="lines+markers",
                line=dict(color="#ffb000", width=3),
                marker=dict(size=5),
                hovertemplate="PGD step %{customdata}<extra></extra>",
            ),
            theme.now_marker("the point", size=16),
            dict(
                type="scatter",
                name="FGSM",
                x=[],
                y=[],
                mode="markers",
                marker=dict(symbol="x", size=16, color="black", line=dict(width=1, color="white")),
                hovertemplate="FGSM: %{x:.2f}, %{y:.2f}<extra></extra>",
            ),
            dict(
                type="scatter",
                name="PGD result",
                x=[],
                y=[],
                mode="markers",
                marker=dict(
                    symbol="star", size=18, color="#ffb000", line=dict(width=1, color="black")
                ),
                hovertemplate="PGD: %{x:.2f}, %{y:.2f}<extra></extra>",
            ),
        ]
        layout = theme.layout(
            560,
            xaxis=theme.axis("x₁", range=[-6, 6], constrain="domain"),
            yaxis=theme.axis("x₂", range=[-6, 6], scaleanchor="x"),
            legend=dict(orientation="h", y=-0.15),
            margin=dict(t=90),
            title={"text": ""},
        )
        return Figure(traces, layout)

    def _draw_plane(self):
        _, model, X, y, (xs, ys, p) = self._plane
        point, label, replay, fgsm_point, grad = self._plane_attack
        fig = self.plane_fig
        if self._plane_drawn != self._plane[0]:  # the map and the data: once per data set
            self._plane_drawn = self._plane[0]
            fig.update("decision", x=xs, y=ys, z=p)
            for k in (0, 1):
                fig.update(f"class {k}", x=X[y == k, 0], y=X[y == k, 1])
        path = replay.images[:, 0]
        fig.update("PGD path", x=path[:, 0], y=path[:, 1], customdata=np.arange(len(path)))
        fig.update("the point", x=point[:, 0], y=point[:, 1])
        fig.update("FGSM", x=fgsm_point[:, 0], y=fgsm_point[:, 1])
        fig.update("PGD result", x=path[-1:, 0], y=path[-1:, 1])
        eps, (px, py) = self.plane_eps, point[0]
        shapes = [
            dict(
                type="rect",
                x0=px - eps,
                x1=px + eps,
                y0=py - eps,
                y1=py + eps,
                line=dict(color="black", dash="dash", width=2),
            )
        ]
        notes = []
        norm = float(np.linalg.norm(grad))
        if norm > 0:
            tip = point[0] + grad / norm * max(eps, 0.5)
            notes.append(
                dict(
                    x=tip[0],
                    y=tip[1],
                    ax=px,
                    ay=py,
                    xref="x",
                    yref="y",
                    axref="x",
                    ayref="y",
                    showarrow=True,
                    arrowhead=3,
                    arrowwidth=3,
                    text="",
                    arrowcolor="black",
                )
            )
        p_fgsm = scene.probabilities(model, fgsm_point)[0]
        p_pgd = replay.probabilities[-1, 0]
        k = int(label[0])
        flipped = [n for n, q in (("FGSM", p_fgsm), ("PGD", p_pgd)) if int(np.argmax(q)) != k]
        verdict = (
            f"{' and '.join(flipped)} cross{'es' * (len(flipped) == 1)} the boundary"
            if flipped
            else f"still class {k}"  # fmt: skip
        )
        fig.relayout(
            shapes=shapes,
            annotations=notes,
            title={
                "text": f"A point of class {k}, moved at most ε = {eps:g} (the dashed square): "
                f"{verdict}<br>the arrow: the gradient of its loss, the way FGSM pushes it"
            },
        )

    # drawing: transfer and defence ---------------------------------------------------------
    def _defence_figure(self) -> Figure:
        traces = [
            dict(
                type="scatter",
                name=name,
                x=[],
                y=[],
                mode="lines+markers",
                line=dict(color=color, width=3, dash=dash),
                hovertemplate=f"{name}, ε = %{{x:.3f}}: accuracy %{{y:.0%}}<extra></extra>",
            )
            for name, color, dash in (
                ("before, FGSM", theme.PALETTE[0], "solid"),
                ("before, PGD", theme.PALETTE[1], "solid"),
                ("after adversarial training, FGSM", theme.PALETTE[0], "dash"),
                ("after adversarial training, PGD", theme.PALETTE[1], "dash"),
            )
        ]
        layout = theme.layout(
            420,
            title={"text": "Accuracy on 100 held-out images against ε: train first"},
            xaxis=theme.axis("ε"),
            yaxis=theme.axis("accuracy", range=[0, 1.05], tickformat=".0%"),
            legend=dict(orientation="h", y=-0.25),
        )
        return Figure(traces, layout)

    def _draw_defence(self):
        fig = self.defence_fig
        for when, sweeps in (("before", self.sweeps), ("after adversarial training", self.defence)):
            for m in ("fgsm", "pgd"):
                s = sweeps.get(m)
                fig.update(
                    f"{when}, {m.upper()}",
                    x=[] if s is None else s.eps,
                    y=[] if s is None else s.accuracy,
                )
        if self.sweeps:
            after = " and after adversarial training" if self.defence else ""
            fig.relayout(
                title={"text": f"Accuracy on 100 held-out images against ε: before{after}"}
            )

    def _transfer_text(self):
        if self.other is None:
            self.transfer_text.value = theme.status_html("Train first: the attacks need networks.")
            return
        self._transfer_at = self.eps
        X, y = self.data.X_test[:IMAGES], self.data.y_test[:IMAGES]
        b = NETWORK_LABELS[scene.partner(self.trained_as)]
        if self.trained_as == "xo":
            b += " (another seed)"
        rows = []
        for m in ("fgsm", "pgd"):
            r = scene.transfer(self.model, self.other, X, y, self.eps, m, clip=self.data.ink)
            rows.append(
                f"<tr><td>{m.upper()}</td><td>{r.fool_source:.0%}</td><td>{r.fool_other:.0%}</td>"
                f"<td>{r.both_right}</td></tr>"
            )
        self.transfer_text.value = (
            f"<div style='font-size:15px'><b>Transfer</b>: attacks made on network A "
            f"({NETWORK_LABELS[self.trained_as]}) at ε = {self.eps:g}, tried on network B ({b}), "
            "trained separately. Of the held-out images both read right when clean, how many "
            "does the attack make them get wrong?<table style='margin:6px 0'>"
            "<tr><th>attack</th><th>fools A (made on A)</th><th>fools B (never seen)</th>"
            f"<th>images</th></tr>{''.join(rows)}</table></div>"
        )

    # live training ------------------------------------------------------------------------
    def train_defence(self):
        """Adversarial training (the defence) of a copy of the trained network, live."""
        if self.running:
            return self.task
        if not self.trained:
            self.say("Train the network first: the defence starts from it.", "warn")
            return None
        self._mode = "defence"
        return self.train()

    def start_training(self) -> Training:
        mode, self._mode = self._mode, "classifier"
        self._last = {}  # this run's numbers only
        if mode == "defence":
            copy = scene.build_classifier(self.trained_as, self.data, seed=1)
            copy.load_state_dict(self.model.state_dict())
            self.defended, self.defence = copy, {}
            events = scene.adversarial_training(
                copy,
                self.data.X_train,
                self.data.y_train,
                self._defence_eps(),
                self.defence_epochs,
                validation=(self.data.X_test[:500], self.data.y_test[:500]),
                clip=self.data.ink,
            )
            self._live = "defence"
            self.say(f"Adversarial training: FGSM at ε = {self._defence_eps():g} each epoch ...")
            return Training(self._then_sweep(events, copy, self.defence), self.defence_epochs)
        net, epochs = self.network, self.epochs
        self.trained_as = net
        self.data = scene.classifier_task(net)
        self.model, events = scene.classifier_training(net, self.data, epochs)
        self.other, others = scene.classifier_training(
            scene.partner(net), self.data, epochs, seed=1
        )
        self.trained, self.sweeps, self.defence, self.defended = "", {}, {}, None
        self._live = f"A ({NETWORK_LABELS[net]})"
        self.say(f"Training network A, the {NETWORK_LABELS[net]}, then B for transfer ...")

        def both():
            yield from events
            self._live, self._last = f"B ({NETWORK_LABELS[scene.partner(net)]})", {}
            for e in others:
                yield dataclasses.replace(e, epoch=e.epoch + epochs)

        return Training(self._then_sweep(both(), None, self.sweeps), 2 * epochs)

    def _defence_eps(self) -> float:
        return 0.2 if self.trained_as == "xo" else 0.1

    def _then_sweep(self, events, model, into: dict):
        """The training's events, then the ε sweeps of FGSM and PGD as progress."""
        yield from events
        model = model or self.model
        X, y = self.data.X_test[:IMAGES], self.data.y_test[:IMAGES]
        eps = np.linspace(0, SWEEP_EPS[self.trained_as], 13)[1:]
        self._live = "sweep"
        total, done = 2 * len(eps), 0
        for m in ("fgsm", "pgd"):
            parts = []
            for e in eps:  # one value at a time: Stop and the sliders get a turn between
                parts.append(scene.epsilon_sweep(model, X, y, [e], m, clip=self.data.ink))
                done += 1
                yield Event("progress", 0, 0, 0.0, {"done": done, "total": total, "what": "ε"})
            into[m] = scene.Sweep.join(parts)

    def on_event(self, event: Event):
        if event.kind == "epoch":
            self._last = event.metrics

    def draw_training(self):
        m = getattr(self, "_last", {})
        if self._live == "sweep":
            text = "Measuring accuracy against ε (FGSM, then PGD) ..."
        elif self._live == "defence":
            text = (
                f"Adversarial training: held-out accuracy clean {m.get('clean_accuracy', 0):.0%},"
                f" under FGSM {m.get('attacked_accuracy', 0):.0%}"
            )
        else:
            acc = m.get("val_accuracy")
            text = f"Training network {self._live}" + (
                f": held-out accuracy {acc:.0%}" if acc is not None else ""
            )
        self.say(text)

    def training_finished(self, reason):
        if reason != "finished":
            if reason == "stopped" and self._live == "defence":
                self.say("Adversarial training stopped: the attacks still use the network A.",
                         "warn")  # fmt: skip
            elif reason == "stopped":
                self.say("Stopped: press <b>Train</b> to train the network (and B) again.", "warn")
            return
        if self._live == "sweep" and self.defended is not None and self.defence:
            self._draw_defence()
            before, after = self.sweeps["pgd"], self.defence["pgd"]
            i = int(np.argmin(np.abs(before.eps - self._defence_eps())))
            self.say(
                f"Defended: under PGD at ε = {before.eps[i]:.3g} accuracy went from "
                f"{before.accuracy[i]:.0%} to {after.accuracy[i]:.0%}; clean accuracy "
                f"{before.clean_accuracy:.0%} → {after.clean_accuracy:.0%}.",
                "ok",
            )
            return
        self.trained = self.trained_as
        if self.network != self.trained_as:
            self.say(f"Trained the {NETWORK_LABELS[self.trained_as]}; the "
                     f"{NETWORK_LABELS[self.network]} chosen meanwhile trains at the next Train.",
                     "warn")  # fmt: skip
            self.refresh()
            self._draw_defence()
            self._transfer_text()
            return
        acc = self.sweeps["fgsm"].clean_accuracy
        self.refresh()
        self._draw_defence()
        self._transfer_text()
        self.say(
            f"Trained: {acc:.0%} of 100 held-out images right. Now move ε, pick an attack or "
            "an image, press Play to replay the attack.",
            "ok",
        )

    @T.observe("eps")
    def _eps_moved(self, change):
        """Transfer shown (its tab open, a lesson step setting ε): measured at the new ε."""
        if self.tabs.selected_index == 2 and self.other is not None and not self.running:
            self._transfer_text()

    def _tab_opened(self, change):
        """Transfer is measured at the ε of the Attack tab when its tab is opened (100
        images, FGSM and PGD: too slow to redo at every move of the slider)."""
        if change["new"] == 2 and not self.running and self._transfer_at != self.eps:
            self._transfer_text()
        if change["new"] == PLANE_TAB and self._plane_settings() != self._plane_key:
            self.refresh()  # the 2-D view, first shown or moved while hidden
