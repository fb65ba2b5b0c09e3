"""`deepscope serve`: the browser opens on the gallery once the server answers; its pool,
culling and kernel-shutdown settings."""

import os
import re
import subprocess
import sys
import webbrowser

import pytest

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
    assert cli._open_when_up(GALLERY, seconds=10)
    assert opened == [GALLERY]  # the gallery, not Voila's file list
    assert probes == ["http://127.0.0.1:8866/voila/static/voila.js"] * 3


def test_no_browser_when_the_server_never_answers(monkeypatch):
    opened = []
    monkeypatch.setattr(webbrowser, "open", opened.append)

    def urlopen(url, timeout):
        raise ConnectionRefusedError

    monkeypatch.setattr(cli.urllib.request, "urlopen", urlopen)
    assert not cli._open_when_up(GALLERY, seconds=1)
    assert opened == []


DASHBOARDS = ["descent", "index", "neuron"]


def test_pool_sizes_from_the_command_line():
    assert cli.parse_pool([], DASHBOARDS) == {"default": {"pool_size": 1}}
    assert cli.parse_pool(["0", "descent=30", "neuron.ipynb=2"], DASHBOARDS) == {
        "default": {"pool_size": 0},
        "descent.ipynb": {"pool_size": 30},
        "neuron.ipynb": {"pool_size": 2},
    }


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("two", "expected a count from 0 to 100"),
        ("-1", "expected a count from 0 to 100"),
        ("500", "expected a count from 0 to 100"),
        ("desent=3", "no dashboard 'desent'; there are descent, index, neuron"),
        ("descent=", "expected a count"),
    ],
)
def test_a_bad_pool_says_what_is_allowed(spec, said):
    with pytest.raises(ValueError, match=re.escape(said)):
        cli.parse_pool([spec], DASHBOARDS)


def test_the_server_config_preheats_culls_and_accepts_a_left_page():
    cfg = cli.server_config(cli.parse_pool(["descent=3"], DASHBOARDS), cull_after=120)
    assert cfg.VoilaConfiguration.preheat_kernel is True
    assert cfg.VoilaKernelManager.kernel_pools_config["descent.ipynb"] == {"pool_size": 3}
    assert cfg.VoilaKernelManager.fill_delay == cli.REFILL_AFTER_S  # after the class is in
    assert cfg.MappingKernelManager.cull_idle_timeout == 120
    assert cfg.MappingKernelManager.cull_connected is False  # a page still open keeps its kernel
    assert cfg.Voila.tornado_settings == {"disable_check_xsrf": True}
    off = cli.server_config(cli.parse_pool(["0"], DASHBOARDS), cull_after=0)
    assert off.VoilaConfiguration.preheat_kernel is False
    assert "cull_idle_timeout" not in off.MappingKernelManager


def test_serve_refuses_a_bad_option_before_starting(capsys):
    with pytest.raises(SystemExit):
        cli.main(["serve", "--pool", "lots"])
    assert "--pool 'lots': expected a count" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        cli.main(["serve", "--cull-after", "-5"])
    assert "--cull-after: expected 0 or more seconds, got -5" in capsys.readouterr().err


def test_warmup_fills_an_empty_numba_cache(tmp_path):
    cache = tmp_path / "numba"
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    out = subprocess.run(
        [sys.executable, "-m", "deepscope.cli", "warmup", "descent"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert f"numba's cache ({cache}) for 1 dashboard(s)" in out
    assert re.search(r"\[1/1\] descent +\d+\.\d s", out)
    assert list(cache.rglob("*.nbi")), "no compiled kernel was cached"


def test_warmup_names_the_dashboards_it_knows(capsys):
    assert cli.main(["warmup", "descnt"]) == 2
    assert "no dashboard 'descnt'; there are neuron, descent" in capsys.readouterr().err
