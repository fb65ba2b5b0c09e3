"""deepscope.data.playground against the TensorFlow Playground's recipes (its dataset.ts)."""

import numpy as np
import pytest

from deepscope.data import DATASETS, PLAYGROUND_COUNTS, playground

BINARY = ("circle", "xor", "gauss", "spiral")
NOISES = (0.0, 0.1, 0.25, 0.5)


def _mislabelled(name, X, y):
    """The fraction of points whose label disagrees with the rule at the drawn point."""
    if name == "circle":
        clean = np.hypot(X[:, 0], X[:, 1]) < 2.5
    else:
        clean = X[:, 0] * X[:, 1] >= 0
    return np.mean(y != clean)


@pytest.mark.parametrize("name", DATASETS)
def test_every_set_is_finite_and_fixed_by_its_seed(name):
    X, y = playground(name, 100, noise=0.1, seed=1)
    assert X.shape == (100, 2) and X.dtype == np.float64 and len(y) == 100
    assert np.isfinite(X).all() and np.isfinite(y).all()
    X2, y2 = playground(name, 100, noise=0.1, seed=1)
    assert np.array_equal(X, X2) and np.array_equal(y, y2)
    X3, _ = playground(name, 100, noise=0.1, seed=2)
    assert not np.array_equal(X, X3)


def test_the_playgrounds_counts_when_n_is_not_given():
    assert PLAYGROUND_COUNTS["circle"] == PLAYGROUND_COUNTS["spiral"] == 500
    assert PLAYGROUND_COUNTS["reg-plane"] == PLAYGROUND_COUNTS["reg-gauss"] == 1200
    assert set(PLAYGROUND_COUNTS) == set(DATASETS)
    for name in DATASETS:
        X, y = playground(name)
        assert X.shape == (PLAYGROUND_COUNTS[name], 2) and y.shape == (PLAYGROUND_COUNTS[name],)
    with pytest.raises(TypeError):
        PLAYGROUND_COUNTS["circle"] = 10  # read-only


@pytest.mark.parametrize("name", BINARY)
def test_binary_labels_are_0_and_1_positives_first(name):
    X, y = playground(name, 501, seed=0)  # an odd count gives exactly that many points
    assert len(X) == 501 and y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    if name in ("gauss", "spiral"):  # labelled by which half drew them, whatever the noise
        _, y_noisy = playground(name, 501, noise=0.5, seed=0)
        for labels in (y, y_noisy):
            assert labels[:251].tolist() == [1] * 251 and labels[251:].tolist() == [0] * 250


def test_circle_draws_a_disc_and_a_ring_labelled_by_radius():
    X, y = playground("circle", seed=0)
    r = np.hypot(X[:, 0], X[:, 1])
    assert r[:250].max() < 2.5 and 3.5 <= r[250:].min() and r[250:].max() <= 5
    assert np.array_equal(y, (r < 2.5).astype(int))
    assert y[:250].all() and not y[250:].any()


def test_xor_keeps_its_points_off_the_axes_labelled_by_quadrant():
    X, y = playground("xor", seed=0)
    assert np.abs(X).min() >= 0.3 and np.abs(X).max() <= 5.3
    assert np.array_equal(y, (X[:, 0] * X[:, 1] >= 0).astype(int))


@pytest.mark.parametrize("name", ("circle", "xor"))
def test_noise_mislabels_points_it_does_not_move(name):
    X0, y0 = playground(name, 2000, noise=0.0, seed=3)
    fractions = []
    for noise in NOISES:
        X, y = playground(name, 2000, noise=noise, seed=3)
        assert np.array_equal(X, X0)  # the drawn points stay where they are
        fractions.append(_mislabelled(name, X, y))
        wrong = y != y0
        # a wrong label is right at a point within the noise's reach, 5 * noise a coordinate
        reach = 5 * noise
        if name == "circle":
            r = np.hypot(X[wrong, 0], X[wrong, 1])
            assert (np.abs(r - 2.5) <= reach * np.sqrt(2)).all()
        else:
            assert (np.abs(X[wrong]).min(axis=1) <= reach).all()
    assert fractions[0] == 0
    assert all(a < b for a, b in zip(fractions, fractions[1:])), fractions
    assert fractions[-1] > 0.05


@pytest.mark.parametrize("noise", NOISES)
def test_gauss_noise_is_a_variance(noise):
    variance = 0.5 + 7 * noise  # the Playground: noise 0..0.5 -> variance 0.5..4
    X, y = playground("gauss", 40000, noise=noise, seed=5)
    for label, centre in ((1, 2.0), (0, -2.0)):
        pts = X[y == label]  # 20000 points; a variance's relative sampling error ~ 1 %
        np.testing.assert_allclose(pts.mean(axis=0), centre, atol=5 * np.sqrt(variance / 20000))
        np.testing.assert_allclose(pts.var(axis=0, ddof=1), variance, rtol=0.05)


def test_spiral_arms_and_their_jitter():
    n = 500
    X0, y = playground("spiral", n, seed=0)
    step = np.arange(250) / 250
    for half, offset in ((slice(0, 250), 0.0), (slice(250, 500), np.pi)):
        t = 1.75 * step * 2 * np.pi + offset
        arm = np.c_[5 * step * np.sin(t), 5 * step * np.cos(t)]
        np.testing.assert_allclose(X0[half], arm, atol=1e-12)
    for noise in NOISES[1:]:
        X, y_noisy = playground("spiral", n, noise=noise, seed=0)
        shift = np.abs(X - X0)
        assert shift.max() <= noise and shift.max() > 0.9 * noise  # uniform(-1, 1) * noise
        assert np.array_equal(y_noisy, y) and np.abs(X).max() <= 6


def test_reg_plane_targets_are_not_clipped():
    X, y = playground("reg-plane", seed=0)
    assert np.abs(X).max() <= 6 and np.abs(X).max() > 5.9
    np.testing.assert_allclose(y, X.sum(axis=1) / 10)
    assert np.abs(y).max() > 1 and np.abs(y).max() <= 1.2  # the corners past x + y = 10
    X_noisy, y_noisy = playground("reg-plane", noise=0.5, seed=0)
    assert np.array_equal(X_noisy, X)
    off = np.abs(y_noisy - X.sum(axis=1) / 10)  # noise up to 3 a coordinate, 0.6 in all
    assert off.max() <= 0.6 and off.max() > 0.4 and np.abs(y_noisy).max() <= 1.8
    assert np.abs(y_noisy).max() > 1.2


def _reg_gauss_rule(x, y):
    """dataset.ts's getLabel, a point at a time: the bump largest in absolute value."""
    label = 0.0
    for cx, cy, sign in ((-4, 2.5, 1), (0, 2.5, -1), (4, 2.5, 1),
                         (-4, -2.5, -1), (0, -2.5, 1), (4, -2.5, -1)):  # fmt: skip
        new = sign * min(max(1 - np.hypot(x - cx, y - cy) / 2, 0), 1)
        if abs(new) > abs(label):
            label = new
    return label


def test_reg_gauss_follows_its_bumps():
    X, y = playground("reg-gauss", seed=0)
    assert np.abs(X).max() <= 6 and y.dtype == np.float64
    np.testing.assert_allclose(y, [_reg_gauss_rule(a, b) for a, b in X], atol=1e-12)
    assert -1 <= y.min() < -0.9 and 0.9 < y.max() <= 1 and (y == 0).any()
    X_noisy, y_noisy = playground("reg-gauss", noise=0.3, seed=0)
    assert np.array_equal(X_noisy, X) and not np.allclose(y_noisy, y)
    assert np.abs(y_noisy).max() <= 1


@pytest.mark.parametrize("name", ("multi-spiral", "blobs"))
def test_our_extensions_label_every_class(name):
    X, y = playground(name, 100, noise=0.2, seed=0, classes=4)
    assert X.shape == (100, 2) and y.dtype == np.int64
    assert np.bincount(y).tolist() == [25, 25, 25, 25]


def test_bad_arguments_say_what_is_allowed():
    with pytest.raises(ValueError, match="name must be one of circle, xor, .*; got 'moons'"):
        playground("moons")
    for bad in (2, -0.1, 0.6, float("nan")):
        with pytest.raises(ValueError, match=r"noise must be a number in \[0, 0.5\].*got"):
            playground("xor", noise=bad)
    with pytest.raises(ValueError, match=r"noise .* divided by 100\), got 0\.6"):
        playground("xor", noise=0.6)
    for bad in ("0.1", True, None):
        with pytest.raises(ValueError, match="noise must be a number"):
            playground("xor", noise=bad)
    with pytest.raises(ValueError, match="n must be an integer >= 1, got 0"):
        playground("circle", 0)
    with pytest.raises(TypeError, match="n must be an integer"):
        playground("circle", 2.5)
    with pytest.raises(ValueError, match="classes must be an integer >= 2, got 1"):
        playground("blobs", classes=1)
