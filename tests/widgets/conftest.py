import pytest


@pytest.fixture
def messages(monkeypatch):
    """messages(fig) -> a list that records every message the figure sends to the browser."""

    def record(fig):
        sent = []
        for kind in ("_send_restyle_msg", "_send_relayout_msg", "_send_update_msg"):
            name = kind[len("_send_") : -len("_msg")]
            monkeypatch.setattr(fig, kind, lambda *a, _n=name, **k: sent.append(_n))
        return sent

    return record
