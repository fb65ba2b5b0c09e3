"""deploy/jupyterhub_config.py as a class meets it: JupyterHub on loopback, three students log
in (the shared-password authenticator), each gets a server of their own and opens a dashboard
through Voila's server extension in headless Chromium."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from testkit import free_port

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "deepscope-class"
STUDENTS = ("ada", "grace", "alan")
PLOT = ".js-plotly-plot .main-svg"

pytestmark = [pytest.mark.browser, pytest.mark.hub]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    pytest.importorskip("jupyterhub", reason="JupyterHub is not installed (the test extra has it)")
    if shutil.which("configurable-http-proxy") is None:
        pytest.skip("JupyterHub's proxy is not installed (npm install -g configurable-http-proxy)")
    here = tmp_path_factory.mktemp("hub")
    port = free_port()
    env = {
        **os.environ,
        "DEEPSCOPE_HUB_DIR": str(here),
        "DEEPSCOPE_HUB_PORT": str(port),
        "DEEPSCOPE_HUB_PASSWORD": PASSWORD,
    }
    exe = str(Path(sys.executable).with_name("jupyterhub"))
    log = open(here / "hub.log", "w")  # noqa: SIM115 (closed below)
    cmd = [exe, "-f", str(ROOT / "deploy" / "jupyterhub_config.py")]
    proc = subprocess.Popen(cmd, cwd=here, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/hub/login", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail(f"jupyterhub exited: {(here / 'hub.log').read_text()[-3000:]}")
                time.sleep(0.5)
        else:
            pytest.fail("jupyterhub did not answer in 2 minutes")
        yield url, here
    finally:
        proc.terminate()
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_three_students_each_open_a_dashboard_on_their_own_server(hub, browser, shots):
    url, here = hub
    pages, errors = [], []
    for name in STUDENTS:  # everyone logs in; their servers start side by side
        page = browser.new_context().new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(f"{url}/hub/login", timeout=60_000)
        page.fill("#username_input", name)
        page.fill("#password_input", PASSWORD)
        page.click("#login_submit")
        pages.append(page)
    for name, page in zip(STUDENTS, pages):  # the gallery is where a student lands
        page.wait_for_url(f"**/user/{name}/voila/render/index.ipynb", timeout=180_000)
        page.wait_for_selector("text=deepscope gallery", timeout=180_000)
    for name, page in zip(STUDENTS, pages):
        page.goto(f"{url}/user/{name}/voila/render/descent.ipynb?surface=ravine", timeout=180_000)
    for page in pages:
        page.wait_for_selector(PLOT, timeout=180_000, state="attached")
        body = page.inner_text("body")
        assert "surface=ravine" in body and "not used" not in body  # the link was read
        assert "Traceback" not in body
        loaded = page.evaluate("() => performance.getEntriesByType('resource').map(r => r.name)")
        icons = [n for n in loaded if "fontawesome" in n]  # deepscope's template: from the server
        assert [n for n in loaded if not n.startswith(url)] == []  # no CDN: no MathJax either
        assert icons and all(n.startswith(url) for n in icons)
    assert errors == []
    pages[0].screenshot(path=str(shots / "hub_descent.png"), full_page=True)
    log = (here / "hub.log").read_text()
    for name in STUDENTS:  # a server each, in a folder each
        assert f"User {name} took" in log
        assert (here / "students" / name).is_dir()
    assert any((here / "numba").rglob("*.nbi")), "the class shares one numba cache"
