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
    np.testing.assert_allclose(pixels[0], Xte[0]) and np.testing.assert_allclose(pixels[-1], Xte[1])
    assert codes.shape == (5, 784)


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
