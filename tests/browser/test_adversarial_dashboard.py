"""The adversarial dashboard: it trains on opening, an attack's picture follows ε, the 2-D
point follows a click, transfer and the defence report their numbers."""

import pytest
from testkit import FIG

pytestmark = pytest.mark.browser

HEADS = f"() => ({FIG})('perturbation').layout.annotations.map(a => a.text)"


def test_train_attack_move_eps_and_defend(voila, open_page, shots):
    page, errors = open_page(f"{voila}/voila/render/adversarial.ipynb", height=1500)
    page.wait_for_selector("text=of 100 held-out images right", timeout=180_000)
    # the message can come a redraw before the figures: wait for the trained network's heads
    page.wait_for_function(
        f"() => {{ const h = ({HEADS})(); return h[3].startsWith('reads') && "
        "h[4].startsWith('now reads'); }",
        timeout=30_000,
    )
    heads = page.evaluate(HEADS)
    assert "L∞ 0.100" in heads[1] and heads[3].startswith("reads")
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "adversarial.png"), full_page=True)
    # drag ε to the right: the perturbation grows, the picture follows
    handle = page.locator(".widget-slider:has-text('ε (epsilon)') .noUi-handle").first
    box = handle.bounding_box()
    page.mouse.move(box["x"] + 6, box["y"] + 6)
    page.mouse.down()
    page.mouse.move(box["x"] + 20, box["y"] + 6, steps=4)
    page.mouse.up()
    page.wait_for_function(f"() => !({HEADS})()[1].includes('L∞ 0.100')", timeout=10_000)
    marker = page.evaluate(f"() => ({FIG})('ε now')._fullData.find(t => t.name === 'ε now').x[0]")
    assert marker > 0.1
    page.click("button:has-text('FGSM')")
    page.wait_for_function(f"() => ({HEADS})()[2].includes('one FGSM step')", timeout=10_000)
    # the 2-D tab: a click on the map moves the point
    page.click("text=2-D boundary")
    # (a figure in a tab not shown is drawn when the tab opens)
    shown = f"() => {{ const f = ({FIG})('decision'); return f && f.offsetWidth > 0; }}"
    page.wait_for_function(shown, timeout=10_000)
    page.wait_for_timeout(800)
    before = page.evaluate(
        f"() => ({FIG})('decision')._fullData.find(t => t.name === 'the point').x[0]"
    )
    plot = page.evaluate(
        f"() => {{ const d = ({FIG})('decision').querySelector('.nsewdrag');"
        " const r = d.getBoundingClientRect(); return [r.x, r.y, r.width, r.height]; }"
    )
    page.mouse.click(plot[0] + plot[2] * 0.2, plot[1] + plot[3] * 0.5)
    page.wait_for_function(
        f"() => ({FIG})('decision')._fullData.find(t => t.name === 'the point').x[0] !== {before}",
        timeout=10_000,
    )
    page.screenshot(path=str(shots / "adversarial_2d.png"), full_page=True)
    # transfer and the defence
    page.click("text=Transfer, defence")
    page.wait_for_selector("text=fools B (never seen)", timeout=30_000)
    page.click("button:has-text('Adversarial training')")
    page.wait_for_selector("text=Defended:", timeout=120_000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(shots / "adversarial_defence.png"), full_page=True)
    body = page.inner_text("body")
    assert "Traceback" not in body
    assert not errors
