"""The loss landscape of a real network (Li et al., 2018, "Visualizing the Loss Landscape of
Neural Nets").

A network has hundreds of parameters, so its loss surface cannot be drawn. Pick two
directions d1, d2 in parameter space and draw the slice theta + a*d1 + b*d2 instead. Random
directions are rescaled filter by filter to the size of the weights they perturb ("filter
normalisation"), so the picture does not depend on how the weights happen to be scaled; or
take the two principal directions of the training trajectory, the plane the walk moved in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .. import nn
from ..core.checks import check_int
from ..data import playground
from ..nn.train import compiled_plan, prepare_data

DIRECTIONS = ("filter", "pca")


def filter_normalized_direction(model: nn.Sequential, rng) -> np.ndarray:
    """A Gaussian direction with each filter rescaled to the norm of the weights it perturbs.

    A filter is one output unit's incoming weights (a column of a Dense W, one output channel
    of a Conv2D W). Bias entries get 0, as in Li et al.
    """
    d = np.zeros_like(model.theta)
    for _, layer in model.param_layers():
        for key, value in layer.params.items():
            if key != "W":
                continue
            off = model.offsets[(id(layer), key)]
            w = value.T if value.ndim == 2 else value  # filters along axis 0
            rows = w.reshape(w.shape[0], -1)
            r = rng.standard_normal(rows.shape)
            r *= np.linalg.norm(rows, axis=1, keepdims=True) / (
                np.linalg.norm(r, axis=1, keepdims=True) + 1e-10
            )
            r = r.reshape(w.shape)
            d[off : off + value.size] = (r.T if value.ndim == 2 else r).ravel()
    return d


def landscape_directions(model, directions="filter", seed=0, trajectory=None):
    """(d1, d2): "filter" (random, filter-normalised), "pca" (top two principal directions of
    ``trajectory``, a (T, P) array of parameter vectors ending at the model), or a pair."""
    if isinstance(directions, (tuple, list)) and len(directions) == 2:
        d1, d2 = (np.asarray(d, dtype=model.theta.dtype).ravel() for d in directions)
        for name, d in (("d1", d1), ("d2", d2)):
            if d.shape != model.theta.shape:
                raise ValueError(
                    f"direction {name} has {d.size} entries, the model has {model.theta.size}"
                )
        return d1, d2
    if directions == "filter":
        rng = np.random.default_rng(seed)
        return filter_normalized_direction(model, rng), filter_normalized_direction(model, rng)
    if directions == "pca":
        if trajectory is None or len(trajectory) < 3:
            raise ValueError("directions='pca' needs trajectory=, at least 3 parameter vectors")
        moves = np.asarray(trajectory, dtype=np.float64) - model.theta.astype(np.float64)
        _, _, vt = np.linalg.svd(moves, full_matrices=False)
        return vt[0].astype(model.theta.dtype), vt[1].astype(model.theta.dtype)
    raise ValueError(f"directions must be 'filter', 'pca' or a pair of arrays, got {directions!r}")


def project_trajectory(trajectory, center, d1, d2) -> tuple[np.ndarray, float]:
    """Plane coordinates (T, 2) of each parameter vector (least squares onto d1, d2) and the
    fraction of the path's squared distance from ``center`` that the plane holds (1 = all).

    Random directions in a space of hundreds of dimensions are nearly orthogonal to the path,
    so they hold little of it; the PCA plane holds the most any plane can.
    """
    basis = np.stack([d1, d2], axis=1).astype(np.float64)
    moves = np.asarray(trajectory, dtype=np.float64) - np.asarray(center, dtype=np.float64)
    coords, *_ = np.linalg.lstsq(basis, moves.T, rcond=None)
    total = float((moves**2).sum())
    residual = float(((moves.T - basis @ coords) ** 2).sum())
    return coords.T, (1.0 - residual / total) if total > 0 else 1.0


@dataclass
class LossGrid:
    """The loss over the plane theta + a*d1 + b*d2, filled in row by row by ``events()``:
    losses[i, j] at (a=alphas[j], b=betas[i]) (rows are b, as plotly draws z), NaN where not
    computed yet; the model's own loss sits at the centre [resolution // 2] * 2."""

    alphas: np.ndarray
    betas: np.ndarray
    losses: np.ndarray
    rows_done: int = 0
    evaluate: object = None  # (coords (P, 2), out (P,)) -> None
    restore: object = None  # puts the model's own parameters back

    def events(self, rows_per_chunk: int | None = None):
        """Compute the rows in chunks, one "progress" event after each (a live panel draws
        between them); the model's parameters are restored at the end."""
        n = len(self.betas)
        chunk = rows_per_chunk or max(1, n // 10)
        try:
            for r0 in range(self.rows_done, n, chunk):
                r1 = min(r0 + chunk, n)
                B, A = np.meshgrid(self.betas[r0:r1], self.alphas, indexing="ij")
                coords = np.ascontiguousarray(np.stack([A.ravel(), B.ravel()], axis=1))
                out = np.empty(coords.shape[0])
                self.evaluate(coords, out)
                self.losses[r0:r1] = out.reshape(r1 - r0, -1)
                self.rows_done = r1
                yield nn.Event(
                    "progress",
                    0,
                    0,
                    float("nan"),
                    {"done": r1, "total": n, "what": "grid rows"},
                )
        finally:
            self.restore()


def loss_grid(
    model: nn.Sequential,
    X,
    y,
    loss: nn.Loss,
    resolution: int = 41,
    span: float = 1.0,
    directions="filter",
    seed: int = 0,
    trajectory=None,
) -> LossGrid:
    """A LossGrid of ``model``'s loss over a plane, a and b in [-span, span], ready to be
    computed with ``grid.events()`` (or in one go with ``loss_landscape``).

    Dense networks go to the backend's ``grid_losses`` (one compiled, threaded call per
    chunk of rows on the cpu backend, one launch with a block per grid point on the cuda
    backend); other models are evaluated point by point.
    """
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be a Sequential, got {type(model).__name__}")
    resolution = check_int("resolution", resolution, 3, 201)
    if resolution % 2 == 0:
        raise ValueError(
            f"resolution must be odd so the model sits at the centre, got {resolution}"
        )
    if not isinstance(span, (int, float)) or not np.isfinite(span) or span <= 0:
        raise ValueError(f"span must be a finite number > 0, got {span!r}")
    X, y = prepare_data(model, loss, "X", "y", X, y)
    d1, d2 = landscape_directions(model, directions, seed, trajectory)
    alphas = np.linspace(-span, span, resolution)
    plan = compiled_plan(model, loss, X, y)
    theta = model.theta.copy()

    if plan is not None:
        layout, act_alphas, kind, y_rows = plan
        grid_losses = model.backend.grid_losses

        def evaluate(coords, out):
            out[:] = grid_losses(theta, d1, d2, coords, layout, act_alphas, X, y_rows, kind)

    else:

        def evaluate(coords, out):
            for p, (a, b) in enumerate(coords):
                model.theta[:] = theta + a * d1 + b * d2
                out[p] = loss.forward(model.forward(X, training=False), y)

    def restore():
        model.theta[:] = theta

    return LossGrid(
        alphas,
        alphas.copy(),
        np.full((resolution, resolution), np.nan),
        evaluate=evaluate,
        restore=restore,
    )


def loss_landscape(
    model: nn.Sequential,
    X,
    y,
    loss: nn.Loss,
    resolution: int = 41,
    span: float = 1.0,
    directions="filter",
    seed: int = 0,
    trajectory=None,
):
    """(alphas, betas, losses) of ``loss_grid``, computed in one go."""
    grid = loss_grid(model, X, y, loss, resolution, span, directions, seed, trajectory)
    for _ in grid.events():
        pass
    return grid.alphas, grid.betas, grid.losses


OPTIMIZERS = ("sgd", "momentum", "adam")
#: a learning rate that trains the 2-8-8-1 network well with each optimizer (full batch)
SUGGESTED_LR = {"sgd": 0.5, "momentum": 0.1, "adam": 0.02}


@dataclass
class TrainingRun:
    """A small network trained on a playground dataset, with its path through weight space.

    ``start_run`` makes it untrained; ``run.events(epochs)`` trains it as a stream of
    nn.Events and records the path; afterwards ``thetas`` (T, P: the parameters at the
    recorded steps, first = initial, last = final), ``steps`` (T,) and ``losses`` (T,: the
    full-data loss at each) hold it."""

    model: nn.Sequential
    X: np.ndarray
    y: np.ndarray
    loss: nn.Loss
    trainer: nn.Trainer
    batch_size: int
    thetas: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))
    steps: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    losses: np.ndarray = field(default_factory=lambda: np.zeros(0))
    diverged: bool = False
    epoch_losses: list = field(default_factory=list)  # (step, loss) after each epoch

    @property
    def optimizer(self) -> nn.Optimizer:
        return self.trainer.optimizer

    @property
    def steps_per_epoch(self) -> int:
        return -(-len(self.X) // self.batch_size)

    def events(self, epochs: int, max_points: int = 400):
        """Train ``epochs`` epochs, recording every optimizer step's parameters (at most
        ``max_points`` evenly spaced ones, plus the final weights)."""
        epochs = check_int("epochs", epochs, 1)
        max_points = check_int("max_points", max_points, 3)
        model, trainer = self.model, self.trainer
        every = -(-epochs * self.steps_per_epoch // max_points)
        thetas, steps = [], []
        for event in trainer.events(epochs, steps=True):
            if event.kind == "step":  # before the step's update: theta is its start point
                if event.step % every == 0:
                    thetas.append(model.theta.copy())
                    steps.append(event.step)
            elif event.kind == "epoch":
                self.epoch_losses.append((trainer.step_index, event.loss))
            elif event.kind == "diverged":
                self.diverged = True
            yield event
        if not self.diverged:
            thetas.append(model.theta.copy())
            steps.append(trainer.step_index)
        losses = []
        for theta in thetas:
            model.theta[:] = theta
            losses.append(trainer.evaluate(self.X, self.y)["loss"])
        model.theta[:] = thetas[-1]
        self.thetas, self.steps, self.losses = np.array(thetas), np.array(steps), np.array(losses)


def start_run(
    dataset: str = "circle",
    hidden=(8, 8),
    batch_size: int = 500,
    lr: float = 0.5,
    optimizer: str = "sgd",
    n_points: int = 500,
    noise: float = 0.1,
    seed: int = 0,
) -> TrainingRun:
    """An untrained tanh MLP (2-hidden-1, sigmoid out, BCE) on a playground dataset, with
    its optimizer; ``batch_size`` equal to ``n_points`` is full-batch gradient descent (a
    smooth path), small batches give stochastic, noisy paths."""
    if dataset not in ("circle", "xor", "gauss", "spiral"):
        raise ValueError(
            f"dataset must be a classification set: circle, xor, gauss or spiral; got {dataset!r}"
        )
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer must be sgd, momentum or adam; got {optimizer!r}")
    X, y = playground(dataset, n_points, noise, seed=seed)
    X, y = X.astype(np.float32), y.astype(np.float32)
    sizes = (2, *hidden)
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Dense(n_in, n_out), nn.Tanh()]
    # the cpu backend: the path records the parameters after every step, and on a GPU they
    # come back to the host once per epoch only (a network this small is quicker here anyway)
    model = nn.Sequential([*layers, nn.Dense(sizes[-1], 1), nn.Sigmoid()], seed=seed, backend="cpu")
    loss = nn.BCELoss("cpu")
    if optimizer == "adam":
        opt = nn.Adam(model, lr=lr)
    else:
        opt = nn.SGD(model, lr=lr, momentum=0.9 if optimizer == "momentum" else 0.0)
    trainer = nn.Trainer(model, X, y, loss, opt, batch_size=batch_size, seed=seed)
    return TrainingRun(model, X, y, loss, trainer, trainer.batch_size)


def plane_of_run(
    run: TrainingRun, directions="pca", resolution: int = 41, span: float = 1.0, seed: int = 0
):
    """After training: the plane to slice (the path's PCA plane or random directions), the
    path projected onto it with the share of its movement the plane holds, and the LossGrid
    ready to compute. A PCA plane's span is fitted to the path (1.2 times its reach)."""
    d1, d2 = landscape_directions(run.model, directions, seed, run.thetas)
    path, held = project_trajectory(run.thetas, run.model.theta, d1, d2)
    if directions == "pca":
        span = float(1.2 * np.abs(path).max()) or 1.0
    grid = loss_grid(run.model, run.X, run.y, run.loss, resolution, span, (d1, d2))
    return path, held, grid


def train_run(dataset: str = "circle", epochs: int = 100, max_points: int = 400, **kwargs):
    """``start_run(dataset, **kwargs)`` trained for ``epochs`` in one go."""
    run = start_run(dataset, **kwargs)
    for _ in run.events(epochs, max_points):
        pass
    return run
