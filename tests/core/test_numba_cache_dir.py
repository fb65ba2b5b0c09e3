"""The numba cache goes to a per-user directory when the package's own is read-only."""

import os

import deepscope


def test_a_read_only_package_caches_per_user(monkeypatch, tmp_path):
    had = os.environ.get("NUMBA_CACHE_DIR")
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    real = os.access
    here = os.path.dirname(deepscope.__file__)
    monkeypatch.setattr(os, "access", lambda p, m: False if p == here else real(p, m))
    import numba

    before = numba.config.CACHE_DIR
    try:
        path = deepscope.numba_cache_dir()
        assert path == str(tmp_path / "deepscope" / "numba")
        assert os.environ["NUMBA_CACHE_DIR"] == path and numba.config.CACHE_DIR == path
    finally:  # the rest of the session compiles where it did
        numba.config.CACHE_DIR = before
        if had is None:
            os.environ.pop("NUMBA_CACHE_DIR", None)
        else:
            os.environ["NUMBA_CACHE_DIR"] = had


def test_a_writable_package_or_the_users_choice_is_left_alone(monkeypatch, tmp_path):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    assert deepscope.numba_cache_dir() is None  # a checkout: numba's own place
    assert "NUMBA_CACHE_DIR" not in os.environ
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path))
    assert deepscope.numba_cache_dir() == str(tmp_path)
