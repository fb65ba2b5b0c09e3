"""Voila serves the convolution dashboard; headless Chromium steps it, draws on its canvas,
trains its CNN live (shuffling the input and stopping mid-run) and opens it from a link."""

import time

import pytest

pytestmark = pytest.mark.browser

PAGE = "/voila/render/convolution.ipynb"
# the figure holding a trace named NAME, and the numbers of a heatmap's z (binary or not)
JS = """
window.fig = name => [...document.querySelectorAll('.js-plotly-plot')]
  .find(p => p.data && p.data.some(t => t.name === name));
window.trace = (fig, name) => fig.data.find(t => t.name === name);
window.cells = t => Array.from((t.z && t.z._inputArray) || t.z || []).flatMap(r => Array.from(r));
"""


def ready(page):
    page.wait_for_selector("text=The arithmetic", timeout=180_000)
    page.wait_for_selector(".js-plotly-plot .heatmaplayer", timeout=120_000, state="attached")
    page.add_script_tag(content=JS)


def stack_drawn(page) -> bool:
    """The stack figure has all its traces and every heatmap has numbers."""
    return page.evaluate(
        "() => { const f = fig('conv 1 filters #1'); if (!f || f.offsetWidth === 0) return false;"
        " const maps = f.data.filter(t => t.type === 'heatmap');"
        " return f.data.length === 30 && maps.every(t => cells(t).length > 0)"
        " && f.querySelectorAll('.heatmaplayer image, .heatmaplayer .hm').length > 0; }"
    )


def epoch_label(page) -> str:
    return page.locator(".widget-html:has-text(' of 30')").first.inner_text()  # the bar's


def test_convolution_dashboard_steps_draws_and_trains_live(voila, open_page, shots):
    page, errors = open_page(f"{voila}{PAGE}", height=1700)
    ready(page)
    page.wait_for_timeout(1000)
    page.screenshot(path=str(shots / "convolution.png"), full_page=True)

    def window_and_cells():
        return page.evaluate(
            "() => { const f = fig('products'); const r = f.layout.shapes[0];"
            " const z = cells(trace(f, 'output')).filter(v => !isNaN(v));"
            " return [r.x0, r.y0, z.length]; }"
        )

    x0, y0, filled = window_and_cells()
    assert filled == 1
    page.locator("button:text-is('Step')").click()
    page.wait_for_function(f"() => fig('products').layout.shapes[0].x0 !== {x0}", timeout=30_000)
    assert window_and_cells() == [x0 + 1, y0, 2]
    # draw on the canvas: the stroke must reach Python, which recomputes from the drawing
    page.get_by_role("button", name="drawing").click()
    canvas = page.locator(".deepscope-canvas canvas")
    canvas.wait_for(state="visible", timeout=30_000)
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.15 * box["height"])
    page.mouse.down()
    page.mouse.move(box["x"] + 0.5 * box["width"], box["y"] + 0.85 * box["height"], steps=12)
    page.mouse.up()
    page.wait_for_function(
        "() => { const z = cells(trace(fig('products'), 'input'));"
        " return z.length === 784 && z.some(v => v > 0.5); }",
        timeout=30_000,
    )
    page.wait_for_timeout(1000)
    page.screenshot(path=str(shots / "convolution_drawn.png"), full_page=True)
    assert "floor((28 + 2×0 − 3) / 1) + 1" in page.inner_text("body")

    # stack the layers: MNIST for 30 epochs, long enough to act while it trains
    page.click(".lm-TabBar-tab:has-text('Stack the layers')")
    page.wait_for_function("() => fig('vote') && fig('vote').offsetWidth > 0", timeout=30_000)
    page.get_by_role("button", name="MNIST").filter(visible=True).click()
    readout = page.locator(".widget-readout").filter(visible=True).first
    readout.click()
    page.keyboard.press("Control+A")
    page.keyboard.type("30")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "() => trace(fig('vote'), 'vote').x.length === 10", timeout=60_000
    )  # the untrained MNIST network's ten classes
    assert stack_drawn(page)
    page.get_by_role("button", name="Train").click()
    page.wait_for_selector("text=held-out accuracy", timeout=120_000)
    assert page.get_by_role("button", name="Stop").is_enabled()
    page.wait_for_function(
        "() => /training on MNIST digits, [0-9]+ of 30 epochs done/"
        ".test(fig('vote').layout.title.text)",
        timeout=30_000,
    )  # the vote's title says it is training, never "untrained"
    page.screenshot(path=str(shots / "convolution_training.png"), full_page=True)
    # while it trains, shuffle the input's pixels: the input map and the title follow
    before = page.evaluate("() => cells(trace(fig('vote'), 'input')).slice(0, 200).join()")
    page.get_by_text("shuffle the input's pixels").click()
    page.wait_for_function(
        "b => cells(trace(fig('vote'), 'input')).slice(0, 200).join() !== b"
        " && fig('vote').layout.title.text.includes('shuffled')",
        arg=before,
        timeout=30_000,
    )
    assert page.get_by_role("button", name="Stop").is_enabled(), "training ended too soon"
    # Stop: the run ends (Train is enabled again) and the epoch count stops moving
    page.get_by_role("button", name="Stop").click()
    t0 = time.perf_counter()
    page.get_by_role("button", name="Train").and_(page.locator(":enabled")).wait_for(timeout=30_000)
    latency = time.perf_counter() - t0
    stopped = epoch_label(page)
    page.wait_for_timeout(2000)
    assert epoch_label(page) == stopped and "stopped after" in stopped and "30 of" not in stopped
    print(f"Stop took {latency:.2f} s to end training ({stopped})")
    assert "Stopped after" in page.inner_text("body")
    page.wait_for_function(
        "() => / after [0-9]+ epochs? on MNIST digits/.test(fig('vote').layout.title.text)",
        timeout=30_000,
    )
    assert stack_drawn(page)
    page.screenshot(path=str(shots / "convolution_stack.png"), full_page=True)
    body = page.inner_text("body")
    assert "Traceback" not in body
    assert not errors
    page.close()


@pytest.mark.parametrize("load", range(3))
def test_the_stack_figure_draws_after_training_on_a_fresh_page(voila, open_page, shots, load):
    page, errors = open_page(f"{voila}{PAGE}", height=1700)
    ready(page)
    page.click(".lm-TabBar-tab:has-text('Stack the layers')")
    page.get_by_role("button", name="Train").click()
    page.wait_for_selector("text=after 10 epochs", timeout=240_000)
    page.wait_for_function("() => fig('vote').layout.title.text.includes('The vote: <b>X')")
    page.wait_for_timeout(500)
    assert stack_drawn(page)
    page.screenshot(path=str(shots / f"convolution_stack_fresh{load}.png"), full_page=True)
    assert not errors
    page.close()


def test_a_link_opens_the_dashboard_in_its_state(voila, open_page, shots):
    page, errors = open_page(f"{voila}{PAGE}?source=O&stride=2", height=1400)
    ready(page)
    body = page.inner_text("body")
    assert "floor((9 + 2×0 − 3) / 2) + 1 = 4" in body and "source=O&stride=2" in body
    assert page.evaluate("() => fig('products').layout.xaxis3.range") == [-0.5, 3.5]
    assert "stride 2" in page.evaluate("() => fig('products').layout.title.text")
    o = page.evaluate("() => cells(trace(fig('products'), 'input'))")
    assert len(o) == 81 and o[13] == 1 and o[10] == -1  # the O's top stroke, not the X's
    page.set_viewport_size({"width": 950, "height": 1400})
    page.wait_for_timeout(1500)
    page.screenshot(path=str(shots / "convolution_950.png"), full_page=True)
    assert not errors
    page.close()
