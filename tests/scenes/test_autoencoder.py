import numpy as np
import pytest
from scipy.linalg import subspace_angles

from deepscope.scenes import autoencoder as A


@pytest.fixture(scope="module")
def data():
    return A.digits(n_train=1000)


def test_the_lectures_network_encodes_to_32_and_decodes_to_784(data):
    Xtr, _, Xte, _ = data
    model = A.build_autoencoder()
    assert A.encode(model, Xte[:5]).shape == (5, 32)
    out = A.decode(model, A.encode(model, Xte[:5]))
    assert out.shape == (5, 784) and 0 <= out.min() and out.max() <= 1  # the sigmoid


@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_it_rebuilds_held_out_digits_better_than_the_mean_digit(data, loss):
    Xtr, _, Xte, _ = data
    model = A.build_autoencoder((784, 64, 16, 64, 784))
    history = A.train_autoencoder(model, Xtr, loss, epochs=15, lr=3e-3, batch_size=64,
                                  X_val=Xte[:300])  # fmt: skip
    assert len(history) == 15 and history["val_loss"][-1] < history["val_loss"][0]
    mean = A.mse(np.tile(Xtr.mean(0), (300, 1)), Xte[:300])
    assert A.mse(A.reconstruct(model, Xte[:300]), Xte[:300]) < 0.6 * mean


def test_a_linear_autoencoder_finds_the_pca_subspace(data):
    Xtr = data[0]
    model = A.build_autoencoder((784, 3, 784), activation="identity", output="linear")
    A.train_autoencoder(model, Xtr, epochs=60, lr=1e-2, batch_size=64)
    decoder = model.layers[2].params["W"].astype(np.float64)  # (3, 784)
    angles = np.degrees(subspace_angles(decoder.T, A.pca(Xtr, 3).components.T))
    assert angles.max() < 10, angles


def test_denoising_training_rebuilds_noisy_digits_better(data):
    Xtr, _, Xte, _ = data
    plain, denoising = (A.build_autoencoder((784, 64, 16, 64, 784)) for _ in range(2))
    A.train_autoencoder(plain, Xtr, epochs=10, lr=3e-3, batch_size=64)
    A.train_autoencoder(denoising, Xtr, epochs=10, lr=3e-3, batch_size=64, noise=0.4)
    noisy = A.corrupt(Xte[:300], 0.4, seed=5)
    assert A.mse(A.reconstruct(denoising, noisy), Xte[:300]) < A.mse(
        A.reconstruct(plain, noisy), Xte[:300]
    )


def test_bce_of_a_perfect_copy_is_not_zero_on_grey_pixels():
    assert A.bce_floor(np.array([[0.0, 1.0]])) < 1e-5
    assert A.bce_floor(np.array([[0.5, 0.5]])) == pytest.approx(np.log(2))


def test_the_code_plane_and_its_points_decode(data):
    Xtr, ytr, Xte, yte = data
    two = A.build_autoencoder((784, 32, 2, 32, 784))
    points, labels, how = A.code_plane(two, Xte[:50], yte[:50])
    assert points.shape == (50, 2) and how == "the 2-D code"
    np.testing.assert_allclose(points, A.encode(two, Xte[:50]), rtol=1e-6)
    wide = A.build_autoencoder()
    assert A.code_plane(wide, Xte[:50], yte[:50])[2] == "the code's first two principal components"
    assert A.decode_plane_point(wide, Xte[:50], (0.5, -0.5)).shape == (784,)
    pixels, codes = A.interpolate(wide, Xte[0], Xte[1], steps=5)
    np.testing.assert_allclose(pixels[0], Xte[0])
    np.testing.assert_allclose(pixels[-1], Xte[1], rtol=1e-6)
    assert codes.shape == (5, 784)


def test_filling_in_a_hidden_rectangle(data):
    Xtr, _, Xte, _ = data
    X = Xte[:300]
    k = A.rectangle_mask(10, 6, 8, 16)  # rows 10-17, columns 6-21
    assert k.shape == (28, 28) and k.sum() == 8 * 16
    assert k[10, 6] and k[17, 21] and not k[9, 6] and not k[18, 6] and not k[10, 22]
    plain, filler = (A.build_autoencoder((784, 64, 16, 64, 784)) for _ in range(2))
    A.train_autoencoder(plain, Xtr, epochs=10, lr=3e-3, batch_size=64)
    A.train_autoencoder(filler, Xtr, epochs=10, lr=3e-3, batch_size=64, mask=k)
    f = A.fill_in(plain, X, k)
    hidden = k.ravel()
    assert f.fraction == pytest.approx(128 / 784) and (f.hidden == hidden).all()
    assert (f.masked[:, hidden] == 0).all()
    np.testing.assert_array_equal(f.masked[:, ~hidden], X[:, ~hidden])
    np.testing.assert_allclose(f.rebuilt, A.reconstruct(plain, f.masked), rtol=1e-6)
    assert f.blank_error == pytest.approx(np.mean(X[:, hidden].astype(np.float64) ** 2))
    assert f.filled_error == pytest.approx(A.mse(f.rebuilt[:, hidden], X[:, hidden]))
    # in the hidden rectangle, the plain autoencoder's output is closer to the original than
    # the black hole it was given; one trained with the mask fills it in closer still
    assert f.filled_error < 0.7 * f.blank_error
    g = A.fill_in(filler, X, k)
    assert g.blank_error == f.blank_error and g.filled_error < f.filled_error
    assert g.visible_error < g.blank_error


def test_filling_in_a_fraction_of_pixels_hidden_at_random(data):
    Xtr, _, Xte, _ = data
    X = Xte[:300]
    model = A.build_autoencoder((784, 64, 16, 64, 784))
    A.train_autoencoder(model, Xtr, epochs=10, lr=3e-3, batch_size=64, mask=0.5)
    f = A.fill_in(model, X, 0.5, seed=3)
    assert f.fraction == pytest.approx(0.5, abs=0.01)
    assert not (f.hidden[0] == f.hidden[1]).all()  # a fresh draw for each digit
    assert f.filled_error < 0.5 * f.blank_error
    # the same seed, a larger share: the pixels hidden before stay hidden
    fewer, more = (A.hidden_pixels(q, X.shape, seed=3) for q in (0.3, 0.6))
    assert (more >= fewer).all() and more.sum() > fewer.sum()
    assert not A.hidden_pixels(0.0, X.shape).any() and A.hidden_pixels(1.0, X.shape).all()
    nothing = A.fill_in(model, X, 0.0)
    assert nothing.fraction == 0 and np.isnan(nothing.filled_error)
    # one mask per image, and the network trained on 0..255 (scale)
    per_image = np.zeros((300, 784), bool)
    per_image[0, :10] = True
    assert A.fill_in(model, X, per_image).fraction == pytest.approx(10 / (300 * 784))
    s = A.fill_in(model, X, np.ones((28, 28), int) * A.rectangle_mask(0, 0, 14, 28), scale=255)
    np.testing.assert_allclose(s.rebuilt, A.reconstruct(model, s.masked * 255) / 255, rtol=1e-5)


def test_the_manifold_grid_decodes_the_code_plane(data):
    Xtr, _, Xte, _ = data
    X = Xte[:200]
    two = A.build_autoencoder((784, 32, 2, 32, 784))
    A.train_autoencoder(two, Xtr, epochs=3, lr=3e-3, batch_size=64)
    points = A.code_plane(two, X, None)[0]
    m = A.manifold(two, X, n=6)
    assert m.how == "the 2-D code" and m.images.shape == (6, 6, 784)
    assert m.picture.shape == (6 * 28, 6 * 28)
    np.testing.assert_allclose([m.xs[0], m.xs[-1]], [points[:, 0].min(), points[:, 0].max()])
    np.testing.assert_allclose([m.ys[0], m.ys[-1]], [points[:, 1].max(), points[:, 1].min()])
    x0, x1, y0, y1 = m.extent  # the picture covers every digit of X
    assert x0 < points[:, 0].min() and points[:, 0].max() < x1
    assert y0 < points[:, 1].min() and points[:, 1].max() < y1
    # row 1, column 4 is the decoder's image of the grid point (xs[4], ys[1])
    tile = A.decode(two, np.array([[m.xs[4], m.ys[1]]], np.float32))[0]
    np.testing.assert_allclose(m.images[1, 4], tile, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(m.picture[28:56, 112:140], m.images[1, 4].reshape(28, 28))
    fixed = A.manifold(two, X, n=3, extent=(0, 2, -1, 1))
    np.testing.assert_allclose(fixed.xs, [0, 1, 2])
    np.testing.assert_allclose(fixed.ys, [1, 0, -1])
    wide = A.build_autoencoder()
    w = A.manifold(wide, X, n=4)
    assert w.how == "the code's first two principal components"
    np.testing.assert_allclose(w.images[0, 3], A.decode_plane_point(wide, X, (w.xs[3], w.ys[0])),
                               rtol=1e-5, atol=1e-7)  # fmt: skip


def test_a_drawing_lands_where_the_map_puts_the_same_digit(data):
    _, _, Xte, _ = data
    X = Xte[:200]
    for model in (A.build_autoencoder((784, 32, 2, 32, 784)), A.build_autoencoder()):
        points = A.code_plane(model, X, None)[0]
        p = A.place_on_plane(model, X, X[7].reshape(28, 28))
        np.testing.assert_allclose(p.point, points[7], rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(p.rebuilt, A.reconstruct(model, X[7:8])[0], rtol=1e-5)
        np.testing.assert_allclose(p.code, A.encode(model, X[7:8])[0], rtol=1e-6)
        assert p.error == pytest.approx(A.mse(p.rebuilt, X[7]))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m, X: A.rectangle_mask(25, 0, 8, 28),
         r"runs off the bottom of the 28-row image: top 25 \+ height 8 = 33; top \+ height "
         r"must be at most 28"),
        (lambda m, X: A.rectangle_mask(0, 20, 4, 10),
         r"runs off the right of the 28-column image: left 20 \+ width 10 = 30"),
        (lambda m, X: A.rectangle_mask(0, 0, 0, 5),
         r"height must be an integer in \[1, 28\], got 0"),
        (lambda m, X: A.rectangle_mask(-1, 0, 4, 4),
         r"top must be an integer in \[0, 27\], got -1"),
        (lambda m, X: A.rectangle_mask(0, 0, 4.5, 4), r"height must be an integer in \[1, 28\]"),
        (lambda m, X: A.fill_in(m, X, np.zeros(10)),
         r"mask must be shaped like one image \(784,\) or \(28, 28\), or like the images "
         r"\(3, 784\) \(one mask each\); got \(10,\)"),
        (lambda m, X: A.fill_in(m, X, np.zeros((3, 28, 28))), r"mask must be shaped like one"),
        (lambda m, X: A.fill_in(m, X, 1.5),
         r"mask \(the fraction of pixels hidden\) must be a finite number in \[0, 1\], got 1.5"),
        (lambda m, X: A.fill_in(m, X, -0.1), r"in \[0, 1\], got -0.1"),
        (lambda m, X: A.fill_in(m, X, float("nan")), r"in \[0, 1\], got nan"),
        (lambda m, X: A.fill_in(m, X, np.full((28, 28), 0.5)),
         r"mask must hold only 0 \(shown\) and 1 \(hidden\), got 0.5"),
        (lambda m, X: A.fill_in(m, X, True), r"mask must be an array of 0/1 .* got True"),
        (lambda m, X: A.fill_in(m, X, "centre"), r"mask must be an array of 0/1 .* got 'centre'"),
        (lambda m, X: A.fill_in(m, X, np.array(["a"] * 784)), r"mask must hold 0/1 or True/False"),
        (lambda m, X: A.fill_in(m, np.zeros((3, 100)), 0.5), r"X must be \(N, 784\)"),
        (lambda m, X: A.fill_in(m, np.full((3, 784), np.nan), 0.5), r"X contains 2352 NaN"),
        (lambda m, X: A.fill_in(m, X, 0.5, scale=0), r"scale must be a finite number > 0, got 0"),
        (lambda m, X: A.corrupt(X, mask=np.zeros((2, 784))), r"like the images \(3, 784\)"),
        (lambda m, X: A.training(m, np.zeros((4, 784)), mask=np.ones(5)), r"mask must be shaped"),
        (lambda m, X: A.manifold(m, X, n=1), r"n must be an integer in \[2, 40\], got 1"),
        (lambda m, X: A.manifold(m, X, extent=(1, 0, 0, 1)), r"extent must have x0 < x1"),
        (lambda m, X: A.manifold(m, X, extent=(0, 1, 0)), r"extent must be four numbers"),
        (lambda m, X: A.place_on_plane(m, X, np.zeros((10, 10))),
         r"image must have 784 pixels \(28 x 28\), got shape \(10, 10\)"),
        (lambda m, X: A.place_on_plane(m, X, np.full(784, 2.0)),
         r"image values must be in \[0, 1\], got 2 .. 2"),
        (lambda m, X: A.place_on_plane(m, X, np.full(784, np.nan)), r"image contains 784 NaN"),
    ],
    ids=["rect-bottom", "rect-right", "rect-height", "rect-top", "rect-float", "mask-shape",
         "mask-3d", "fraction-high", "fraction-low", "fraction-nan", "mask-values", "mask-bool",
         "mask-text", "mask-dtype", "fill-input", "fill-nan", "fill-scale", "corrupt-shape",
         "train-mask",
         "grid-n", "grid-extent", "grid-extent-len", "draw-shape", "draw-range", "draw-nan"],
)  # fmt: skip
def test_bad_masks_grids_and_drawings_say_which_and_what_is_allowed(call, match):
    model = A.build_autoencoder((784, 8, 2, 8, 784))
    with pytest.raises((ValueError, TypeError), match=match):
        call(model, np.zeros((3, 784), np.float32))


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: A.parse_sizes("784-x-784"), "sizes must be whole numbers joined by '-'"),
        (lambda: A.parse_sizes("784-0-784"), r"each width in sizes must be an integer in \[1"),
        (lambda: A.parse_sizes("784-32-64-784"), "an odd number"),
        (lambda: A.parse_sizes("784-32-10"), r"must end with the input's width \(784\)"),
        (lambda: A.encode(A.build_autoencoder(), np.zeros((2, 100))), "784 values per image"),
        (lambda: A.corrupt(np.zeros((2, 784)), mask=np.zeros(10)), r"mask must be shaped like"),
        (lambda: A.train_autoencoder(A.build_autoencoder(), np.full((4, 784), np.nan)), "NaN"),
        (
            lambda: A.train_autoencoder(A.build_autoencoder(), np.zeros((4, 784)), loss="l1"),
            "loss must be one of mse, bce",
        ),
    ],
    ids=["text", "zero", "even", "ends", "input", "mask", "nan", "loss"],
)
def test_bad_arguments_say_which_and_what_is_allowed(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
