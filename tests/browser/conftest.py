"""Shared by the browser tests: Voila serving voila_apps/, headless Chromium, a page opener
that collects console errors and failed local loads."""

import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from testkit import CHROMIUM_ARGS, deepscope_serve, free_port

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts"


@pytest.fixture(scope="module")
def unused_port() -> int:
    return free_port()


@pytest.fixture(scope="module")
def serve():
    """serve(command, probe, log_path, env=None) -> None: start a server and wait until
    ``probe`` (a URL) answers. Its log goes to a file: a pipe nobody reads fills up after a
    few hundred request lines and then blocks the server mid-test. Stopped at teardown."""
    started = []

    def start(command, probe, log_path, env=None):
        log = open(log_path, "w")  # noqa: SIM115 (closed at teardown)
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        started.append((proc, log))
        shown = " ".join(Path(str(c)).name for c in command[:4])
        for _ in range(240):
            try:
                urllib.request.urlopen(probe, timeout=2)
                return
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"{shown} exited: {log_path.read_text()[-2000:]}")
                time.sleep(0.5)
        pytest.fail(f"{shown} did not answer {probe} in 2 minutes")

    yield start
    for proc, log in started:
        proc.terminate()
        proc.wait(20)
        log.close()


@pytest.fixture(scope="module")
def voila(serve, tmp_path_factory):
    """``deepscope serve`` on a free port, without preheated kernels (each page starts its
    own, as the first students of a class do)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    serve(
        deepscope_serve(port, "--pool=0"),
        f"{url}/voila/static/voila.js",
        tmp_path_factory.mktemp("voila") / "voila.log",
    )
    return url


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    if not os.path.exists("/usr/bin/chromium"):
        pytest.fail("CI=true but /usr/bin/chromium is missing (apt-get install chromium)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def shots():
    """The folder screenshots go to (artifacts/, ignored by git): look at them."""
    SHOTS.mkdir(exist_ok=True)
    return SHOTS


@pytest.fixture
def open_page(browser):
    """open_page(url, height=1000, width=1200) -> (page, errors): the errors list collects
    console errors other than failed loads, and failed local loads. Pages are closed at the
    end."""
    pages = []

    def opener(url, height=1000, width=1200):
        page, errors = _open(browser, url, height, width)
        pages.append(page)
        return page, errors

    yield opener
    for page in pages:
        if not page.is_closed():
            page.close()


def _open(browser, url, height=1000, width=1200):
    page = browser.new_page(viewport={"width": width, "height": height})
    errors = []
    page.on(
        "console",
        lambda m: (
            errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    # Font Awesome comes from a CDN (unreachable offline, so never a local response)
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    page.goto(url, timeout=180_000)
    return page, errors
