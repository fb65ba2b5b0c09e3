"""Hyperparameter search on the playground: grid, random and Bayesian (Optuna's TPE) search
over one or two controls, each point scored by k-fold cross-validation on the experiment's
training points, every (configuration, fold) fit a job on a ``concurrent.futures`` executor.

A configuration is a dict of the settings below (``CONTROLS``); what a sweep leaves out comes
from ``base`` and then the experiment (features, hidden layers, activation) and the
Playground's defaults (learning rate 0.03, no regularization, batch 10)::

    search = Search.grid({"learning_rate": [0.001, 0.01, 0.03, 0.1, 0.3],
                          "neurons": range(1, 9)}, Experiment(dataset="xor"))
    for event in search.events():      # "progress" events as fits finish: a panel's bar
        ...                            # search.result fills in meanwhile (NaN until done)
    search.result.grid                 # mean validation loss, rows = neurons, cols = rates
    search.result.best_point           # e.g. {"learning_rate": 0.1, "neurons": 6}

or in one call, ``grid_search(axes, experiment)`` (``random_search``, ``bayesian_search``).

Where the fits run: ``executor=None`` is a process pool of one worker per core, made on first
use and kept for the next sweeps (``close_pool()`` ends it); its workers start by
"forkserver" (a fresh server process forks them), not by forking the caller, which is not
safe from a Jupyter kernel holding threads (numba's thread pool, the kernel's own).
``"serial"`` runs them here, one by one; any other ``concurrent.futures.Executor`` works, and
so does a ``dask.distributed.Client`` (its ``get_executor()``), which runs the same jobs on a
cluster's workers. Every number depends only on the configuration, the fold and ``seed``
(folds and initial weights are drawn from it), never on the executor or the order in which
jobs finish: the same seeds give the same numbers, bit for bit, serially, on the pool and on
Dask workers (with the same deepscope, numpy and numba on the same kind of CPU).
"""

from __future__ import annotations

import importlib
import itertools
import math
import multiprocessing
import os
import signal
import sys
from collections.abc import Iterator, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

import numpy as np

from ..core.checks import check_choice, check_int, check_number
from ..nn import Event
from . import playground as pg

#: what a sweep can vary: name -> kind ("log": a positive number, sampled log-uniformly;
#: "int": an integer, sampled uniformly; "choice": one of the values given)
CONTROLS = {
    "learning_rate": "log",
    "regularization_rate": "log",
    "neurons": "int",  # the width of every hidden layer
    "layers": "int",  # how many hidden layers (of ``neurons`` each)
    "batch_size": "int",
    "activation": "choice",
    "regularization": "choice",
    "features": "choice",  # a tuple of feature names
    "hidden": "choice",  # a tuple of widths, e.g. (4, 2)
}
#: the Playground's defaults for what neither the sweep nor the experiment sets
DEFAULTS = {
    "learning_rate": 0.03,
    "regularization": "none",
    "regularization_rate": 0.0,
    "batch_size": 10,
}
SERIAL = "serial"


# ----------------------------------------------------------------------------------------
# configurations


def check_value(name: str, value):
    """``value`` as a valid setting ``name`` (tuples for features and hidden); else an error
    that says which setting, what was given and what is allowed."""
    check_choice("a setting", name, CONTROLS)
    if name == "learning_rate":
        return check_number("learning_rate", value, 0, low_open=True)
    if name == "regularization_rate":
        return check_number("regularization_rate", value, 0)
    if name == "neurons":
        return check_int("neurons (per hidden layer)", value, 1, pg.MAX_NEURONS)
    if name == "layers":
        return check_int("layers (hidden)", value, 0, pg.MAX_LAYERS)
    if name == "batch_size":
        return check_int("batch_size", value, 1)
    if name == "activation":
        return check_choice("activation", value, pg.ACTIVATIONS)
    if name == "regularization":
        return check_choice("regularization", value, pg.REGULARIZATIONS)
    if name == "features":
        names = (value,) if isinstance(value, str) else tuple(value)
        bad = [n for n in names if n not in pg.FEATURES]
        if bad or not names:
            raise ValueError(
                f"features must be a non-empty tuple of {', '.join(pg.FEATURES)}; got {value!r}"
            )
        return tuple(n for n in pg.FEATURES if n in names)
    if isinstance(value, (str, bytes)) or not hasattr(value, "__iter__"):
        raise TypeError(f"hidden must be a tuple of layer widths such as (4, 2); got {value!r}")
    return pg.check_hidden(value)


def settings(config: Mapping, experiment: pg.Experiment | None = None) -> dict:
    """The full settings a fit uses: learning_rate, regularization, regularization_rate,
    batch_size, features, hidden, activation. ``neurons`` / ``layers`` make ``hidden`` =
    (neurons,) * layers, the missing one taken from ``hidden`` (its first width, its depth)."""
    experiment = experiment or pg.Experiment()
    config = {name: check_value(name, value) for name, value in config.items()}
    out = {
        **DEFAULTS,
        "features": experiment.features,
        "hidden": tuple(experiment.hidden),
        "activation": experiment.activation,
    }
    out.update((k, v) for k, v in config.items() if k not in ("neurons", "layers"))
    if "neurons" in config or "layers" in config:
        hidden = out["hidden"]
        width = config.get("neurons", hidden[0] if hidden else 4)
        out["hidden"] = (width,) * config.get("layers", len(hidden))
    return out


def check_axes(axes, kind: str = "grid") -> dict[str, tuple]:
    """The controls to sweep and their values, checked: name -> tuple of values."""
    if not isinstance(axes, Mapping) or not axes:
        raise TypeError(
            f"axes must be a dict of control -> values, such as "
            f"{{'learning_rate': [0.01, 0.1], 'neurons': [2, 4]}}; got {axes!r}"
        )
    if kind == "grid" and len(axes) > 2:
        raise ValueError(
            f"a grid sweeps one or two controls (a heat map's axes); got "
            f"{len(axes)}: {', '.join(axes)}"
        )
    unknown = [name for name in axes if name not in CONTROLS]
    if unknown:
        raise ValueError(
            f"unknown control(s) {', '.join(map(repr, unknown))} in axes; the "
            f"controls are {', '.join(CONTROLS)}"
        )
    if "hidden" in axes and ("neurons" in axes or "layers" in axes):
        raise ValueError(
            "sweep either hidden (whole tuples of widths) or neurons / layers, "
            f"not both; got axes {', '.join(axes)}"
        )
    checked = {}
    for name, values in axes.items():
        if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
            raise TypeError(f"axis {name!r} needs a list of values; got {values!r}")
        values = tuple(checked_in("axes", name, v) for v in values)
        if not values:
            raise ValueError(f"axis {name!r} has no values; give at least one")
        if len(set(values)) < len(values):
            raise ValueError(f"axis {name!r} repeats a value: {values!r}")
        checked[name] = values
    return checked


def checked_in(where: str, name: str, value):
    """``check_value`` whose error says where the value was given: "axes['neurons']: ..."."""
    try:
        return check_value(name, value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{where}[{name!r}]: {exc}") from None


def label(value) -> str:
    """A value as a short string (an axis tick, an Optuna choice): (4, 2) -> "4-2"."""
    if value == ():
        return "()"
    if isinstance(value, tuple):
        return (
            "-".join(map(str, value))
            if all(isinstance(v, int) for v in value)
            else ",".join(map(str, value))
        )
    return f"{value:g}" if isinstance(value, float) else str(value)


# ----------------------------------------------------------------------------------------
# cross-validation and the job


def kfold(n: int, folds: int, seed: int = 0) -> list[np.ndarray]:
    """``folds`` disjoint sets of validation indices (each sorted) that together cover
    range(n): a permutation drawn from ``seed`` cut into near-equal parts."""
    folds = check_int("folds", folds, 2, max(2, n))
    order = np.random.default_rng([seed, 0xF01D]).permutation(n)
    return [np.sort(part) for part in np.array_split(order, folds)]


def fold_seed(seed: int, fold: int) -> int:
    """The initial weights' seed for ``fold``: the same for every configuration (they are
    compared from the same start), different across folds and seeds."""
    return int(np.random.SeedSequence([seed, fold]).generate_state(1)[0])


def fit_fold(points, targets, val, config, output, epochs, seed):
    """One job: train ``config`` (full settings) on the training points outside ``val`` for
    ``epochs`` epochs from the weights drawn from ``seed``; returns the last epoch's (training
    loss, validation loss), both inf if the loss overflowed. Module level and plain-argument,
    so a process pool or a Dask worker can run it."""
    mask = np.zeros(len(points), bool)
    mask[val] = True
    X = pg.features(points, config["features"])
    net = pg.Network(X.shape[1], config["hidden"], config["activation"], output, seed=seed)
    rows = net.train(
        np.ascontiguousarray(X[~mask]),
        targets[~mask],
        np.ascontiguousarray(X[mask]),
        targets[mask],
        epochs,
        config["learning_rate"],
        config["regularization"],
        config["regularization_rate"],
        config["batch_size"],
    )
    if len(rows) < epochs or not np.all(np.isfinite(rows[-1])):
        return math.inf, math.inf
    return float(rows[-1, 0]), float(rows[-1, 1])


# ----------------------------------------------------------------------------------------
# executors

_pool: ProcessPoolExecutor | None = None


def workers() -> int:
    """The cores this process may use (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return max(1, os.cpu_count() or 1)


def process_pool(max_workers: int | None = None) -> ProcessPoolExecutor:
    """A process pool of ``max_workers`` (one per core) started by "forkserver" where the OS
    has it ("spawn" elsewhere): workers never inherit a kernel's threads. The server process
    imports this module once, so each worker starts with numpy, numba and deepscope loaded;
    numba's cache makes the kernels' compilation a one-time cost per machine."""
    methods = multiprocessing.get_all_start_methods()
    ctx = multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")
    if ctx.get_start_method() == "forkserver":
        ctx.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(max_workers or workers(), mp_context=ctx, initializer=_worker_init)


def _worker_init() -> None:
    """Workers ignore Ctrl-C: Jupyter's "interrupt" signals the kernel's whole process group,
    and it is the kernel that stops the sweep (cancelling the fits not started), leaving the
    pool whole for the next one."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def default_pool() -> ProcessPoolExecutor:
    """The pool sweeps use when given no executor: made on first use, kept for the next."""
    global _pool
    if (
        _pool is None
        or getattr(_pool, "_broken", False)
        or getattr(_pool, "_shutdown_thread", False)
    ):
        _pool = process_pool()
    return _pool


def close_pool() -> None:
    """Shut the default pool down (the next sweep makes a new one)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


def as_executor(executor):
    """None -> the default process pool; "serial" -> run here; a dask.distributed Client ->
    its ``get_executor()``; any ``concurrent.futures.Executor`` as it is."""
    if executor is None or (isinstance(executor, str) and executor == "processes"):
        return default_pool()
    if isinstance(executor, str):
        check_choice("executor", executor, ("processes", SERIAL))
    if executor == SERIAL or isinstance(executor, Executor):
        return executor
    distributed = sys.modules.get("distributed")
    if distributed is not None and isinstance(executor, distributed.Client):
        return executor.get_executor()
    if hasattr(executor, "get_executor"):
        return executor.get_executor()
    if hasattr(executor, "submit"):
        return executor
    raise TypeError(
        "executor must be None (a local process pool), 'serial', a "
        "concurrent.futures.Executor or a dask.distributed Client; got "
        f"{type(executor).__name__}"
    )


def dask_client(address: str | None = None, n_workers: int = 2, **kwargs):
    """A ``dask.distributed.Client`` to pass as a sweep's executor: connected to the scheduler
    at ``address`` (such as "tcp://10.0.0.5:8786"), or to a LocalCluster of ``n_workers``
    single-threaded worker processes on this machine that closes with the client."""
    distributed = lazy_import("distributed")
    if address is not None:
        return distributed.Client(address, **kwargs)
    options = {"processes": True, "threads_per_worker": 1, "dashboard_address": None, **kwargs}
    return distributed.Client(n_workers=n_workers, **options)


def run_jobs(jobs: list[tuple], executor) -> Iterator[tuple[int, tuple]]:
    """(index, result) of each job (fit_fold's arguments) as it finishes; jobs not started
    when the caller stops listening are cancelled."""
    if executor == SERIAL:
        for i, job in enumerate(jobs):
            yield i, fit_fold(*job)
        return
    futures = {}
    try:
        for i, job in enumerate(jobs):
            futures[executor.submit(fit_fold, *job)] = i
        for future in as_completed(futures):
            yield futures[future], future.result()
    except BrokenProcessPool:
        if executor is _pool:
            close_pool()
        raise
    finally:
        for future in futures:
            future.cancel()


def lazy_import(name: str):
    """Import an optional dependency, or say which extra brings it."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(
            f"{name} is needed here but not installed: pip install "
            "'deepscope[search]' (Optuna and dask[distributed])"
        ) from exc


# ----------------------------------------------------------------------------------------
# results


@dataclass
class SearchResult:
    """The points a search scored and their cross-validated losses; NaN where a fit has not
    finished yet, inf where the loss overflowed."""

    kind: str  # "grid", "random" or "bayesian"
    axes: dict  # name -> the values given (a grid's ticks; a range for the others)
    folds: int
    epochs: int
    seed: int
    points: list = field(default_factory=list)  # each point's values of the axes
    configs: list = field(default_factory=list)  # each point's full settings
    train_loss: np.ndarray = None  # (points, folds): each fold's last training loss
    val_loss: np.ndarray = None  # (points, folds): each fold's validation loss
    study: object = None  # bayesian: the Optuna study

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.axes)

    @property
    def done(self) -> np.ndarray:
        """Points whose every fold has finished."""
        return ~np.isnan(self.val_loss).any(axis=1)

    @property
    def mean(self) -> np.ndarray:
        """Each point's mean validation loss over the folds (NaN until all are done, inf if a
        fold diverged)."""
        with np.errstate(invalid="ignore"):
            return self.val_loss.mean(axis=1)

    @property
    def std(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return self.val_loss.std(axis=1)

    @property
    def mean_train(self) -> np.ndarray:
        with np.errstate(invalid="ignore"):
            return self.train_loss.mean(axis=1)

    @property
    def diverged(self) -> np.ndarray:
        return np.isinf(self.val_loss).any(axis=1)

    @property
    def best(self) -> int | None:
        """The index of the point with the lowest mean validation loss (the first of equals),
        None while no point is done or all diverged."""
        mean = np.where(np.isfinite(self.mean), self.mean, np.inf)
        return int(np.argmin(mean)) if np.isfinite(mean).any() else None

    @property
    def best_point(self) -> dict | None:
        return None if self.best is None else dict(self.points[self.best])

    @property
    def best_loss(self) -> float:
        return math.nan if self.best is None else float(self.mean[self.best])

    def values(self, name: str) -> list:
        """Axis ``name``'s value at each point, in order (the x or y of a scatter)."""
        check_choice("axis", name, self.axes)
        return [p[name] for p in self.points]

    def grid_of(self, per_point) -> np.ndarray:
        """A per-point array laid out as the grid: rows = the second axis's values, columns =
        the first's (plotly's z), a single row for a one-axis grid."""
        if self.kind != "grid":
            raise ValueError(f"a {self.kind} search has no grid; use values(name) for a scatter")
        shape = tuple(len(v) for v in self.axes.values())
        return np.asarray(per_point).reshape(shape).T.reshape(-1, shape[0])

    @property
    def grid(self) -> np.ndarray:
        """The mean validation loss as a heat map's z: rows = the second axis, columns = the
        first, NaN where not done or diverged."""
        mean = self.mean
        return self.grid_of(np.where(np.isfinite(mean), mean, np.nan))

    def heatmap(self) -> dict:
        """x, y (the axes' values as tick labels), z (``grid``) and the best point's x and y."""
        names = list(self.axes)
        ticks = [[label(v) for v in self.axes[n]] for n in names]
        best = self.best_point
        return {
            "x": ticks[0],
            "y": ticks[1] if len(ticks) > 1 else [""],
            "z": self.grid,
            "best": None if best is None else tuple(label(best[n]) for n in names),
            "names": names,
        }

    def rows(self) -> list[dict]:
        """One dict per point (its values, mean and std of the validation loss, mean training
        loss): ``pandas.DataFrame(result.rows())``."""
        mean, std, train = self.mean, self.std, self.mean_train
        return [
            {
                **p,
                "val_loss": float(mean[i]),
                "val_std": float(std[i]),
                "train_loss": float(train[i]),
            }
            for i, p in enumerate(self.points)
        ]


# ----------------------------------------------------------------------------------------
# searches


class Search:
    """A planned search; ``events(executor)`` runs it (a generator of "progress" events, the
    result filling in as fits finish), ``run(executor)`` runs it to the end and returns the
    result. Build one with ``Search.grid``, ``Search.random`` or ``Search.bayesian``."""

    def __init__(
        self,
        kind: str,
        axes,
        n: int | None = None,
        experiment=None,
        base=None,
        folds: int = 5,
        epochs: int = 100,
        seed: int = 0,
        batch: int = 4,
        startup: int = 10,
    ):
        if isinstance(experiment, Mapping):
            experiment = pg.Experiment(**experiment)
        if experiment is not None and not isinstance(experiment, pg.Experiment):
            raise TypeError(
                "experiment must be a playground Experiment or a dict of its "
                f"arguments; got {type(experiment).__name__}"
            )
        self.experiment = experiment or pg.Experiment()
        self.kind = check_choice("search kind", kind, ("grid", "random", "bayesian"))
        self.axes = check_axes(axes, kind)
        if kind == "grid":
            n = math.prod(len(v) for v in self.axes.values())
        if base is not None and not isinstance(base, Mapping):
            raise TypeError(f"base must be a dict of fixed settings; got {base!r}")
        base = {name: checked_in("base", name, v) for name, v in (base or {}).items()}
        clash = [name for name in base if name in self.axes]
        if clash:
            raise ValueError(f"{', '.join(clash)} both swept (axes) and fixed (base); pick one")
        if "hidden" in self.axes and ("neurons" in base or "layers" in base):
            raise ValueError(
                "axes sweep hidden but base fixes neurons / layers, which would override it; "
                "drop them from base"
            )
        settings({**base, **{k: v[0] for k, v in self.axes.items()}}, self.experiment)
        self.base = base
        self.n = check_int("n (points to score)", n, 1)
        self.epochs = check_int("epochs", epochs, 1)
        self.seed = check_int("seed", seed, 0)
        self.batch = check_int("batch (trials asked at once)", batch, 1)
        self.startup = check_int("startup (random trials before TPE)", startup, 0)
        self._asked: list = []  # bayesian: the trials of the batch being scored
        if kind == "bayesian":
            lazy_import("optuna")  # missing: say so now, not when the search runs
        e = self.experiment
        self.val = kfold(len(e.train_points), folds, seed)
        self.output = "tanh" if e.problem == "classification" else "linear"
        self.result = SearchResult(
            kind,
            dict(self.axes),
            len(self.val),
            self.epochs,
            seed,
            train_loss=np.full((self.n, len(self.val)), np.nan),
            val_loss=np.full((self.n, len(self.val)), np.nan),
        )
        if kind == "grid":
            names = list(self.axes)
            for values in itertools.product(*self.axes.values()):
                self._add(dict(zip(names, values)))
        elif kind == "random":
            rng = np.random.default_rng([seed, 0x5A3])
            for _ in range(self.n):
                self._add({name: self._draw(rng, name, v) for name, v in self.axes.items()})

    @classmethod
    def grid(cls, axes, experiment=None, *, base=None, folds=5, epochs=100, seed=0):
        """Every combination of one or two controls' values (the first axis slowest)."""
        return cls("grid", axes, None, experiment, base, folds, epochs, seed)

    @classmethod
    def random(cls, axes, n=20, experiment=None, *, base=None, folds=5, epochs=100, seed=0):
        """``n`` points drawn from ``seed`` within each axis's range: log-uniform between the
        smallest and largest learning rate (regularization rate: the smallest positive one),
        uniform integers between the smallest and largest neurons, layers, batch size, one of
        the values given for the others."""
        return cls("random", axes, n, experiment, base, folds, epochs, seed)

    @classmethod
    def bayesian(
        cls,
        axes,
        n=20,
        experiment=None,
        *,
        base=None,
        folds=5,
        epochs=100,
        seed=0,
        batch=4,
        startup=10,
    ):
        """``n`` trials proposed by Optuna's TPE sampler (seeded; the first ``startup`` drawn
        at random), over the same ranges as ``random``; ``batch`` trials are asked at once and
        their folds run together, then told in trial order, so the proposals depend on
        ``batch`` and ``seed`` but not on the executor."""
        return cls("bayesian", axes, n, experiment, base, folds, epochs, seed, batch, startup)

    # -- planning

    def _range(self, name: str, values: tuple):
        kind = CONTROLS[name]
        if kind == "log":
            positive = [v for v in values if v > 0] or [0.0]
            return min(positive), max(values)
        if kind == "int":
            return min(values), max(values)
        return values

    def _draw(self, rng, name: str, values: tuple):
        kind, span = CONTROLS[name], self._range(name, values)
        if kind == "log":
            low, high = span
            return float(np.exp(rng.uniform(np.log(low), np.log(high)))) if low > 0 else 0.0
        if kind == "int":
            return int(rng.integers(span[0], span[1] + 1))
        return span[int(rng.integers(len(span)))]

    def _add(self, point: dict) -> int:
        r = self.result
        r.points.append(point)
        r.configs.append(settings({**self.base, **point}, self.experiment))
        return len(r.points) - 1

    def _jobs(self, index: int) -> list[tuple]:
        e, config = self.experiment, self.result.configs[index]
        return [
            (
                e.train_points,
                e.y_train,
                val,
                config,
                self.output,
                self.epochs,
                fold_seed(self.seed, f),
            )
            for f, val in enumerate(self.val)
        ]

    # -- running

    def _progress(self, done: int, total: int) -> Event:
        loss = self.result.best_loss
        return Event("progress", 0, 0, loss, {"done": done, "total": total, "what": "fits"})

    def _score(self, indices: list[int], executor, total: int) -> Iterator[Event]:
        """Fit the folds of points ``indices`` not fitted yet (a stopped search resumes)."""
        r = self.result
        jobs = [(i, f) for i in indices for f in range(len(self.val)) if np.isnan(r.val_loss[i, f])]
        args = [self._jobs(i)[f] for i, f in jobs]
        done = int(np.count_nonzero(~np.isnan(r.val_loss)))
        for k, (j, (train, val)) in enumerate(run_jobs(args, executor), start=1):
            i, f = jobs[j]
            r.train_loss[i, f], r.val_loss[i, f] = train, val
            yield self._progress(done + k, total)

    def events(self, executor=None) -> Iterator[Event]:
        """Run the search: one "progress" event (metrics done, total, what="fits"; loss = the
        best mean validation loss so far) after each fit; ``self.result`` fills in as they
        finish. Closing the generator early cancels the fits not started; calling ``events``
        again resumes (the same numbers as an uninterrupted run)."""
        executor = as_executor(executor)
        total = self.n * len(self.val)
        if self.kind != "bayesian":
            yield from self._score(list(range(self.n)), executor, total)
            return
        optuna = lazy_import("optuna")
        verbosity = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            if self.result.study is None:
                sampler = optuna.samplers.TPESampler(seed=self.seed, n_startup_trials=self.startup)
                self.result.study = optuna.create_study(direction="minimize", sampler=sampler)
            study = self.result.study
            while self._asked or len(self.result.points) < self.n:
                if not self._asked:  # a batch of trials, their folds run together
                    for _ in range(min(self.batch, self.n - len(self.result.points))):
                        trial = study.ask(self._distributions(optuna))
                        self._asked.append((trial, self._add(self._point(trial.params))))
                yield from self._score([i for _, i in self._asked], executor, total)
                for trial, i in self._asked:  # told in trial order, whatever finished first
                    study.tell(trial, float(self.result.mean[i]))
                self._asked = []
        finally:
            optuna.logging.set_verbosity(verbosity)

    def _distributions(self, optuna) -> dict:
        """The axes as Optuna distributions (choices by their labels)."""
        dists = {}
        for name, values in self.axes.items():
            kind, span = CONTROLS[name], self._range(name, values)
            if kind == "log" and span[0] > 0:
                dists[name] = optuna.distributions.FloatDistribution(*span, log=True)
            elif kind == "log":
                dists[name] = optuna.distributions.CategoricalDistribution([0.0])
            elif kind == "int":
                dists[name] = optuna.distributions.IntDistribution(*span)
            else:
                dists[name] = optuna.distributions.CategoricalDistribution([label(v) for v in span])
        return dists

    def _point(self, params: dict) -> dict:
        """An Optuna trial's parameters as axis values (labels back to tuples)."""
        point = {}
        for name in self.axes:
            value = params[name]
            if CONTROLS[name] == "choice":
                value = {label(v): v for v in self.axes[name]}[value]
            point[name] = int(value) if CONTROLS[name] == "int" else value
        return point

    def run(self, executor=None) -> SearchResult:
        """Run every fit (see ``events``) and return the result."""
        for _ in self.events(executor):
            pass
        return self.result


def grid_search(
    axes, experiment=None, *, base=None, folds=5, epochs=100, seed=0, executor=None
) -> SearchResult:
    """``Search.grid(...).run(executor)``: every combination of one or two controls."""
    return Search.grid(axes, experiment, base=base, folds=folds, epochs=epochs, seed=seed).run(
        executor
    )


def random_search(
    axes, n=20, experiment=None, *, base=None, folds=5, epochs=100, seed=0, executor=None
) -> SearchResult:
    """``Search.random(...).run(executor)``: ``n`` points drawn within the axes' ranges."""
    return Search.random(axes, n, experiment, base=base, folds=folds, epochs=epochs, seed=seed).run(
        executor
    )


def bayesian_search(
    axes,
    n=20,
    experiment=None,
    *,
    base=None,
    folds=5,
    epochs=100,
    seed=0,
    batch=4,
    startup=10,
    executor=None,
) -> SearchResult:
    """``Search.bayesian(...).run(executor)``: ``n`` trials proposed by Optuna's TPE."""
    return Search.bayesian(
        axes,
        n,
        experiment,
        base=base,
        folds=folds,
        epochs=epochs,
        seed=seed,
        batch=batch,
        startup=startup,
    ).run(executor)
