"""Helpers the test modules share: central differences, a tolerance check, a browser query,
the command that serves the dashboards, a dense network trained by a backend's engines."""

import inspect
import socket
import sys
from pathlib import Path

import numpy as np

from deepscope.core import ENGINES, PRIMITIVES
from deepscope.core.reference.mlp import (
    BCE,
    CROSS_ENTROPY,
    HALF_MSE,
    IDENTITY,
    LEAKY_RELU,
    MSE,
    RELU,
    SIGMOID,
    TANH,
)
from deepscope.core.reference.optim import ADAGRAD, ADAM, FROZEN, PENALIZED, RMSPROP, SGD

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


# ---- the engines on every backend (tests/core/test_engines.py, tests/cuda) ------------------
def interface(obj):
    """What must agree across backends: each parameter's name, kind and default, in order;
    for a class its constructor's and those of its public methods."""
    params = [(p.name, p.kind, p.default) for p in inspect.signature(obj).parameters.values()]
    if not inspect.isclass(obj):
        return params
    methods = inspect.getmembers(obj, inspect.isfunction)
    return params, {name: interface(m) for name, m in methods if not name.startswith("_")}


def assert_one_interface(records):
    for field in PRIMITIVES + ENGINES:
        want = interface(getattr(records[0], field))
        for record in records[1:]:
            assert interface(getattr(record, field)) == want, f"{field} on {record.name}"


RULES = {  # kind, [momentum | beta1 | alpha, nesterov | beta2, eps, weight_decay, l1, l1_prune]
    "plain": (SGD, [0.0, 0.0, 0.0, 0.0, 0.0, 0.0]),  # no penalty: the loop of its own
    "sgd": (SGD, [0.0, 0.0, 0.0, 0.01, 0.0, 0.0]),
    "momentum": (SGD, [0.9, 0.0, 0.0, 0.01, 0.02, 0.0]),
    "nesterov": (SGD, [0.9, 1.0, 0.0, 0.0, 0.0, 0.0]),
    "prune": (SGD, [0.0, 0.0, 0.0, 0.01, 0.05, 1.0]),  # the Playground's L1
    "rmsprop": (RMSPROP, [0.99, 0.0, 1e-8, 0.01, 0.02, 0.0]),
    "adam": (ADAM, [0.9, 0.999, 1e-8, 0.01, 0.02, 0.0]),
    "adam_plain": (ADAM, [0.9, 0.999, 1e-8, 0.0, 0.0, 0.0]),  # no penalty: a loop of its own
    "adagrad": (ADAGRAD, [0.0, 0.0, 1e-10, 0.0, 0.02, 0.0]),
}


def network(rng, sizes, codes, dtype):
    """(theta, layout, alphas) of a dense network: W then b of each layer, in theta."""
    rows, off = [], 0
    for n_in, n_out, code in zip(sizes[:-1], sizes[1:], codes):
        rows.append((off, off + n_in * n_out, n_in, n_out, code))
        off += n_in * n_out + n_out
    theta = (rng.normal(size=off) * 0.7).astype(dtype)
    alphas = np.array([0.1 if code == LEAKY_RELU else 0.0 for code in codes])
    return theta, np.array(rows, dtype=np.int64), alphas


LOSSES = {  # loss kind, the last layer's activation
    "mse": (MSE, TANH),
    "half_mse": (HALF_MSE, IDENTITY),
    "bce": (BCE, SIGMOID),
    "cross_entropy": (CROSS_ENTROPY, IDENTITY),
}


def dataset(rng, loss, n_in, n_out, dtype, n=23):
    X = rng.normal(size=(n, n_in)).astype(dtype)
    kind = LOSSES[loss][0]
    if kind == CROSS_ENTROPY:
        Y = rng.integers(0, n_out, size=(n, 1)).astype(dtype)
    elif kind == BCE:
        Y = rng.integers(0, 2, size=(n, n_out)).astype(dtype)
    else:
        Y = rng.normal(size=(n, n_out)).astype(dtype)
    return X, Y


def train(backend, seed, loss, dtype, rule="adam", lr=0.05, frozen=(), clip=(0.0, 0.0),
          epochs=3, rows=23, sizes=(3, 5, 4, 4), batch=5):  # fmt: skip
    """``epochs`` epochs of ``backend``'s DenseTrainer on a 3-5-4-4-k network (``sizes``;
    tanh, leaky ReLU, ReLU, the loss's own) over ``rows`` rows in batches of ``batch``, the
    last one short.
    Returns (each epoch's (losses, norms, done), the arrays (theta, s1, s2, mask) after the
    last, the trained network's predictions)."""
    rng = np.random.default_rng(seed)
    kind, last = LOSSES[loss]
    k = 3 if kind == CROSS_ENTROPY else 2
    theta, layout, alphas = network(rng, (*sizes, k), (TANH, LEAKY_RELU, RELU, last), dtype)
    X, Y = dataset(rng, loss, sizes[0], k, dtype, rows)
    s1, s2, grad = np.zeros_like(theta), np.zeros_like(theta), np.zeros_like(theta)
    mask = np.full(theta.size, PENALIZED, np.uint8)
    for layer in frozen:
        w_off, b_off, n_in, n_out, _ = layout[layer]
        mask[w_off : b_off + n_out] |= FROZEN
    opt_kind, hyper = RULES[rule]
    engine = backend.DenseTrainer(theta, grad, layout, alphas, X, Y, batch, kind, s1, s2, mask)
    results, t, n_steps = [], 0, -(-rows // batch)
    for epoch in range(epochs):
        order = np.random.default_rng(epoch).permutation(rows)
        lrs = np.full(n_steps, lr)
        losses, norms, done = engine.epoch(order, lrs, t, opt_kind, np.array(hyper), *clip)
        t += done
        results.append((losses[: done + (done < n_steps)], norms, done))
    return results, (theta, s1, s2, mask), engine.predict(X)


def assert_same_training(mine, want, rtol, scaled=False):
    """The two runs of ``train`` agree to ``rtol``; with ``scaled``, each array's absolute
    tolerance is ``rtol`` times its largest entry (two tanh implementations that differ by a
    few float32 ulps give an entry near 0 a large relative difference)."""
    (r_mine, arrays_mine, pred_mine), (r_want, arrays_want, pred_want) = mine, want
    for (losses, norms, done), (w_losses, w_norms, w_done) in zip(r_mine, r_want):
        assert done == w_done
        np.testing.assert_allclose(losses, w_losses, rtol=rtol)
        np.testing.assert_allclose(norms, w_norms, rtol=rtol, atol=rtol * 1e-3)
    for a, b in [*zip(arrays_mine, arrays_want), (pred_mine, pred_want)]:
        atol = rtol * (np.abs(b).max(initial=0.0) if scaled else 1e-2)
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
