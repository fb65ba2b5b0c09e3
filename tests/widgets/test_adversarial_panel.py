import asyncio

import numpy as np
import pytest

from deepscope.scenes import adversarial as scene
from deepscope.widgets import AdversarialPanel
from deepscope.widgets.adversarial import PLANE_TAB


@pytest.fixture(scope="module")
def trained():
    panel = AdversarialPanel()  # no event loop: trains A, B and the sweeps to the end
    assert panel.trained == "cnn" and not panel.running
    return panel


def heads(panel):
    return [a["text"] for a in panel.attack_fig.plot_layout["annotations"]]


def test_it_trains_then_shows_the_attack_and_the_sweep(trained):
    p = trained
    assert "of 100 held-out images right" in p.message.value
    assert p.sweeps["fgsm"].clean_accuracy > 0.85
    fgsm, pgd = p.attack_fig.trace("FGSM"), p.attack_fig.trace("PGD")
    assert len(fgsm["x"]) == 13 and np.all(np.asarray(pgd["y"]) <= np.asarray(fgsm["y"]) + 1e-9)
    # the picture is the replay's last iterate; the perturbation is its difference
    r = p.replay
    assert p.step == len(r.images) - 1 == p.steps
    z = np.asarray(p.attack_fig.trace("perturbation")["z"])
    np.testing.assert_allclose(z, r.images[-1, 0, 0] - r.images[0, 0, 0], atol=1e-6)
    assert f"L∞ {r.linf[-1, 0]:.3f}" in heads(p)[1]
    assert "fools B (never seen)" in p.transfer_text.value


def test_a_move_of_eps_is_one_message_per_figure(trained, messages):
    p = trained
    sent, plane = messages(p.attack_fig), messages(p.plane_fig)
    p.eps = 0.15
    assert sent == ["update"] and plane == []  # the 2-D view does not move with the digits
    marker = p.attack_fig.trace("ε now")
    assert marker["x"] == [0.15]
    s = p.sweeps["pgd"]
    assert marker["y"][0] == pytest.approx(np.interp(0.15, s.eps, s.accuracy))
    assert p.replay.linf[-1].max() <= 0.15 + 1e-6
    p.eps = 0.1


def test_each_attack_shows_its_own_controls_and_replays(trained):
    p = trained
    p.method = "fgsm"
    assert len(p.replay.images) == 2 and "one FGSM step" in heads(p)[2]
    assert p.controls["steps"].layout.display == "none"
    p.method = "patch"
    assert p.alpha == 0.1 and p.steps >= 40 and p.controls["eps"].layout.display == "none"
    assert p.controls["patch_size"].layout.display is None
    changed = np.abs(p.replay.images[-1] - p.replay.images[0]) > 0
    s, r, c = p.patch_size, p.patch_row, p.patch_col
    assert not changed[..., r + s :, :].any() and not changed[..., :, c + s :].any()
    assert p.attack_fig.plot_layout["shapes"][0]["xref"] == "x3"  # the patch outlined
    p.step = 0  # Play's first frame: nothing changed yet
    assert (
        "reads" in heads(p)[4]
        and np.abs(np.asarray(p.attack_fig.trace("perturbation")["z"])).max() == 0
    )
    p.method = "targeted"
    assert p.alpha == 0.02 and p.steps == 10
    p.target = 7
    assert p.replay.probabilities[-1, 0, 7] > p.replay.probabilities[0, 0, 7]
    p.method = "pgd"


def test_bad_settings_say_what_is_allowed(trained):
    p = trained
    p.method = "patch"
    p.patch_row = 26
    assert "must fit in the 28×28 image" in p.message.value
    p.patch_row = 2
    p.method = "pgd"
    assert "⚠" not in p.message.value
    other = AdversarialPanel(compute=False, network="xo", method="targeted", target=5)
    assert "target class must be 0..1 for the X / O CNN (O, X); got 5" in other.message.value


def test_the_2d_view_is_computed_when_its_tab_is_first_shown(messages):
    p = AdversarialPanel(compute=False, plane="xor")
    plane = messages(p.plane_fig)
    p.refresh()
    assert p._plane is None and plane == []  # hidden: its network is not trained
    p.plane = "gauss"  # moved while hidden: still nothing
    assert p._plane is None and plane == []
    p.tabs.selected_index = PLANE_TAB
    assert p._plane[0] == "gauss" and plane == ["update"]
    assert np.shape(p.plane_fig.trace("decision")["z"]) == (81, 81)
    p.plane_eps = 0.5  # open: it follows its settings
    assert p._plane_attack is not None and plane == ["update", "update"]


def test_the_2d_point_follows_a_click_and_the_attack_crosses():
    p = AdversarialPanel(compute=False, plane="circle", plane_eps=2.0)
    p.tabs.selected_index = PLANE_TAB  # a click comes from the figure on screen
    p.plane_fig._custom_msg(None, {"event": "click", "points": [
        {"trace": "decision", "x": 0.5, "y": 0.5, "z": 0.9, "index": 0}]}, [])  # fmt: skip
    assert (p.point_x, p.point_y) == (0.5, 0.5)
    point = p.plane_fig.trace("the point")
    assert list(point["x"]) == [0.5]
    assert "cross the boundary" in p.plane_fig.plot_layout["title"]["text"]
    shape = p.plane_fig.plot_layout["shapes"][0]
    assert (shape["x0"], shape["x1"]) == pytest.approx((-1.5, 2.5))
    path = np.c_[p.plane_fig.trace("PGD path")["x"], p.plane_fig.trace("PGD path")["y"]]
    assert np.abs(path - [0.5, 0.5]).max() <= 2.0 + 1e-5  # inside the square


def test_the_defence_needs_a_trained_network_then_helps():
    p = AdversarialPanel(compute=False, network="xo", epochs=2)
    p.train_defence()
    assert "Train the network first" in p.message.value and not p.defence
    p.train()
    p.train_defence()
    before, after = p.sweeps["pgd"], p.defence["pgd"]
    assert "Defended" in p.message.value
    assert after.accuracy.mean() >= before.accuracy.mean()
    assert len(p.defence_fig.trace("after adversarial training, PGD")["x"]) == 13
    assert isinstance(p.defended, type(p.model)) and p.defended is not p.model


def test_training_yields_and_stops():
    async def scenario():
        p = AdversarialPanel(compute=False, epochs=20)
        task = p.train()
        assert isinstance(task, asyncio.Task) and p.running
        await asyncio.sleep(0.5)
        p.stop()
        assert await task == "stopped" and not p.running and not p.trained
        assert "Stopped" in p.message.value

    asyncio.run(scenario())


def test_a_new_network_waits_for_train(trained):
    p = AdversarialPanel(compute=False)
    p.network = "mlp"
    assert "Press <b>Train</b> to train the MLP on digits" in p.message.value
    assert isinstance(p.model.layers[0], type(scene.build_classifier("mlp", p.data).layers[0]))


def test_a_drawing_is_attacked_as_the_network_reads_it(trained):
    p = trained
    stroke = np.zeros((28, 28))
    stroke[4:24, 13:15] = 1.0  # a one, roughly
    p.source = "drawing"
    assert p.controls["canvas"].layout.display is None
    assert p.controls["image"].layout.display == "none"
    p.canvas.pixels = stroke.ravel().tolist()
    read = int(np.argmax(p.replay.probabilities[0, 0]))
    assert heads(p)[0] == f"your drawing (read as {read})"
    np.testing.assert_allclose(p.replay.images[0, 0, 0], stroke, atol=1e-6)
    p.source = "test image"


def test_while_it_trains_the_network_stays_and_a_stop_lets_a_new_run_start_at_once():
    async def scenario():
        p = AdversarialPanel(compute=False, epochs=20)
        first = p.train()
        await asyncio.sleep(0.2)
        p.network = "mlp"  # for the next Train: this one keeps its CNN
        assert p.trained_as == "cnn" and type(p.model.layers[0]).__name__ == "Conv2D"
        assert p.train_defence() is first  # a second run is not queued behind this one
        p.stop()
        assert not p.running  # at once, not at the task's next turn
        second = p.train()  # a lesson's next step trains right away
        assert second is not first and p.running and p.trained_as == "mlp"
        p.stop()
        assert await first == "stopped" and await second == "stopped"
        assert p._mode == "classifier"

    asyncio.run(scenario())


def test_a_step_from_a_link_stays_and_a_new_attack_shows_its_result():
    p = AdversarialPanel.from_query("step=3&eps=0.2", compute=False)
    assert p.step == 3 and "3 of 10 steps" in heads(p)[2]
    p.eps = 0.25  # the attack changes: its result, the last iterate
    assert p.step == 10
