"""Voila serves the descent dashboard; headless Chromium moves its controls and reads the
figures back (``el.data``, ``el.layout`` of each plotly.js plot)."""

import json

import pytest

pytestmark = pytest.mark.browser

MAP = (
    "Array.from(document.querySelectorAll('.js-plotly-plot'))"
    ".find(p => p.data && p.data.some(t => t.type === 'contour'))"
)
TITLE = f"() => {{ const p = {MAP}; return p && p.layout.title ? p.layout.title.text : ''; }}"


def trace(page, name: str) -> dict:
    """Trace ``name`` of the map as the browser has it."""
    found = f"{MAP}.data.find(t => t.name === {json.dumps(name)})"
    return page.evaluate(f"() => {{ const t = {found}; return {{x: Array.from(t.x)}}; }}")


def fits(page) -> bool:
    """Nothing sticks out to the right: no horizontal scrolling, the figures and the readout
    table inside the window, each plot drawn as wide as its box (not wider and cut off)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth <= window.innerWidth && "
        "Array.from(document.querySelectorAll('.deepscope-figure, table')).every(f => "
        "f.getBoundingClientRect().right <= window.innerWidth) && "
        "Array.from(document.querySelectorAll('.js-plotly-plot')).every(p => "
        "p.offsetWidth === 0 || Math.abs(p._fullLayout.width - p.offsetWidth) <= 1)"
    )


def opened(page):
    page.wait_for_function(f"() => ({TITLE})().includes('step 0 of')", timeout=180_000)
    page.wait_for_selector("text=update (next move)", timeout=60_000)
    page.wait_for_timeout(1000)


def test_descent_dashboard_reacts_to_the_rate_a_click_and_play(voila, open_page, shots):
    page, errors = open_page(f"{voila}/voila/render/descent.ipynb", height=2000)
    opened(page)
    assert page.evaluate(TITLE).startswith("rosenbrock")
    page.screenshot(path=str(shots / "descent.png"), full_page=True)
    assert fits(page)
    before = trace(page, "GD")
    handle = page.locator(".widget-slider:has-text('learning rate') .noUi-handle").first
    box = handle.bounding_box()
    page.mouse.move(box["x"] + 6, box["y"] + 6)
    page.mouse.down()
    page.mouse.move(box["x"] + 40, box["y"] + 6, steps=4)
    page.mouse.up()
    page.wait_for_function(
        f"(old) => JSON.stringify(Array.from({MAP}.data.find(t => t.name === 'GD').x)) !== old",
        arg=json.dumps(before["x"]),
        timeout=30_000,
    )
    assert page.locator(
        ".widget-slider:has-text('learning rate') .widget-readout"
    ).inner_text() in {
        "0.002",
        "0.005",
        "0.01",
        "0.02",
        "0.05",
    }
    # a click on the map moves the common start (the white disc)
    start_x = trace(page, "start")["x"][0]
    box = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
    tx, ty = box["x"] + 0.75 * box["width"], box["y"] + 0.75 * box["height"]
    page.mouse.move(tx - 4, ty - 4)
    page.mouse.move(tx, ty, steps=3)
    page.mouse.click(tx, ty)
    page.wait_for_function(
        f"() => {MAP}.data.find(t => t.name === 'start').x[0] !== {start_x}", timeout=30_000
    )
    page.click("button:has-text('Step')")
    page.wait_for_function(f"() => ({TITLE})().includes('step 1 of')", timeout=30_000)
    # Play runs the steps in the browser; Python draws each one (the title counts them)
    page.locator(".widget-play button").first.click()
    page.wait_for_function(
        f"() => /step ([1-9][0-9]+) of/.test(({TITLE})())",
        timeout=30_000,
    )
    page.locator(".widget-play button").first.click()  # pause (the second button stops)
    page.wait_for_timeout(1500)
    slider = page.locator(".widget-hbox:has(> .widget-play) .widget-readout").first.inner_text()
    assert f"step {slider} of" in page.evaluate(TITLE)  # the plot kept up with the slider
    dots = page.evaluate(f"() => {MAP}._fullLayout.shapes.filter(s => s.visible).length")
    assert dots >= 4  # a marker per ticked optimizer
    page.screenshot(path=str(shots / "descent_played.png"), full_page=True)
    page.set_viewport_size({"width": 950, "height": 2000})
    page.wait_for_timeout(1500)
    assert fits(page)
    page.screenshot(path=str(shots / "descent_950.png"), full_page=True)
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error" not in body
    assert not errors


def test_descent_dashboard_opens_the_setup_of_its_link(voila, open_page, shots):
    page, errors = open_page(
        f"{voila}/voila/render/descent.ipynb?surface=ravine&learning_rate=0.02"
        "&hidden=learning_rate",
        height=2000,
    )
    opened(page)
    assert page.evaluate(TITLE).startswith("ravine")
    assert page.locator(".widget-slider:has-text('learning rate')").count() == 1
    assert not page.locator(".widget-slider:has-text('learning rate')").is_visible()
    assert page.locator(".widget-slider:has-text('momentum')").is_visible()
    assert "learning_rate=0.02" in page.inner_text("body")  # the link to this setup
    assert fits(page)
    page.screenshot(path=str(shots / "descent_link.png"), full_page=True)
    assert not errors


@pytest.mark.parametrize(
    "setup, width",
    [
        ("surface=double-well&optimizers=sgd,momentum,adam&step=12", 1200),
        ("surface=plateau&optimizers=sgd&start_x=3.4", 950),
        ("surface=bowl&optimizers=sgd,momentum,nesterov,adam&learning_rate=3", 950),
        ("surface=beale&view=3-D&step=40", 950),
        ("surface=himmelblau&optimizers=momentum,adam&arrows_for=momentum&step=6", 760),
        ("optimizers=sgd,momentum,nesterov,rmsprop,adam&learning_rate=0.002&step=115", 980),
    ],
    ids=["1d", "plateau", "diverged", "3d", "narrow", "five"],
)
def test_descent_dashboard_setups_fit_and_draw(voila, open_page, shots, setup, width):
    page, errors = open_page(f"{voila}/voila/render/descent.ipynb?{setup}", 2000, width)
    page.wait_for_selector("text=update (next move)", timeout=180_000)
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot'))"
        ".some(p => p.offsetWidth > 0 && p.layout.title && / of \\d+$/.test(p.layout.title.text))",
        timeout=60_000,
    )
    page.wait_for_timeout(2500)
    assert fits(page)
    name = setup.split("&")[0].split("=")[1]
    page.screenshot(path=str(shots / f"descent_{name}_{width}.png"), full_page=True)
    body = page.inner_text("body")
    assert "Traceback" not in body and "not used" not in body
    assert not errors
