"""A panel in a Voila kernel reads its page's link without importing voila (which loads
jupyter_server and jsonschema's URI grammar: seconds and tens of MiB in every kernel)."""

import asyncio
import json
import os
import subprocess
import sys
import threading

import pytest
from testkit import free_port

from deepscope.widgets import panel as panel_module


def test_a_dashboard_kernel_takes_its_link_without_importing_voila():
    code = (
        "import sys\n"
        "from deepscope.widgets import NeuronPanel\n"
        "p = NeuronPanel.from_query(compute=False)\n"
        "print(p.gate, p.w1, 'voila' in sys.modules)\n"
    )
    env = {"VOILA_KERNEL_ID": "k1", "QUERY_STRING": "gate=OR&w1=2.5"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    assert out.stdout.split() == ["OR", "2.5", "False"]


@pytest.fixture
def voila_query_socket():
    """A stand-in for Voila's /voila/query/<kernel id> websocket on a free port: it sends one
    request's variables to whoever connects and records the path asked for."""
    from websockets.asyncio.server import serve

    port, paths, ready, stop = free_port(), [], threading.Event(), None

    async def handler(ws):
        paths.append(ws.request.path)
        await ws.send(json.dumps({"QUERY_STRING": "surface=ravine", "SCRIPT_NAME": "/d.ipynb"}))

    async def main():
        nonlocal stop
        stop = asyncio.get_running_loop().create_future()
        async with serve(handler, "127.0.0.1", port):
            ready.set()
            await stop

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_until_complete, args=(main(),))
    thread.start()
    ready.wait(10)
    yield port, paths
    loop.call_soon_threadsafe(stop.set_result, None)
    thread.join(10)


def test_a_preheated_kernel_waits_once_for_its_page(monkeypatch, voila_query_socket):
    port, paths = voila_query_socket
    monkeypatch.setitem(panel_module._PAGE, "came", False)
    for name, value in {
        "VOILA_PREHEAT": "True",
        "VOILA_KERNEL_ID": "k7",
        "VOILA_APP_PORT": str(port),
        "VOILA_SERVER_URL": "/base/",
        "QUERY_STRING": "",
        "SCRIPT_NAME": "",
    }.items():
        monkeypatch.setenv(name, value)
    assert panel_module.page_query() == "surface=ravine"
    assert paths == ["/base/voila/query/k7"]
    assert panel_module.os.environ["SCRIPT_NAME"] == "/d.ipynb"
    assert panel_module.page_query() == "surface=ravine"  # the page came: no second wait
    assert len(paths) == 1


def test_a_preheated_kernel_no_page_reaches_keeps_the_defaults(monkeypatch):
    monkeypatch.setitem(panel_module._PAGE, "came", False)
    monkeypatch.setenv("VOILA_PREHEAT", "True")
    monkeypatch.setenv("VOILA_APP_PORT", str(free_port()))  # nothing listens there
    monkeypatch.setenv("QUERY_STRING", "")
    with pytest.warns(UserWarning, match="no page came through ws://127.0.0.1:"):
        assert panel_module.page_query() == ""
