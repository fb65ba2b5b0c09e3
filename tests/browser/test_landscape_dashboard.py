"""The landscape dashboard trains live: a slider and Stop reach Python while it trains."""

import pytest

pytestmark = pytest.mark.browser

TITLE = (
    "() => { const p = document.querySelector('.js-plotly-plot');"
    " return p && p.layout && p.layout.title ? p.layout.title.text : ''; }"
)


def test_landscape_trains_live_and_stops(voila, open_page, shots):
    # a long run (2000 epochs of batches of 10), opened from a link that carries the setup
    page, errors = open_page(
        f"{voila}/voila/render/landscape.ipynb?batch_size=10&epochs=2000&resolution=21"
        "&learning_rate=0.05",
        height=1500,
    )
    page.wait_for_function(f"() => ({TITLE})().startsWith('Training: epoch')", timeout=180_000)
    assert "at learning rate 0.05" in page.evaluate(TITLE)
    batch = page.locator(".widget-dropdown:has-text('batch size') select")
    assert batch.evaluate("s => s.options[s.selectedIndex].text") == "10"  # from the link
    # move the learning rate while it trains: the running optimizer takes it
    handle = page.locator(".widget-slider:has-text('learning rate') .noUi-handle").first
    box = handle.bounding_box()
    page.mouse.move(box["x"] + 6, box["y"] + 6)
    page.mouse.down()
    page.mouse.move(box["x"] - 40, box["y"] + 6, steps=4)
    page.mouse.up()
    page.wait_for_function(
        f"() => ({TITLE})().startsWith('Training') && !({TITLE})().includes('rate 0.05,')",
        timeout=10_000,
    )
    page.screenshot(path=str(shots / "landscape_training.png"), full_page=True)
    page.click("button:has-text('Stop')")
    page.wait_for_selector("text=Stopped after", timeout=10_000)
    label = page.locator(".widget-html:has-text('epoch')").last.inner_text()
    page.wait_for_timeout(1500)
    assert page.locator(".widget-html:has-text('epoch')").last.inner_text() == label
    # a short full-batch run then draws the landscape and the path
    batch.select_option(label="full batch (500)")
    page.click("button:has-text('Train')")
    page.wait_for_selector("text=This plane holds", timeout=120_000)
    page.wait_for_function(
        "() => { const p = document.querySelector('.js-plotly-plot');"
        " const t = p._fullData.find(t => t.name === 'training path (projected)');"
        " return t.x.length > 2; }",
        timeout=30_000,
    )
    page.wait_for_timeout(1000)
    page.screenshot(path=str(shots / "landscape.png"), full_page=True)
    body = page.inner_text("body")
    assert "Traceback" not in body
    assert not errors
