"""Voila serves the dashboards; headless Chromium loads them and moves a control."""

import pytest

import deepscope

pytestmark = pytest.mark.browser


def test_neuron_dashboard_reacts_to_a_slider(voila, open_page, shots):
    page, errors = open_page(f"{voila}/voila/render/neuron.ipynb")
    page.wait_for_selector(
        ".js-plotly-plot .heatmaplayer image, .js-plotly-plot .hm",
        timeout=180_000,
        state="attached",
    )
    page.wait_for_selector("text=AND truth table", timeout=60_000)
    page.screenshot(path=str(shots / "neuron.png"), full_page=True)
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
    page.screenshot(path=str(shots / "neuron_moved.png"), full_page=True)
    body = page.inner_text("body")
    assert "Traceback" not in body and "Error" not in body
    assert not errors
    page.close()


def test_gallery_links_the_dashboards(voila, open_page, shots):
    page, errors = open_page(f"{voila}/voila/render/index.ipynb")
    page.wait_for_selector("text=deepscope gallery", timeout=180_000)
    # wait for the whole page (the version line comes last), then follow a link
    page.wait_for_selector(f"text=deepscope {deepscope.__version__}", timeout=180_000)
    from deepscope.widgets import PANELS

    body = page.inner_text("body")
    assert all(panel.title in body for panel in PANELS.values())
    page.click("a:has-text('The neuron')")
    page.wait_for_selector("text=AND truth table", timeout=180_000)
    assert not errors
    page.close()
