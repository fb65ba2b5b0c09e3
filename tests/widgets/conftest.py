import pytest


@pytest.fixture
def messages(monkeypatch):
    """messages(fig) -> a list that records every message the figure sends to the browser:
    "update" for each batched trace/layout change, "state" for a full state sync."""

    def record(fig):
        sent = []
        send, send_state = fig.send, fig.send_state
        monkeypatch.setattr(fig, "send", lambda *a, **k: (sent.append("update"), send(*a, **k)))
        monkeypatch.setattr(
            fig, "send_state", lambda *a, **k: (sent.append("state"), send_state(*a, **k))
        )
        return sent

    return record
