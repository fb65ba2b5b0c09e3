import asyncio
import json

import numpy as np
import plotly.graph_objects as go
import pytest

from deepscope.widgets import LandscapePanel


def test_landscape_panel_trains_computes_and_replays():
    panel = LandscapePanel(resolution=21, epochs=20)  # no event loop: trains to the end
    assert not panel.running and panel.training_bar.progress.value == 1.0
    contour = panel.fig.trace("loss")
    assert np.asarray(contour["z"]).shape == (21, 21) and np.isfinite(contour["z"]).all()
    path = panel.fig.trace("training path (projected)")
    assert len(path["x"]) == len(panel.run.thetas)
    panel.controls["step"].slider.value = 3
    now = panel.fig.trace("now")
    assert (now["x"][0], now["y"][0]) == pytest.approx(tuple(panel.path[3]))
    assert panel.state["step"] == 3
    panel.batch_size = 10
    assert "press <b>Train</b>" in panel.message.value
    state = json.loads(json.dumps(panel.state))
    assert LandscapePanel(compute=False, **state).state == state
    go.Figure(data=panel.fig.traces, layout=panel.fig.plot_layout)  # valid plotly


def test_each_optimizer_brings_a_rate_that_suits_it():
    panel = LandscapePanel(compute=False)
    panel.optimizer = "adam"
    assert panel.learning_rate == 0.02
    panel.train()
    assert panel.run.losses[-1] < panel.run.losses[0]
    # a rate given with the optimizer (a lesson's state, a link) wins
    other = LandscapePanel(compute=False, optimizer="adam", learning_rate=0.3)
    assert other.learning_rate == 0.3


def test_training_runs_as_a_task_that_yields_and_stops():
    async def scenario():
        panel = LandscapePanel(compute=False, batch_size=10, epochs=300, resolution=21)
        task = panel.train()
        assert isinstance(task, asyncio.Task) and panel.running and not task.done()
        while len(panel.run.epoch_losses) < 2:  # the loop gets control back between chunks
            await asyncio.sleep(0.01)
        panel.learning_rate = 0.01  # applies to the running optimizer
        assert panel.run.optimizer.lr == 0.01
        panel.pause()
        await asyncio.sleep(0.05)
        held = len(panel.run.epoch_losses)
        await asyncio.sleep(0.1)
        assert len(panel.run.epoch_losses) == held and panel.paused
        panel.resume()
        await asyncio.sleep(0.05)
        panel.stop()
        reason = await task
        assert reason == "stopped" and not panel.running
        assert len(panel.run.epoch_losses) < 300
        assert "Stopped after" in panel.message.value
        assert "before the landscape" in panel.fig.plot_layout["title"]["text"]
        assert "Learning rate changed" not in panel.message.value  # said after a whole run
        assert panel.run.optimizer.lr == 0.01
        panel.optimizer = "adam"  # not running: Adam brings its rate for the next run
        assert panel.learning_rate == 0.02

    asyncio.run(scenario())


def test_step_one_epoch_then_pause():
    panel = LandscapePanel(compute=False, epochs=30, resolution=21)
    panel.step_epoch()
    assert panel.running and panel.paused and len(panel.run.epoch_losses) == 1
    panel.step_epoch()
    assert len(panel.run.epoch_losses) == 2
    assert panel.training_bar.label.value.startswith("epoch 2 of 30")
    panel.stop()
    assert not panel.running
