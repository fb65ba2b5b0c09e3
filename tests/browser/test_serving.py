"""``deepscope serve`` as a class meets it: a preheated kernel answers the first page with the
page's own link applied, plotly.js comes as a file, and a page that is left frees its kernel."""

import time

import psutil
import pytest

from .conftest import deepscope_serve, free_port

pytestmark = pytest.mark.browser
PLOT = ".js-plotly-plot .main-svg"


@pytest.fixture(scope="module")
def server(serve, tmp_path_factory):
    """deepscope serve with one preheated neuron kernel and no pool elsewhere: (url, the
    server's process, its log)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    serve(deepscope_serve(port, "--pool=0", "--pool=neuron=1"), f"{url}/voila/static/voila.js", log)
    (proc,) = [p for p in psutil.Process().children() if "serve" in " ".join(p.cmdline())]
    return url, proc, log


def kernels(proc) -> set[int]:
    return {
        p.pid
        for p in proc.children(recursive=True)
        if any("ipykernel_launcher" in part for part in p.cmdline())
    }


def wait_for(what, seconds=120):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if what():
            return True
        time.sleep(0.5)
    return False


def test_a_preheated_kernel_opens_the_page_with_its_link(server, open_page):
    url, proc, log = server
    assert wait_for(lambda: "Kernel pool of neuron.ipynb is filled" in log.read_text())
    page, errors = open_page(f"{url}/voila/render/neuron.ipynb?gate=OR&w1=2.5")
    page.wait_for_selector(PLOT, timeout=60_000, state="attached")
    page.wait_for_selector("text=OR truth table", timeout=60_000)
    assert "Using pre-heated kernel" in log.read_text()
    body = page.inner_text("body")
    assert "w1=2.5" in body and "gate=OR" in body  # the link at the foot: the page's setup
    assert "not used" not in body
    loaded = page.evaluate("() => performance.getEntriesByType('resource').map(r => r.name)")
    assert any("/deepscope/static/plotly.min.js" in name for name in loaded)
    assert not errors


def test_a_page_that_is_left_frees_its_kernel(server, open_page):
    url, proc, log = server
    if "Using pre-heated kernel" in log.read_text():  # the pool refills first
        assert wait_for(lambda: log.read_text().count("Kernel pool of neuron.ipynb is filled") > 1)
    before = kernels(proc)
    page, errors = open_page(f"{url}/voila/render/descent.ipynb")
    page.wait_for_selector(PLOT, timeout=180_000, state="attached")
    assert wait_for(lambda: len(kernels(proc) - before) == 1)
    (its_kernel,) = kernels(proc) - before
    page.goto("about:blank")  # leaving the page: Voila asks the server to shut its kernel down
    assert wait_for(lambda: its_kernel not in kernels(proc), seconds=30)
    assert not errors
