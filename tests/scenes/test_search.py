"""Hyperparameter search: k-fold cross-validation, grid / random / TPE search, the same numbers
on every executor (in process, a process pool, a Dask LocalCluster)."""

import sys

import numpy as np
import pytest

from deepscope.scenes import playground as pg
from deepscope.scenes import search as S

SMALL = {"learning_rate": [0.00001, 0.03], "neurons": [2, 4]}
FAST = {"folds": 3, "epochs": 20}


@pytest.fixture(scope="module")
def pool():
    with S.process_pool(2) as executor:
        yield executor


def same(a: S.SearchResult, b: S.SearchResult) -> None:
    assert a.points == b.points
    np.testing.assert_array_equal(a.val_loss, b.val_loss)
    np.testing.assert_array_equal(a.train_loss, b.train_loss)


# -- cross-validation and settings


@pytest.mark.parametrize("n, k", [(250, 5), (10, 3), (7, 7)])
def test_kfold_partitions_the_training_points(n, k):
    folds = S.kfold(n, k, seed=3)
    assert len(folds) == k
    joined = np.concatenate(folds)
    np.testing.assert_array_equal(np.sort(joined), np.arange(n))  # each point in one fold
    sizes = [len(f) for f in folds]
    assert max(sizes) - min(sizes) <= 1
    assert all(np.all(np.diff(f) > 0) for f in folds)
    again = S.kfold(n, k, seed=3)
    assert all(np.array_equal(a, b) for a, b in zip(folds, again))
    if n > k:
        other = S.kfold(n, k, seed=4)
        assert not all(np.array_equal(a, b) for a, b in zip(folds, other))


def test_search_folds_cover_the_experiments_training_points_only():
    e = pg.Experiment(dataset="xor", train_percent=40)
    search = S.Search.grid({"learning_rate": [0.03]}, e, folds=4)
    assert len(search.val) == 4
    assert sum(len(v) for v in search.val) == len(e.train_points) == 200
    for f, job in enumerate(search._jobs(0)):
        points, targets, val = job[:3]
        assert points is e.train_points and targets is e.y_train  # no test point goes in
        np.testing.assert_array_equal(val, search.val[f])
    seeds = [job[-1] for job in search._jobs(0)]
    assert len(set(seeds)) == 4  # each fold its own initial weights


def test_settings_fill_in_from_the_experiment_and_the_playground():
    e = pg.Experiment(hidden=(4, 2), activation="relu", features=("x1", "x2", "x1x2"))
    full = S.settings({"learning_rate": 0.1}, e)
    assert full == {
        "learning_rate": 0.1,
        "regularization": "none",
        "regularization_rate": 0.0,
        "batch_size": 10,
        "features": ("x1", "x2", "x1x2"),
        "hidden": (4, 2),
        "activation": "relu",
    }
    assert S.settings({"neurons": 3}, e)["hidden"] == (3, 3)
    assert S.settings({"layers": 3}, e)["hidden"] == (4, 4, 4)
    assert S.settings({"neurons": 5, "layers": 1}, e)["hidden"] == (5,)
    assert S.settings({"layers": 0}, e)["hidden"] == ()
    assert S.settings({"features": ["x2", "x1"]}, e)["features"] == ("x1", "x2")


# -- grid


def test_grid_shapes_and_the_best_point():
    result = S.grid_search(SMALL, executor="serial", **FAST)
    assert result.kind == "grid"
    assert result.points == [
        {"learning_rate": 0.00001, "neurons": 2},
        {"learning_rate": 0.00001, "neurons": 4},
        {"learning_rate": 0.03, "neurons": 2},
        {"learning_rate": 0.03, "neurons": 4},
    ]
    assert result.val_loss.shape == result.train_loss.shape == (4, 3)
    assert result.mean.shape == result.std.shape == (4,)
    assert np.isfinite(result.val_loss).all() and result.done.all()
    # rows = the second axis (neurons), columns = the first (learning rate): plotly's z
    assert result.grid.shape == (2, 2)
    assert result.grid[1, 0] == result.mean[1]  # neurons 4, learning rate 1e-5
    assert result.grid[0, 1] == result.mean[2]  # neurons 2, learning rate 0.03
    # 20 epochs at 1e-5 barely move the weights: 0.03 wins at every width
    assert (result.grid[:, 1] < result.grid[:, 0]).all()
    assert result.best_point["learning_rate"] == 0.03
    assert result.best_loss == result.mean.min() == result.mean[result.best]
    np.testing.assert_allclose(result.std, result.val_loss.std(axis=1))
    heat = result.heatmap()
    assert heat["x"] == ["1e-05", "0.03"] and heat["y"] == ["2", "4"]
    assert heat["best"] == ("0.03", str(result.best_point["neurons"]))
    assert result.values("neurons") == [2, 4, 2, 4]
    rows = result.rows()
    assert rows[2]["val_loss"] == result.mean[2] and rows[2]["neurons"] == 2


def test_a_one_axis_grid_and_categorical_axes():
    result = S.grid_search(
        {"activation": ["tanh", "linear"], "hidden": [(2,), (4, 2)]},
        {"dataset": "circle"},
        executor="serial",
        **FAST,
    )
    assert result.grid.shape == (2, 2)
    assert [c["hidden"] for c in result.configs] == [(2,), (4, 2), (2,), (4, 2)]
    assert result.heatmap()["y"] == ["2", "4-2"]
    line = S.grid_search({"batch_size": [1, 10, 30]}, executor="serial", **FAST)
    assert line.grid.shape == (1, 3)


def test_a_diverged_fit_is_inf_never_the_best_and_a_gap_on_the_map():
    result = S.grid_search(
        {"learning_rate": [0.01, 10.0]},
        {"problem": "regression", "dataset": "reg-plane"},
        executor="serial",
        folds=2,
        epochs=30,
    )
    assert np.isinf(result.val_loss[1]).all() and result.diverged.tolist() == [False, True]
    assert result.best_point == {"learning_rate": 0.01}
    assert np.isnan(result.grid[0, 1]) and np.isfinite(result.grid[0, 0])


def test_progress_events_and_a_stopped_search_resumes():
    search = S.Search.grid(SMALL, **FAST)
    events = search.events("serial")
    first = [next(events) for _ in range(5)]
    events.close()
    assert [e.kind for e in first] == ["progress"] * 5
    assert [e.metrics for e in first][-1] == {"done": 5, "total": 12, "what": "fits"}
    assert np.count_nonzero(~np.isnan(search.result.val_loss)) == 5
    assert np.isnan(search.result.mean[1:]).all() and np.isfinite(search.result.mean[0])
    rest = list(search.events("serial"))
    assert [e.metrics["done"] for e in rest] == list(range(6, 13))
    assert rest[-1].loss == search.result.best_loss
    same(search.result, S.grid_search(SMALL, executor="serial", **FAST))


# -- random and TPE


def test_random_search_is_reproducible_by_seed_and_stays_in_range():
    axes = {"learning_rate": [0.0001, 1.0], "neurons": [1, 8], "activation": ["tanh", "relu"]}
    a = S.random_search(axes, n=6, seed=5, executor="serial", **FAST)
    b = S.random_search(axes, n=6, seed=5, executor="serial", **FAST)
    same(a, b)
    c = S.Search.random(axes, n=6, seed=6, **FAST)
    assert c.result.points != a.points
    lr = np.array(a.values("learning_rate"))
    assert ((lr >= 0.0001) & (lr <= 1.0)).all() and len(set(lr)) == 6
    assert all(type(v) is int and 1 <= v <= 8 for v in a.values("neurons"))
    assert set(a.values("activation")) <= {"tanh", "relu"}
    assert a.best_point in a.points
    with pytest.raises(ValueError, match="random search has no grid"):
        a.grid  # noqa: B018


def test_tpe_runs_and_is_reproducible_by_seed():
    pytest.importorskip("optuna", reason="optuna is in the search extra: pip install -e .[search]")
    axes = {"learning_rate": [0.001, 1.0], "features": [("x1", "x2"), ("x1sq", "x2sq")]}
    kw = dict(n=6, batch=2, startup=2, seed=1, folds=2, epochs=10, executor="serial")
    a = S.bayesian_search(axes, **kw)
    b = S.bayesian_search(axes, **kw)
    same(a, b)
    assert len(a.points) == 6 and a.done.all()
    assert len(a.study.trials) == 6
    told = [t.value for t in a.study.trials]
    np.testing.assert_array_equal(told, a.mean)
    assert a.study.best_value == a.best_loss
    assert all(p["features"] in axes["features"] for p in a.points)
    assert all(0.001 <= p["learning_rate"] <= 1.0 for p in a.points)
    other = S.bayesian_search(axes, **{**kw, "seed": 2})
    assert other.points != a.points


def test_a_stopped_tpe_search_resumes_to_the_same_numbers():
    pytest.importorskip("optuna", reason="optuna is in the search extra: pip install -e .[search]")
    axes = {"learning_rate": [0.001, 1.0]}
    kw = dict(n=5, batch=2, startup=2, seed=3, folds=2, epochs=10)
    search = S.Search.bayesian(axes, **kw)
    events = search.events("serial")
    for _ in range(3):  # stopped inside the second batch
        next(events)
    events.close()
    search.run("serial")
    same(search.result, S.bayesian_search(axes, executor="serial", **kw))


def test_a_missing_optuna_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "optuna", None)
    with pytest.raises(ImportError, match=r"pip install 'deepscope\[search\]'"):
        S.Search.bayesian({"learning_rate": [0.01, 0.1]})


# -- executors


def test_the_process_pool_gives_the_serial_numbers(pool):
    axes = {"learning_rate": [0.003, 0.3], "regularization_rate": [0.0, 0.01]}
    base = {"regularization": "L2", "neurons": 3}
    serial = S.grid_search(axes, base=base, executor="serial", **FAST)
    pooled = S.grid_search(axes, base=base, executor=pool, **FAST)
    same(serial, pooled)
    axes = {"learning_rate": [0.001, 1.0], "batch_size": [1, 30]}
    same(
        S.random_search(axes, n=4, seed=2, executor="serial", **FAST),
        S.random_search(axes, n=4, seed=2, executor=pool, **FAST),
    )


def test_the_default_pool_is_made_once_and_kept():
    try:
        first = S.grid_search({"learning_rate": [0.03]}, folds=2, epochs=5)
        assert S.as_executor(None) is S.default_pool()
        again = S.grid_search({"learning_rate": [0.03]}, folds=2, epochs=5)
        same(first, again)
    finally:
        S.close_pool()
    assert S._pool is None


def test_a_dask_local_cluster_gives_the_process_pools_numbers(pool):
    pytest.importorskip("distributed", reason="dask.distributed is in the search extra")
    pytest.importorskip("optuna", reason="optuna is in the search extra")
    from dask.distributed import Client, LocalCluster

    axes = {"learning_rate": [0.003, 0.03, 0.3], "neurons": [1, 4]}
    tpe = dict(n=4, batch=2, startup=2, seed=4, folds=2, epochs=10)
    with (
        LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        on_dask = S.grid_search(axes, executor=client, **FAST)
        tpe_dask = S.bayesian_search({"learning_rate": [0.001, 1.0]}, executor=client, **tpe)
    same(on_dask, S.grid_search(axes, executor=pool, **FAST))
    same(tpe_dask, S.bayesian_search({"learning_rate": [0.001, 1.0]}, executor=pool, **tpe))


# -- arguments


@pytest.mark.parametrize(
    "axes, error, message",
    [
        ({"lr": [0.1]}, ValueError, r"unknown control\(s\) 'lr' in axes; the controls are "),
        ({"neurons": [0, 4]}, ValueError, r"axes\['neurons'\]: neurons .* in \[1, 8\], got 0"),
        ({"learning_rate": [-1]}, ValueError, r"axes\['learning_rate'\]: .* > 0, got -1"),
        ({"learning_rate": ["fast"]}, TypeError, r"learning_rate must be a number"),
        ({"activation": ["gelu"]}, ValueError, r"activation must be one of relu, tanh"),
        ({"features": [("x3",)]}, ValueError, r"features must be a non-empty tuple of x1, x2"),
        ({"hidden": [5]}, TypeError, r"hidden must be a tuple of layer widths"),
        ({"neurons": []}, ValueError, r"axis 'neurons' has no values"),
        ({"neurons": 4}, TypeError, r"axis 'neurons' needs a list of values; got 4"),
        ({"neurons": [2, 2]}, ValueError, r"axis 'neurons' repeats a value"),
        ({"hidden": [(2,)], "neurons": [2]}, ValueError, r"either hidden .* or neurons / layers"),
        (
            {"learning_rate": [0.1], "neurons": [2], "batch_size": [1]},
            ValueError,
            r"a grid sweeps one or two controls .* got 3: learning_rate, neurons, batch_size",
        ),
        ([0.1, 0.3], TypeError, r"axes must be a dict of control -> values"),
    ],
)
def test_bad_axes_say_what_and_what_is_allowed(axes, error, message):
    with pytest.raises(error, match=message):
        S.Search.grid(axes)


def test_bad_arguments_say_what_and_what_is_allowed():
    with pytest.raises(ValueError, match=r"learning_rate both swept \(axes\) and fixed"):
        S.Search.grid({"learning_rate": [0.1]}, base={"learning_rate": 0.3})
    with pytest.raises(ValueError, match=r"base\['regularization'\]: regularization must be one"):
        S.Search.grid({"learning_rate": [0.1]}, base={"regularization": "L3"})
    with pytest.raises(ValueError, match=r"base\['lr'\]: a setting must be one of learning_rate"):
        S.Search.grid({"learning_rate": [0.1]}, base={"lr": 0.3})
    with pytest.raises(ValueError, match="axes sweep hidden but base fixes neurons"):
        S.Search.grid({"hidden": [(2,)]}, base={"neurons": 3})
    with pytest.raises(ValueError, match=r"folds must be an integer in \[2, 250\], got 1"):
        S.Search.grid({"learning_rate": [0.1]}, folds=1)
    with pytest.raises(ValueError, match=r"n \(points to score\) must be an integer >= 1, got 0"):
        S.Search.random({"learning_rate": [0.1, 1.0]}, n=0)
    with pytest.raises(ValueError, match=r"epochs must be an integer >= 1, got 0"):
        S.Search.grid({"learning_rate": [0.1]}, epochs=0)
    with pytest.raises(TypeError, match="experiment must be a playground Experiment"):
        S.Search.grid({"learning_rate": [0.1]}, experiment="xor")
    with pytest.raises(ValueError, match="dataset for classification must be one of"):
        S.Search.grid({"learning_rate": [0.1]}, experiment={"dataset": "moons"})
    search = S.Search.grid({"learning_rate": [0.1]}, folds=2, epochs=1)
    with pytest.raises(ValueError, match=r"executor must be one of processes, serial; got 'gpu'"):
        search.run("gpu")
    with pytest.raises(TypeError, match="executor must be None .* got int"):
        search.run(4)
