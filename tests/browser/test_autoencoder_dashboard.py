"""The autoencoder dashboard trains on opening; the reconstructions and the code map appear;
a click on the map decodes that point."""

import pytest
from testkit import FIG

pytestmark = pytest.mark.browser


def test_train_then_click_the_code_map(voila, open_page, shots):
    page, errors = open_page(f"{voila}/voila/render/autoencoder.ipynb", height=1600)
    page.wait_for_selector("text=A code of 32 numbers", timeout=180_000)
    page.wait_for_function(
        f"() => ({FIG})('codes')._fullData.find(t => t.name === 'codes').x.length === 500",
        timeout=30_000,
    )
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "autoencoder.png"), full_page=True)
    box = page.evaluate(
        f"() => {{ const r = ({FIG})('codes').querySelector('.nsewdrag').getBoundingClientRect();"
        " return [r.x, r.y, r.width, r.height]; }"
    )
    page.mouse.click(box[0] + box[2] * 0.3, box[1] + box[3] * 0.4)
    page.wait_for_function(
        f"() => ({FIG})('codes').layout.title.text.includes('decoded')"
        f" && !({FIG})('codes').layout.title.text.includes('(0.00, 0.00)')",
        timeout=10_000,
    )
    page.screenshot(path=str(shots / "autoencoder_click.png"), full_page=True)
    assert "Traceback" not in page.inner_text("body")
    assert not errors
