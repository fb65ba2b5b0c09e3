"""The panel kit tells when numba compiles: on a cold cache (a new machine, changed sources)
a panel's message line says so with a count while it computes, and gives way to the panel's
own text once the picture is there. Real compilations of functions defined here (numba has
never seen them), observed through numba's own "numba:compile" event."""

import asyncio
import re

import ipywidgets as W
import traitlets as T
from numba import njit

from deepscope.nn import Event
from deepscope.widgets import Panel
from deepscope.widgets.panel import CompileWatch, Training

COMPILING = "numba is compiling"


def fresh_kernels():
    """Two functions numba has never compiled: ``outer`` calls ``inner``."""

    @njit
    def inner(x):
        return x * 2.0 + 1.0

    @njit
    def outer(n):
        total = 0.0
        for i in range(n):
            total += inner(float(i))
        return total

    return outer


class Tiny(Panel):
    """The smallest panel: one setting, a compute that calls ``kernel``, a line it says."""

    n = T.Int(3, min=1, max=100).tag(state=True, recompute=True)
    kernel = None  # set per test

    def build(self):
        self.seen = []  # every value the message line took, in order
        self.message.observe(lambda change: self.seen.append(change["new"]), "value")
        self.children = [self.message, self.link]

    def recompute(self):
        self.total = self.kernel(self.n)

    def render(self):
        self.say(f"total {self.total:g}")


def compiling(seen):
    return [v for v in seen if COMPILING in v]


def test_a_first_compute_that_compiles_says_so_with_a_count_then_gives_way(monkeypatch):
    monkeypatch.setattr(CompileWatch, "interval", 0.0)  # every compilation shown
    monkeypatch.setattr(Tiny, "kernel", staticmethod(fresh_kernels()))
    panel = Tiny()
    shown = compiling(panel.seen)
    assert shown, f"no compiling message among {panel.seen}"
    counts = [int(re.search(r"\((\d+) so far", v).group(1)) for v in shown]
    assert counts == [1, 2], counts  # outer, then inner as outer is typed
    assert "First start on this machine" in shown[0] and "test_compile_notice.outer" in shown[0]
    assert "test_compile_notice.inner" in shown[-1]
    assert "total 9" in panel.message.value and COMPILING not in panel.message.value

    # compiled now: a recompute with the same types compiles nothing and says nothing of it
    before = len(panel.seen)
    panel.n = 4
    assert not compiling(panel.seen[before:]) and "total 16" in panel.message.value


def test_updates_are_throttled_and_the_panels_own_words_come_back(monkeypatch):
    monkeypatch.setattr(CompileWatch, "interval", 1e9)  # after the first, none
    kernel = fresh_kernels()

    class Talky(Tiny):
        def recompute(self):
            self.say("before the kernel")
            self.total = kernel(self.n)

        def render(self):
            pass  # says nothing after the compute: what it said before comes back

    panel = Talky()
    shown = compiling(panel.seen)
    # two compilations, one update: the first one shown, the next ones only once the
    # interval (a quarter of a second) has passed
    assert len(shown) == 1 and "(1 so far" in shown[0]
    assert "before the kernel" in panel.message.value
    assert COMPILING not in panel.message.value


def test_nothing_to_compile_no_message():
    kernel = fresh_kernels()
    kernel(2)  # compiled before the panel exists

    class Warm(Tiny):
        pass

    Warm.kernel = staticmethod(kernel)
    panel = Warm()
    assert not compiling(panel.seen) and "total 9" in panel.message.value


def test_an_error_while_compiling_stays_on_the_line(monkeypatch):
    monkeypatch.setattr(CompileWatch, "interval", 0.0)
    kernel = fresh_kernels()

    class Failing(Tiny):
        def recompute(self):
            kernel(self.n)
            if self.n > 50:
                raise ValueError("n: too many for this test")
            self.total = 1.0

    panel = Failing(n=3)
    panel.n = 60
    assert "too many" in panel.message.value and COMPILING not in panel.message.value


class Trains(Tiny):
    """A panel whose training compiles at its first step."""

    def build(self):
        super().build()
        self.draws = []

    def recompute(self):
        self.total = 9.0

    def start_training(self):
        kernel = fresh_kernels()

        def events():
            for epoch in range(1, 4):
                value = kernel(epoch)  # the first call compiles
                yield Event("epoch", epoch, epoch, value)

        return Training(events(), 3)

    def draw_training(self):
        self.draws.append(self.message.value)


def test_a_training_that_compiles_says_so_until_its_next_frame():
    panel = Trains()
    panel.train()  # no event loop: it runs to the end here
    assert compiling(panel.seen), panel.seen
    assert not panel.running and COMPILING not in panel.message.value
    assert "total 9" in panel.message.value  # the panel's own line, back
    again = len(panel.seen)
    panel._start()  # a second run: a new kernel compiles...
    panel._runner.run_to_end()
    assert compiling(panel.seen[again:]) and COMPILING not in panel.message.value


def test_in_voila_a_training_on_start_waits_for_the_pages_widgets(monkeypatch):
    """The page asks for its widgets once the notebook has run; a kernel compiling then
    could not answer, and the page would show "Loading widget..." instead of the panel."""

    class Starts(Trains):
        train_on_start = True

    class Control:  # ipywidgets' control channel, as the page opens and then closes it
        _closed = False

    monkeypatch.setenv("VOILA_KERNEL_ID", "test-kernel")
    monkeypatch.setattr(W.Widget, "_control_comm", None, raising=False)

    async def page():
        panel = Starts()
        assert panel.task is not None and not panel.running
        await asyncio.sleep(0.15)
        assert not panel.running, "started before the page had its widgets"
        control = Control()
        monkeypatch.setattr(W.Widget, "_control_comm", control)  # the page asked...
        await asyncio.sleep(0.15)
        assert not panel.running
        control._closed = True  # ...and has them
        await panel.task
        return panel

    panel = asyncio.run(page())
    assert panel.draws and not panel.running and compiling(panel.seen)

    async def no_page():  # a page that never asks: it trains anyway, later
        panel = Starts()
        await panel.task
        return panel

    monkeypatch.setattr(Starts, "page_wait_s", 0.1)
    monkeypatch.setattr(W.Widget, "_control_comm", None)
    assert asyncio.run(no_page()).draws

    monkeypatch.delenv("VOILA_KERNEL_ID")  # a notebook: it starts at once

    async def notebook():
        panel = Starts()
        assert panel.running
        await panel.task

    asyncio.run(notebook())
