"""Voila serves the dashboard; headless Chromium loads it and moves a control."""

import pytest

pytestmark = pytest.mark.browser


def _paths(page):
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot .scatterlayer .js-line'))"
        ".map(e => e.getAttribute('d')).join('|')"
    )


def test_descent_dashboard_learning_rate_changes_the_paths(voila, open_page, shots):
    page, errors = open_page(f"{voila}/voila/render/descent.ipynb", height=2000)
    page.wait_for_selector(".js-plotly-plot .contourlayer", timeout=180_000, state="attached")
    page.wait_for_selector("text=rate per coordinate", timeout=120_000)
    page.wait_for_selector("text=Train & compute", timeout=120_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(shots / "descent.png"), full_page=True)
    before = _paths(page)
    handle = page.locator(".widget-slider:has-text('learning rate') .noUi-handle").first
    box = handle.bounding_box()
    page.mouse.move(box["x"] + 8, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 8, steps=4)
    page.mouse.up()
    page.wait_for_function(
        "(old) => Array.from(document.querySelectorAll('.js-plotly-plot .scatterlayer .js-line'))"
        ".map(e => e.getAttribute('d')).join('|') !== old",
        arg=before,
        timeout=30_000,
    )
    page.click("button:has-text('Step')")
    page.wait_for_timeout(2000)
    page.screenshot(path=str(shots / "descent_moved.png"), full_page=True)
    # a click on the map moves the common start (the white ring, trace 5)
    start = "() => { const p = document.querySelector('.js-plotly-plot'); return p.data[5].x[0]; }"
    before_x = page.evaluate(start)
    box = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    tx, ty = box["x"] + 0.75 * box["width"], box["y"] + 0.75 * box["height"]
    page.mouse.move(tx - 4, ty - 4)
    page.mouse.move(tx, ty, steps=3)
    page.mouse.click(tx, ty)
    page.wait_for_function(f"() => ({start})() !== {before_x}", timeout=30_000)
    # Play runs the steps in the browser; Python redraws each (the title counts them)
    page.locator(".widget-play button").first.click()
    page.wait_for_function(
        "() => /step ([5-9]|[1-9][0-9]+) of/.test("
        "document.querySelector('.js-plotly-plot').layout.title.text)",
        timeout=30_000,
    )
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error" not in body
    assert not errors
    page.close()
