"""Live training that never blocks the kernel.

A scene trains by yielding ``nn.Event``s (a step, an epoch, a chunk of other work as
"progress", a divergence). ``Runner`` drives such a generator as an asyncio task on the
kernel's own event loop: it pulls events for a few tens of milliseconds, hands each to the
panel, redraws at most ``fps`` times a second, then yields, so a slider, Pause or Stop reaches
Python between two chunks. Where no loop runs (a plain script, a test) it runs to the end.
``TrainingBar`` is the row of buttons and the progress bar every training panel shows.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator

import ipywidgets as W

from ..nn import Event
from .theme import MUTED

EPOCH_KINDS = ("epoch", "diverged", "stopped")


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The event loop running now (ipykernel's, Voila's), or None in a plain script."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Runner:
    """Drives ``events`` (an iterator of nn.Event): ``handle(event)`` for each one,
    ``draw()`` at most ``fps`` times a second and once at the end, ``done(reason)`` at the end
    with reason "finished", "stopped", "diverged" or "error: ...".

    ``pause()``, ``resume()``, ``stop()`` and ``step()`` (one epoch, then paused) may be called
    from any widget callback while the task runs.
    """

    def __init__(
        self,
        events: Iterator[Event],
        handle: Callable[[Event], None],
        draw: Callable[[], None],
        done: Callable[[str], None],
        fps: float = 20.0,
        chunk_s: float = 0.04,
        pace: float | None = None,
    ):
        self.events = iter(events)
        self.handle, self.draw, self.done = handle, draw, done
        self.interval = 1.0 / fps
        self.chunk_s = chunk_s
        self.pace = pace  # epochs a second at most (None: as fast as it goes)
        self._epochs = 0
        self._started = time.perf_counter()
        self.paused = False
        self.stopped = False
        self.finished = False
        self.draws = 0
        self._last_draw = 0.0
        self._wake: asyncio.Event | None = None
        self._epochs_to_step = 0
        self._reason = "finished"

    # control ----------------------------------------------------------------------------
    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        self._epochs_to_step = 0
        if self.pace:  # the pace counts from here: time paused is not time to catch up
            self.set_pace(self.pace)
        self._poke()

    def stop(self) -> None:
        self.stopped = True
        self._poke()

    def set_pace(self, pace: float | None) -> None:
        """A new pace (epochs a second; None: as fast as it goes) from now on."""
        self.pace = pace
        self._epochs = 0
        self._started = time.perf_counter()

    def step(self) -> None:
        """Run one more epoch, then stay paused."""
        self.paused = True
        self._epochs_to_step += 1
        self._poke()

    def _poke(self) -> None:
        if self._wake is not None:
            self._wake.set()

    # running ----------------------------------------------------------------------------
    def _advance(self, budget_s: float) -> bool:
        """Pull events for about ``budget_s`` seconds (or up to an epoch when stepping);
        False when the iterator is exhausted or training ended."""
        t_end = time.perf_counter() + budget_s
        while True:
            try:
                event = next(self.events)
            except StopIteration:
                return False
            self.handle(event)
            if event.kind in ("diverged", "stopped"):  # the stream ends soon after: let it
                self._reason = event.kind  # finish its own work (a path, a restore)
                continue
            if event.kind == "epoch":
                self._epochs += 1
                if self._epochs_to_step:
                    self._epochs_to_step -= 1
                    return True
                if self.pace and self._ahead() > 0:
                    return True
            if self.paused and not self._epochs_to_step:
                return True
            if time.perf_counter() >= t_end:
                return True

    def _ahead(self) -> float:
        """Seconds this run is ahead of its pace."""
        return self._epochs / self.pace - (time.perf_counter() - self._started)

    def _maybe_draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now - self._last_draw >= 0.9 * self.interval:  # a frame almost due: now
            self._last_draw = now
            self.draws += 1
            self.draw()

    def step_now(self) -> None:
        """One epoch right here (no event loop), then paused."""
        self.paused = True
        self._epochs_to_step = 1
        try:
            more = self._advance(1e9)
        except Exception as err:
            return self.finish(_error(err))
        if more:
            self._maybe_draw(force=True)
        else:
            self.finish(self._reason)

    def finish(self, reason: str) -> str:
        """End: close the stream (its cleanup runs), the last draw, then ``done(reason)``,
        whatever fails on the way; returns the reason."""
        if self.finished:
            return reason
        self.finished = True
        try:
            close = getattr(self.events, "close", None)
            if close is not None:
                close()
            self.draws += 1
            self.draw()
        except Exception as err:  # a failing draw must not leave the panel "running"
            if not reason.startswith("error"):
                reason = _error(err)
        finally:
            self.done(reason)
        return reason

    async def run(self) -> str:
        """Run as a task on the current loop; returns how it ended."""
        self._wake = asyncio.Event()
        reason = "stopped"  # a cancelled task ends as stopped
        try:
            while not self.stopped:
                if self.paused and not self._epochs_to_step:
                    self._wake.clear()
                    await self._wake.wait()
                    continue
                # work until the next frame is due, so frames come at the asked rate
                due = self._last_draw + self.interval - time.perf_counter()
                more = self._advance(min(self.chunk_s, max(due, 0.005)))
                if not more:
                    break  # the last frame is drawn by finish
                self._maybe_draw(force=self.paused)  # a pause shows where it stopped
                # a few ms, not sleep(0): the kernel needs more than one turn of the loop to
                # take a widget message in (measured: a Stop took 0.37 s with 0, 3 ms with this)
                ahead = self._ahead() if self.pace and not self.paused else 0.0
                await asyncio.sleep(min(max(ahead, 0.002), 0.1))
            reason = "stopped" if self.stopped else self._reason
        except Exception as err:  # shown in the panel, never lost in a task
            reason = _error(err)
        finally:
            reason = self.finish(reason)
        return reason

    def run_to_end(self) -> str:
        """Run synchronously to the end (no event loop: a script or a test)."""
        try:
            while not self.stopped and self._advance(1e9):
                pass
            reason = "stopped" if self.stopped else self._reason
        except Exception as err:
            reason = _error(err)
        return self.finish(reason)


def _error(err: Exception) -> str:
    return f"error: {type(err).__name__}: {err}"


class TrainingBar(W.VBox):
    """Train, Pause / Resume, Stop, Step one epoch; a progress bar with the epochs done and
    the time left."""

    def __init__(self, owner, label: str = "Train", help: str = "start training from scratch"):
        button = dict(layout=W.Layout(width="auto"))
        self.train_button = W.Button(
            description=label, icon="play", button_style="primary", tooltip=help, **button
        )
        self.pause_button = W.Button(description="Pause", icon="pause", disabled=True, **button)
        self.stop_button = W.Button(description="Stop", icon="stop", disabled=True, **button)
        self.step_button = W.Button(
            description="Step one epoch", icon="step-forward", tooltip="train one epoch", **button
        )
        self.progress = W.FloatProgress(min=0, max=1, layout=W.Layout(width="200px"))
        self.label = W.HTML(f"<span style='color:{MUTED}'>not trained yet</span>")
        self.train_button.on_click(lambda _: owner.train())
        self.pause_button.on_click(lambda _: owner.resume() if owner.paused else owner.pause())
        self.stop_button.on_click(lambda _: owner.stop())
        self.step_button.on_click(lambda _: owner.step_epoch())
        super().__init__(
            [
                W.HBox(
                    [
                        self.train_button,
                        self.pause_button,
                        self.stop_button,
                        self.step_button,
                        self.progress,
                        self.label,
                    ],
                    layout=W.Layout(flex_flow="row wrap", align_items="center"),
                )
            ]
        )

    def show(self, running: bool, paused: bool) -> None:
        self.train_button.disabled = running
        self.pause_button.disabled = not running
        self.pause_button.description = "Resume" if paused else "Pause"
        self.pause_button.icon = "play" if paused else "pause"
        self.stop_button.disabled = not running

    def clear(self) -> None:
        """Back to before any training (a new network)."""
        self.progress.value = 0
        self.label.value = f"<span style='color:{MUTED}'>not trained yet</span>"

    def report(self, done: float, total: float, what: str, elapsed: float, ended: str = "") -> None:
        """``done`` of ``total`` ``what`` (epochs, grid rows) after ``elapsed`` seconds;
        ``ended`` says how a finished run ended (no time left then)."""
        fraction = min(max(done / total, 0.0), 1.0) if total else 0.0
        self.progress.value = fraction
        left = ""
        if ended:
            left = f" · {ended} after {elapsed:.1f} s"
        elif 0 < fraction < 1 and elapsed > 0.5:
            left = f" · about {elapsed * (1 - fraction) / fraction:.0f} s left"
        self.label.value = f"{what} {done:g} of {total:g}{left}"


class JobRow(W.HBox):
    """A long job beside a panel's training (a search, three classifiers): its button, Stop,
    a progress bar and a status line. ``run(events, handle, draw, done)`` drives the events
    with a ``Runner`` as a task on the kernel's loop (to the end where none runs); the
    button is disabled while it runs."""

    def __init__(self, label: str, help: str = ""):
        button = dict(layout=W.Layout(width="auto", flex="0 0 auto"))
        self.go = W.Button(description=label, icon="play", button_style="primary",
                           tooltip=help, **button)  # fmt: skip
        self.halt = W.Button(description="Stop", icon="stop", disabled=True, **button)
        self.halt.on_click(lambda _: self.stop())
        self.progress = W.FloatProgress(min=0, max=1, layout=W.Layout(width="200px"))
        self.status = W.HTML(f"<span style='color:{MUTED}'>not run yet</span>")
        self.runner: Runner | None = None
        self.task = None
        super().__init__([self.go, self.halt, self.progress, self.status],
                         layout=W.Layout(align_items="center"))  # fmt: skip

    @property
    def running(self) -> bool:
        return self.runner is not None

    def run(self, events, handle, draw, done, fps: float = 4.0) -> None:
        if self.runner is not None:
            return

        def finished(reason):
            self.runner = None
            try:
                done(reason)  # the status line first: the button back means it is final
            finally:
                if self.runner is None:  # (done may have started the next job)
                    self.go.disabled, self.halt.disabled = False, True

        self.runner = Runner(events, handle, draw, finished, fps=fps)
        self.go.disabled, self.halt.disabled = True, False
        loop = running_loop()
        if loop is None:
            self.runner.run_to_end()
        else:
            self.task = loop.create_task(self.runner.run())

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
