"""A first start on a new machine (an empty numba cache): the page shows the panel with a line
that says numba is compiling, and counts, instead of "Loading widget..." until it is done.

The landscape dashboard trains when it opens, so most of its compiling happens after the
page has come: about 35 s on this 2-core machine from the server's start to the last line."""

import os
import re
import time

import pytest
from testkit import deepscope_serve, free_port

pytestmark = pytest.mark.browser
COMPILING = "numba is compiling deepscope's kernels"
PLOTTED = "() => [...document.querySelectorAll('.js-plotly-plot')].some(e => e.data?.length)"


@pytest.fixture(scope="module")
def cold(serve, tmp_path_factory):
    """deepscope serve with one preheated landscape kernel and a numba cache of its own,
    empty: everything compiles."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path_factory.mktemp("numba_cache")))
    serve(
        deepscope_serve(port, "--pool=0", "--pool=landscape=1"),
        f"{url}/voila/static/voila.js",
        tmp_path_factory.mktemp("cold") / "serve.log",
        env=env,
    )
    return url


def test_a_cold_cache_shows_the_compiling_line_then_the_panel_text(cold, open_page, shots):
    page, errors = open_page(f"{cold}/voila/render/landscape.ipynb", height=900, width=1366)
    page.wait_for_selector(f"text={COMPILING}", timeout=180_000)
    # the panel is drawn under it: its first picture is there while the training compiles
    page.wait_for_function(PLOTTED, timeout=20_000)
    counts, end = [], time.monotonic() + 180
    while time.monotonic() < end:  # the line, as it is updated, until it gives way
        text = page.inner_text("body")
        if COMPILING not in text:
            break
        counts.append(int(re.search(r"\((\d+) so far", text).group(1)))
        if len(counts) == 2:
            page.screenshot(path=str(shots / "cold_start_compiling.png"))
        page.wait_for_timeout(500)
    assert counts and counts == sorted(counts) and counts[-1] > counts[0], counts
    page.wait_for_selector("text=finished after", timeout=180_000)
    page.wait_for_timeout(500)
    body = page.inner_text("body")
    assert COMPILING not in body and "full-data loss" in body  # the panel's own line, back
    page.screenshot(path=str(shots / "cold_start_done.png"), full_page=True)
    assert "Loading widget" not in body and not errors
