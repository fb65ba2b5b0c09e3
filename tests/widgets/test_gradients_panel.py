import asyncio

import numpy as np

from deepscope.widgets import GradientsPanel


def test_a_and_b_train_and_the_heat_map_holds_every_step():
    p = GradientsPanel(epochs=3)  # no event loop: both train to the end
    a, b = p.runs["A"], p.runs["B"]
    assert len(a.steps) == len(b.steps) == 30
    z = np.asarray(p.heat_fig.trace("norms A")["z"])
    assert z.shape == (21, 30)  # layers (first at the bottom) x steps
    np.testing.assert_allclose(z[:, -1], np.log10(a.grad[-1]), rtol=1e-6)
    assert a.first_to_last() < 1e-3 < 0.1 < b.first_to_last()
    assert "first layer's gradient / last's" in p.message.value
    heads = [x["text"] for x in p.heat_fig.plot_layout["annotations"]]
    assert heads[0].startswith("A: 20 sigmoid layers") and "batch norm, residual" in heads[1]


def test_scrubbing_redraws_that_step_in_one_message_per_figure(messages):
    p = GradientsPanel(epochs=2)
    sent = [messages(f) for f in p.figures]
    p.step = 5
    assert all(len(s) <= 1 for s in sent)
    bars = p.bars_fig.trace("measured |dL/dW| (A)")
    np.testing.assert_allclose(bars["x"], p.runs["A"].grad[5])


def test_a_preset_sets_every_switch_and_an_explosion_is_named():
    p = GradientsPanel(compute=False, preset="exploding: large weights", compare="fewer layers")
    assert (p.activation, p.init, p.depth, p.learning_rate) == ("relu", "normal(0.5)", 10, 0.05)
    p.train()
    assert p.runs["A"].exploded_at is not None
    assert f"A exploded at step {p.runs['A'].exploded_at}" in p.message.value
    assert len(p.runs["B"].steps) > len(p.runs["A"].steps)  # B carried on


def test_it_trains_as_a_task_and_stops():
    async def scenario():
        p = GradientsPanel(compute=False, epochs=200)
        task = p.train()
        await asyncio.sleep(0.3)
        p.stop()
        assert await task == "stopped" and not p.running
        assert 0 < len(p.runs["A"].steps) < 2000

    asyncio.run(scenario())
