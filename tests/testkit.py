"""Helpers the test modules share: central differences, a tolerance check, a browser query,
the command that serves the dashboards."""

import socket
import sys
from pathlib import Path

import numpy as np

#: JavaScript: the plotly plot on the page that has a trace of this name
FIG = (
    "(name) => Array.from(document.querySelectorAll('.js-plotly-plot'))"
    ".find(p => p._fullData && p._fullData.some(t => t.name === name))"
)


def numeric_grad(f, x, eps=1e-6):
    """d f() / d x by central differences, for the scalar f() and every entry of x (x is
    changed in place and put back)."""
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        fp = f()
        x[i] = old - eps
        fm = f()
        x[i] = old
        g[i] = (fp - fm) / (2 * eps)
    return g


def close(a, b, tol=2e-5):
    """a equals b to a relative tolerance, and to tol times b's scale near zero."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    np.testing.assert_allclose(a, b, rtol=tol, atol=tol * max(1.0, np.abs(b).max()))


#: headless Chromium as the browser tests and benchmarks/classroom.py start it (no network
#: of its own: the machine's closed network refuses its background connections)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def deepscope_serve(port: int, *options: str) -> list[str]:
    """The command that serves the dashboards as a teacher does (Voila with deepscope's
    settings), on ``port``; ``options`` such as "--pool=0"."""
    exe = str(Path(sys.executable).with_name("deepscope"))
    return [exe, "serve", "--no-browser", f"--port={port}", "--host=127.0.0.1", *options]
