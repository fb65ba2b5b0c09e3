"""`deepscope serve` opens the browser on the gallery once the server answers."""

import subprocess
import sys
import webbrowser

from deepscope import cli

GALLERY = "http://127.0.0.1:8866/voila/render/index.ipynb"


def test_the_browser_opens_the_gallery_once_the_server_answers(monkeypatch):
    opened, probes = [], []

    def urlopen(url, timeout):  # the server answers at the third try
        probes.append(url)
        if len(probes) < 3:
            raise ConnectionRefusedError

    monkeypatch.setattr(webbrowser, "open", opened.append)
    monkeypatch.setattr(cli.urllib.request, "urlopen", urlopen)
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert cli._open_when_up(alive, GALLERY, seconds=10)
    finally:
        alive.kill()
    assert opened == [GALLERY]  # the gallery, not Voila's file list
    assert probes == ["http://127.0.0.1:8866/voila/static/voila.js"] * 3


def test_no_browser_when_the_server_is_gone(monkeypatch):
    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    assert not cli._open_when_up(gone, GALLERY, seconds=5)
    assert opened == []
