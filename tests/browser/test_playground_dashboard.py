"""The playground dashboard: Play trains (the output map and the neurons' pictures change),
a learning rate changed while it trains keeps the network, the + button adds a hidden
layer, a click on an input toggles that feature."""

import pytest
from testkit import FIG

pytestmark = pytest.mark.browser

# JavaScript: page coordinates of point i of trace ``name`` (in its plot's first axes)
WHERE = (
    f"([name, i]) => {{ const p = ({FIG})(name);"
    " const t = p._fullData.find(t => t.name === name);"
    " const xa = p._fullLayout.xaxis, ya = p._fullLayout.yaxis;"
    " const r = p.getBoundingClientRect();"
    " return [r.x + xa._offset + xa.l2p(t.x[i]), r.y + ya._offset + ya.l2p(t.y[i])]; }"
)
TITLE = f"() => ({FIG})('map').layout.title.text"
EPOCH = f"() => parseInt(({TITLE})().match(/epoch ([\\d,]+)/)[1].replace(/,/g, ''))"
NODES = f"() => ({FIG})('nodes')._fullData.find(t => t.name === 'nodes').x.length"


def _picture(page, name):
    """The picture drawn in the plot that has trace ``name`` (the output map, or every
    neuron's tile in the network's plot), as its PNG data."""
    return page.evaluate(f"() => ({FIG})('{name}').layout.images[0].source")


def test_play_change_the_rate_add_a_layer_toggle_a_feature(voila, open_page, shots):
    page, errors = open_page(f"{voila}/voila/render/playground.ipynb", height=1300)
    page.wait_for_function(f"() => ({FIG})('nodes') && ({NODES})() === 7 + 4 + 2 + 1",
                           timeout=180_000)  # fmt: skip
    page.wait_for_timeout(500)
    page.screenshot(path=str(shots / "playground_start.png"), full_page=True)
    before_map, before_neurons = _picture(page, "map"), _picture(page, "nodes")
    assert before_map.startswith("data:image/png;base64,") and len(before_neurons) > 1000

    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"() => ({EPOCH})() >= 30", timeout=30_000)
    page.get_by_label("learning rate").select_option(label="0.1")  # mid-run
    page.wait_for_timeout(700)
    assert page.evaluate(EPOCH) > 30, "a learning rate change must not reset the network"
    page.screenshot(path=str(shots / "playground_training.png"), full_page=True)
    assert _picture(page, "map") != before_map
    assert _picture(page, "nodes") != before_neurons

    page.get_by_role("button", name="Pause").click()
    page.get_by_role("button", name="+").first.click()  # one hidden layer more (2 neurons)
    page.wait_for_function(f"() => ({NODES})() === 7 + 4 + 2 + 2 + 1", timeout=20_000)
    assert page.evaluate(EPOCH) == 0  # a new shape is a new network

    # X1X2 is the input tile at row 4: a click turns it on
    x, y = page.evaluate(WHERE, ["nodes", 4])
    page.mouse.click(x, y)
    page.wait_for_function(
        f"() => ({FIG})('nodes')._fullData.find(t => t.name === 'nodes').customdata[4]"
        ".includes('on: click to turn it off')",
        timeout=20_000,
    )
    page.screenshot(path=str(shots / "playground.png"), full_page=True)
    assert "playground.ipynb?" in page.inner_text("body")  # the link carries the setup
    assert "features=x1,x2,x1x2" in page.inner_text("body")
    assert "Traceback" not in page.inner_text("body")
    assert not errors
