"""LandscapePanel: train a small network, then see its loss landscape and the path it took."""

from __future__ import annotations

import html
import time

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import traitlets as T

from ..scenes import landscape as scene
from .figures import sync_state
from .player import Player
from .state import PanelState

DATASETS = ("circle", "xor", "gauss", "spiral")
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.05, 0.1, 0.3, 0.5, 1.0, 2.0, 3.0)
CONTOUR, PATH, NOW, SURFACE, CENTER = range(5)


class LandscapePanel(PanelState, W.VBox):
    """Train a 2-8-8-1 tanh network with deepscope.nn, then slice its loss over a plane.

    Press "Train & compute": the network trains (its parameters kept after every epoch), the
    loss is evaluated on a resolution x resolution grid around the final weights, and the path
    is projected onto the plane and replayed with Play. Full-batch paths are smooth; small
    batches make them noisy.
    """

    dataset = T.Enum(DATASETS, "circle")
    batch_size = T.Int(500)
    optimizer = T.Enum(("sgd", "momentum", "adam"), "sgd")
    learning_rate = T.Enum(LEARNING_RATES, 0.5)
    epochs = T.Int(100)
    resolution = T.Enum((21, 41, 61, 101), 41)
    directions = T.Enum(scene.DIRECTIONS, "pca")
    span = T.Float(1.0)
    seed = T.Int(0)

    STATE_KEYS = (
        "dataset",
        "batch_size",
        "optimizer",
        "learning_rate",
        "epochs",
        "resolution",
        "directions",
        "span",
        "seed",
    )

    def __init__(self, compute: bool = True, **kwargs):
        super().__init__(layout=W.Layout(width="100%"))
        self.run: scene.TrainingRun | None = None
        self.path = np.zeros((0, 2))
        wide = {"description_width": "initial"}
        self.dataset_select = W.Dropdown(options=DATASETS, description="dataset")
        self.batch_select = W.Dropdown(
            options=[("full batch (500)", 500), ("50", 50), ("10", 10)],
            description="batch size",
            style=wide,
        )
        self.optimizer_select = W.Dropdown(
            options=[("GD / SGD", "sgd"), ("momentum 0.9", "momentum"), ("Adam", "adam")],
            description="optimizer",
        )
        self.lr_slider = W.SelectionSlider(
            options=LEARNING_RATES, description="learning rate", style=wide
        )
        self.epochs_slider = W.IntSlider(min=10, max=300, step=10, description="epochs")
        self.resolution_select = W.Dropdown(
            options=[21, 41, 61, 101], description="grid", style=wide
        )
        self.directions_select = W.ToggleButtons(
            options=[("PCA of the path", "pca"), ("random (filter-normalised)", "filter")],
            description="plane",
        )
        self.span_slider = W.FloatSlider(
            min=0.1, max=3.0, step=0.1, description="span (random plane)", style=wide
        )
        for widget, name in (
            (self.dataset_select, "dataset"),
            (self.batch_select, "batch_size"),
            (self.optimizer_select, "optimizer"),
            (self.lr_slider, "learning_rate"),
            (self.epochs_slider, "epochs"),
            (self.resolution_select, "resolution"),
            (self.directions_select, "directions"),
            (self.span_slider, "span"),
        ):
            T.link((self, name), (widget, "value"))
        self.compute_button = W.Button(
            description="Train & compute", icon="play", button_style="primary"
        )
        self.compute_button.on_click(lambda _: self.compute())
        self.progress = W.FloatProgress(min=0, max=1, description="grid", style=wide)
        self.player = Player(self.render, interval_ms=60, description="point")
        self.message = W.HTML()
        self.fig = self._build_figure()
        self.children = [
            W.HBox(
                [
                    W.VBox([self.dataset_select, self.batch_select, self.optimizer_select]),
                    W.VBox([self.lr_slider, self.epochs_slider, self.resolution_select]),
                    W.VBox([self.directions_select, self.span_slider]),
                ]
            ),
            W.HBox([self.compute_button, self.progress, self.player]),
            self.message,
            self.fig,
        ]
        self._check_arguments(kwargs)
        for key, value in kwargs.items():
            setattr(self, key, value)
        self.observe(self._stale, names=list(self.STATE_KEYS))
        if compute:
            self.compute()
        else:
            self.message.value = "Press <b>Train & compute</b>."
        sync_state(self.fig)

    def _build_figure(self) -> go.FigureWidget:
        fig = go.FigureWidget(
            layout=dict(
                width=1060,
                height=500,
                margin=dict(l=55, r=20, t=60, b=50),
                xaxis=dict(domain=[0, 0.46], title="a (direction 1)"),
                yaxis=dict(title="b (direction 2)"),
                scene=dict(
                    domain=dict(x=[0.54, 1], y=[0, 1]),
                    xaxis_title="a",
                    yaxis_title="b",
                    zaxis_title="loss",
                ),
                legend=dict(orientation="h", y=-0.15),
            )
        )
        fig.add_contour(
            z=[[0]],
            colorscale="Viridis",
            ncontours=30,
            colorbar=dict(x=0.47, len=0.9, title=dict(text="BCE loss", side="right")),
            hovertemplate="a=%{x:.3f}<br>b=%{y:.3f}<br>loss=%{z:.4f}<extra></extra>",
            name="loss",
            showlegend=False,
        )
        fig.add_scatter(
            x=[],
            y=[],
            mode="lines+markers",
            name="training path (projected)",
            line=dict(color="white", width=2),
            marker=dict(size=4, color="white"),
            customdata=[],
            hovertemplate="step %{customdata[0]}<br>loss %{customdata[1]:.4f}<extra></extra>",
        )
        fig.add_scatter(
            x=[],
            y=[],
            mode="markers",
            name="now",
            marker=dict(size=14, color="orange", line=dict(color="black", width=2)),
            hoverinfo="skip",
        )
        fig.add_surface(
            z=[[0]], colorscale="Viridis", showscale=False, opacity=0.9, name="loss surface"
        )
        fig.add_scatter(
            x=[0],
            y=[0],
            mode="markers",
            name="trained weights (centre)",
            marker=dict(symbol="star", size=16, color="gold", line=dict(color="black", width=1)),
            hovertemplate="the trained network<extra></extra>",
        )
        return fig

    def _stale(self, _):
        self.message.value = "Settings changed: press <b>Train & compute</b>."

    def compute(self):
        """Train, evaluate the grid (with progress), project the path, draw."""
        self.compute_button.disabled = True
        self.progress.value = 0
        try:
            t0 = time.perf_counter()
            self.message.value = f"Training {self.epochs} epochs ..."
            run = scene.train_run(
                self.dataset,
                batch_size=self.batch_size,
                epochs=self.epochs,
                lr=self.learning_rate,
                optimizer=self.optimizer,
                seed=self.seed,
            )
            t_train = time.perf_counter() - t0
            d1, d2 = scene.landscape_directions(run.model, self.directions, self.seed, run.thetas)
            path, held = scene.project_trajectory(run.thetas, run.model.theta, d1, d2)
            span = self.span
            if self.directions == "pca":
                span = float(1.2 * np.abs(path).max()) or 1.0
            self.message.value = f"Evaluating the {self.resolution}x{self.resolution} grid ..."
            t1 = time.perf_counter()
            alphas, betas, losses = scene.loss_landscape(
                run.model,
                run.X,
                run.y,
                run.loss,
                self.resolution,
                span,
                (d1, d2),
                progress=lambda done, total: setattr(self.progress, "value", done / total),
            )
            t_grid = time.perf_counter() - t1
        except ValueError as err:
            self.message.value = f"<span style='color:crimson'>{html.escape(str(err))}</span>"
            return None
        finally:
            self.compute_button.disabled = False
        self.run, self.path = run, path
        diverged = run.diverged
        batch = "full-batch" if self.batch_size >= len(run.X) else f"batch {self.batch_size}"
        self.message.value = (
            f"{self.dataset}: {run.steps[-1]} steps of {self.optimizer} ({batch}), "
            f"loss {run.losses[0]:.3f} → {run.losses[-1]:.3f}"
            + (" <b style='color:crimson'>(diverged: lower the learning rate)</b>" * diverged)
            + f". Trained in {t_train:.2f} s; {losses.size} networks evaluated in "
            f"{t_grid:.2f} s. This plane holds {held:.0%} of the path's movement"
            + (
                " (random directions miss most of a path: try the PCA plane)."
                if self.directions == "filter"
                else "."
            )
        )
        with self.fig.batch_update():
            contour, line, _, surf, _ = self.fig.data
            contour.x, contour.y, contour.z = alphas, betas, losses
            surf.x, surf.y, surf.z = alphas, betas, losses
            line.x, line.y = path[:, 0], path[:, 1]
            line.customdata = np.c_[run.steps, run.losses]
            self.fig.layout.xaxis.range = [-span, span]
            self.fig.layout.yaxis.range = [-span, span]
        self.player.load(len(path))
        self.render(0)
        return alphas, betas, losses

    def render(self, i: int) -> None:
        """Put the marker at epoch i of the training path."""
        if self.run is None or not len(self.path):
            return
        i = min(max(i, 0), len(self.path) - 1)
        with self.fig.batch_update():
            now = self.fig.data[NOW]
            now.x, now.y = [self.path[i, 0]], [self.path[i, 1]]
            step = int(self.run.steps[i])
            per_epoch = -(-len(self.run.X) // self.run.batch_size)
            self.fig.layout.title.text = (
                f"Loss landscape around the trained network · step {step} "
                f"(epoch {step / per_epoch:.1f}): full-data loss {self.run.losses[i]:.4f}"
            )
