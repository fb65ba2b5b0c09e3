"""Lessons: teacher-led walkthroughs, as data.

A lesson is a TOML file of ordered steps. Each step names a panel (a ``PANELS`` name) and
the part of its state the step sets, the controls to hide, the narration (Markdown), and
optionally speaker notes, a "try this" prompt, an action (``train`` or ``learn``) and a
question with its answer::

    title = "The neuron and the logic gates"
    number = 1                    # its place in the course (the gallery's order)
    panel = "neuron"              # the steps' panel unless a step names another
    minutes = 10
    summary = "One neuron is a line; AND and OR are lines; XOR is not."

    [[steps]]
    title = "A weighted sum"
    state = { gate = "AND", w1 = 1.0, w2 = 1.0, b = -1.5 }
    hidden = ["activation"]
    tab = 1                       # for a panel with tabs: the one the step opens
    narration = "The neuron adds **w1·x1 + w2·x2 + b** ..."
    notes = "Ask the room first: which inputs should give 1?"
    try = "Drag b towards 0: which corner joins the 1s?"

    [steps.question]
    text = "Which gate needs two lines?"
    choices = ["AND", "OR", "XOR"]
    answer = 3                    # the right choice, counting from 1
    explanation = "XOR's 1s sit on opposite corners ..."

``Lesson.from_file(path)`` reads and checks one (a teacher's own file too);
``LESSONS`` holds the shipped ones, by name (the file's stem). Checking a step against its
panel (its state keys, values and controls) needs the panel classes, which are imported only
then; this module itself needs the standard library alone.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
ACTIONS = ("train", "learn")
LESSON_KEYS = {"title", "number", "panel", "minutes", "summary", "steps"}
STEP_KEYS = {
    "title", "panel", "state", "hidden", "narration", "notes", "try", "action", "question", "tab",
}  # fmt: skip
QUESTION_KEYS = {"text", "choices", "answer", "explanation"}


@dataclass(frozen=True)
class Question:
    text: str
    choices: tuple[str, ...]
    answer: int  # the index of the right choice (0-based; the file counts from 1)
    explanation: str = ""


@dataclass(frozen=True)
class Step:
    title: str
    panel: str
    state: dict
    narration: str
    hidden: tuple[str, ...] = ()
    notes: str = ""
    try_this: str = ""
    action: str = ""
    question: Question | None = None
    tab: int = 1  # the panel's tab the step opens (counting from 1), for a panel with tabs


@dataclass(frozen=True)
class Lesson:
    name: str
    title: str
    steps: tuple[Step, ...]
    minutes: int = 0
    summary: str = ""
    number: int = 0
    source: str = ""  # the file it came from
    panels: tuple[str, ...] = field(default=())

    def __len__(self) -> int:
        return len(self.steps)

    @classmethod
    def from_file(cls, path, check_panels: bool = True) -> Lesson:
        """Read and check a lesson file; a mistake raises ValueError naming the file, the
        step (counting from 1) and the key."""
        path = Path(path)
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ValueError(f"{path}: no such lesson file") from None
        except tomllib.TOMLDecodeError as err:
            raise ValueError(f"{path}: not valid TOML: {err}") from None
        lesson = parse(data, path.stem, str(path))
        if check_panels:
            from ..widgets.lesson import check_against_panels

            check_against_panels(lesson)
        return lesson


def _fail(where: str, key: str, why: str):
    raise ValueError(f"{where}, {key}: {why}")


def _text(where, key, value, required=True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        _fail(where, key, f"must be {'non-empty ' if required else ''}text, got {value!r}")
    return value


def _unknown(where, data: dict, allowed: set) -> None:
    extra = sorted(set(data) - allowed)
    if extra:
        _fail(where, extra[0], f"unknown key; allowed: {', '.join(sorted(allowed))}")


def _question(where: str, q) -> Question:
    where = f"{where}, question"
    if not isinstance(q, dict):
        _fail(where, "question", "must be a table: text, choices, answer, explanation")
    _unknown(where, q, QUESTION_KEYS)
    choices = q.get("choices")
    if (
        not isinstance(choices, list)
        or len(choices) < 2
        or not all(isinstance(c, str) and c.strip() for c in choices)
    ):
        _fail(where, "choices", f"must be a list of at least two texts, got {choices!r}")
    answer = q.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 1 <= answer <= len(choices):
        _fail(where, "answer", f"must be the right choice's number, 1 to {len(choices)}; got "
              f"{answer!r}")  # fmt: skip
    return Question(
        _text(where, "text", q.get("text")),
        tuple(choices),
        answer - 1,
        _text(where, "explanation", q.get("explanation"), required=False),
    )


def _step(source: str, n: int, data, default_panel: str) -> Step:
    where = f"{source}: step {n}"
    if not isinstance(data, dict):
        _fail(where, "steps", "each step must be a table ([[steps]])")
    _unknown(where, data, STEP_KEYS)
    panel = data.get("panel", default_panel)
    if not panel:
        _fail(where, "panel", "no panel: name one in the step or at the top of the file")
    state = data.get("state", {})
    if not isinstance(state, dict):
        _fail(where, "state", f"must be a table of settings, got {state!r}")
    hidden = data.get("hidden", [])
    if not isinstance(hidden, list) or not all(isinstance(h, str) for h in hidden):
        _fail(where, "hidden", f"must be a list of control names, got {hidden!r}")
    action = _text(where, "action", data.get("action"), required=False)
    if action and action not in ACTIONS:
        _fail(where, "action", f"must be one of {', '.join(ACTIONS)}; got {action!r}")
    question = data.get("question")
    tab = data.get("tab", 1)
    if isinstance(tab, bool) or not isinstance(tab, int) or tab < 1:
        _fail(where, "tab", f"must be the tab's number, counting from 1; got {tab!r}")
    return Step(
        tab=tab,
        title=_text(where, "title", data.get("title", f"Step {n}")),
        panel=_text(where, "panel", panel),
        state=dict(state),
        narration=_text(where, "narration", data.get("narration")),
        hidden=tuple(hidden),
        notes=_text(where, "notes", data.get("notes"), required=False),
        try_this=_text(where, "try", data.get("try"), required=False),
        action=action,
        question=None if question is None else _question(where, question),
    )


def parse(data: dict, name: str, source: str = "<lesson>") -> Lesson:
    """A Lesson from the parsed TOML ``data`` (structure only: panels are checked by
    ``from_file``)."""
    _unknown(source, data, LESSON_KEYS)
    title = _text(source, "title", data.get("title"))
    minutes, number = data.get("minutes", 0), data.get("number", 0)
    for key, value in (("minutes", minutes), ("number", number)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            _fail(source, key, f"must be a whole number >= 0, got {value!r}")
    steps = data.get("steps")
    if not isinstance(steps, list) or not steps:
        _fail(source, "steps", "a lesson needs at least one [[steps]] table")
    default = data.get("panel", "")
    parsed = tuple(_step(source, n, s, default) for n, s in enumerate(steps, start=1))
    return Lesson(
        name=name,
        title=title,
        steps=parsed,
        minutes=minutes,
        summary=_text(source, "summary", data.get("summary"), required=False),
        number=number,
        source=source,
        panels=tuple(dict.fromkeys(s.panel for s in parsed)),
    )


def shipped() -> dict[str, Lesson]:
    """The lessons shipped with deepscope, by name, in the course's order (``number``)."""
    lessons = [Lesson.from_file(p) for p in sorted(HERE.glob("*.toml"))]
    return {lesson.name: lesson for lesson in sorted(lessons, key=lambda x: x.number)}


def table(lessons: dict[str, Lesson] | None = None) -> str:
    """The gallery's table of lessons (Markdown), each a link into the lessons dashboard."""
    lessons = shipped() if lessons is None else lessons
    rows = [
        f"| [{lesson.title}](lessons.ipynb?lesson={name}) | {len(lesson)} | "
        f"{lesson.minutes} | {lesson.summary} |"
        for name, lesson in lessons.items()
    ]
    return "\n".join(["| lesson | steps | minutes | what it covers |", "|---|---|---|---|", *rows])


def __getattr__(name: str):
    """``LESSONS`` is read (and checked) on first use, not at import."""
    if name == "LESSONS":
        lessons = shipped()
        globals()["LESSONS"] = lessons
        return lessons
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ACTIONS", "LESSONS", "Lesson", "Question", "Step", "parse", "shipped", "table"]
