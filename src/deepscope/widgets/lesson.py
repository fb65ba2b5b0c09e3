"""LessonPlayer: a lesson a teacher presents step by step, or a student replays alone.

Each step puts its panel into the step's setup (the panel's state as a fresh panel has it,
then the step's settings, in one batch: one recompute, one message per figure), hides the
controls the step names, and shows the narration, a "try this" prompt and a question.
Next / Previous, the step list, the keyboard's arrows and Page Up / Down (what a presenter's
clicker sends) move between steps; the speaker notes are a widget of their own, shown only
where the teacher puts them.
"""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import parse_qsl

import anywidget
import ipywidgets as W
import mistune
import traitlets as T

from ..lessons import Lesson
from . import theme
from .panel import TRUE, Panel, _why, page_query

_markdown = mistune.create_markdown(escape=True)


def markdown(text: str) -> str:
    """Lesson text (Markdown, any HTML in it escaped) as HTML."""
    return _markdown(text)


def check_against_panels(lesson: Lesson) -> None:
    """Every step against its panel class: the panel exists, each state key is one of its
    settings and each value one its trait accepts, each hidden name one of its controls, an
    action one it has. A mistake raises ValueError naming the file, the step and the key."""
    from . import PANELS

    for n, step in enumerate(lesson.steps, start=1):
        where = f"{lesson.source}: step {n}"
        cls = PANELS.get(step.panel)
        if cls is None:
            raise ValueError(
                f"{where}, panel: unknown panel {step.panel!r}; allowed: {', '.join(PANELS)}"
            )
        keys = [k for k in cls.state_keys() if k != "hidden"]
        traits = cls.class_traits()
        for key, value in step.state.items():
            if key not in keys:
                raise ValueError(
                    f"{where}, state.{key}: not a setting of {cls.__name__}; allowed: "
                    f"{', '.join(keys)}"
                )
            try:
                traits[key].validate(T.HasTraits(), value)
            except T.TraitError as err:
                raise ValueError(f"{where}, state.{key}: {_why(traits[key], value, err)}") from None
        controls = cls.control_names()
        for name in step.hidden:
            if name not in controls:
                raise ValueError(
                    f"{where}, hidden: {name!r} is not a control of {cls.__name__}; allowed: "
                    f"{', '.join(controls)}"
                )
        trains = cls.trains()
        if step.tab > max(len(cls.tab_titles), 1):
            tabs = ", ".join(f"{i} {t}" for i, t in enumerate(cls.tab_titles, 1)) or "none"
            raise ValueError(
                f"{where}, tab: {cls.__name__} has no tab {step.tab}; its tabs: {tabs}"
            )
        if step.action and not (trains if step.action == "train" else hasattr(cls, step.action)):
            raise ValueError(f"{where}, action: {cls.__name__} cannot {step.action!r}")


def _lesson(lesson) -> Lesson:
    from ..lessons import LESSONS

    if isinstance(lesson, Lesson):
        return lesson
    if isinstance(lesson, (str, Path)) and str(lesson) in LESSONS:
        return LESSONS[str(lesson)]
    if isinstance(lesson, (str, Path)) and str(lesson).endswith(".toml"):
        return Lesson.from_file(lesson)
    raise ValueError(
        f"lesson must be one of {', '.join(LESSONS)}, a .toml file or a Lesson; got {lesson!r}"
    )


class StepPanels:
    """One instance per panel, reused from step to step; ``show(step)`` puts the panel into
    the step's setup and returns it."""

    def __init__(self):
        self.panels: dict[str, Panel] = {}
        self.pristine: dict[str, dict] = {}

    def get(self, name: str) -> Panel:
        from . import PANELS

        if name not in self.panels:
            panel = PANELS[name](compute=False)
            self.panels[name], self.pristine[name] = panel, panel.state
        return self.panels[name]

    def show(self, step) -> Panel:
        panel = self.get(step.panel)
        if panel.running:
            panel.stop()
        with panel.batch():  # back to a fresh panel's setup, then the step's: one recompute
            panel.state = self.pristine[step.panel]
            panel.state = {**step.state, "hidden": list(step.hidden)}
            panel.restart()
        if panel.tab_titles:
            panel.tabs.selected_index = step.tab - 1
        if step.action:
            getattr(panel, step.action)()
        return panel

    def close(self):
        for panel in self.panels.values():
            panel.close()


class KeyNav(anywidget.AnyWidget):
    """Arrow keys and Page Up / Down anywhere on the page (a presenter's clicker sends
    them) move the lesson, except while typing in a box or moving a slider."""

    _esm = """
    const LISTENERS = new Map();
    function render({ model }) {
      if (LISTENERS.has(model)) return;
      const onKey = (e) => {
        const t = e.target;
        if (t && (t.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(t.tagName)
            || (t.closest && t.closest(".widget-slider, .noUi-target")))) return;
        const move = { ArrowRight: 1, PageDown: 1, ArrowLeft: -1, PageUp: -1 }[e.key];
        if (!move) return;
        e.preventDefault();
        model.send({ move });
      };
      document.addEventListener("keydown", onKey);
      LISTENERS.set(model, onKey);
      return () => { document.removeEventListener("keydown", onKey); LISTENERS.delete(model); };
    }
    export default { render };
    """


class LessonPlayer(W.VBox):
    """A lesson, step by step: ``LessonPlayer("gradient-descent", step=3)``.

    ``notes=True`` shows the speaker notes under the player (for the teacher's own screen;
    ``player.speaker_notes`` is the same text as a widget to put elsewhere);
    ``presenter=True`` sets the narration in projector-sized type.
    """

    step = T.Int(1, min=1)

    def __init__(self, lesson="neuron", step: int = 1, notes: bool = False, presenter=False):
        self.lesson = _lesson(lesson)
        n = len(self.lesson)
        if isinstance(step, bool) or not isinstance(step, int) or not 1 <= step <= n:
            raise ValueError(f"step must be a whole number from 1 to {n}; got {step!r}")
        self.presenter = bool(presenter)
        wide = theme.COLUMN + (350 if self.presenter else 20)
        super().__init__(layout=W.Layout(width="100%", max_width=f"{wide}px"))
        self.stage = StepPanels()
        self.header = W.HTML()
        self.steps_list = W.Dropdown(
            options=[(f"{i}. {s.title}", i) for i, s in enumerate(self.lesson.steps, start=1)],
            description="step",
            layout=W.Layout(width="360px"),
            style=theme.WIDE,
        )
        self.previous = W.Button(description="Previous", icon="arrow-left",
                                 tooltip="the step before (← or Page Up)")  # fmt: skip
        self.next = W.Button(description="Next", icon="arrow-right", button_style="primary",
                             tooltip="the next step (→ or Page Down)")  # fmt: skip
        self.reset = W.Button(description="Reset this step", icon="undo",
                              tooltip="back to this step's setup")  # fmt: skip
        self.narration, self.try_this, self.feedback = W.HTML(), W.HTML(), W.HTML()
        self.speaker_notes = W.HTML(layout=W.Layout(border="1px dashed #999", padding="4px 8px"))
        self.choices = W.RadioButtons(layout=W.Layout(width="auto"))
        self.check = W.Button(description="Check my answer", icon="check")
        self.question = W.VBox([W.HTML(), self.choices, self.check, self.feedback])
        self.panel_box = W.Box(layout=W.Layout(width="100%"))
        self.keyboard = KeyNav()
        self.keyboard.on_msg(lambda _w, content, _b: self.move(content.get("move", 0)))
        self.previous.on_click(lambda _: self.move(-1))
        self.next.on_click(lambda _: self.move(1))
        self.reset.on_click(lambda _: self._show())
        self.check.on_click(lambda _: self._answer())
        self.steps_list.observe(lambda c: setattr(self, "step", c["new"]), "value")
        nav = theme.row([self.previous, self.next, self.steps_list, self.reset])
        text = W.VBox([self.narration, self.try_this, self.question])
        if self.presenter:  # a projector is wide and short: the narration beside the panel
            text.layout = W.Layout(width="330px", flex="0 0 330px", margin="0 16px 0 0")
            self.panel_box.layout = W.Layout(flex="1 1 0", min_width="0")
            body = [W.HBox([text, self.panel_box])]
        else:
            body = [text, self.panel_box]
        self.children = [self.header, nav, *body, self.keyboard] + (
            [self.speaker_notes] if notes else []
        )
        self.step = step
        self._show()

    @classmethod
    def from_query(cls, query: str | None = None) -> LessonPlayer | W.HTML:
        """The lesson and step a Voila page's address names (``?lesson=convolution&step=3``;
        ``notes=true`` and ``presenter=true`` for the teacher's screen)."""
        from ..lessons import LESSONS

        args = dict(parse_qsl(page_query() if query is None else query))
        name = args.get("lesson", next(iter(LESSONS)))
        problems = []
        if name not in LESSONS:
            problems.append(f"lesson {name!r} is not one of {', '.join(LESSONS)}")
            name = next(iter(LESSONS))
        step = args.get("step", "1")
        n = len(LESSONS[name])
        if not step.isdecimal() or not step.isascii() or not 1 <= int(step) <= n:
            problems.append(f"step {step!r} is not a step of {name!r} (1 to {n})")
            step = "1"
        player = cls(
            name,
            int(step),
            notes=args.get("notes", "").lower() in TRUE,
            presenter=args.get("presenter", "").lower() in TRUE,
        )
        if problems:
            player.header.value += theme.status_html(
                html.escape("; ".join(problems)) + ": showing the start", "warn"
            )
        return player

    # moving -------------------------------------------------------------------------------
    def move(self, by: int) -> None:
        self.step = min(max(self.step + by, 1), len(self.lesson))

    @T.validate("step")
    def _valid_step(self, proposal):
        n = len(self.lesson)
        if not 1 <= proposal["value"] <= n:
            raise T.TraitError(f"step must be from 1 to {n}; got {proposal['value']}")
        return proposal["value"]

    @T.observe("step")
    def _moved(self, change):
        if hasattr(self, "panel_box"):
            self._show()

    @property
    def panel(self) -> Panel:
        """The panel the current step shows."""
        return self.stage.get(self.lesson.steps[self.step - 1].panel)

    def _show(self) -> None:
        s, n = self.lesson.steps[self.step - 1], len(self.lesson)
        size = 20 if self.presenter else 16
        self.header.value = (
            f"<div style='font-size:{size + 4}px'><b>{html.escape(self.lesson.title)}</b> · "
            f"step {self.step} of {n}: {html.escape(s.title)}</div>"
        )
        self.steps_list.value = self.step
        self.previous.disabled, self.next.disabled = self.step == 1, self.step == n
        self.narration.value = (
            f"<div style='font-size:{size}px;line-height:1.45'>{markdown(s.narration)}</div>"
        )
        self.try_this.value = (
            f"<div style='font-size:{size}px;background:#fff8e1;padding:4px 10px;"
            f"border-left:4px solid #ffb000'><b>Try this:</b> {markdown(s.try_this)}</div>"
            if s.try_this
            else ""
        )
        self.speaker_notes.value = f"<b>Speaker notes, step {self.step}:</b> " + markdown(
            s.notes or "(none)"
        )
        q = s.question
        self.question.layout.display = None if q else "none"
        if q:
            self.question.children[
                0
            ].value = (
                f"<div style='font-size:{size}px'><b>Question:</b> {html.escape(q.text)}</div>"
            )
            self.choices.options, self.choices.value = list(q.choices), None
            self.feedback.value = ""
        panel = self.stage.show(s)
        if self.panel_box.children != (panel,):
            self.panel_box.children = [panel]

    def _answer(self) -> None:
        q = self.lesson.steps[self.step - 1].question
        if q is None:
            return
        if self.choices.value is None:
            self.feedback.value = theme.status_html("Pick an answer first.", "warn")
            return
        right = self.choices.index == q.answer
        verdict = "Right." if right else f"Not quite: the answer is “{q.choices[q.answer]}”."
        self.feedback.value = theme.status_html(
            f"{verdict} {markdown(q.explanation)}" if q.explanation else verdict,
            "ok" if right else "warn",
        )

    def close(self) -> None:
        if hasattr(self, "stage"):  # (a player whose arguments were refused has none)
            self.stage.close()
        super().close()


# export -----------------------------------------------------------------------------------
def export_html(lesson, path) -> Path:
    """The lesson as one self-contained HTML file: each step's narration and its figures as
    they are at that step (plotly's own HTML, its JavaScript included once; no kernel)."""
    import plotly.graph_objects as go
    import plotly.io as pio

    lesson = _lesson(lesson)
    stage = StepPanels()
    parts = [f"<h1>{html.escape(lesson.title)}</h1>"]
    if lesson.summary:
        parts.append(f"<p>{html.escape(lesson.summary)}</p>")
    first = True
    try:
        for i, step in enumerate(lesson.steps, start=1):
            panel = stage.show(step)
            frames = panel.controls.get("step")
            if step.action and frames is not None:  # a page cannot Play: show the last frame
                panel.step = frames.slider.max
            parts.append(f"<section><h2>Step {i}. {html.escape(step.title)}</h2>")
            parts.append(markdown(step.narration))
            if step.try_this:
                parts.append(f"<p><b>In the live panel, try:</b> {markdown(step.try_this)}</p>")
            if panel.message.value:
                parts.append(panel.message.value)
            for fig in panel.figures:
                if not any(t.get("visible", True) is not False for t in fig.traces):
                    continue
                figure = go.Figure(data=fig.traces, layout=fig.plot_layout)
                parts.append(
                    pio.to_html(
                        figure,
                        full_html=False,
                        include_plotlyjs=first,
                        config={"displaylogo": False},
                    )  # fmt: skip
                )
                first = False
            if step.question:
                q = step.question
                items = "".join(f"<li>{html.escape(c)}</li>" for c in q.choices)
                parts.append(
                    f"<p><b>Question:</b> {html.escape(q.text)}</p><ol>{items}</ol><details>"
                    f"<summary>Answer</summary><p>{html.escape(q.choices[q.answer])}. "
                    f"{markdown(q.explanation)}</p></details>"
                )
            parts.append("</section>")
    finally:
        stage.close()
    path = Path(path)
    path.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
        f"{html.escape(lesson.title)}</title><style>body{{font-family:sans-serif;"
        "max-width:980px;margin:auto;font-size:17px;line-height:1.45}section{margin:2em 0;"
        "border-top:1px solid #ccc}</style></head><body>" + "".join(parts) + "</body></html>",
        encoding="utf-8",
    )
    return path
