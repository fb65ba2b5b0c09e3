"""``deepscope serve`` as a class meets it: a preheated kernel answers the first page with the
page's own link applied, plotly.js comes as a file, and a page that is left frees its kernel."""

import time
import urllib.request

import psutil
import pytest
from testkit import deepscope_serve, free_port

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
    (proc,) = [p for p in psutil.Process().children() if f"--port={port}" in p.cmdline()]
    return url, proc, log


def kernel_ids(proc) -> set[str]:
    """The ids of the server's live kernels, from their processes' connection files (a kernel
    that has exited but is not yet reaped, a zombie, or that is gone mid-scan counts as ended)."""
    ids = set()
    for p in proc.children(recursive=True):
        try:
            cmdline = p.cmdline()
        except psutil.Error:
            continue
        for part in cmdline:
            if part.endswith(".json") and "kernel-" in part:
                ids.add(part.rsplit("kernel-", 1)[1].removesuffix(".json"))
    return ids


def page_kernel(page) -> str:
    """The id of the kernel a Voila page talks to (it fetches /api/kernels/<id>)."""
    names = page.evaluate("() => performance.getEntriesByType('resource').map(r => r.name)")
    (kid,) = {n.split("/api/kernels/")[1].split("?")[0] for n in names if "/api/kernels/" in n}
    return kid


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
    # deepscope's template: plotly.js in the page's head, run while the kernel started, and
    # the figures drew with it (figure.js adds a script of its own only when it finds none)
    heads = "() => [...document.head.querySelectorAll('script[src*=\"plotly.min.js\"]')].length"
    assert page.evaluate(heads) == 1
    # nothing from outside the server: the buttons' icons come from deepscope's template
    icons = "() => performance.getEntriesByType('resource').some(r => r.name.includes('fa-solid'))"
    page.wait_for_function(icons, timeout=10_000)
    loaded = page.evaluate("() => performance.getEntriesByType('resource').map(r => r.name)")
    assert [n for n in loaded if not n.startswith(url)] == []
    assert not errors


def test_only_dashboard_pages_fetch_plotly_js_early(server):
    url = server[0]
    dashboard = urllib.request.urlopen(f"{url}/voila/render/descent.ipynb", timeout=120).read()
    head = dashboard.decode().split("<body", 1)[0]
    assert '<script async src="/deepscope/static/plotly.min.js?v=' in head
    gallery = urllib.request.urlopen(f"{url}/voila/render/index.ipynb", timeout=120).read()
    assert b"plotly.min.js" not in gallery  # no figures there: nothing to run


def test_a_page_that_is_left_frees_its_kernel(server, open_page):
    url, proc, _ = server
    page, errors = open_page(f"{url}/voila/render/descent.ipynb")
    page.wait_for_selector(PLOT, timeout=180_000, state="attached")
    its_kernel = page_kernel(page)
    assert its_kernel in kernel_ids(proc)
    page.goto("about:blank")  # leaving the page: Voila asks the server to shut its kernel down
    assert wait_for(lambda: its_kernel not in kernel_ids(proc), seconds=30)
    assert not errors
