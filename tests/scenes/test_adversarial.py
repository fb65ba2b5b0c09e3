import numpy as np
import pytest

from deepscope import nn
from deepscope.scenes import adversarial as A
from deepscope.scenes import convolution as C


@pytest.fixture(scope="module")
def digits():
    """A small CNN trained on the shipped digits, and 60 held-out digits it reads."""
    task = C.mnist_task(n_train=2000)
    model, history = C.train_cnn(task, epochs=3, lr=0.01)
    assert history[-1]["val_accuracy"] > 0.85
    return model, task.X_test[:60], task.y_test[:60]


def small(kind: str) -> nn.Sequential:
    if kind == "cnn":
        layers = [nn.Conv2D(1, 2, 3, padding=1), nn.ReLU(), nn.MaxPool2D(2), nn.Flatten(),
                  nn.Dense(2 * 3 * 3, 3)]  # fmt: skip
    else:
        layers = [nn.Flatten(), nn.Dense(36, 5), nn.Tanh(), nn.Dense(5, 3)]
    return nn.Sequential(layers, seed=1, backend="numpy", dtype="float64")


@pytest.mark.parametrize("kind", ["cnn", "mlp"])
def test_the_input_gradient_is_the_slope_of_the_loss(kind):
    model = small(kind)
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 1, (2, 1, 6, 6)), np.array([0, 2])
    before = model.grad.copy()
    g = A.input_gradient(model, X, y)
    assert g.shape == X.shape
    np.testing.assert_array_equal(model.grad, before)  # the weights' gradients untouched
    loss = nn.CrossEntropyLoss(backend="numpy")

    def total(x):  # the summed loss: each image's gradient is its own
        return loss.forward(model.predict(x), y) * len(x)

    h = 1e-6
    for index in [(0, 0, 1, 2), (1, 0, 4, 4), (1, 0, 0, 5)]:
        up, down = X.copy(), X.copy()
        up[index] += h
        down[index] -= h
        assert g[index] == pytest.approx((total(up) - total(down)) / (2 * h), rel=1e-5, abs=1e-9)


def test_fgsm_steps_eps_along_the_sign_and_stays_in_range(digits):
    model, X, y = digits
    sign = np.sign(A.input_gradient(model, X, y))
    raw = A.fgsm(model, X, y, 0.1, clip=None)
    np.testing.assert_allclose(raw - X, 0.1 * sign, atol=1e-6)
    adv = A.fgsm(model, X, y, 0.1)
    assert adv.shape == X.shape and adv.min() >= 0 and adv.max() <= 1
    assert np.abs(adv - X).max() <= 0.1 + 1e-6
    right = np.mean(A.probabilities(model, X).argmax(1) == y)
    assert np.mean(A.probabilities(model, adv).argmax(1) == y) < right - 0.1


@pytest.mark.parametrize("norm, eps", [("inf", 0.1), ("2", 2.0)])
def test_pgd_stays_in_its_ball_and_hurts_at_least_as_much_as_fgsm(digits, norm, eps):
    model, X, y = digits
    replay = A.pgd_replay(model, X, y, eps, eps / 4, 10, norm=norm, random_start=True)
    assert replay.images.shape == (11, *X.shape) and replay.probabilities.shape == (11, 60, 10)
    size = replay.linf if norm == "inf" else replay.l2
    assert size.max() <= eps * (1 + 1e-5)
    assert replay.final.min() >= 0 and replay.final.max() <= 1
    np.testing.assert_array_equal(A.pgd(model, X, y, eps, eps / 4, 10, norm=norm,
                                        random_start=True), replay.final)  # fmt: skip
    if norm == "inf":
        fgsm_acc = np.mean(A.probabilities(model, A.fgsm(model, X, y, eps)).argmax(1) == y)
        pgd_acc = np.mean(replay.probabilities[-1].argmax(1) == y)
        assert pgd_acc <= fgsm_acc


def test_a_targeted_attack_raises_the_target(digits):
    model, X, y = digits
    before = A.probabilities(model, X)[:, 7]
    after = A.probabilities(model, A.pgd(model, X, y, 0.15, 0.03, 10, target=7))[:, 7]
    assert after.mean() > before.mean() + 0.3
    one_step = A.probabilities(model, A.fgsm(model, X, y, 0.1, target=7))[:, 7]
    assert one_step.mean() > before.mean()


def test_a_patch_changes_only_its_square_and_reads_as_the_target(digits):
    model, X, y = digits
    replay = A.patch_attack(model, X[:10], 3, size=8, row=10, col=10, steps=40, alpha=0.1)
    changed = np.abs(replay.final - X[:10]) > 0
    assert not changed[..., :10, :].any() and not changed[..., :, 18:].any()
    assert changed[..., 10:18, 10:18].any()
    assert replay.probabilities[-1][:, 3].mean() > replay.probabilities[0][:, 3].mean() + 0.3


def test_the_sweep_falls_with_eps_and_pgd_falls_further(digits):
    model, X, y = digits
    fast = A.epsilon_sweep(model, X, y, [0.05, 0.1, 0.2, 0.3])
    assert fast.eps[0] == 0 and len(fast.eps) == 5
    assert fast.clean_accuracy == np.mean(A.probabilities(model, X).argmax(1) == y)
    assert fast.accuracy[-1] < fast.clean_accuracy - 0.5
    assert np.all(np.diff(fast.confidence) <= 1e-9)
    slow = A.epsilon_sweep(model, X, y, [0.05, 0.1, 0.2, 0.3], method="pgd")
    assert np.all(slow.accuracy <= fast.accuracy + 1e-9)


def test_attacks_on_one_network_fool_another(digits):
    model, X, y = digits
    other, _ = C.train_cnn(C.mnist_task(n_train=2000, seed=1), epochs=3, lr=0.01, seed=1)
    result = A.transfer(model, other, X, y, 0.2)
    assert result.both_right > 40
    assert result.fool_source > 0.5
    assert 0.05 < result.fool_other <= 1  # it carries over, though less than to the source


def test_adversarial_training_raises_the_attacked_accuracy():
    task = C.mnist_task(n_train=2000)
    model, _ = C.train_cnn(task, epochs=3, lr=0.01)
    X, y = task.X_test[:300], task.y_test[:300]
    attacked = np.mean(A.probabilities(model, A.fgsm(model, X, y, 0.1)).argmax(1) == y)
    events = list(
        A.adversarial_training(model, task.X_train, task.y_train, 0.1, 3, validation=(X, y))
    )
    assert [e.epoch for e in events if e.kind == "epoch"] == [1, 2, 3]
    assert sum(e.kind == "step" for e in events) == 3 * 125  # one event a step: Stop gets a turn
    assert events[-1].step == 3 * 125 - 1  # 125 steps an epoch: 4000 images (clean + FGSM)
    assert events[-1].metrics["attacked_accuracy"] > attacked + 0.1
    assert events[-1].metrics["clean_accuracy"] > 0.85


def test_the_decision_map_is_a_probability_over_the_plane():
    model, X, y = A.plane_classifier("xor")
    xs, ys, p = A.decision_map(model, 6.0, 21)
    assert p.shape == (21, 21) and xs[0] == -6 and ys[-1] == 6
    assert 0 <= p.min() and p.max() <= 1 and p.max() - p.min() > 0.9


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m, X, y: A.fgsm(m, X, y, -0.1), "eps must be a finite number >= 0, got -0.1"),
        (lambda m, X, y: A.fgsm(m, X, y, float("nan")), "eps must be a finite number"),
        (lambda m, X, y: A.fgsm(m, X, y, "big"), "eps must be a number"),
        (lambda m, X, y: A.epsilon_sweep(m, X, y, [0.1], method="deepfool"), "method must be"),
        (lambda m, X, y: A.pgd(m, X, y, 0.1, 0.01, 5, norm="1"), "norm must be one of inf, 2"),
        (lambda m, X, y: A.fgsm(m, X, y, 0.1, target=10), r"target: .*0\.\.9.*10 classes"),
        (lambda m, X, y: A.fgsm(m, X[:, :, :20], y, 0.1), "X does not fit the model"),
        (lambda m, X, y: A.fgsm(m, X, y[:3], 0.1), r"y must hold one label per image \(60\)"),
        (lambda m, X, y: A.fgsm(m, X, y.astype(float), 0.1), "y must hold integer class labels"),
        (lambda m, X, y: A.pgd(m, X, y, 0.1, 0.01, 0), r"steps must be an integer in \[1, 1000\]"),
        (lambda m, X, y: A.patch_attack(m, X, 3, size=8, row=25), r"row must be .*\[0, 20\]"),
        (lambda m, X, y: A.fgsm(m, X, y, 0.1, clip=(1, 0)), "clip must be .*low < high"),
    ],
    ids=[
        "negative",
        "nan",
        "text",
        "method",
        "norm",
        "target",
        "shape",
        "labels",
        "float",
        "steps",
        "patch",
        "clip",
    ],  # fmt: skip
)
def test_bad_arguments_say_which_and_what_is_allowed(digits, call, match):
    model, X, y = digits
    with pytest.raises((ValueError, TypeError), match=match):
        call(model, X, y)
