"""Embedded in JupyterLab (not Voila): Run All draws every figure, every time, inside the
output column; a reload with the kernel running draws the current figures again."""

import os
import shutil
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]

NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
RUNS = int(os.environ.get("DEEPSCOPE_LAB_RUNS", "1"))  # the check used 5; CI: 1

FIGURES = """() => Array.from(document.querySelectorAll('.deepscope-figure')).map(el => {
    const plot = el.querySelector('.js-plotly-plot');
    const area = el.closest('.jp-OutputArea-output');
    return {
        drawn: !!plot && !!plot._fullData && plot._fullData.length > 0,
        title: plot && plot.layout.title ? plot.layout.title.text : '',
        width: el.getBoundingClientRect().width,
        column: area ? area.clientWidth : 0,
        overflow: area ? area.scrollWidth - area.clientWidth : 0,
    };
})"""


@pytest.fixture(scope="module")
def lab(serve, tmp_path_factory, unused_port):
    """JupyterLab on a free port over a copy of notebooks/, with a private HOME."""
    home = tmp_path_factory.mktemp("home")
    work = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", work / "notebooks")
    # every cell in the page, off screen too (JupyterLab's default windowing leaves cells out
    # of view out of the page after a reload, so "every figure" would mean those in view)
    settings = home / ".jupyter" / "lab" / "user-settings" / "@jupyterlab" / "notebook-extension"
    settings.mkdir(parents=True)
    (settings / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    port = unused_port
    url = f"http://127.0.0.1:{port}"
    serve(
        [
            sys.executable,
            "-m",
            "jupyter",
            "lab",
            "--no-browser",
            "--allow-root",
            f"--port={port}",
            "--ServerApp.token=",
            "--ServerApp.password=",
            "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.root_dir={work}",
        ],
        f"{url}/lab",
        work / "lab.log",
        env={**os.environ, "HOME": str(home), "JUPYTER_CONFIG_DIR": str(home / ".jupyter")},
    )
    return url


SAVED = "() => !document.querySelector('.lm-TabBar-tab.jp-mod-dirty')"  # the tab's dirty mark gone
STARTED = (
    "() => Array.from(document.querySelectorAll('.jp-InputArea-prompt'))"
    ".some(p => /\\[(\\d+|\\*)\\]/.test(p.textContent))"
)


KERNEL_DIALOGS = ("Select Kernel", "Kernel Restarting", "Restart Kernel")


def clear_kernel_dialogs(page):
    """A dialog a kernel's start or restart left open (JupyterLab asks for a kernel when a
    session is slow to come, says so when one restarts) is answered as a person would, with
    its default button; any other dialog fails the test with its text."""
    dialogs = page.locator(".jp-Dialog")
    for _ in range(3):
        if not dialogs.count():
            return
        text = dialogs.first.inner_text()
        assert any(t in text for t in KERNEL_DIALOGS), f"an unexpected dialog: {text[:300]}"
        dialogs.first.locator("button.jp-mod-accept").click(timeout=10_000)
        page.wait_for_timeout(1000)


def run_all(page):
    """Run All, once the kernel is up; again if nothing started (a Run All that lands while
    a fresh server still starts the kernel runs nothing), then wait until all has run."""
    page.wait_for_function(
        "() => { const s = document.querySelector('.jp-Notebook-ExecutionIndicator');"
        " return s && s.getAttribute('data-status') === 'idle'; }",
        timeout=180_000,
    )
    for attempt in range(3):
        clear_kernel_dialogs(page)
        page.click("text=Run", timeout=60_000)
        page.click("text=Run All Cells", timeout=30_000)
        try:
            page.wait_for_function(STARTED, timeout=30_000)
            break
        except Exception:  # playwright's TimeoutError: try once more
            if attempt == 2:
                raise
    page.wait_for_timeout(1000)
    page.wait_for_function(
        "() => { const s = document.querySelector('.jp-Notebook-ExecutionIndicator');"
        " const busy = Array.from(document.querySelectorAll('.jp-InputArea-prompt'))"
        "  .some(p => p.textContent.includes('*'));"
        " return s && s.getAttribute('data-status') === 'idle' && !busy; }",
        timeout=600_000,
        polling=500,
    )


def wait_drawn(page, timeout_s=60, count=None):
    """Every deepscope figure on the page has drawn a plot with data and stays as it is for a
    second (or time runs out), once the trainings a notebook started in the background (a
    Stop enabled) are over."""
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('button'))"
        ".filter(b => b.textContent.trim() === 'Stop').every(b => b.disabled)",
        timeout=300_000,
        polling=500,
    )
    deadline = time.time() + timeout_s
    last = None
    while True:
        figures = page.evaluate(FIGURES)
        # drawn, and settled: a training's last redraw lands just after its Stop goes grey
        settled = figures == last and (count is None or len(figures) == count)
        if figures and all(f["drawn"] for f in figures) and settled or time.time() > deadline:
            return figures
        last = figures
        page.wait_for_timeout(1000)


@pytest.mark.parametrize("notebook", NOTEBOOKS)
def test_run_all_draws_every_figure_inside_the_column(lab, browser, shots, notebook):
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    console = []
    page.on("console", lambda m: console.append(m.text[:300]) if m.type == "error" else None)
    try:
        for run in range(RUNS):
            page.goto(f"{lab}/lab/tree/notebooks/{notebook}?reset", timeout=180_000)
            page.wait_for_selector(".jp-Notebook", timeout=180_000)
            if run:  # a fresh kernel each time: the whole notebook from the top
                page.click("text=Kernel", timeout=30_000)
                page.click("text=Restart Kernel and Clear Outputs of All Cells…")
                page.click(".jp-Dialog button.jp-mod-accept", timeout=30_000)
                page.wait_for_timeout(1500)
            run_all(page)
            errors = page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
            assert errors.count() == 0, f"{notebook}: {errors.first.inner_text()[:500]}"
            figures = wait_drawn(page)
            if not figures:
                page.screenshot(path=str(shots / f"lab_{notebook}_none.png"), full_page=False)
            assert figures, f"{notebook} run {run + 1}: no deepscope figure; console: {console}"
            blank = [i for i, f in enumerate(figures) if not f["drawn"]]
            assert not blank, f"{notebook} run {run + 1}: figures {blank} of {len(figures)} blank"
            for f in figures:
                assert f["width"] <= f["column"] + 1, (
                    f"{notebook}: a figure is wider than the column"
                )
                assert f["overflow"] <= 1, f"{notebook}: an output overflows the column"
        page.locator(".deepscope-figure").first.scroll_into_view_if_needed()
        page.screenshot(path=str(shots / f"lab_{notebook}.png"), full_page=False)
        # save, then reload with the kernel running: the outputs come back from the file and
        # every figure's current state from the kernel
        page.keyboard.press("Control+s")
        page.wait_for_function(SAVED, timeout=120_000, polling=500)  # a reload mid-save
        page.wait_for_timeout(500)  # would open the file as it was
        shown = [f["title"] for f in page.evaluate(FIGURES)]  # as saved
        page.reload()
        page.wait_for_selector(".jp-Notebook", timeout=180_000)
        # the widget manager asks the kernel for every widget's state before it draws any
        # (the playground notebook's 48 panels: none back in 150 s on a slower machine)
        page.wait_for_selector(".deepscope-figure .js-plotly-plot", timeout=450_000)
        figures = wait_drawn(page, timeout_s=150, count=len(shown))  # they come back in turn
        page.screenshot(path=str(shots / f"lab_{notebook}_reloaded.png"), full_page=False)
        assert figures and all(f["drawn"] for f in figures), (
            f"{notebook}: blank after reload ({len(figures)} figures back of {len(shown)})"
        )
        # the figures back are the current ones (JupyterLab may bring back fewer outputs of a
        # long notebook within the wait; each one back is drawn from the kernel's state)
        back = [f["title"] for f in figures]
        assert all(t in shown for t in back), (
            f"{notebook}: not the current figures: {[t for t in back if t not in shown]} back, "
            f"shown before: {shown}"
        )
    finally:
        context.close()
