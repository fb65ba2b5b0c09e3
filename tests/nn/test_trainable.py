"""Freezing layers (``layer.trainable = False``): frozen parameters never move, on the
compiled epoch and the step-by-step path, in every optimizer, penalties and clipping on."""

import numpy as np
import pytest

from deepscope import nn

OPTIMIZERS = {
    "sgd": lambda m: nn.SGD(m, lr=0.1, weight_decay=0.01, l1=0.001),
    "momentum": lambda m: nn.SGD(m, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
    "adam": lambda m: nn.Adam(m, lr=0.01, weight_decay=0.01, penalize="all"),
    "rmsprop": lambda m: nn.RMSprop(m, lr=0.01, weight_decay=0.01, l1=0.001),
    "adagrad": lambda m: nn.Adagrad(m, lr=0.1, weight_decay=0.01, penalize="all"),
    "prune": lambda m: nn.SGD(m, lr=0.1, l1=0.01, l1_prune=True),
}


def data(n=96, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4)).astype(np.float32)
    y = (np.sin(X[:, :1]) + X[:, 1:2] * X[:, 2:3]).astype(np.float32)
    return X, y


def mlp(seed=0):
    return nn.Sequential(
        [nn.Dense(4, 8), nn.Tanh(), nn.Dense(8, 8), nn.ReLU(), nn.Dense(8, 1)], seed=seed
    )


def params_of(layer):
    return {k: v.copy() for k, v in layer.params.items()}


def assert_same(before, layer):
    for k, v in before.items():
        np.testing.assert_array_equal(layer.params[k], v, err_msg=k)  # bit for bit


def assert_moved(before, layer):
    assert any(not np.array_equal(layer.params[k], v) for k, v in before.items())


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("compiled", [True, False])
@pytest.mark.parametrize("which", [0, 2])  # the first layer (no backward below it) or inner
def test_frozen_layers_do_not_move_in_any_optimizer(name, compiled, which):
    X, y = data()
    model = mlp()
    model.layers[which].trainable = False
    frozen = params_of(model.layers[which])
    others = [params_of(layer) for layer in model.layers if layer.params]
    opt = OPTIMIZERS[name](model)
    trainer = nn.Trainer(model, X, y, nn.MSELoss(), opt, batch_size=16, compiled=compiled,
                         clip_norm=1.0, clip_value=0.5)  # fmt: skip
    assert trainer.compiled is compiled
    for _ in range(3):
        assert trainer.epoch().kind == "epoch"
    assert_same(frozen, model.layers[which])
    for before, layer in zip(others, [x for x in model.layers if x.params]):
        if layer is not model.layers[which]:
            assert_moved(before, layer)
    assert opt.frozen[0].sum() == model.layers[which].num_parameters()
    s1, s2 = opt.state[0]  # the optimizer's state of frozen entries stays at zero
    assert not s1[opt.frozen[0]].any() and not s2[opt.frozen[0]].any()


def test_compiled_and_step_paths_agree_with_a_frozen_layer():
    X, y = data()
    runs = []
    for compiled in (True, False):
        model = mlp()
        model.layers[2].trainable = False
        trainer = nn.Trainer(model, X, y, nn.MSELoss(), nn.Adam(model, lr=0.01), batch_size=16,
                             compiled=compiled)  # fmt: skip
        trainer.epoch()
        trainer.epoch()
        runs.append(model.theta.copy())
    np.testing.assert_allclose(runs[0], runs[1], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("compiled", [True, False])
def test_freezing_between_fits_takes_effect_and_unfreezing_resumes(compiled):
    X, y = data()
    model = mlp()
    opt = nn.SGD(model, lr=0.05, momentum=0.9, weight_decay=0.01)
    trainer = nn.Trainer(model, X, y, nn.MSELoss(), opt, batch_size=16, compiled=compiled)
    trainer.epoch()  # some training: momentum buffers now non-zero
    model.layers[0].trainable = False
    before = params_of(model.layers[0])
    trainer.epoch()
    trainer.epoch()
    assert_same(before, model.layers[0])
    # a fresh Trainer on the same optimizer, as a second fit() would make
    nn.fit(model, X, y, nn.MSELoss(), opt, epochs=2, batch_size=16)
    assert_same(before, model.layers[0])
    model.layers[0].trainable = True
    trainer.epoch()
    assert_moved(before, model.layers[0])
    assert not opt.frozen[0].any()


def test_optimizer_step_reads_trainable_at_every_step():
    X, y = data(16)
    model = mlp()
    opt = nn.Adam(model, lr=0.01, weight_decay=0.1)
    loss = nn.MSELoss()
    for i in range(4):
        model.layers[4].trainable = i % 2 == 0  # frozen on odd steps
        before = params_of(model.layers[4])
        loss.forward(model.forward(X), y)
        model.backward(loss.backward())
        opt.step()
        (assert_moved if i % 2 == 0 else assert_same)(before, model.layers[4])


def test_frozen_gradients_are_zero_after_backward_and_the_input_gradient_flows():
    X, y = data(16)
    model = mlp()
    model.layers[2].trainable = False
    loss = nn.MSELoss()
    loss.forward(model.forward(X), y)
    dx = model.backward(loss.backward())
    assert not model.layers[2].grads["W"].any() and not model.layers[2].grads["b"].any()
    assert model.layers[0].grads["W"].any() and np.abs(dx).sum() > 0  # through the frozen one
    assert not model.grad[~model.trainable_mask()].any()
    assert nn.grad_norm(model) == pytest.approx(
        np.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in model.gradients()))
    )


def test_diagnostics_show_no_gradient_and_no_update_for_a_frozen_layer():
    X, y = data()
    model = mlp()
    model.layers[0].trainable = False
    history = nn.fit(model, X, y, nn.MSELoss(), nn.Adam(model, lr=0.01), epochs=1,
                     batch_size=32, diagnostics=True)  # fmt: skip
    diag = history.diagnostics[-1]
    assert diag["grad_norm"][0] == 0 and diag["update_ratio"][0] == 0
    assert diag["grad_norm"][1] > 0 and diag["update_ratio"][1] > 0
    assert history.norms[-1][0, 0] == 0  # |dW| of the frozen layer in the epoch's norms


def test_a_residual_block_freezes_whole_and_its_own_flags_come_back():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(64, 4)).astype(np.float32)
    y = rng.normal(size=(64, 1)).astype(np.float32)
    block = nn.Residual([nn.Dense(4, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dense(4, 4)])
    model = nn.Sequential([nn.Dense(4, 4), block, nn.Dense(4, 1)], seed=0)
    block.trainable = False
    assert model.frozen_layers() == [block.layers[0], block.layers[1], block.layers[3]]
    before = [params_of(layer) for layer in block.layers]
    head = params_of(model.layers[2])
    nn.fit(model, X, y, nn.MSELoss(), nn.RMSprop(model, lr=0.01, weight_decay=0.1), epochs=2)
    for b, layer in zip(before, block.layers):
        assert_same(b, layer)
    assert_moved(head, model.layers[2])
    block.trainable = True
    assert model.frozen_layers() == [] and model.num_trainable_parameters() == model.theta.size


def test_frozen_conv_and_weightnorm_layers_on_the_step_path():
    rng = np.random.default_rng(2)
    X = rng.random((24, 1, 6, 6)).astype(np.float32)
    y = rng.integers(0, 3, 24)
    conv = nn.Conv2D(1, 2, 3)
    wn = nn.WeightNorm(nn.Dense(32, 8))
    model = nn.Sequential([conv, nn.ReLU(), nn.Flatten(), wn, nn.Tanh(), nn.Dense(8, 3)])
    conv.trainable = wn.trainable = False
    before = [params_of(conv), params_of(wn)]
    head = params_of(model.layers[5])
    nn.fit(model, X, y, nn.CrossEntropyLoss(), nn.SGD(model, lr=0.1, momentum=0.5,
           weight_decay=0.1), epochs=2, batch_size=8, clip_norm=0.5)  # fmt: skip
    assert_same(before[0], conv) and assert_same(before[1], wn)
    assert_moved(head, model.layers[5])


def test_summary_marks_frozen_layers_and_state_dict_is_unaffected():
    model = mlp()
    state = model.state_dict()
    model.set_trainable(False, slice(0, 3))
    text = model.summary((4,))
    lines = text.splitlines()
    assert "frozen" in lines[1] and "frozen" in lines[3] and "frozen" not in lines[5]
    n_frozen = 4 * 8 + 8 + 8 * 8 + 8
    assert f"trainable parameters: {model.theta.size - n_frozen:,}, frozen: {n_frozen:,}" in text
    assert model.num_trainable_parameters() == model.theta.size - n_frozen
    assert model.state_dict().keys() == state.keys()
    fresh = mlp(seed=5)
    fresh.load_state_dict(model.state_dict())  # trainable is not saved
    assert fresh.frozen_layers() == [] and "frozen" not in fresh.summary()
    model.set_trainable(True)
    assert "frozen" not in model.summary()


def test_bad_trainable_values_and_set_trainable_arguments():
    model = mlp()
    with pytest.raises(TypeError, match="trainable must be True or False"):
        model.layers[0].trainable = "no"
    with pytest.raises(IndexError, match="out of range for 5 layers"):
        model.set_trainable(False, [7])
    with pytest.raises(ValueError, match="is not a layer of this model"):
        model.set_trainable(False, [nn.Dense(2, 2)])
    with pytest.raises(TypeError, match="indices, a slice or Layer objects"):
        model.set_trainable(False, ["0"])
    model.set_trainable(False, [model.layers[0], -1])
    assert model.frozen_layers() == [model.layers[0], model.layers[4]]


def test_pruned_weights_stay_pruned_through_a_freeze():
    X, y = data()
    model = mlp()
    opt = nn.SGD(model, lr=0.1, l1=0.05, l1_prune=True)
    nn.fit(model, X, y, nn.MSELoss(), opt, epochs=3, batch_size=16)
    pruned = opt.pruned[0].copy()
    assert pruned.any()
    model.layers[0].trainable = False
    nn.fit(model, X, y, nn.MSELoss(), opt, epochs=1, batch_size=16)
    assert (opt.pruned[0] >= pruned).all()  # a frozen pruned weight still reads pruned
    model.layers[0].trainable = True
    nn.fit(model, X, y, nn.MSELoss(), opt, epochs=1, batch_size=16)
    assert (opt.pruned[0] >= pruned).all() and not model.theta[pruned].any()
