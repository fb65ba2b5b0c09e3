import asyncio
import time

from deepscope.nn import Event
from deepscope.widgets.live import Runner


def epochs(n, steps=3):
    for e in range(1, n + 1):
        for s in range(steps):
            yield Event("step", e - 1, (e - 1) * steps + s, 1.0)
        yield Event("epoch", e, e * steps - 1, 1.0 / e)


def make(events):
    seen, draws, done = [], [], []
    runner = Runner(events, seen.append, lambda: draws.append(len(seen)), done.append, fps=20)
    return runner, seen, draws, done


def test_without_a_loop_it_runs_to_the_end_and_draws_once_more():
    runner, seen, draws, done = make(epochs(50))
    assert runner.run_to_end() == "finished"
    assert len(seen) == 200 and done == ["finished"]
    assert draws[-1] == 200 and len(draws) < 20  # at most ~20 frames a second, and the last


def test_a_divergence_ends_it_and_an_error_is_reported_not_raised():
    after = []

    def diverging():  # like nn.Trainer.events: the stream ends after the divergence...
        yield from epochs(2)
        yield Event("diverged", 3, 8, float("nan"))
        after.append("its own work after it")  # ...and what follows it still runs

    runner, seen, _, done = make(diverging())
    assert runner.run_to_end() == "diverged" and seen[-1].kind == "diverged" and after

    cleaned = []

    def endless():
        try:
            yield from epochs(10**6)
        finally:
            cleaned.append(True)

    runner, *_ = make(endless())
    runner.step_now()
    runner.stop()
    runner.finish("stopped")
    assert cleaned, "a stopped stream is closed: its cleanup runs"

    def bad_draw():
        raise ValueError("cannot draw")

    runner = Runner(epochs(2), lambda e: None, bad_draw, done.append)
    assert (
        runner.run_to_end().startswith("error: ValueError")
        and done[-1] == "error: ValueError: cannot draw"
    )

    def broken():
        yield from epochs(1)
        raise RuntimeError("boom")

    runner, _, _, done = make(broken())
    assert asyncio.run(runner.run()) == "error: RuntimeError: boom" and done == [done[0]]


def test_as_a_task_it_yields_pauses_steps_and_stops():
    async def scenario():
        slow = (e for e in epochs(10**6))
        runner, seen, _, done = make(slow)
        task = asyncio.get_running_loop().create_task(runner.run())
        await asyncio.sleep(0.05)
        assert seen and not task.done()  # the loop came back while it runs
        runner.pause()
        await asyncio.sleep(0.02)
        held = len(seen)
        await asyncio.sleep(0.05)
        assert len(seen) == held
        runner.step()  # one epoch, then paused again
        await asyncio.sleep(0.05)
        assert seen[-1].kind == "epoch" and len(seen) > held
        runner.resume()
        await asyncio.sleep(0.02)
        runner.stop()
        assert await task == "stopped" and done == ["stopped"]

    asyncio.run(scenario())


def test_a_paced_run_keeps_to_its_epochs_a_second():
    async def scenario():
        runner, seen, _, _ = make(epochs(10**6, steps=0))
        runner.pace = 50.0
        task = asyncio.get_running_loop().create_task(runner.run())
        await asyncio.sleep(0.3)
        runner.stop()
        await task
        return len(seen), time.perf_counter() - runner._started

    done, elapsed = asyncio.run(scenario())
    assert 0 < done <= 50 * elapsed + 2  # flat out it would do hundreds of thousands


def test_a_job_row_runs_a_job_as_a_task_and_stop_ends_it():
    from deepscope.widgets.live import JobRow

    def job():
        for k in range(10_000):
            time.sleep(0.001)
            yield Event("progress", 0, 0, 0.0, {"done": k, "total": 10_000, "what": "fits"})

    row, ended, seen = JobRow("Run"), [], []

    def done(reason):  # the status is written while the button is still held
        ended.append((reason, row.go.disabled))

    async def run():
        row.run(job(), seen.append, lambda: None, done)
        assert row.running and row.go.disabled and not row.halt.disabled
        row.run(job(), seen.append, lambda: None, done)  # a second press: ignored
        await asyncio.sleep(0.2)
        row.halt.click()
        await row.task

    asyncio.run(run())
    assert ended == [("stopped", True)] and 0 < len(seen) < 10_000
    assert not row.running and not row.go.disabled and row.halt.disabled
