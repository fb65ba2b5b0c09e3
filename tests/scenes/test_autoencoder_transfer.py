"""Transfer learning from an autoencoder: its encoder, frozen or fine-tuned under a new head,
against the same network from scratch, on a few labelled digits."""

import numpy as np
import pytest

from deepscope import nn
from deepscope.scenes import autoencoder as A

SMALL = (784, 64, 16, 64, 784)


@pytest.fixture(scope="module")
def autoencoder():
    model = A.build_autoencoder(SMALL, seed=0)
    A.train_autoencoder(model, A.digits()[0], epochs=4, batch_size=64, lr=1e-3, noise=0.3)
    return model


@pytest.fixture(scope="module")
def run100(autoencoder):
    before = autoencoder.theta.copy()
    run = A.TransferLearning(100, encoder=autoencoder, steps=200, n_test=500)
    events = list(run.events())
    return run, events, before


def encoder_params(model, n):
    return [layer.params[k].copy() for layer in model.layers[:n] for k in layer.params]


def test_the_encoder_is_copied_with_its_weights_and_shares_nothing(autoencoder):
    layers = A.encoder_of(autoencoder)
    assert [repr(x) for x in layers] == ["Dense(784, 64)", "ReLU()", "Dense(64, 16)", "ReLU()"]
    np.testing.assert_array_equal(layers[0].params["W"], autoencoder.layers[0].params["W"])
    layers[0].params["W"][...] = 0
    assert autoencoder.layers[0].params["W"].any()
    x = A.digits()[2][:5]
    model = A.classifier(autoencoder, (32, 10), frozen=True)
    np.testing.assert_allclose(nn.Sequential(model.layers[:4], seed=None).predict(x),
                               A.encode(autoencoder, x), rtol=1e-6)  # fmt: skip
    assert [repr(x) for x in model.layers[4:]] == ["Dense(16, 32)", "ReLU()", "Dense(32, 10)"]
    assert model.frozen_layers() == [model.layers[0], model.layers[2]]
    assert "frozen" in model.summary().splitlines()[1]
    scratch = A.classifier(autoencoder, (32, 10), pretrained=False)
    assert not np.array_equal(scratch.layers[0].params["W"], autoencoder.layers[0].params["W"])
    np.testing.assert_array_equal(scratch.layers[4].params["W"], model.layers[4].params["W"])
    assert scratch.frozen_layers() == []


def test_frozen_encoder_unchanged_fine_tuned_changed_autoencoder_untouched(run100, autoencoder):
    run, _, before = run100
    models = run.result.models
    ae = encoder_params(autoencoder, 4)
    for a, b in zip(encoder_params(models["frozen"], 4), ae):
        np.testing.assert_array_equal(a, b)  # bit for bit
    assert any(
        not np.array_equal(a, b) for a, b in zip(encoder_params(models["fine-tuned"], 4), ae)
    )
    head = models["frozen"].layers[4].params["W"]
    assert not np.array_equal(head, A.classifier(autoencoder, seed=0).layers[4].params["W"])
    np.testing.assert_array_equal(autoencoder.theta, before)


def test_progress_events_and_the_result(run100):
    run, events, _ = run100
    assert [e.kind for e in events] == ["progress"] * 3
    assert [e.metrics["done"] for e in events] == [1, 2, 3]
    assert {e.metrics["total"] for e in events} == {3} and {e.metrics["what"] for e in events} == {
        "fits"
    }
    assert [e.metrics["variant"] for e in events] == list(A.VARIANTS)
    acc = run.result.at(100)
    assert [e.metrics["accuracy"] for e in events] == [acc[v] for v in A.VARIANTS]
    assert all(0.5 < a <= 1 for a in acc.values()), acc  # far above chance (0.1)
    assert "fine-tuned" in run.result.table() and run.result.n_test == 500
    assert list(run.events()) == []  # all fitted: nothing left to run
    with pytest.raises(KeyError, match="n_labels=30 was not run"):
        run.result.at(30)


def test_accuracy_grows_with_the_number_of_labels(autoencoder):
    result = A.transfer_learning((10, 100, 1000), encoder=autoencoder, steps=150, n_test=500)
    for variant in A.VARIANTS:
        acc = result.accuracy[variant]
        assert acc[0] < acc[1] < acc[2], (variant, acc)
        assert acc[2] - acc[0] > 0.2


def test_it_pretrains_an_autoencoder_when_given_none():
    run = A.TransferLearning(20, fine_tune=False, sizes=(784, 32, 8, 32, 784),
                             pretrain_epochs=2, steps=20, n_test=200)  # fmt: skip
    events = list(run.events())
    assert [e.metrics["what"] for e in events] == ["pretraining epochs"] * 2 + ["fits"] * 2
    assert [e.metrics["done"] for e in events[:2]] == [1, 2]
    assert run.result.variants == ("frozen", "scratch") and run.result.autoencoder is not None
    assert np.isfinite(run.result.accuracy["frozen"]).all()


def test_the_labelled_subsets_are_balanced_and_nested():
    y = A.digits()[1]
    small, large = A.labelled_subset(y, 25), A.labelled_subset(y, 200)
    assert len(small) == 25 and len(large) == 200 and set(small) <= set(large)
    assert sorted(np.bincount(y[small], minlength=10)) == [2] * 5 + [3] * 5
    assert (np.bincount(y[large]) == 20).all()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"n_labels": 5}, ValueError, r"n_labels must be an integer in \[10, 4000\]"),
        ({"n_labels": 5000}, ValueError, r"n_labels must be an integer in \[10, 4000\]"),
        ({"n_labels": []}, ValueError, "n_labels is empty"),
        ({"n_labels": (10, 10)}, ValueError, "must not repeat"),
        ({"n_labels": "100"}, TypeError, "n_labels must be a whole number or a list"),
        ({"head": (32, 5)}, ValueError, "head must end with 10 outputs"),
        ({"head": ()}, ValueError, "head must be the widths of its Dense layers"),
        ({"fine_tune": "yes"}, TypeError, "fine_tune must be True or False"),
        ({"encoder": "pretrained"}, TypeError, "encoder must be None, an autoencoder"),
        ({"encoder": [nn.Dense(100, 8), nn.ReLU()]}, ValueError, "must take the 784 pixels"),
        ({"encoder": [nn.Conv2D(1, 2, 3)]}, TypeError, "Dense layers and element-wise"),
        ({"lr": 0}, ValueError, r"lr must be a number in \(0, 1\)"),
        ({"n_test": 5}, ValueError, r"n_test must be an integer in \[10, 1000\]"),
        ({"pretrain_noise": 2}, ValueError, r"pretrain_noise must be a number in \[0, 1\]"),
        ({"sizes": (784, 32, 10)}, ValueError, "must end with the input's width"),
    ],
)
def test_bad_arguments_say_what_is_wrong(kwargs, error, match):
    with pytest.raises(error, match=match):
        A.TransferLearning(**kwargs)


def test_encoder_of_wants_an_autoencoder():
    with pytest.raises(TypeError, match="encoder_of takes an autoencoder from build_autoencoder"):
        A.encoder_of(nn.Sequential([nn.Dense(784, 10)]))
