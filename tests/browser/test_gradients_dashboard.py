"""The gradients dashboard: A and B train on opening, the heat map fills in, flipping one
switch of A and training again changes A's picture."""

import pytest
from testkit import FIG

pytestmark = pytest.mark.browser

HEADS = f"() => ({FIG})('norms A').layout.annotations.map(a => a.text)"


def test_train_flip_a_switch_and_train_again(voila, open_page, shots):
    page, errors = open_page(f"{voila}/voila/render/gradients.ipynb", height=1800)
    page.wait_for_selector("text=first layer's gradient / last's", timeout=180_000)
    columns = page.evaluate(
        f"() => ({FIG})('norms A')._fullData.find(t => t.name === 'norms A').z[0].length"
    )
    assert columns >= 100  # 20 epochs of 10 steps, every step a column
    before = page.evaluate(HEADS)[0]
    assert "20 sigmoid layers" in before and "e-1" in before  # faded: 1e-10 and below
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "gradients.png"), full_page=True)
    # one switch: ReLU for A, then train again
    page.get_by_label("activation", exact=True).select_option(label="ReLU")
    page.get_by_label("initialisation", exact=True).select_option(label="He")
    page.click("button:has-text('Train A and B')")
    page.wait_for_function(
        f"() => ({HEADS})()[0].includes('20 relu layers') && ({HEADS})()[0].includes('step 199')",
        timeout=120_000,
    )
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "gradients_relu.png"), full_page=True)
    assert "Traceback" not in page.inner_text("body")
    assert not errors
