"""Control specifications: how a panel's traitlet is shown and linked.

A panel declares a teachable parameter once, as a traitlet whose metadata names its control::

    learning_rate = T.Float(0.01, min=1e-4, max=10).tag(
        state=True, control=LogSlider("learning rate"), recompute=True
    )

``Panel`` builds the widget from the spec and the trait (bounds from ``min``/``max``, choices
from an Enum's values) and links the two both ways.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import ipywidgets as W
import traitlets as T

from .player import Player
from .theme import WIDE


def nice_values(lo: float, hi: float, mantissas=(1, 2, 5), name: str = "") -> list[float]:
    """1-2-5 values from lo to hi (both included when they are not on the series)."""
    if lo is None or hi is None or not (lo > 0 and hi > lo):
        raise ValueError(
            f"{name}: a log slider needs a trait with 0 < min < max, got {lo!r} .. {hi!r}"
        )
    out = {lo, hi}
    for exponent in range(math.floor(math.log10(lo)) - 1, math.ceil(math.log10(hi)) + 1):
        for m in mantissas:
            v = float(f"{m}e{exponent}")
            if lo <= v <= hi:
                out.add(v)
    return sorted(out)


def fmt(value) -> str:
    """A number as a person writes it: 0.5, 0.001, 1e-05, 300."""
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@dataclass(frozen=True)
class Control:
    """Base of the specs: ``label`` is the control's description (default: the name with
    spaces), ``help`` its tooltip, ``width`` a CSS width."""

    label: str | None = None
    help: str | None = None
    width: str | None = None

    def description(self, name: str) -> str:
        return self.label if self.label is not None else name.replace("_", " ")

    def build(self, name: str, trait: T.TraitType) -> W.Widget:
        raise NotImplementedError

    def link(self, owner, name: str, widget: W.Widget) -> None:
        T.link((owner, name), (widget, "value"))

    def _common(self, name: str) -> dict:
        out = {"description": self.description(name), "style": dict(WIDE)}
        if self.help:
            out["tooltip"] = self.help
        if self.width:
            out["layout"] = W.Layout(width=self.width)
        return out


@dataclass(frozen=True)
class Slider(Control):
    """An Int or Float slider over the trait's [min, max]."""

    step: float | None = None
    readout_format: str | None = None

    def build(self, name, trait):
        if trait.min is None or trait.max is None:
            raise TypeError(f"{name}: a Slider needs a trait with min= and max=")
        kind = W.IntSlider if isinstance(trait, T.Int) else W.FloatSlider
        args = dict(min=trait.min, max=trait.max, continuous_update=True, **self._common(name))
        if self.step is not None:
            args["step"] = self.step
        if self.readout_format:
            args["readout_format"] = self.readout_format
        args.setdefault("layout", W.Layout(width="300px"))
        return kind(**args)

    def link(self, owner, name, widget):
        if isinstance(widget, W.IntSlider):
            return super().link(owner, name, widget)
        # the browser sends 0.9 back as 0.9000000000000001: keep the value a person set
        T.link((owner, name), (widget, "value"), transform=(float, lambda v: round(v, 10)))


@dataclass(frozen=True)
class LogSlider(Control):
    """A slider over round values (1, 2, 5 per decade) between the trait's min and max, read
    out as typed (0.5, not 0.501). A value off the series (from code or a link) is added."""

    values: tuple[float, ...] | None = None

    def build(self, name, trait):
        options = list(self.values) if self.values else nice_values(trait.min, trait.max, name=name)
        args = self._common(name)
        args.setdefault("layout", W.Layout(width="300px"))
        return W.SelectionSlider(
            options=[(fmt(v), v) for v in options], continuous_update=True, **args
        )

    def link(self, owner, name, widget):
        busy = []

        def to_widget(change=None):
            value = getattr(owner, name)
            values = [v for _, v in widget.options]
            busy.append(1)  # new options reset the slider to its first one: not a choice
            try:
                if value not in values:
                    widget.options = sorted(
                        [(fmt(v), v) for v in values] + [(fmt(value), value)], key=lambda o: o[1]
                    )
                if widget.value != value:
                    widget.value = value
            finally:
                busy.pop()

        def to_owner(change):
            if not busy:
                setattr(owner, name, change["new"])

        to_widget()
        owner.observe(to_widget, names=name)
        widget.observe(to_owner, names="value")


@dataclass(frozen=True)
class Choice(Control):
    """A dropdown (or toggle buttons with ``style="toggle"``) over an Enum's values;
    ``labels`` maps a value to the text shown."""

    labels: dict = field(default_factory=dict)
    style: str = "dropdown"

    def build(self, name, trait):
        options = [(self.labels.get(v, fmt(v)), v) for v in trait.values]
        args = self._common(name)
        if self.style == "toggle":
            args["style"] = {**args["style"], "button_width": "auto"}
            return W.ToggleButtons(options=options, **args)
        return W.Dropdown(options=options, **args)


@dataclass(frozen=True)
class Check(Control):
    """A checkbox for a Bool, its label beside it (never cut off)."""

    def build(self, name, trait):
        args = self._common(name)
        args.pop("style")
        args.setdefault("layout", W.Layout(width="auto"))
        return W.Checkbox(indent=False, **args)


@dataclass(frozen=True)
class Text(Control):
    """A text box for a Unicode; the value is sent when Enter is pressed or focus leaves."""

    placeholder: str = ""

    def build(self, name, trait):
        args = self._common(name)
        args.setdefault("layout", W.Layout(width="300px"))
        return W.Text(placeholder=self.placeholder, continuous_update=False, **args)


@dataclass(frozen=True)
class Checks(Control):
    """One checkbox per choice for a List of Enum values (several can be ticked);
    ``colors`` tints each label."""

    labels: dict = field(default_factory=dict)
    colors: dict = field(default_factory=dict)

    def build(self, name, trait):
        choices = getattr(getattr(trait, "_trait", None), "values", None)
        if not isinstance(trait, T.List) or choices is None:
            raise TypeError(f"{name}: Checks needs a List(Enum(...)) trait, got {trait!r}")
        boxes = []
        for value in choices:
            box = W.Checkbox(
                description=self.labels.get(value, str(value)),
                indent=False,
                layout=W.Layout(width="auto", margin="0 12px 0 0"),
            )
            box.choice = value
            if value in self.colors:
                box.style.text_color = self.colors[value]
            boxes.append(box)
        title = W.HTML(f"<b>{self.description(name)}</b>")
        return W.VBox([title, W.HBox(boxes, layout=W.Layout(flex_flow="row wrap"))])

    def link(self, owner, name, widget):
        boxes = widget.children[1].children
        busy = []

        def to_boxes(change=None):
            busy.append(1)
            try:
                for box in boxes:
                    box.value = box.choice in getattr(owner, name)
            finally:
                busy.pop()

        def to_owner(change):
            if busy:
                return
            chosen = [box.choice for box in boxes if box.value]
            if chosen != list(getattr(owner, name)):
                setattr(owner, name, chosen)

        to_boxes()
        owner.observe(to_boxes, names=name)
        for box in boxes:
            box.observe(to_owner, names="value")


@dataclass(frozen=True)
class Frames(Control):
    """The frame player for an Int ``step``: Play (runs in the browser), a scrub slider, and
    with ``buttons`` Step and Reset. The panel sets how many frames there are."""

    interval_ms: int = 120
    buttons: bool = True

    def build(self, name, trait):
        return Player(
            interval_ms=self.interval_ms, description=self.description(name), buttons=self.buttons
        )

    def link(self, owner, name, widget):
        widget.bind(owner, name)
