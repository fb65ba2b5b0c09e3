"""The lessons dashboard at a projector's 1280x720: a link opens a step, Next walks the whole
lesson with the panel changing, the arrow keys move, speaker notes stay off the students' page;
an exported lesson draws its figures with no kernel."""

import pytest

from deepscope.lessons import LESSONS

pytestmark = pytest.mark.browser

HEADER = "() => document.querySelector('.widget-html b') ? document.body.innerText : ''"


def at_step(page, n, total):
    page.wait_for_selector(f"text=step {n} of {total}", timeout=60_000)


def test_a_lesson_opens_at_its_step_and_walks_through(voila, open_page, shots):
    lesson = LESSONS["neuron"]
    total = len(lesson)
    page, errors = open_page(
        f"{voila}/voila/render/lessons.ipynb?lesson=neuron&step=3&presenter=true", 720, 1280
    )
    at_step(page, 3, total)
    page.wait_for_selector(".js-plotly-plot", timeout=60_000)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(shots / "lesson_step3.png"))
    assert lesson.steps[2].title in page.inner_text("body")
    # the speaker notes are not on the students' page
    for step in lesson.steps:
        if step.notes:
            assert step.notes[:40] not in page.inner_text("body")
    titles = set()
    for n in range(4, total + 1):
        page.click("button:has-text('Next')")
        at_step(page, n, total)
        page.wait_for_timeout(300)
        titles.add(page.evaluate(
            "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
            ".map(p => p.layout.title ? p.layout.title.text : '').join('|')"
        ))  # fmt: skip
    assert len(titles) > 2, "the panel changes from step to step"
    assert page.locator("button:has-text('Next')").is_disabled()
    page.screenshot(path=str(shots / "lesson_last.png"))
    # the keyboard (a presenter's clicker sends arrows or Page Up / Down)
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("ArrowLeft")
    at_step(page, total - 1, total)
    page.keyboard.press("PageUp")
    at_step(page, total - 2, total)
    page.keyboard.press("PageDown")
    at_step(page, total - 1, total)
    assert "Traceback" not in page.inner_text("body")
    assert not errors


def test_the_teachers_page_has_the_notes(voila, open_page):
    page, errors = open_page(f"{voila}/voila/render/lessons.ipynb?lesson=neuron&notes=true")
    page.wait_for_selector("text=Speaker notes, step 1", timeout=60_000)
    assert LESSONS["neuron"].steps[0].notes[:40] in page.inner_text("body")
    assert not errors


def test_an_exported_lesson_draws_without_a_kernel(tmp_path, browser):
    from deepscope.widgets.lesson import export_html

    path = export_html("neuron", tmp_path / "neuron.html")
    page = browser.new_page(viewport={"width": 1000, "height": 800})
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri())
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .main-svg').length > 0", timeout=30_000
    )
    sections = page.evaluate("document.querySelectorAll('section').length")
    drawn = page.evaluate(
        "() => Array.from(document.querySelectorAll('section')).filter(s =>"
        " s.querySelector('.js-plotly-plot') && s.querySelector('.js-plotly-plot').data.length)"
        ".length"
    )
    assert sections == len(LESSONS["neuron"]) and drawn == sections
    page.close()
    assert not errors
