import numpy as np
import pytest

from deepscope.scenes import gradients as g


@pytest.fixture(scope="module")
def vanishing():
    return g.train(g.PRESETS["vanishing: 20 sigmoid layers"], epochs=2)


def test_twenty_sigmoid_layers_lose_the_gradient(vanishing):
    run = vanishing
    assert len(run.grad[0]) == 21 and run.layer_names[0] == "layer 1"
    assert run.first_to_last() < 1e-3
    assert np.all(np.asarray(run.slope) <= 0.25 + 1e-6)  # the sigmoid's slope, measured
    bound = run.chain_bound()
    assert bound[-1] == 1 and np.all(np.diff(bound) >= 0)  # more factors towards the input
    assert bound[0] <= 0.25**20 * (1 + 1e-6)
    ratios = np.asarray(run.ratio)
    assert ratios.shape == (len(run.steps), 21) and np.all(ratios >= 0)


def test_relu_with_he_keeps_it(vanishing):
    run = g.train(g.PRESETS["ReLU instead of sigmoid"], epochs=2)
    assert run.first_to_last() > 0.1 > 1e3 * vanishing.first_to_last()


def test_large_weights_explode_and_say_when():
    run, events = g.training(g.PRESETS["exploding: large weights"], epochs=5)
    last = list(events)[-1]
    assert last.kind == "diverged" and run.exploded_at is not None
    assert f"exploded at step {run.exploded_at}" in last.message or "diverged" in last.message


def test_histograms_count_every_unit(vanishing):
    edges, counts = vanishing.histograms(bins=10)
    assert edges[0] == 0 and edges[-1] == 1  # a sigmoid's range
    assert counts.shape == (20, 10) and np.all(counts.sum(axis=1) == 600 * 32)


def test_digits_are_784_pixels_and_ten_classes():
    X, y, classes = g.data("digits")
    assert X.shape == (1000, 784) and 0 <= X.min() and X.max() <= 1 and len(classes) == 10
    assert set(np.unique(y)) == set(range(10))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"depth": 0}, r"depth must be an integer in \[1, 30\], got 0"),
        ({"depth": 31}, r"depth must be an integer in \[1, 30\], got 31"),
        ({"width": 1}, r"width must be an integer in \[2, 256\]"),
        ({"clip_threshold": 0.0}, r"clip_threshold must be a finite number in \(0.0, 1000000.0\]"),
        ({"clip_threshold": float("nan")}, r"clip_threshold must be a finite number"),
        ({"activation": "swish"}, "activation must be one of sigmoid, tanh, relu, leaky_relu"),
        ({"init": "ones"}, "init must be one of"),
        ({"dropout": 1.5}, r"dropout must be a finite number in \[0.0, 0.9\]"),
        ({"clip": "both"}, "clip must be one of off, norm, value"),
    ],
)
def test_bad_settings_name_the_argument(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        g.Setup(**kwargs)
