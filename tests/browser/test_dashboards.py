"""Voila serves the dashboards; headless Chromium loads them and moves a control."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]
pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def voila(tmp_path_factory):
    """Voila serving voila_apps/ on a free port. Its log goes to a file: a pipe nobody reads
    fills up after a few hundred request lines and then blocks the server mid-test."""
    port = free_port()
    voila_bin = str(Path(sys.executable).with_name("voila"))
    log_path = tmp_path_factory.mktemp("voila") / "voila.log"
    log = open(log_path, "w")  # noqa: SIM115 (closed at teardown)
    proc = subprocess.Popen(
        [
            voila_bin,
            str(ROOT / "voila_apps"),
            "--no-browser",
            f"--port={port}",
            "--Voila.ip=127.0.0.1",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{url}/voila/static/voila.js", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"voila exited: {log_path.read_text()[-2000:]}")
            time.sleep(0.5)
    yield url
    proc.terminate()
    proc.wait(10)
    log.close()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists("/usr/bin/chromium"):
        pytest.fail("CI=true but /usr/bin/chromium is missing (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, url, height=1000):
    """Open url; collect console errors other than failed loads, and failed local loads."""
    page = browser.new_page(viewport={"width": 1200, "height": height})
    errors = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    # Font Awesome comes from a CDN (unreachable offline, so never a local response), and
    # Voila answers 403 to the kernel shutdown a page sends as it is left: both are allowed.
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and "/voila/api/shutdown/" not in r.url
            else None
        ),
    )
    page.goto(url, timeout=180_000)
    return page, errors


def test_neuron_dashboard_reacts_to_a_slider(voila, browser):
    SHOTS.mkdir(exist_ok=True)
    page, errors = open_page(browser, f"{voila}/voila/render/neuron.ipynb")
    page.wait_for_selector(
        ".js-plotly-plot .heatmaplayer image, .js-plotly-plot .hm",
        timeout=180_000,
        state="attached",
    )
    page.wait_for_selector("text=AND truth table", timeout=60_000)
    page.screenshot(path=str(SHOTS / "neuron.png"), full_page=True)
    assert "4 of 4 right" in page.inner_text("body")
    line_before = page.locator(".js-plotly-plot .scatterlayer .js-line").first.get_attribute("d")
    handle = page.locator(".widget-slider .noUi-handle").first  # w1
    box = handle.bounding_box()
    page.mouse.move(box["x"] + 8, box["y"] + 8)
    page.mouse.down()
    page.mouse.move(box["x"] + 70, box["y"] + 8, steps=6)
    page.mouse.up()
    page.wait_for_function("() => document.body.innerText.includes('3 of 4 right')", timeout=30_000)
    page.wait_for_timeout(2000)  # let the last drag values settle before the screenshot
    line_after = page.locator(".js-plotly-plot .scatterlayer .js-line").first.get_attribute("d")
    assert line_after != line_before
    page.screenshot(path=str(SHOTS / "neuron_moved.png"), full_page=True)
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error" not in body
    assert not errors
    page.close()


def test_gallery_links_the_dashboards(voila, browser):
    page, errors = open_page(browser, f"{voila}/voila/render/index.ipynb")
    page.wait_for_selector("text=deepscope gallery", timeout=180_000)
    page.click("text=The neuron")
    page.wait_for_selector("text=AND truth table", timeout=180_000)
    assert not errors
    page.close()


def _paths(page):
    return page.evaluate(
        "() => Array.from(document.querySelectorAll('.js-plotly-plot .scatterlayer .js-line'))"
        ".map(e => e.getAttribute('d')).join('|')"
    )


def test_descent_dashboard_learning_rate_changes_the_paths(voila, browser):
    SHOTS.mkdir(exist_ok=True)
    page, errors = open_page(browser, f"{voila}/voila/render/descent.ipynb", height=2000)
    page.wait_for_selector(".js-plotly-plot .contourlayer", timeout=180_000, state="attached")
    page.wait_for_selector("text=rate per coordinate", timeout=120_000)
    page.wait_for_selector("text=Train & compute", timeout=120_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "descent.png"), full_page=True)
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
    page.screenshot(path=str(SHOTS / "descent_moved.png"), full_page=True)
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


def test_convolution_dashboard_steps_and_reads_the_canvas(voila, browser):
    SHOTS.mkdir(exist_ok=True)
    page, errors = open_page(browser, f"{voila}/voila/render/convolution.ipynb", height=1600)
    page.wait_for_selector("text=The arithmetic", timeout=180_000)
    page.wait_for_selector(".js-plotly-plot .heatmaplayer", timeout=120_000, state="attached")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "convolution.png"), full_page=True)

    def window_and_cells():
        return page.evaluate(
            "() => { const p = document.querySelector('.js-plotly-plot');"
            " const r = p.layout.shapes[0];"
            " const z = Array.from(p.data[2].z).flatMap(row => Array.from(row));"
            " return [r.x0, r.y0, z.filter(v => typeof v === 'number' && !isNaN(v)).length]; }"
        )

    x0, y0, filled = window_and_cells()
    assert filled == 1
    page.click("button:has-text('Step')")
    page.wait_for_function(
        "() => document.querySelector('.js-plotly-plot').layout.shapes[0].x0 !== " + str(x0),
        timeout=30_000,
    )
    x1, y1, filled1 = window_and_cells()
    assert (x1, y1) == (x0 + 1, y0) and filled1 == 2
    # draw on the canvas: the stroke must reach Python, which recomputes from the drawing
    page.click("button:has-text('drawing')")
    canvas = page.locator(".deepscope-canvas canvas")
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.15 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.85 * box["height"], steps=12)
    page.mouse.up()
    page.wait_for_function(
        "() => { const z = Array.from(document.querySelector('.js-plotly-plot').data[0].z)"
        ".flatMap(r => Array.from(r));"
        " return z.length === 784 && z.some(v => v > 0.5); }",
        timeout=30_000,
    )
    page.wait_for_timeout(1000)
    page.screenshot(path=str(SHOTS / "convolution_drawn.png"), full_page=True)
    body = page.inner_text("body")
    assert "floor((28 + 2×0 − 3) / 1) + 1" in body
    # stack the layers: train the X/O network live and see its vote
    page.click(".lm-TabBar-tab:has-text('Stack the layers')")
    page.click("button:has-text('Train')")
    page.wait_for_selector("text=epoch 10 of 10", timeout=240_000)
    page.wait_for_selector("text=The vote", timeout=120_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "convolution_stack.png"), full_page=True)
    body = page.inner_text("body")
    assert "Traceback" not in body
    assert not errors
    page.close()
