"""LandscapePanel: train a small network live, then see its loss landscape and the path it took."""

from __future__ import annotations

import time

import numpy as np
import traitlets as T

from ..scenes import landscape as scene
from . import theme
from .controls import Choice, Frames, LogSlider, Slider
from .figure import Figure
from .panel import Panel, Training

DATASETS = ("circle", "xor", "gauss", "spiral")
PLANE = (0.0, 0.45)  # the contour's share of the figure's width; the 3-D view takes the rest


class LandscapePanel(Panel):
    """Train a 2-8-8-1 tanh network with deepscope.nn, then slice its loss over a plane.

    Press Train: the network trains live (the loss curve grows; the learning rate can be
    changed while it runs), then the loss is evaluated on a resolution x resolution grid
    around the final weights (the map fills in row by row), and the training path is
    projected onto the plane and replayed with Play. Full-batch paths are smooth; small
    batches make them noisy.
    """

    dashboard = "landscape.ipynb"
    title = "The loss landscape of a network"
    summary = (
        "A 2-8-8-1 network trains live; its loss on a plane through the trained weights "
        "(Li et al., 2018), with the path training took: full batch against small batches, "
        "the path's own plane against a random one."
    )
    train_on_start = True

    dataset = T.Enum(DATASETS, "circle").tag(state=True, control=Choice())
    batch_size = T.Enum((500, 50, 10), 500).tag(
        state=True, control=Choice("batch size", labels={500: "full batch (500)"})
    )
    optimizer = T.Enum(scene.OPTIMIZERS, "sgd").tag(
        state=True,
        control=Choice(labels={"sgd": "GD / SGD", "momentum": "momentum 0.9", "adam": "Adam"}),
    )
    learning_rate = T.Float(0.5, min=0.001, max=3.0).tag(
        state=True,
        control=LogSlider(help="changing it while training applies from the next step"),
    )
    epochs = T.Int(100, min=10, max=2000).tag(state=True, control=Slider(step=10))
    resolution = T.Enum((21, 41, 61, 101), 41).tag(
        state=True, control=Choice("grid", labels={r: f"{r} × {r}" for r in (21, 41, 61, 101)})
    )
    directions = T.Enum(scene.DIRECTIONS, "pca").tag(
        state=True,
        control=Choice(
            "plane",
            labels={"pca": "PCA of the path", "filter": "random (filter-normalised)"},
            style="toggle",
        ),
    )
    span = T.Float(1.0, min=0.1, max=3.0).tag(
        state=True, control=Slider("span of the random plane", step=0.1)
    )
    seed = T.Int(0, min=0, max=99).tag(state=True, control=Slider("seed (data and weights)"))
    step = T.Int(0, min=0).tag(state=True, control=Frames("point", interval_ms=60), render=True)

    def build(self):
        self.run: scene.TrainingRun | None = None
        self.grid: scene.LossGrid | None = None
        self.path = np.zeros((0, 2))
        self.held = 0.0
        self._timing = (0.0, 0.0)
        self.fig = self._landscape_figure()
        self.loss_fig = self._loss_figure()
        self.figures = [self.fig, self.loss_fig]
        c = self.controls
        self.children = [
            theme.row(
                [
                    theme.column([c["dataset"], c["batch_size"], c["optimizer"]]),
                    theme.column([c["learning_rate"], c["epochs"], c["seed"]]),
                    theme.column([c["resolution"], c["directions"], c["span"]]),
                ]
            ),
            c["train"],
            self.message,
            self.fig,
            c["step"],
            self.loss_fig,
            self.link,
        ]
        self.show_control("span", self.directions == "filter")
        self.say("Press <b>Train</b>: the network trains, then its landscape is computed.")

    # figures ------------------------------------------------------------------------------
    def _landscape_figure(self) -> Figure:
        hover = "a=%{x:.3f}<br>b=%{y:.3f}<br>loss=%{z:.4f}<extra></extra>"
        return Figure(
            [
                dict(
                    type="contour",
                    name="loss",
                    z=[[0, 0], [0, 0]],
                    visible=False,  # until the grid has numbers (a flat map has no levels)
                    colorscale="Viridis",
                    ncontours=30,
                    colorbar=dict(x=PLANE[1] + 0.01, len=0.9, title=dict(text="BCE loss")),
                    hovertemplate=hover,
                    showlegend=False,
                ),
                dict(
                    type="scatter",
                    name="training path (projected)",
                    x=[],
                    y=[],
                    mode="lines+markers",
                    line=dict(color="#ff1744", width=2),
                    marker=dict(size=4, color="#ff1744"),
                    hovertemplate="step %{customdata[0]}<br>loss %{customdata[1]:.4f}"
                    "<extra></extra>",
                ),
                theme.now_marker(),
                dict(
                    type="scatter",
                    name="trained weights (centre)",
                    x=[0],
                    y=[0],
                    mode="markers",
                    marker=dict(
                        symbol="star", size=16, color="gold", line=dict(color="black", width=1)
                    ),
                    hovertemplate="the trained network<extra></extra>",
                ),
                dict(
                    type="surface",
                    name="loss surface",
                    z=[[0, 0], [0, 0]],
                    visible=False,  # until the grid has numbers (a flat map has no levels)
                    colorscale="Viridis",
                    showscale=False,
                    opacity=0.9,
                    hovertemplate=hover,
                ),
            ],
            theme.layout(
                480,
                title={"text": "Loss landscape: train the network first"},
                xaxis=theme.axis("a (direction 1)", domain=list(PLANE)),
                yaxis=theme.axis("b (direction 2)"),
                scene=dict(
                    domain=dict(x=[PLANE[1] + 0.12, 1.0], y=[0, 1]),
                    xaxis=dict(title=dict(text="a"), nticks=5),
                    yaxis=dict(title=dict(text="b"), nticks=5),
                    zaxis=dict(title=dict(text="loss"), nticks=4),
                    aspectmode="manual",
                    aspectratio=dict(x=1, y=1, z=0.6),  # flatter: the z labels stay apart
                    camera=dict(eye=dict(x=1.6, y=1.6, z=1.1)),
                ),
                legend={"orientation": "h", "y": -0.18},
            ),
        )

    def _loss_figure(self) -> Figure:
        return Figure(
            [
                dict(
                    type="scatter",
                    name="loss after each epoch",
                    x=[],
                    y=[],
                    mode="lines",
                    line=dict(color=theme.PALETTE[0], width=3),
                    hovertemplate="step %{x}: loss %{y:.4f}<extra></extra>",
                ),
                dict(
                    type="scatter",
                    name="full-data loss on the path",
                    x=[],
                    y=[],
                    mode="markers",
                    marker=dict(size=5, color=theme.PALETTE[1]),
                    hovertemplate="step %{x}: loss %{y:.4f}<extra></extra>",
                ),
                theme.now_marker(size=13),
            ],
            theme.layout(
                280,
                title={"text": "Training loss"},
                xaxis=theme.axis("optimizer step"),
                yaxis=theme.axis("BCE loss", rangemode="tozero"),
                legend={
                    "orientation": "h",
                    "y": 1.02,
                    "yanchor": "bottom",
                    "x": 1,
                    "xanchor": "right",
                },
                margin={"t": 60, "b": 50},
            ),
        )

    # settings -----------------------------------------------------------------------------
    @T.observe("optimizer")
    def _optimizer_rate(self, change):
        """Each optimizer comes with a learning rate that suits it (Adam at GD's 0.5 makes
        big, erratic steps); a learning rate given with it (a state, a link) wins, being
        applied after it."""
        if not self.running:  # while one trains, a new optimizer is for the next run
            self.learning_rate = scene.SUGGESTED_LR[change["new"]]

    @T.observe("learning_rate")
    def _live_rate(self, change):
        if self.running and self.run is not None:
            self.run.optimizer.lr = change["new"]
            step = self.run.trainer.step_index
            if self._rate_changes and self._rate_changes[-1][0] == step:  # one drag: its end
                self._rate_changes[-1] = (step, change["new"])
            else:
                self._rate_changes.append((step, change["new"]))

    @T.observe("directions")
    def _span_shown(self, change):
        self.show_control("span", change["new"] == "filter")

    @T.observe("dataset", "batch_size", "optimizer", "epochs", "resolution", "directions", "span")
    def _stale(self, change):
        if self.run is not None and not self.running:
            self.say("Settings changed: press <b>Train</b> to train and compute again.")

    # live training ------------------------------------------------------------------------
    def start_training(self) -> Training:
        run = scene.start_run(
            self.dataset,
            batch_size=self.batch_size,
            lr=self.learning_rate,
            optimizer=self.optimizer,
            seed=self.seed,
        )
        self.run, self.grid, self.path = run, None, np.zeros((0, 2))
        self._rate_changes = []
        self._ran = {
            k: getattr(self, k) for k in ("dataset", "batch_size", "optimizer", "directions")
        }
        settings = (self.epochs, self.resolution, self.directions, self.span, self.seed)
        self.say(f"Training {self.epochs} epochs of {self.optimizer} on {self.dataset} ...")
        with self.figures_batch():  # the last run's picture goes: this one is not it
            for name in ("loss", "loss surface"):
                self.fig.update(name, visible=False)
            for name in ("training path (projected)", "now"):
                self.fig.update(name, x=[], y=[])
            self.loss_fig.update("full-data loss on the path", x=[], y=[])
            self.loss_fig.update("now", x=[], y=[])
            self.controls["step"].load(1)
        return Training(self._events(run, *settings), self.epochs)

    def _events(self, run, epochs, resolution, directions, span, seed):
        t0 = time.perf_counter()
        yield from run.events(epochs)
        if run.diverged:
            return  # nothing to slice: the weights left for infinity
        t_train = time.perf_counter() - t0
        self.path, self.held, self.grid = scene.plane_of_run(
            run, directions, resolution, span, seed
        )
        t1 = time.perf_counter()
        yield from self.grid.events()
        self._timing = (t_train, time.perf_counter() - t1)

    def draw_training(self):
        run = self.run
        steps, losses = zip(*run.epoch_losses) if run.epoch_losses else ((), ())
        self.loss_fig.update("loss after each epoch", x=np.array(steps), y=np.array(losses))
        if self.grid is None:
            epoch = len(run.epoch_losses)
            self.fig.relayout(
                title={
                    "text": f"Training: epoch {epoch} of {self.epochs} at learning rate "
                    f"{run.optimizer.lr:g}, then the landscape"
                }
            )
            return
        g = self.grid
        for name in ("loss", "loss surface"):
            self.fig.update(name, x=g.alphas, y=g.betas, z=g.losses, visible=True)
        span = float(g.alphas[-1])
        self.fig.relayout(
            xaxis={"range": [-span, span]},
            yaxis={"range": [-span, span]},
            title={"text": f"Loss landscape: {g.rows_done} of {len(g.betas)} rows computed"},
        )

    def training_finished(self, reason):
        run = self.run
        grid = self.grid
        if reason == "stopped" and (grid is None or grid.rows_done < len(grid.betas)):
            done = len(self.run.epoch_losses)
            self.fig.relayout(
                title={"text": f"Stopped after {done} epochs, before the landscape: press Train"}
            )
            self.say(
                f"Stopped after {done} of {self.epochs} epochs (the loss curve shows them); "
                "press <b>Train</b> to train again and see the landscape.",
                "warn",
            )
            return
        if reason != "finished":  # diverged or an error: the kit has said what happened
            return
        self.fig.update(
            "training path (projected)",
            x=self.path[:, 0],
            y=self.path[:, 1],
            customdata=np.c_[run.steps, run.losses],
        )
        self.loss_fig.update("full-data loss on the path", x=run.steps, y=run.losses)
        self.controls["step"].load(len(self.path))
        self.render()
        self.say(*self._summary())

    def _summary(self):
        """What the run measured, in the words of the settings it ran with (the controls may
        have moved since)."""
        run, (t_train, t_grid), ran = self.run, self._timing, self._ran
        batch = (
            "full batch" if ran["batch_size"] >= len(run.X) else f"batches of {ran['batch_size']}"
        )
        start, end = run.losses[0], run.losses[-1]
        text = (
            f"{ran['dataset']}: {run.steps[-1]} steps of {ran['optimizer']} ({batch}), "
            f"full-data loss {start:.3f} → {end:.3f}. "
        )
        kind = "info"
        if end > start:
            text += f"<b>The loss went up at learning rate {run.optimizer.lr:g}: lower it.</b> "
            kind = "warn"
        changes = self._rate_changes
        if len(changes) > 3:
            step, lr = changes[-1]
            text += f"Learning rate changed {len(changes)} times, last to {lr:g} at step {step}. "
        else:
            for step, lr in changes:
                text += f"Learning rate changed to {lr:g} at step {step}. "
        text += (
            f"Trained in {t_train:.2f} s; {self.grid.losses.size} networks evaluated in "
            f"{t_grid:.2f} s. This plane holds {self.held:.0%} of the path's movement"
            + (
                " (random directions miss most of a path: try the PCA plane)."
                if ran["directions"] == "filter"
                else "."
            )
        )
        return text, kind

    # the replay ---------------------------------------------------------------------------
    def render(self):
        if self.run is None or not len(self.path) or self.running:
            return
        i = min(self.step, len(self.path) - 1)
        run = self.run
        step = int(run.steps[i])
        self.fig.update("now", x=[self.path[i, 0]], y=[self.path[i, 1]])
        self.loss_fig.update("now", x=[step], y=[run.losses[i]])
        self.fig.relayout(
            title={
                "text": f"Loss landscape around the trained network · step {step} (epoch "
                f"{step / run.steps_per_epoch:.1f}): full-data loss {run.losses[i]:.4f}"
            }
        )
