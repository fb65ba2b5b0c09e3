"""Voila serves the dashboard; headless Chromium loads it and moves a control."""

import pytest

pytestmark = pytest.mark.browser


def test_convolution_dashboard_steps_and_reads_the_canvas(voila, open_page, shots):
    page, errors = open_page(f"{voila}/voila/render/convolution.ipynb", height=1600)
    page.wait_for_selector("text=The arithmetic", timeout=180_000)
    page.wait_for_selector(".js-plotly-plot .heatmaplayer", timeout=120_000, state="attached")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(shots / "convolution.png"), full_page=True)

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
    page.screenshot(path=str(shots / "convolution_drawn.png"), full_page=True)
    body = page.inner_text("body")
    assert "floor((28 + 2×0 − 3) / 1) + 1" in body
    # stack the layers: train the X/O network live and see its vote
    page.click(".lm-TabBar-tab:has-text('Stack the layers')")
    page.click("button:has-text('Train')")
    page.wait_for_selector("text=epoch 10 of 10", timeout=240_000)
    page.wait_for_selector("text=The vote", timeout=120_000)
    page.wait_for_timeout(1500)
    page.screenshot(path=str(shots / "convolution_stack.png"), full_page=True)
    body = page.inner_text("body")
    assert "Traceback" not in body
    assert not errors
    page.close()
