"""PlaygroundPanel: the Playground's controls, what resets and what does not, clicks and
edits, your own data, files out and back in, runs compared."""

import asyncio
import json

import numpy as np
import pytest

from deepscope.scenes import playground as scene
from deepscope.widgets import PlaygroundPanel


def _nodes(p):
    return p.net_fig.trace("nodes")


def test_defaults_are_the_playgrounds():
    p = PlaygroundPanel()
    assert (p.dataset, p.learning_rate, p.activation, p.batch_size) == ("circle", 0.03, "tanh", 10)
    assert p.network_shape == [4, 2] and p.features == ["x1", "x2"]
    assert p.train_percent == 50 and p.noise == 0 and p.regularization == "none"
    # 7 input tiles, 4 + 2 neurons and the output, one dot for each of 2*4 + 4*2 + 2 links
    assert len(_nodes(p)["x"]) == 7 + 4 + 2 + 1
    assert len(p.net_fig.trace("link points")["x"]) == 2 * 4 + 4 * 2 + 2
    assert p.experiment.epoch == 0 and "epoch 0" in p.readout.value


def test_play_trains_on_and_reset_starts_again():
    p = PlaygroundPanel(epochs=100, speed=0)
    p.train()
    assert p.experiment.epoch == 100
    before = p.out_fig.trace("map")["z"].copy()
    p.train()  # Play again: on from epoch 100, not from scratch
    assert p.experiment.epoch == 200
    assert not np.array_equal(before, p.out_fig.trace("map")["z"])
    acc = p.experiment.accuracy()
    assert acc[0] > 0.9, "the default network learns the circle in 200 epochs"
    p.reset()
    assert p.experiment.epoch == 0


def test_only_the_learning_rate_keeps_the_network():
    p = PlaygroundPanel(epochs=100, speed=0)
    p.train()
    net = p.experiment.network
    p.learning_rate = 0.1
    assert p.experiment.network is net and p.experiment.epoch == 100
    p.batch_size = 20  # as in the Playground, any other setting is a new network
    assert p.experiment.network is not net and p.experiment.epoch == 0
    assert "new network" in p.message.value


def test_a_learning_rate_changed_while_training_is_used_from_then_on():
    p = PlaygroundPanel(epochs=100000, speed=0)
    seen = []

    async def run():
        p.train()
        for _ in range(400):
            await asyncio.sleep(0.01)
            if p.experiment.epoch > 50:
                break
        p.learning_rate = 0.3
        seen.append(p.experiment.epoch)
        said.append(p.message.value)
        for _ in range(400):
            await asyncio.sleep(0.01)
            if p.experiment.epoch > seen[0] + 50:
                break
        p.stop()

    said = []
    asyncio.run(run())
    assert p.experiment.epoch > seen[0] > 0  # it went on, no reset
    assert not p.running
    assert "Learning rate 0.3 from epoch" in said[0]  # the line says the rate now used


def test_clicking_an_input_toggles_its_feature_and_a_neuron_becomes_the_big_picture():
    p = PlaygroundPanel()
    p._clicked("nodes", {"index": 4})  # X1X2
    assert p.features == ["x1", "x2", "x1x2"]
    assert "on: click to turn it off" in _nodes(p)["customdata"][4]
    p._clicked("nodes", {"index": 0})  # X1 off
    assert p.features == ["x2", "x1x2"]
    p._clicked("nodes", {"index": 7})  # the first hidden neuron
    assert p._shown == (0, 0)
    assert p.out_fig.plot_layout["title"]["text"].startswith("Neuron 1 of layer 1")
    maps = p.experiment.maps()
    np.testing.assert_allclose(p.out_fig.trace("map")["z"], maps[2], rtol=1e-6)
    assert "bias of neuron 1 of layer 1" in p.edit_label.value
    p.edit_value.value = -0.75
    p._set_value()
    assert p.experiment.network.biases(0)[0] == -0.75


def test_typing_a_weight_into_a_link():
    p = PlaygroundPanel()
    p._clicked("link points", {"index": 1})
    layer, node, source = p._link_at[1]
    assert "weight X₂ → neuron 1 of layer 1" in p.edit_label.value
    p.edit_value.value = 3.0
    p._set_value()
    assert p.experiment.network.weights(layer)[node, source] == 3.0
    assert "3.000" in p.net_fig.trace("link points")["customdata"][1]
    line = p.net_fig.plot_layout["shapes"][1]["line"]
    assert line["width"] == pytest.approx(1 + 9 * 3 / 5)  # the Playground's width scale
    assert line["color"] == "rgb(8,119,189)"  # +3 is past +1: the scale's blue end


def test_layer_buttons():
    p = PlaygroundPanel()

    def buttons(group):  # the layers' group (0), or layer k's (k): -, +, label[, activation]
        return p.layer_box.children[group].children

    minus, plus = buttons(0)[:2]
    plus.click()
    assert p.network_shape == [4, 2, 2]
    assert len(_nodes(p)["x"]) == 7 + 4 + 2 + 2 + 1
    buttons(1)[1].click()  # layer 1's +
    assert p.network_shape == [5, 2, 2]
    for _ in range(3):
        buttons(0)[0].click()
    assert p.network_shape == []
    assert buttons(0)[0].disabled  # nothing left to remove
    p.network_shape = [8] * 6
    assert buttons(0)[1].disabled and buttons(1)[1].disabled


def test_problem_and_dataset_follow_each_other_and_the_link_round_trips():
    p = PlaygroundPanel()
    p.problem = "regression"
    assert p.dataset == "reg-plane" and p.experiment.network.activations[-1] == "linear"
    p.dataset = "spiral"
    assert p.problem == "classification"
    q = PlaygroundPanel(query=p.query())
    assert q.state == p.state
    bad = PlaygroundPanel(query="network_shape=4,9&learning_rate=0.5&features=x1,cosx")
    text = bad.message.value
    assert "network_shape" in text and "learning_rate" in text and "features" in text
    assert bad.network_shape == [4, 2]  # the defaults stayed


def test_a_network_that_blows_up_says_so():
    p = PlaygroundPanel(dataset="reg-gauss", learning_rate=10.0, network_shape=[8, 8],
                        epochs=1000, speed=0)  # fmt: skip
    p.train()
    assert "overflowed" in p.message.value and "learning rate" in p.message.value
    dotted = [s for s in p.net_fig.plot_layout["shapes"] if s["line"].get("dash") == "dot"]
    assert dotted  # links whose weight is not a number are drawn grey and dotted


def test_your_own_csv():
    rng = np.random.default_rng(1)
    rows = "\n".join(f"{x:.3f},{y:.3f},{'in' if x * x + y * y < 50 else 'out'}"
                     for x, y in rng.uniform(-12, 12, (120, 2)))  # fmt: skip
    p = PlaygroundPanel(epochs=100, speed=0)
    p.files.load_csv("x,y,where\n" + rows, "rings.csv")
    assert p.dataset == scene.OWN and p.problem == "classification"
    e = p.experiment
    assert len(e.train_points) + len(e.test_points) == 120
    assert np.abs(e.train_points).max() <= scene.DOMAIN
    assert "scaled by 0.5" in p.message.value and "rings.csv" in p.message.value
    p.train()
    assert p.experiment.epoch == 100
    p.files.load_csv("x,y,c\n1,2,a\n1,2,b\n3,4,c\n", "three.csv")
    assert "three.csv" in p.message.value and "class" in p.message.value
    assert p.experiment is e  # nothing changed
    regression = "\n".join(f"{x:.2f},{y:.2f},{x + y:.2f}" for x, y in rng.uniform(-5, 5, (300, 2)))
    p.files.load_csv(regression)
    assert p.problem == "regression" and p.experiment.network.activations[-1] == "linear"


def test_export_and_import_back():
    p = PlaygroundPanel(features=["x1", "x2", "x1x2"], network_shape=[3], epochs=100, speed=0)
    p.train()
    p.files.export("JSON")
    text = p.files.export_text.value
    assert json.loads(text)["features"] == ["x1", "x2", "x1x2"]
    assert "download='network.json'" in p.files.export_link.value
    for kind in ("deepscope.nn code", "PyTorch code", "Keras code"):
        p.files.export(kind)
        compile(p.files.export_text.value, kind, "exec")
    q = PlaygroundPanel()
    q.files.import_weights("network.json", text.encode())
    assert q.features == ["x1", "x2", "x1x2"] and q.network_shape == [3]
    grid = q.experiment.grid
    np.testing.assert_array_equal(q.experiment.network.predict(grid),
                                  p.experiment.network.predict(grid))  # fmt: skip
    q.files.import_weights("broken.json", b"{not json")
    assert "broken.json" in q.message.value


def test_snapshot_then_branch_and_rewind():
    p = PlaygroundPanel(epochs=100, speed=0)
    p.train()
    p.compare.snapshot()
    weights = p.experiment.network.W.copy()
    p.learning_rate = 1.0
    p.reset()  # the same seed: the same starting weights
    p.train()
    assert p.experiment.epoch == 100
    p.compare.draw()
    assert len(p.compare.fig.trace("snapshot")["x"]) == 101
    assert not np.array_equal(p.experiment.network.W, weights)
    p.compare.rewind()
    assert p.learning_rate == 0.03 and p.experiment.epoch == 100
    np.testing.assert_array_equal(p.experiment.network.W, weights)
    p.train()  # a branch from the snapshot
    assert p.experiment.epoch == 200


@pytest.mark.parametrize("speed", [60, 6000])
def test_paced_runs_take_their_time(speed):
    """A paced run yields one epoch at a time to the runner (60/s) or a few (6000/s)."""
    p = PlaygroundPanel(speed=speed)
    p.live_pace = speed
    t = p.start_training()
    first = next(t.events)
    assert first.kind == "epoch" and p.experiment.epoch == max(1, speed // 200)


def test_the_search_tab_grid_then_random_points_on_the_same_map():
    p = PlaygroundPanel(dataset="xor")
    tab = p.search
    tab.folds.value, tab.epochs.value = 3, 50
    tab.start()  # no event loop: runs to the end
    grid = tab.fig.trace("grid")
    assert np.asarray(grid["z"]).shape == (8, 8)  # neurons x learning rates
    assert "finished: 192 of 192 fits" in tab.status.value
    best = tab.search.result.best_point
    bx, by = tab.fig.trace("best")["x"][0], tab.fig.trace("best")["y"][0]
    assert (tab.grid.axes["learning_rate"][bx], tab.grid.axes["neurons"][by]) == (
        best["learning_rate"],
        best["neurons"],
    )
    assert best["learning_rate"] >= 0.03  # 0.001 is far too slow for 50 epochs
    tab.method.value, tab.n.value = "random", 10
    tab.start()
    xs = np.asarray(tab.fig.trace("searched")["x"])
    assert len(xs) == 10 and ((0 <= xs) & (xs <= 7)).all()  # between the grid's ticks
    tab.y.value = "learning_rate"
    tab.start()
    assert "two different settings" in p.message.value


def test_presets_early_stopping_normalising_and_a_layers_own_activation():
    p = PlaygroundPanel(speed=0, epochs=10000)
    p.apply_preset("overfitting, cured by early stopping")
    assert (p.dataset, p.train_percent, p.network_shape) == ("xor", 10, [8, 8, 8])
    assert p.speed == 0 and p.epochs == 10000  # the teacher's pace stays
    p.train()
    e = p.experiment
    assert 0 < e.epoch < 10000 and "Early stopping at epoch" in p.message.value
    assert len(e.val_points) == 10 and "10 points held out" in p.readout.value
    best = int(np.nanargmin(e.validation))
    assert p.loss_fig.plot_layout["shapes"][0]["x0"] == best
    assert len(p.out_fig.trace("validation points")["x"]) == 10
    p.layer_box.children[1].children[3].value = "relu"  # layer 1's own activation
    assert p.layer_activations == ["relu", "", ""]
    assert p.layer_box.children[1].children[3].value == "relu"  # rebuilt, still shown
    assert p.experiment.network.activations == ("relu", "tanh", "tanh", "tanh")
    p.normalize = "z-score"
    np.testing.assert_allclose(p.experiment.X_train.std(axis=0), 1)
    p.layer_activations = ["bogus"]
    assert "not activations" in p.message.value
    with pytest.raises(ValueError, match="preset must be one of"):
        p.apply_preset("nope")


def test_universal_approximation_shows_each_units_part():
    p = PlaygroundPanel(speed=0, epochs=1000)
    p.apply_preset("universal approximation: a sine from 6 tanh units")
    assert p.problem == "regression" and p.out_fig.layout.display == "none"
    p.train()
    fig = p.curve_fig
    parts = [np.asarray(fig.trace(f"unit {j}")["y"]) for j in range(1, 7)]
    assert fig.trace("unit 7")["visible"] is False
    bias = p.experiment.network.biases(1)[0]
    np.testing.assert_allclose(sum(parts) + bias, fig.trace("network")["y"], atol=1e-9)
    target, out = np.asarray(fig.trace("target")["y"]), np.asarray(fig.trace("network")["y"])
    assert np.abs(target - out).mean() < 0.2  # 6 units make a sine
    assert "the 6 units' parts" in fig.plot_layout["title"]["text"]
    p.dataset = "circle"
    assert p.out_fig.layout.display is None and p.curve_fig.layout.display == "none"


def test_beyond_the_playground_classes_losses_optimizers_dropout_batch_norm():
    from deepscope.scenes.playground_nn import NNNetwork

    p = PlaygroundPanel(speed=0, epochs=100)
    assert p.controls["classes"].layout.display == "none"  # only for the multi-class sets
    p.dataset = "blobs"
    assert p.controls["classes"].layout.display is None
    assert isinstance(p.experiment.network, NNNetwork) and p.experiment.k == 3
    assert len(_nodes(p)["x"]) == 7 + 4 + 2 + 3  # three outputs
    p.loss = "cross-entropy"
    p.train()
    assert p.experiment.accuracy()[1] > 0.9
    assert p.out_fig.plot_layout["title"]["text"].startswith("The most likely class")
    colors = p.out_fig.trace("training points")["marker"]["color"]
    assert set(colors) == {"#f59322", "#0877bd", "#2ca02c"}
    assert "output 3 (class 2)" in _nodes(p)["customdata"][-1]
    p.state = {"dataset": "circle", "optimizer": "adam", "dropout": 0.2, "batch_norm": True}
    net = p.experiment.network
    assert (net.optimizer_name, net.dropout, net.batch_norm) == ("adam", 0.2, True)
    p.train()
    assert p.experiment.accuracy()[1] > 0.85
    p.state = {"optimizer": "sgd", "dropout": 0.0, "batch_norm": False, "loss": "squared"}
    assert not isinstance(p.experiment.network, NNNetwork)  # the Playground's own again
