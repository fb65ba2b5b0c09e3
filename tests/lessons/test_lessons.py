"""Lessons: every shipped one loads and every step applies to its panel; each kind of mistake
in a lesson file names the file, the step and the key."""

import numpy as np
import pytest

from deepscope.lessons import LESSONS, Lesson
from deepscope.widgets import PANELS
from deepscope.widgets.lesson import LessonPlayer, StepPanels

NAMES = list(LESSONS)


def test_lessons_are_shipped_in_course_order():
    assert NAMES[0] == "neuron"
    assert [LESSONS[n].number for n in NAMES] == sorted(LESSONS[n].number for n in NAMES)
    for lesson in LESSONS.values():
        assert lesson.minutes > 0 and lesson.summary and 6 <= len(lesson) <= 12, lesson.name


@pytest.mark.parametrize("name", NAMES)
def test_every_step_applies_to_its_panel(name):
    stage = StepPanels()
    try:
        for n, step in enumerate(LESSONS[name].steps, start=1):
            panel = stage.show(step)
            assert isinstance(panel, PANELS[step.panel])
            state = panel.state
            for key, value in step.state.items():
                assert state[key] == value, f"step {n}: {key}"
            assert sorted(state["hidden"]) == sorted(step.hidden)
            assert "⚠" not in panel.message.value or step.action, (n, panel.message.value)
            assert not panel.running
    finally:
        stage.close()


def write(tmp_path, text):
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_STEP = """
[[steps]]
title = "One"
narration = "Some words."
"""


@pytest.mark.parametrize(
    "text, match",
    [
        ('title = "T"\npanel = "nope"' + GOOD_STEP, r"step 1, panel: unknown panel 'nope'"),
        (
            'title = "T"\npanel = "neuron"\n[[steps]]\nnarration = "x"\nstate = { colour = 1 }',
            r"step 1, state.colour: not a setting of NeuronPanel",
        ),
        (
            'title = "T"\npanel = "neuron"\n[[steps]]\nnarration = "x"\nstate = { gate = "NAND" }',
            r"step 1, state.gate: 'NAND' is not one of AND, OR, XOR",
        ),
        (
            'title = "T"\npanel = "neuron"\n[[steps]]\nnarration = "x"\nstate = { w1 = 99.0 }',
            r"step 1, state.w1: 99.0 is not allowed: a number from -10.0 to 10.0",
        ),
        (
            'title = "T"\npanel = "neuron"\n[[steps]]\nnarration = "x"\nhidden = ["knob"]',
            r"step 1, hidden: 'knob' is not a control of NeuronPanel",
        ),
        (
            'title = "T"\npanel = "neuron"' + GOOD_STEP + '[steps.question]\ntext = "Q?"\n'
            'choices = ["a", "b"]',
            r"step 1, question, answer: must be the right choice's number",
        ),
        (
            'title = "T"\npanel = "neuron"' + GOOD_STEP + '[steps.question]\ntext = "Q?"\n'
            'choices = ["a", "b"]\nanswer = 3',
            r"answer: must be the right choice's number, 1 to 2",
        ),
        (
            'title = "T"\npanel = "neuron"\n[[steps]]\ntitle = "no words"',
            r"step 1, narration: must be non-empty text",
        ),
        (
            'title = "T"\npanel = "neuron"' + GOOD_STEP + 'colour = "red"',
            r"step 1, colour: unknown key",
        ),
        (
            'title = "T"\npanel = "descent"' + GOOD_STEP + 'action = "train"',
            r"step 1, action: DescentPanel cannot 'train'",
        ),
        (
            'title = "T"\npanel = "neuron"' + GOOD_STEP + "tab = 2",
            r"step 1, tab: NeuronPanel has no tab 2",
        ),
        ('title = "T"\npanel = "neuron"', r"steps: a lesson needs at least one"),
        ('title = "T"\npanel = "neuron"\nsteps = [', r"not valid TOML"),
    ],
    ids=[
        "panel",
        "key",
        "enum",
        "range",
        "hidden",
        "no-answer",
        "bad-answer",
        "narration",
        "step-key",
        "action",
        "tab",
        "no-steps",
        "toml",
    ],  # fmt: skip
)
def test_each_mistake_names_the_file_the_step_and_the_key(tmp_path, text, match):
    path = write(tmp_path, text)
    with pytest.raises(ValueError, match=match) as err:
        Lesson.from_file(path)
    assert str(path) in str(err.value)


def test_a_teachers_own_file_plays(tmp_path):
    path = write(
        tmp_path,
        'title = "Mine"\npanel = "neuron"\nminutes = 3\n[[steps]]\nnarration = "**OR**"\n'
        'state = { gate = "OR", b = -0.5 }\n[[steps]]\nnarration = "XOR"\nstate = { gate = "XOR" }',
    )
    player = LessonPlayer(str(path))
    assert "<strong>OR</strong>" in player.narration.value and player.panel.gate == "OR"
    player.move(1)
    assert player.step == 2 and player.panel.gate == "XOR" and player.panel.b == -1.5
    player.move(1)  # past the end: stays
    assert player.step == 2 and player.next.disabled


def test_the_readmes_lesson_file_loads(tmp_path):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    lesson = Lesson.from_file(write(tmp_path, block))
    assert lesson.steps[0].question.answer == 1 and lesson.steps[0].hidden


def test_a_step_change_on_the_same_panel_is_one_message_per_figure(monkeypatch):
    player = LessonPlayer("gradient-descent")
    sent = {id(f): [] for f in player.panel.figures}
    for fig in player.panel.figures:
        monkeypatch.setattr(fig, "send", lambda *a, _f=fig, **k: sent[id(_f)].append(a))
    first = player.panel
    player.move(1)
    assert player.panel is first  # the same instance: quick
    assert all(len(s) <= 1 for s in sent.values()) and any(sent.values())
    assert player.panel.learning_rate == LESSONS["gradient-descent"].steps[1].state.get(
        "learning_rate", player.stage.pristine["descent"]["learning_rate"]
    )


def test_reset_puts_the_step_back_and_questions_give_feedback():
    player = LessonPlayer("neuron", step=2)
    player.panel.b = 3.0
    player.reset.click()
    assert player.panel.b == LESSONS["neuron"].steps[1].state["b"]
    q = LESSONS["neuron"].steps[1].question
    player.check.click()
    assert "Pick an answer first" in player.feedback.value
    player.choices.value = q.choices[q.answer]
    player.check.click()
    assert "Right." in player.feedback.value
    player.choices.value = q.choices[(q.answer + 1) % len(q.choices)]
    player.check.click()
    assert "Not quite" in player.feedback.value and q.choices[q.answer] in player.feedback.value


def test_a_link_picks_the_lesson_and_step_and_says_what_it_could_not():
    player = LessonPlayer.from_query("lesson=convolution&step=3&presenter=true")
    assert player.lesson.name == "convolution" and player.step == 3 and player.presenter
    assert player.speaker_notes not in player.children  # the students' page has no notes
    odd = LessonPlayer.from_query("lesson=nope&step=99")
    assert odd.step == 1 and "lesson &#x27;nope&#x27; is not one of" in odd.header.value
    with pytest.raises(ValueError, match="step must be a whole number from 1 to 7"):
        LessonPlayer("neuron", step=8)


def test_a_step_opens_its_tab():
    stage = StepPanels()
    try:
        steps = LESSONS["adversarial"].steps
        tabs = [stage.show(s).tabs.selected_index for s in (steps[6], steps[7], steps[0])]
        assert tabs == [1, 2, 0]  # the 2-D view, transfer, then back to the attack
    finally:
        stage.close()


def test_reset_trains_a_playground_step_from_scratch():
    """The playground keeps its network when only the learning rate changes; a step that
    opens again still starts from a new one, so its narration's numbers hold."""
    player = LessonPlayer("playground", step=1)
    first = player.panel.experiment.history.copy()
    assert player.panel.experiment.epoch == first[-1, 0] > 0
    player.reset.click()
    np.testing.assert_array_equal(player.panel.experiment.history, first)
