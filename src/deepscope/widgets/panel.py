"""Panel: the base of every deepscope panel.

A teachable parameter is declared once, as a traitlet with metadata::

    learning_rate = T.Float(0.01, min=1e-4, max=10).tag(
        state=True, control=LogSlider("learning rate"), recompute=True
    )

- ``state=True``: part of ``panel.state`` (a JSON-able dict), of a lesson's setup and of the
  link to this setup; state is applied in the order the traits are declared, so a trait that
  brings defaults for others (a surface brings its start point) comes first.
- ``control=``: a spec from ``controls`` the base builds and links (``panel.controls[name]``).
- ``recompute=True``: a change recomputes the frames and redraws; ``render=True``: a change
  only redraws the current frame. Changes inside ``with panel.batch():`` (a state being set,
  a link being read) recompute once, and each figure sends one message.

A subclass writes ``build()`` (figures, children), ``recompute()`` (call the scene; raise
ValueError for a bad setting, shown in the panel's one message line) and ``render()`` (draw
the current frame). A panel that trains live writes ``start_training()`` returning a
``Training`` (an iterator of nn.Events and the number of epochs), ``on_event(event)`` and
``draw_training()``; the base gives it ``train()``, ``pause()``, ``resume()``, ``stop()``,
``step_epoch()``, ``running`` and ``task`` (see ``live.py``).

Where numba compiles while a panel computes (a cold cache: a new machine, or changed
sources), the message line says so with a count, and goes back to the panel's own text once
the picture is there (``CompileWatch``). In a Voila page a training that starts with the
panel waits until the page has its widgets, so that the page shows the panel (and that line)
rather than "Loading widget..." while the kernel compiles.
"""

from __future__ import annotations

import asyncio
import html
import json
import math
import os
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote

import ipywidgets as W
import traitlets as T
from numba.core import event as numba_event

from ..nn import Event
from .figure import Figure
from .live import EPOCH_KINDS, Runner, TrainingBar, running_loop
from .theme import COLUMN, MUTED, error_html, status_html

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


@dataclass
class Training:
    """What ``start_training`` returns: the scene's event stream, its length in epochs and
    the epoch it starts after (a panel that trains on, as the playground does, numbers its
    epochs from where the network is; the bar counts this run's)."""

    events: Iterator[Event]
    epochs: int
    start: int = 0


def _jsonable(value):
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _inner(trait: T.TraitType):
    return getattr(trait, "_trait", None)


def parse_value(trait: T.TraitType, text: str):
    """A value for ``trait`` from the text of a link, by the trait's own type; never
    evaluated. Raises ValueError saying what is allowed."""
    text = text.strip()
    if isinstance(trait, T.Bool):
        if text.lower() in TRUE:
            return True
        if text.lower() in FALSE:
            return False
        raise ValueError(f"expected true or false, got {text!r}")
    if isinstance(trait, T.Enum):
        for value in trait.values:
            if str(value) == text or str(value).lower() == text.lower():
                return value
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                try:
                    if float(text) == value:  # 500.0 or 5e2 for 500
                        return value
                except ValueError:
                    pass
        raise ValueError(f"expected one of {', '.join(map(str, trait.values))}; got {text!r}")
    if isinstance(trait, T.Int):
        try:
            return int(text)
        except ValueError:
            raise ValueError(f"expected a whole number, got {text!r}") from None
    if isinstance(trait, T.Float):
        try:
            value = float(text)
        except ValueError:
            raise ValueError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise ValueError(f"expected a finite number, got {text!r}")
        return value
    if isinstance(trait, T.Unicode):
        return text
    if isinstance(trait, T.List):
        inner = _inner(trait)
        if isinstance(inner, T.List):  # a matrix: rows split by ";", cells by ","
            return [[parse_value(_inner(inner), c) for c in r.split(",")] for r in text.split(";")]
        parts = [p for p in text.split(",") if p.strip()]
        return [parse_value(inner, p) if inner is not None else p for p in parts]
    raise ValueError("this setting cannot be given in a link")


def format_value(value) -> str:
    """The inverse of ``parse_value``: how a value is written in a link."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(float(value))  # a numpy float too: 0.1, not np.float64(0.1)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, (list, tuple)) for v in value):
            return ";".join(",".join(format_value(c) for c in row) for row in value)
        return ",".join(format_value(v) for v in value)
    return str(value)


class CompileWatch(numba_event.Listener):
    """numba compiling while a panel computes, told on the panel's message line.

    A listener on numba's own ``"numba:compile"`` event (broadcast only when a function is
    really compiled, not when it comes from the cache). ``watching()`` wraps a compute: while
    it runs, each function compiled (numba's own helpers not counted) updates the line, at
    most once every ``interval`` seconds; when it ends, the line goes back. A training pulls
    its events inside ``pulling()`` and clears the line at its next frame (``clear()``).
    ``show(text)`` writes the line (None: back to the panel's own text).
    """

    interval = 0.25

    def __init__(self, show):
        self.show = show
        self.active = 0  # watched computes under way
        self._held = 0  # reasons to stay registered with numba
        self._reset()

    def _reset(self) -> None:
        self.count = 0
        self.current = ""
        self._t0: float | None = None
        self._shown_at: float | None = None

    # registration ---------------------------------------------------------------------
    def hold(self) -> None:
        if not self._held:
            numba_event.register("numba:compile", self)
        self._held += 1

    def release(self) -> None:
        if not self._held:
            return
        self._held -= 1
        if not self._held:
            numba_event.unregister("numba:compile", self)

    @contextmanager
    def watching(self):
        """A compute: what it compiles is counted, and the line goes back when it ends."""
        self.hold()
        try:
            with self.pulling():
                yield self
        finally:
            self.release()
            if not self.active:  # (a training under way keeps its count)
                self.clear(reset=not self._held)

    @contextmanager
    def pulling(self):
        """Count what is compiled in here (registered already: see ``hold``)."""
        self.active += 1
        try:
            yield self
        finally:
            self.active -= 1

    def clear(self, reset: bool = False) -> None:
        """The picture is there: the line goes back (``reset``: the count too)."""
        if self._shown_at is not None:
            self._shown_at = None
            self.show(None)
        if reset:
            self._reset()

    # numba's events -------------------------------------------------------------------
    def on_start(self, event) -> None:
        if not self.active:
            return
        func = getattr(event.data.get("dispatcher"), "py_func", None)
        module = getattr(func, "__module__", "") or ""
        if func is None or module == "numba" or module.startswith("numba."):
            return  # numba's own helpers (np.zeros, max, dot) inside a kernel
        now = time.perf_counter()
        self.count += 1
        self.current = f"{module.rsplit('.', 1)[-1]}.{getattr(func, '__name__', '?')}"
        if self._t0 is None:
            self._t0 = now
        if self._shown_at is None or now - self._shown_at >= self.interval:
            self._shown_at = now
            self.show(self.text(now))

    def on_end(self, event) -> None:
        pass

    def text(self, now: float | None = None) -> str:
        now = time.perf_counter() if now is None else now
        seconds = now - (self._t0 if self._t0 is not None else now)
        return (
            "First start on this machine: numba is compiling deepscope's kernels "
            f"({self.count} so far, {seconds:.0f} s; now {html.escape(self.current)}); "
            "later starts take a second."
        )


class _Watched:
    """A training's event stream whose pulls are watched for numba compiling."""

    def __init__(self, events, watch: CompileWatch):
        self.events, self.watch = iter(events), watch

    def __iter__(self):
        return self

    def __next__(self):
        with self.watch.pulling():
            return next(self.events)

    def close(self) -> None:
        close = getattr(self.events, "close", None)
        if close is not None:
            close()


#: a Voila page's widgets: how long a training that starts with its panel waits for them
PAGE_WAIT_S = 30.0


def _voila_page_to_come() -> bool:
    """A Voila kernel whose page has not loaded its widgets yet? The page asks for them on
    ipywidgets' control channel, which it closes once it has them; until then the kernel
    must stay free to answer (the page waits 4 s, then asks widget by widget)."""
    if "VOILA_KERNEL_ID" not in os.environ or not hasattr(W.Widget, "_control_comm"):
        return False  # (an ipywidgets without that channel: nothing to wait for)
    comm = W.Widget._control_comm
    return comm is None or not getattr(comm, "_closed", True)


async def page_has_widgets(timeout: float = PAGE_WAIT_S, poll: float = 0.05) -> bool:
    """Until this kernel's Voila page has its widgets (False if ``timeout`` passed first)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while _voila_page_to_come():
        if loop.time() >= end:
            return False
        await asyncio.sleep(poll)
    return True


class Panel(W.VBox):
    """The base of every panel (see the module docstring)."""

    #: the dashboard in voila_apps/ that shows this panel (the gallery and the links use it)
    dashboard = ""
    #: the gallery's name for it and what it teaches, in a sentence or two
    title = ""
    summary = ""

    hidden = T.List(T.Unicode()).tag(state=True)
    running = T.Bool(False)
    paused = T.Bool(False)

    def __init__(self, compute: bool = True, query: str = "", **kwargs):
        keys = self.state_keys()
        unknown = sorted(set(kwargs) - set(keys))
        if unknown:
            raise TypeError(
                f"{type(self).__name__} got unknown argument(s) {', '.join(map(repr, unknown))}; "
                f"allowed: compute, query, {', '.join(keys)}"
            )
        super().__init__(layout=W.Layout(width="100%", max_width=f"{COLUMN}px"))
        self._depth = 0
        self._dirty: str | None = None
        self._link_dirty = False
        self._link_warning = ""
        self._diverged = ""
        self._context_hidden: set[str] = set()
        self._runner: Runner | None = None
        self._training: Training | None = None
        self._t0 = 0.0
        self.task = None
        self.figures: list[Figure] = []
        self.message = W.HTML()
        self._said, self._before_error = "", None
        self._notice: str | None = None  # the compiling line, while it is shown
        self._normal = ""  # what the line said before it
        self._compile_watch = CompileWatch(self._show_compiling)
        self._waiting = None  # a training waiting for the page's widgets
        self.link = W.HTML(layout=W.Layout(margin="6px 0 0 0"))
        self.controls: dict[str, W.Widget] = {}
        for name in self._declared():
            spec = self.trait_metadata(name, "control")
            if spec is not None:
                widget = spec.build(name, self.traits()[name])
                spec.link(self, name, widget)
                self.controls[name] = widget
        if self.trains():
            self.training_bar = TrainingBar(self, *self.train_label)
            self.controls["train"] = self.training_bar
        self.controls["link"] = self.link
        self.build()
        self.observe(self._changed, names=keys)
        self.observe(lambda _: self._show_controls(), names="hidden")
        self.observe(lambda _: self._show_bar(), names=["running", "paused"])
        with self.batch(recompute=True):  # the first picture, once every setting is in
            problems = self._apply(kwargs)
            if problems:
                raise ValueError("; ".join(problems))
            problems = self._query(query)
        self._report(problems)
        self._update_link()
        if compute:
            self._compute_on_start()

    def _compute_on_start(self) -> None:
        if self.trains() and self.train_on_start:
            loop = running_loop()
            if loop is not None and _voila_page_to_come():
                # the kernel compiling now would leave the page at "Loading widget..."
                self._waiting = self.task = loop.create_task(self._train_once_shown())
            else:
                self.train()

    async def _train_once_shown(self):
        await page_has_widgets(self.page_wait_s)
        self._waiting = None
        task = self.train()
        return await task if task is not None else None

    #: a panel that trains: does building it (compute=True) start the training?
    train_on_start = False
    #: in a Voila page, how long that training waits for the page's widgets at most
    page_wait_s = PAGE_WAIT_S
    #: how often a live training redraws, at most (a heavy figure wants fewer)
    live_fps = 20.0
    #: epochs a second at most while training in a notebook or dashboard (None: flat out);
    #: a training over in a blink teaches nothing, so a quick one can be slowed to watch
    live_pace: float | None = None
    #: the Train button's text and tooltip
    train_label = ("Train", "start training from scratch")
    #: controls the panel builds itself in ``build`` (a canvas, a button), by name
    extra_controls: tuple[str, ...] = ()
    #: the titles of its tabs, for a panel whose build makes ``self.tabs`` (a lesson's step
    #: can open one)
    tab_titles: tuple[str, ...] = ()

    # declaration --------------------------------------------------------------------------
    @classmethod
    def _declared(cls) -> list[str]:
        """Trait names in the order they are declared (base classes first)."""
        seen: list[str] = []
        for klass in reversed(cls.__mro__):
            for name, value in vars(klass).items():
                if isinstance(value, T.TraitType) and name not in seen:
                    seen.append(name)
        return seen

    @classmethod
    def state_keys(cls) -> list[str]:
        """The names in ``state``, in the order they are applied."""
        traits = cls.class_traits(state=True)
        keys = [n for n in cls._declared() if n in traits and n != "hidden"]
        return [*keys, "hidden"]

    @classmethod
    def control_names(cls) -> list[str]:
        """The names in ``panel.controls`` (what ``hidden`` may name), known from the class:
        the traits with a control, Train for a panel that trains, the link, and the
        controls a panel builds itself (``extra_controls``)."""
        traits = cls.class_traits()
        names = [n for n in cls._declared() if traits[n].metadata.get("control") is not None]
        return [*names, *(["train"] if cls.trains() else []), *cls.extra_controls, "link"]

    @classmethod
    def trains(cls) -> bool:
        """Does this panel train live (does it write ``start_training``)?"""
        return cls.start_training is not Panel.start_training

    # hooks for subclasses ----------------------------------------------------------------
    def build(self) -> None:
        """Make the figures (append them to ``self.figures``) and set ``self.children``."""
        raise NotImplementedError

    def recompute(self) -> None:
        """Recompute the frames from the settings (raise ValueError for a bad setting)."""

    def render(self) -> None:
        """Draw the current frame into the figures."""

    def start_training(self) -> Training:
        """A training panel returns its Training here."""
        raise NotImplementedError

    def on_event(self, event: Event) -> None:
        """Take one training event (cheap: no drawing)."""

    def draw_training(self) -> None:
        """Draw the training as it stands (called at most ~20 times a second)."""

    def training_finished(self, reason: str) -> None:
        """Training ended: "finished", "stopped", "diverged" or "error: ..."."""

    # state --------------------------------------------------------------------------------
    @property
    def state(self) -> dict:
        """Every teachable setting, JSON-able: ``json.loads(json.dumps(panel.state))``
        restores the same panel."""
        return {key: _jsonable(getattr(self, key)) for key in self.state_keys()}

    @state.setter
    def state(self, value: dict) -> None:
        if not isinstance(value, dict):
            raise TypeError(f"state must be a dict of settings, got {type(value).__name__}")
        unknown = sorted(set(value) - set(self.state_keys()))
        if unknown:
            raise ValueError(
                f"unknown state keys {unknown} for {type(self).__name__}; "
                f"allowed: {', '.join(self.state_keys())}"
            )
        with self.batch():  # what changed recomputes, once
            problems = self._apply(value)
        if problems:
            raise ValueError("; ".join(problems))

    def _apply(self, values: dict) -> list[str]:
        """Set the values in declaration order; the problems ("key: why") of those the
        traits reject, which keep their values."""
        problems = []
        for key in self.state_keys():
            if key in values:
                try:
                    setattr(self, key, values[key])
                except T.TraitError as err:
                    problems.append(f"{key}: {_why(self.traits()[key], values[key], err)}")
        return problems

    @T.validate("hidden")
    def _valid_hidden(self, proposal):
        names = list(proposal["value"])
        allowed = getattr(self, "controls", None)
        if allowed is not None:
            bad = [n for n in names if n not in allowed]
            if bad:
                raise T.TraitError(
                    f"hidden names controls this panel does not have: {bad}; "
                    f"it has {', '.join(allowed)}"
                )
        return names

    # recompute / render batching ---------------------------------------------------------
    @contextmanager
    def batch(self, recompute: bool = False):
        """Changes inside recompute (or redraw) once at the end; each figure sends one
        message for all of it."""
        self._depth += 1
        if recompute:
            self._mark("recompute")
        try:
            yield self
        finally:
            self._depth -= 1
            if not self._depth:
                self._flush()

    def _mark(self, what: str) -> None:
        if what == "recompute" or self._dirty is None:
            self._dirty = what

    def _notify_observers(self, event) -> None:
        """All observers of one change run in one batch: an observer that brings defaults
        along (a surface brings its start point) and the base's own recompute make one
        recompute and one message per figure."""
        if "_depth" not in self.__dict__:  # still being built by traitlets
            return super()._notify_observers(event)
        with self.batch():
            super()._notify_observers(event)

    def _changed(self, change) -> None:
        meta = self.trait_metadata(change["name"], "recompute")
        if meta:
            self._mark("recompute")
        elif self.trait_metadata(change["name"], "render"):
            self._mark("render")
        self._link_dirty = True

    def _flush(self) -> None:
        """Recompute / redraw what is marked; a trait changed meanwhile (a step clamped to
        the new frames) is taken in the same pass, each figure still sending one message."""
        if self._link_dirty:
            self._link_dirty = False
            self._update_link()
        if self._dirty is None:
            return
        self._depth += 1  # changes made while recomputing mark, they do not flush again
        try:
            with self._compile_watch.watching(), self.figures_batch():
                while self._dirty is not None:
                    what, self._dirty = self._dirty, None
                    if what == "recompute":
                        try:
                            self.recompute()
                        except (ValueError, TypeError) as err:
                            before = self._before_error
                            self.show_error(err)
                            self._before_error = before if before is not None else self._said
                            return
                        if self._before_error is not None:  # fixed: what was said before
                            self.message.value = self._before_error
                        self._before_error = None
                    self.render()
        finally:
            self._depth -= 1
        if self._link_dirty:
            self._link_dirty = False
            self._update_link()

    @contextmanager
    def figures_batch(self):
        """Every figure of the panel batched: one message each for all that happens inside."""
        with ExitStack() as stack:
            for fig in self.figures:
                stack.enter_context(fig.batch())
            yield

    def refresh(self) -> None:
        """Recompute and redraw now."""
        with self.batch(recompute=True):
            pass

    def restart(self) -> None:
        """Begin this setup afresh (what a lesson step does as it opens): recompute. A panel
        that keeps what it trained when a setting changes (the playground) forgets it here."""
        self.refresh()

    # messages -----------------------------------------------------------------------------
    def say(self, text: str, kind: str = "info") -> None:
        """The panel's one message line (``text`` is HTML; escape what a user typed). What
        a link could not set stays under it: it remains true whatever happens next."""
        self.message.value = (status_html(text, kind) if text else "") + self._link_warning
        self._said, self._before_error = self.message.value, None

    def show_error(self, err) -> None:
        """An error in the message line; once a recompute succeeds again, the line goes
        back to what was said before it."""
        self.message.value = error_html(err) + self._link_warning

    def _show_compiling(self, text: str | None) -> None:
        """numba compiling: ``text`` in the message line; None: the line goes back to what
        the panel says (what it said before, or what it said meanwhile)."""
        if text is None:
            if self._notice is not None and self.message.value == self._notice:
                self.message.value = self._normal
            self._notice = None
            return
        if self._notice is None or self.message.value != self._notice:
            self._normal = self.message.value  # the panel's own text, kept to come back to
        self._notice = status_html(text, "info") + self._link_warning
        self.message.value = self._notice

    # classroom controls ------------------------------------------------------------------
    def show_control(self, name: str, visible: bool) -> None:
        """Show or hide a control for the panel's own reasons (a formula box only for a
        typed surface); a control the teacher hid stays hidden."""
        if visible:
            self._context_hidden.discard(name)
        else:
            self._context_hidden.add(name)
        self._show_controls()

    def _show_controls(self) -> None:
        for name, widget in self.controls.items():
            off = name in self.hidden or name in self._context_hidden
            widget.layout.display = "none" if off else None

    # links --------------------------------------------------------------------------------
    def query(self) -> str:
        """This setup as a query string: the settings that differ from the defaults."""
        parts = []
        for key in self.state_keys():
            value = getattr(self, key)
            if _jsonable(value) != _jsonable(self.trait_defaults(key)):
                parts.append(f"{key}={quote(format_value(value), safe=',;')}")
        return "&".join(parts)

    def apply_query(self, query: str) -> list[str]:
        """Set the panel from a query string (``surface=ravine&learning_rate=0.3``).

        Values are parsed by each trait's type and validated; a bad one keeps its default
        and is reported. Keys starting with "voila" are Voila's own. Returns the problems,
        which the panel also shows."""
        with self.batch():
            problems = self._query(query)
        self._report(problems)
        return problems

    def _query(self, query: str) -> list[str]:
        problems, values = [], {}
        traits, keys = self.traits(), self.state_keys()
        for key, text in parse_qsl(query.lstrip("?"), keep_blank_values=True):
            if key.startswith("voila"):
                continue
            if key not in keys:
                problems.append(f"unknown setting {key!r} (this panel has {', '.join(keys)})")
                continue
            try:
                values[key] = parse_value(traits[key], text)
            except ValueError as err:
                problems.append(f"{key}: {err}")
        return problems + self._apply(values)

    def _report(self, problems: list[str]) -> None:
        self._link_warning = ""
        if problems:
            self._link_warning = status_html(
                "This link has settings that were not used (their defaults are shown): "
                + "; ".join(html.escape(p) for p in problems),
                "warn",
            )
            self.message.value += self._link_warning
            self._said = self.message.value  # what an error, once fixed, gives way to

    @classmethod
    def from_query(cls, query: str | None = None, compute: bool = True, **kwargs):
        """The panel set up from a query string; in a Voila dashboard, from the page's own
        address (``.../voila/render/descent.ipynb?surface=ravine``). A panel that trains
        when built starts once the link's settings are in.

        In a kernel Voila preheats (``deepscope serve --pool``) the panel and its first
        picture are built before any page asks for them; the page's link is applied when
        one does, and a training that starts with the panel starts then."""
        if query is None and preheated():
            panel = cls(compute=False, **kwargs)
            panel.apply_query(page_query())  # waits here, in the pool, for a page
            if compute:
                panel._compute_on_start()
            return panel
        return cls(compute=compute, query=page_query() if query is None else query, **kwargs)

    def _update_link(self) -> None:
        query = self.query()
        page = os.environ.get("SCRIPT_NAME", "")
        if not query:
            self.link.value = (
                f"<span style='color:{MUTED}'>Link to this setup: the defaults "
                "(change a setting to get a link that opens it)</span>"
            )
        elif page:
            href = html.escape(f"?{query}", quote=True)
            self.link.value = (
                f"<span style='color:{MUTED}'>Link to this setup:</span> "
                f"<a href='{href}' target='_blank' style='word-break:break-all'>"
                f"{html.escape(page)}?{html.escape(query)}</a>"
            )
        else:
            where = f"voila/render/{self.dashboard}" if self.dashboard else "the dashboard"
            self.link.value = (
                f"<span style='color:{MUTED}'>Link to this setup (add it to the address of "
                f"{html.escape(where)}):</span> <code style='word-break:break-all'>?"
                f"{html.escape(query)}</code>"
            )

    # live training ------------------------------------------------------------------------
    def train(self):
        """Start training. With an event loop running (a notebook, Voila) this schedules the
        work as ``self.task`` and returns it at once; without one it runs to the end."""
        if self.running:
            return self.task
        if not self._start():
            return None
        loop = running_loop()
        if loop is None:
            self._runner.run_to_end()
            return None
        self.task = loop.create_task(self._runner.run())
        return self.task

    def _start(self) -> bool:
        if not self.trains():
            raise TypeError(f"{type(self).__name__} does not train")
        try:
            self._training = self.start_training()
        except (ValueError, TypeError) as err:
            self.show_error(err)
            return False
        self._t0 = time.perf_counter()
        self._runner = Runner(
            _Watched(self._training.events, self._compile_watch),
            self._on_event,
            self._draw_live,
            self._finished,
            fps=self.live_fps,
            pace=self.live_pace,
        )
        self.task = None
        self._compile_watch.hold()  # released when it finishes
        self._diverged = ""
        self.paused = False
        self.running = True
        self._progress_epochs(0)
        return True

    def pause(self) -> None:
        if self._runner is not None and self.running and not self.paused:
            self._runner.pause()
            self.paused = True

    @T.observe("paused")
    def _pause_clock(self, change):
        """Time paused is not time training: the estimate of what is left skips it."""
        if change["new"]:
            self._paused_at = time.perf_counter()
        elif self.running:
            self._t0 += time.perf_counter() - self._paused_at

    def resume(self) -> None:
        if self._runner is None or not self.running:
            return
        self.paused = False
        if self.task is None:  # no loop: carry on to the end here
            self._runner.paused = False
            self._runner.run_to_end()
        else:
            self._runner.resume()

    def stop(self) -> None:
        """Stop training; what was trained so far stays."""
        if self._runner is None or not self.running:
            return
        self._runner.stop()
        # ended here and now, not at the task's next turn: a training started right after
        # (a lesson's next step) must not find this one still running
        self._runner.finish("stopped")

    def step_epoch(self) -> None:
        """Train one epoch, then pause (starting a run if none is going)."""
        if not self.running:
            if not self._start():
                return
            loop = running_loop()
            if loop is not None:
                self._runner.step()
                self.paused = True
                self.task = loop.create_task(self._runner.run())
                return
        self.paused = True
        if self.task is None:
            self._runner.step_now()
        else:
            self._runner.step()

    def _on_event(self, event: Event) -> None:
        self.on_event(event)
        if event.kind == "diverged":
            self._diverged = event.message
        if event.kind in EPOCH_KINDS:
            self._progress = (event.epoch - self._training.start, self._training.epochs, "epoch")
        elif event.kind == "progress":
            m = event.metrics
            self._progress = (m["done"], m["total"], m.get("what", "done"))

    def _progress_epochs(self, epoch: int) -> None:
        self._progress = (epoch, self._training.epochs, "epoch")
        self.training_bar.report(*self._progress, 0.0)

    def _draw_live(self) -> None:
        """A frame of the training: the panel's figures (one message each) and the bar.
        Widgets change only here, at most ~20 times a second, never once per event: the
        Jupyter server stops forwarding a kernel's messages above 1000 a second."""
        with self.figures_batch():
            self.draw_training()
        self._compile_watch.clear()  # what was compiling is drawn
        self.training_bar.report(*self._progress, time.perf_counter() - self._t0)

    def _finished(self, reason: str) -> None:
        self._compile_watch.release()
        self._compile_watch.clear(reset=True)
        # the line says how it ended before Train comes back: a page that acts on the
        # button must find the line final (the messages reach it in this order)
        ended = reason.split(":")[0]
        self.training_bar.report(*self._progress, time.perf_counter() - self._t0, ended)
        self.running = False
        self.paused = False
        if reason == "diverged" and self._diverged:
            self.say(html.escape(self._diverged), "error")
        if reason.startswith("error"):
            self.say(html.escape(reason), "error")
        with self.figures_batch():
            self.training_finished(reason)

    def _show_bar(self) -> None:
        if hasattr(self, "training_bar"):
            self.training_bar.show(self.running, self.paused)

    def close(self) -> None:
        """Stop any training and close the panel's figures and controls (a notebook cell run
        again leaves nothing behind)."""
        if getattr(self, "_runner", None) is not None:  # (a half-built panel has none)
            self.stop()
        if getattr(self, "_waiting", None) is not None:  # a training waiting for the page
            self._waiting.cancel()
            self._waiting = None
        for widget in [*getattr(self, "figures", ()), *getattr(self, "controls", {}).values()]:
            widget.close()
        super().close()

    def __repr__(self) -> str:
        shown = json.dumps({k: v for k, v in self.state.items() if k != "hidden"})
        return f"{type(self).__name__}({shown[:200]})"


def _why(trait: T.TraitType, value, err: T.TraitError) -> str:
    """A rejected value in a person's words: what was given and what is allowed."""
    low, high = getattr(trait, "min", None), getattr(trait, "max", None)
    if isinstance(trait, (T.Int, T.Float)) and (low is not None or high is not None):
        kind = "a whole number" if isinstance(trait, T.Int) else "a number"
        return f"{value!r} is not allowed: {kind} from {low} to {high}"
    if isinstance(trait, T.Enum):
        return f"{value!r} is not one of {', '.join(map(str, trait.values))}"
    return str(err)


def preheated() -> bool:
    """Is this a kernel Voila started ahead of any page (one of a preheated pool)?"""
    return os.environ.get("VOILA_PREHEAT") == "True"


def page_query() -> str:
    """The query string of the Voila page this kernel serves ('' elsewhere); in a preheated
    kernel it waits for the page."""
    if preheated() and not _PAGE["came"]:
        _wait_for_page()
    return os.environ.get("QUERY_STRING", "")


_PAGE = {"came": False}  # a preheated kernel serves one page: its request comes once


def _wait_for_page() -> None:
    """In a preheated kernel, wait for the page that takes it and put that request's
    variables (QUERY_STRING, SCRIPT_NAME, ...) in the environment, as Voila's own
    ``voila.utils.wait_for_request`` does; written here because importing ``voila`` loads
    jupyter_server, jupyter_events and jsonschema's URI grammar: 2.4 s and 36-56 MiB in
    every kernel, most of a dashboard's start. Voila answers on a websocket
    ``{VOILA_WS_BASE_URL}voila/query/{VOILA_KERNEL_ID}`` with one JSON message."""
    import websockets

    env = os.environ
    base = env.get("VOILA_WS_BASE_URL", env.get("VOILA_SERVER_URL", "/"))
    url = (
        f"{env.get('VOILA_WS_PROTOCOL', 'ws')}://{env.get('VOILA_APP_IP', '127.0.0.1')}:"
        f"{env.get('VOILA_APP_PORT', '8866')}{base}voila/query/{env.get('VOILA_KERNEL_ID')}"
    )
    got: list[str] = []

    async def receive() -> None:
        async with websockets.connect(url, open_timeout=5) as ws:
            got.append(await ws.recv())

    def run() -> None:  # a thread with a loop of its own: the kernel's loop runs in the caller's
        try:
            asyncio.run(receive())
        except (OSError, TimeoutError, websockets.WebSocketException) as err:
            warnings.warn(f"no page came through {url} ({err}): the defaults stand", stacklevel=1)

    thread = threading.Thread(target=run, name="deepscope-wait-for-page")
    thread.start()
    thread.join()
    _PAGE["came"] = True
    if got:
        env.update({str(k): str(v) for k, v in json.loads(got[0]).items()})
