import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deepscope import nn
from deepscope.scenes import descent
from deepscope.scenes.expression import Expression, ExpressionError
from deepscope.scenes.landscape import (
    landscape_directions,
    loss_landscape,
    project_trajectory,
    train_run,
)


@pytest.mark.parametrize("name", list(descent.SURFACES))
@settings(max_examples=25, deadline=None)
@given(u=st.floats(0.05, 0.95), v=st.floats(0.05, 0.95))
def test_analytic_gradient_matches_central_differences(name, u, v):
    s = descent.SURFACES[name]
    (x0, x1), (y0, y1) = s.window
    x, y = x0 + u * (x1 - x0), y0 + v * (y1 - y0)
    h = 1e-6
    gx, gy = s.grad(x, y)
    nx = (s(x + h, y) - s(x - h, y)) / (2 * h)
    ny = (s(x, y + h) - s(x, y - h)) / (2 * h)
    scale = 1 + abs(float(s(x, y)))
    assert gx == pytest.approx(nx, abs=1e-4 * scale)
    assert gy == pytest.approx(ny, abs=1e-4 * scale)


@pytest.mark.parametrize("name", list(descent.SURFACES))
def test_known_minima_are_stationary_and_lowest_nearby(name):
    s = descent.SURFACES[name]
    for x, y in s.minima:
        gx, gy = s.grad(x, y)
        assert math.hypot(gx, gy) < 2e-3 * (1 + abs(float(s(x, y))))
        ring = np.linspace(0, 2 * np.pi, 16, endpoint=False)
        nearby = s(x + 1e-2 * np.cos(ring), y + 1e-2 * np.sin(ring) * (s.dims == 2))
        assert (nearby >= s(x, y) - 1e-9).all()


@pytest.mark.parametrize(
    "surface, optimizer, start, lr, steps, minimum",
    [
        ("bowl", "sgd", None, 0.3, 100, (0.0, 0.0)),
        ("ravine", "momentum", None, 0.02, 400, (0.0, 0.0)),
        ("rosenbrock", "adam", (-1.5, 2.0), 0.05, 3000, (1.0, 1.0)),
        ("himmelblau", "sgd", (0.0, 0.0), 0.01, 500, (3.0, 2.0)),
        ("beale", "adam", (1.0, 1.4), 0.01, 6000, (3.0, 0.5)),
        ("six-hump-camel", "sgd", (0.5, -0.5), 0.02, 500, (0.0898, -0.7126)),
        ("double-well", "sgd", (-2.0, 0.0), 0.05, 300, (-1.48483, 0.0)),
    ],
)
def test_a_tuned_optimizer_reaches_the_known_minimum(surface, optimizer, start, lr, steps, minimum):
    walk = descent.descend(surface, optimizer, start=start, steps=steps, lr=lr)
    assert walk.diverged_at is None
    assert walk[-1].position == pytest.approx(minimum, abs=2e-3)
    assert walk[-1].loss < walk[0].loss


def test_gd_is_trapped_by_the_local_minimum_of_the_double_well():
    walk = descent.descend("double-well", "sgd", start=(2.0, 0.0), steps=300, lr=0.05)
    assert walk[-1].position[0] == pytest.approx(1.33224, abs=1e-3)


def test_frames_follow_the_optimizer_class_exactly():
    walk = descent.descend("rosenbrock", "adam", start=(-1.0, 1.0), steps=20, lr=0.1)
    p = np.array([-1.0, 1.0])
    opt = nn.Adam([p], lr=0.1)
    s = descent.SURFACES["rosenbrock"]
    for k in range(20):
        assert walk[k].position == pytest.approx(tuple(p), abs=0)
        g = np.array(s.grad(*p), dtype=float)
        opt.step([g])
        assert walk[k].update == pytest.approx(tuple(p - np.array(walk[k].position)), abs=1e-15)
    assert len(walk) == 21 and walk[0].step == 0 and walk[-1].step == 20
    parts = walk[3].parts
    assert set(parts) == {"gradient term", "first moment m̂", "rate per coordinate"}
    # Adam's update is -rate * m_hat, coordinate by coordinate
    for i in range(2):
        expected = -parts["rate per coordinate"][i] * parts["first moment m̂"][i]
        assert walk[3].update[i] == pytest.approx(expected, rel=1e-6)


def test_momentum_parts_add_up_to_the_update():
    walk = descent.descend("ravine", "momentum", steps=30, lr=0.02, momentum=0.9)
    for fr in walk[:-1]:
        total = np.add(fr.parts["gradient term"], fr.parts["momentum term"])
        assert tuple(total) == pytest.approx(fr.update, rel=1e-9, abs=1e-12)


def test_divergence_is_detected_and_stops_the_walk():
    walk = descent.descend("bowl", "sgd", steps=200, lr=2.5)
    assert walk.diverged_at is not None and walk.diverged_at < 200
    assert walk[-1].diverged and len(walk) == walk.diverged_at + 1
    assert not any(f.diverged for f in walk[:-1])
    calm = descent.descend("bowl", "sgd", steps=200, lr=0.5)
    assert calm.diverged_at is None and not calm[-1].diverged


def test_schedules_and_dynamic_rate():
    decayed = descent.descend("bowl", "sgd", steps=100, lr=0.1, schedule="inverse-time", decay=0.1)
    assert decayed[50].lr == pytest.approx(0.1 / (1 + 0.1 * 50))
    step = descent.descend("bowl", "sgd", steps=120, lr=0.1, schedule="step")
    assert step[49].lr == pytest.approx(0.1) and step[50].lr == pytest.approx(0.05)
    dyn = descent.descend("parabola", "sgd", steps=5, lr=0.1, schedule="dynamic")
    assert dyn[0].lr == pytest.approx(0.1 * abs(dyn[0].grad[0]))
    with pytest.raises(ValueError, match="schedule must be one of"):
        descent.descend("bowl", schedule="cosine")


def test_gradient_noise_is_seeded():
    a = descent.descend("bowl", "sgd", steps=50, lr=0.1, noise=0.5, seed=1)
    b = descent.descend("bowl", "sgd", steps=50, lr=0.1, noise=0.5, seed=1)
    c = descent.descend("bowl", "sgd", steps=50, lr=0.1)
    assert a.positions.tolist() == b.positions.tolist()
    assert a.positions.tolist() != c.positions.tolist()


def test_bad_arguments_name_the_argument():
    with pytest.raises(ValueError, match="surface must be"):
        descent.descend("volcano")
    with pytest.raises(ValueError, match="optimizer must be one of"):
        descent.descend("bowl", "lbfgs")
    with pytest.raises(TypeError, match="adam takes beta1, beta2, eps"):
        descent.descend("bowl", "adam", momentum=0.9)
    with pytest.raises(ValueError, match="start must be a pair"):
        descent.descend("bowl", start=(1.0,))
    with pytest.raises(ValueError, match="steps must be"):
        descent.descend("bowl", steps=0)
    with pytest.raises(ValueError, match="lr must be"):
        descent.descend("bowl", lr=-1.0)
    with pytest.raises(ValueError, match="condition must be"):
        descent.bowl(0.5)


def test_race_gives_each_optimizer_only_its_hyperparameters():
    walks = descent.race("ravine", ["sgd", "momentum", "adam"], lr=0.01, momentum=0.5, beta1=0.8)
    assert set(walks) == {"sgd", "momentum", "adam"}
    assert walks["sgd"][5].position != walks["momentum"][5].position


# ---- what the panel draws ------------------------------------------------------------------
def test_the_first_momentum_term_is_exactly_zero():
    walk = descent.descend("rosenbrock", "momentum", start=(-1.5, 2.0), steps=3, lr=0.001)
    assert walk[0].parts["momentum term"] == (0.0, 0.0)  # not 2.8e-17 of rounding
    assert walk[1].parts["momentum term"] != (0.0, 0.0)


def test_surface_map_decides_the_colour_scale():
    rosen = descent.surface_map("rosenbrock")
    assert rosen.log and rosen.label == "log10(1 + f − min)"
    assert rosen.z.shape == (descent.GRID, descent.GRID) and rosen.zmin == pytest.approx(0, abs=1)
    np.testing.assert_allclose(rosen.height, np.log10(1 + rosen.z - rosen.zmin))
    assert rosen.heights([rosen.zmin, rosen.zmin + 9.0]) == pytest.approx([0.0, 1.0])
    assert descent.surface_map("beale").log
    assert rosen.above([rosen.zmin]) == pytest.approx([descent.LIFT * rosen.levels[1]], rel=1e-6)
    bowl = descent.surface_map("bowl")
    assert not bowl.log and bowl.label == "f" and bowl.heights([2.0]) == pytest.approx([2.0])
    start, end, size = bowl.levels
    assert size in (0.1, 0.2, 0.5) and start == 0.0 and 15 <= (end - start) / size <= 60
    curve = descent.surface_map("double-well")
    lo, hi = curve.yrange
    assert lo < np.nanmin(curve.z) and hi > np.nanmax(curve.z)
    x = curve.xs[10]
    assert curve.slope[10] == pytest.approx(x**3 - 2 * x + 0.3)
    with pytest.raises(ValueError, match="no finite value"):
        descent.surface_map(descent.surface_from_expression("log(-1 - x**2)"))


def test_the_loss_axis_fits_the_walks_on_the_map():
    walks = descent.race("himmelblau", ["sgd", "adam"], start=(0.0, 0.0), lr=0.01)
    axis = descent.loss_axis(walks)
    losses = np.concatenate([w.losses for w in walks.values()])
    lo, hi = axis.range
    assert axis.log and lo < np.log10(losses.max()) < hi
    span = np.log10(losses.max()) - max(np.log10(losses.min()), np.log10(losses.max()) - 16)
    assert axis.dtick == max(1, int(np.ceil(span / descent.DECADE_TICKS)))
    diverged = descent.race("bowl", ["sgd", "adam"], lr=3.0)
    assert diverged["sgd"].diverged_at is not None
    axis = descent.loss_axis(diverged)
    on_map = diverged["sgd"].losses[: diverged["sgd"].last_in_view + 1]
    assert np.log10(on_map.max()) < axis.range[1] < np.log10(diverged["sgd"].losses[-2])
    saddle = descent.loss_axis(descent.race("saddle", ["sgd"], lr=0.05))
    assert not saddle.log and saddle.dtick is None and saddle.range[0] < -1
    flat = descent.loss_axis(descent.race("plateau", ["sgd"], start=(3.4, 0.0), lr=0.3))
    assert not flat.log and flat.range == pytest.approx((0.98, 1.02), abs=1e-3)  # < a decade


def test_a_diverged_walk_exits_where_it_was_last_on_the_map():
    walk = descent.descend("bowl", "sgd", start=(-1.0, 1.0), steps=50, lr=2.5)
    k = walk.last_in_view
    assert walk.in_view[k] and not walk.in_view[k + 1 :].any() and k < walk.diverged_at
    (exit_,) = descent.exits({"sgd": walk}, walk.surface, walk.surface.window[1])
    assert (exit_.step, exit_.x, exit_.y) == (k, *walk[k].position)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), min_size=1, max_size=6))
def test_exit_labels_never_overlap(points):
    s = descent.SURFACES["ravine"]
    walks = {
        name: descent.Walk([descent.Frame(0, p, float(s(*p)), (0.0, 0.0))], s, name, 1.0, 0)
        for name, p in zip(descent.OPTIMIZERS, points)
    }
    exits = descent.exits(walks, s, s.window[1])
    assert len(exits) == len(points)
    for px_per_unit in (20.0, 80.0, 400.0):  # a label's height on screen, y pointing down
        tops = sorted(-e.y * px_per_unit + e.dy for e in exits)
        assert all(b - a >= descent.LABEL_GAP - 1e-6 for a, b in zip(tops, tops[1:]))


def test_arrows_share_one_round_scale():
    s = descent.SURFACES["ravine"]
    momentum = descent.descend(s, "momentum", steps=20, lr=0.02)
    a = descent.arrows(momentum[5], s)
    update = np.subtract(a.update, a.origin)
    np.testing.assert_allclose(update, a.scale * np.array(momentum[5].update))
    gradient = np.subtract(a.gradient, a.origin)
    np.testing.assert_allclose(gradient, a.scale * np.array(momentum[5].parts["gradient term"]))
    longest = max(np.hypot(*update), np.hypot(*gradient))
    assert 0.05 * 6 <= longest <= 0.3 * 6  # about 15% of the window, within a 1-2-5 step
    assert a.scale == 1 or f"{a.scale:g}" in a.note or f"{1 / a.scale:g}" in a.note
    assert not a.same
    gd = descent.arrows(descent.descend(s, "sgd", steps=3, lr=0.02)[1], s)
    assert gd.same
    last = descent.arrows(momentum[-1], s)
    assert last.update is None and last.note == "the last step"


def test_a_step_too_small_to_see_is_not_drawn():
    s = descent.SURFACES["plateau"]
    far = descent.descend(s, "sgd", start=(3.4, 0.0), steps=2, lr=0.3)
    a = descent.arrows(far[0], s)
    assert a.update is None and a.scale is None
    assert a.note.endswith("is too small to draw: the slope is almost 0")
    near = descent.arrows(descent.descend(s, "sgd", start=(1.0, 0.0), steps=2, lr=0.3)[0], s)
    assert near.update is not None and near.origin[1] == pytest.approx(s(1.0))  # f(x), 1-D


def test_the_tangent_has_the_measured_slope():
    s = descent.SURFACES["double-well"]
    fr = descent.descend(s, "sgd", start=(2.0, 0.0), steps=3, lr=0.05)[2]
    yrange = descent.surface_map(s).yrange
    (x0, y0), (x1, y1) = descent.tangent(fr, s, yrange)
    assert (y1 - y0) / (x1 - x0) == pytest.approx(fr.grad[0])
    assert 0.5 * (x0 + x1) == pytest.approx(fr.position[0])
    assert 0.5 * (y0 + y1) == pytest.approx(fr.loss)
    steep = descent.descend(s, "sgd", start=(2.2, 0.0), steps=1, lr=0.05)[0]
    (x0, y0), (x1, y1) = descent.tangent(steep, s, yrange)
    assert (y1 - y0) == pytest.approx(2 * descent.TANGENT_SHARE * (yrange[1] - yrange[0]))
    assert x1 - x0 < 2 * descent.TANGENT_SHARE * 4.4  # shorter than on flat ground


def test_picture_bundles_the_race_and_its_display():
    pic = descent.picture("bowl", ["sgd", "adam"], steps=30, lr=3.0, start=(-2.5, 2.0))
    assert set(pic.walks) == {"sgd", "adam"} and pic.steps == 30
    assert [e.optimizer for e in pic.exits] == ["sgd"] and pic.loss.log
    assert pic.map.z.shape == (descent.GRID, descent.GRID)


# ---- the formula box ---------------------------------------------------------------------
def test_expression_accepts_the_grammar():
    e = Expression("x**2 + 3*sin(y) - -x / 2 + exp(-abs(x)) * sqrt(4) + pi - e + tanh(y)")
    x, y = np.array([0.5, -1.0]), np.array([2.0, 0.1])
    want = x**2 + 3 * np.sin(y) + x / 2 + np.exp(-abs(x)) * 2 + np.pi - np.e + np.tanh(y)
    np.testing.assert_allclose(e(x, y), want)
    assert Expression("2").variables == () and Expression("y + x").variables == ("x", "y")
    assert np.isinf(Expression("10**10**10 * x")(1.0))  # float powers, no big-int hang


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("__import__('os').system('ls')", "not an allowed function"),
        ("x.real", "attribute access"),
        ("(lambda: 1)()", "not an allowed function"),
        ("lambda x: x", "lambda"),
        ("[x for x in (1, 2)]", "comprehension"),
        ("sum(x for x in (1,))", "not an allowed function"),
        ("os", "unknown name 'os'"),
        ("x // 2", "operator //"),
        ("x if y else 1", "if/else"),
        ("x[0]", "indexing"),
        ("'text'", "is not a number"),
        ("sin(x, y)", "exactly one argument"),
        ("sin(x=1)", "exactly one argument"),
        ("x +", "not a formula"),
        ("", "empty"),
        ("x" + "+x" * 200, "at most 300"),
    ],
)
def test_expression_rejects_everything_else(text, fragment):
    with pytest.raises(ExpressionError, match=fragment):
        Expression(text)


def test_surface_from_expression_has_a_numerical_gradient():
    s = descent.surface_from_expression("x**2 + 3*sin(y)")
    gx, gy = s.grad(1.0, 0.5)
    assert gx == pytest.approx(2.0, rel=1e-6) and gy == pytest.approx(3 * np.cos(0.5), rel=1e-6)
    assert s.dims == 2 and descent.surface_from_expression("x**4 - x").dims == 1
    walk = descent.descend(descent.surface_from_expression("(x-1)**2 + (y+2)**2"), "sgd", lr=0.1)
    assert walk[-1].position == pytest.approx((1.0, -2.0), abs=1e-4)
    with pytest.raises(ValueError, match="column"):
        descent.surface_from_expression("x + y.imag")


# ---- the network landscape ---------------------------------------------------------------
@pytest.fixture(scope="module")
def trained():
    return train_run("circle", batch_size=500, epochs=40, lr=0.5)


def test_landscape_centre_is_the_model_loss_and_both_paths_agree(trained, monkeypatch):
    run = trained
    a, b, losses = loss_landscape(run.model, run.X, run.y, run.loss, resolution=7, span=0.5)
    assert losses.shape == (7, 7) and a[3] == 0 and b[3] == 0
    assert losses[3, 3] == pytest.approx(run.losses[-1], rel=1e-5)
    import deepscope.scenes.landscape as scene

    monkeypatch.setattr(scene, "compiled_plan", lambda *args: None)  # the point-by-point path
    _, _, slow = loss_landscape(run.model, run.X, run.y, run.loss, resolution=7, span=0.5)
    np.testing.assert_allclose(losses, slow, rtol=1e-5)


def test_landscape_orientation_rows_are_beta(trained):
    run = trained
    d1, d2 = landscape_directions(run.model, "filter", seed=3)
    a, b, losses = loss_landscape(run.model, run.X, run.y, run.loss, 5, 1.0, (d1, d2))
    theta = run.model.theta.copy()
    run.model.theta[:] = theta + a[4] * d1 + b[1] * d2
    want = run.loss.forward(run.model.forward(run.X, training=False), run.y[:, None])
    run.model.theta[:] = theta
    assert losses[1, 4] == pytest.approx(want, rel=1e-4)


def test_filter_normalisation_matches_each_filter_norm(trained):
    model = trained.model
    d = landscape_directions(model, "filter", seed=0)[0]
    for _, layer in model.param_layers():
        w_off = model.offsets[(id(layer), "W")]
        W = layer.params["W"]
        dW = d[w_off : w_off + W.size].reshape(W.shape)
        np.testing.assert_allclose(np.linalg.norm(dW, axis=0), np.linalg.norm(W, axis=0), rtol=1e-4)
        b_off = model.offsets[(id(layer), "b")]
        assert not d[b_off : b_off + layer.params["b"].size].any()


def test_pca_plane_holds_the_path(trained):
    run = trained
    d1, d2 = landscape_directions(run.model, "pca", trajectory=run.thetas)
    coords, held = project_trajectory(run.thetas, run.model.theta, d1, d2)
    assert held > 0.9 and coords.shape == (len(run.thetas), 2)
    assert np.abs(coords[-1]).max() < 1e-6
    r1, r2 = landscape_directions(run.model, "filter", seed=0)
    assert project_trajectory(run.thetas, run.model.theta, r1, r2)[1] < held


def test_small_batches_make_a_noisier_path():
    full = train_run("circle", batch_size=500, epochs=30, lr=0.5)
    small = train_run("circle", batch_size=10, epochs=30, lr=0.05)

    def wiggle(thetas):  # path length over straight-line distance
        steps = np.linalg.norm(np.diff(thetas, axis=0), axis=1).sum()
        return steps / np.linalg.norm(thetas[-1] - thetas[0])

    assert wiggle(small.thetas) > wiggle(full.thetas)


def test_landscape_bad_arguments(trained):
    run = trained
    with pytest.raises(ValueError, match="resolution must be odd"):
        loss_landscape(run.model, run.X, run.y, run.loss, resolution=40)
    with pytest.raises(ValueError, match=r"resolution must be an integer in \[3, 201\]"):
        loss_landscape(run.model, run.X, run.y, run.loss, resolution=1001)
    with pytest.raises(ValueError, match="span must be"):
        loss_landscape(run.model, run.X, run.y, run.loss, span=0)
    with pytest.raises(ValueError, match="needs trajectory"):
        loss_landscape(run.model, run.X, run.y, run.loss, directions="pca")
    with pytest.raises(ValueError, match="directions must be"):
        loss_landscape(run.model, run.X, run.y, run.loss, directions="diagonal")
