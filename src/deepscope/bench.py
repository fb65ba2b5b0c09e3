"""``deepscope bench``: time training workloads against the numpy reference and, when it is
importable, PyTorch on the CPU, in the same run, same dtype (float32), same work.
``deepscope bench --backend cuda``: the same workloads on the cuda backend, against the cpu
backend and PyTorch on the same GPU (it needs a CUDA GPU; the simulator is far too slow).

Printed figures are medians; the ratio columns are deepscope time / other time, so 0.02
means deepscope took 2% of the other's time (50x faster). Nothing here is asserted on.
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass

import numpy as np

from . import nn
from .data import load_mnist, playground


@dataclass
class Workload:
    key: str
    title: str
    target: float  # ratio to reach against torch
    repeats: int


WORKLOADS = {
    "A": Workload(
        "A", "Playground MLP 2-8-8-1 tanh, BCE, 500 points, batch 10, one epoch (fit)", 0.02, 30
    ),
    "B": Workload(
        "B",
        "Autoencoder 784-128-32-128-784, MSE, Adam, batch 256, 6000 samples, one epoch",
        0.75,
        5,
    ),
    "C": Workload(
        "C",
        "CNN conv 8@3x3-relu-maxpool 2-dense 10, softmax CE, batch 64 of 28x28, one SGD step",
        0.75,
        20,
    ),
    "E": Workload(
        "E",
        "FGSM on 100 digits at 20 epsilon values for a small CNN (conv 8@3x3-relu-maxpool "
        "2-dense 10), including the input gradient",
        1 / 3,
        20,
    ),
    "F": Workload(
        "F", "20-layer sigmoid MLP, width 32, batch 128, one step + per-layer grad norms", 0.3, 50
    ),
    "G": Workload(
        "G",
        "20-layer width-32 MLP with batch norm and residual connections (20 blocks x + "
        "tanh(BN(Dense x))), MSE, batch 128, one SGD step with the per-layer diagnostics "
        "(|dW|, |W|, update ratio, mean |f'(z)|)",
        0.5,
        50,
    ),
    "L": Workload(
        "L",
        "Loss landscape 101x101 of the 2-8-8-1 tanh MLP on 500 points (torch: batched matmuls, "
        "chunks of 256 grid points)",
        1 / 3,
        5,
    ),
}
NO_NUMPY = ("L",)  # no numpy column: the numpy landscape evaluates one grid point at a time
EPSILONS = np.linspace(0.01, 0.3, 20)  # workload E (the sweep adds eps = 0 first: 21 passes)


def median_time(fn, repeats: int, warmup: int = 2) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


AUTOENCODER = (784, 128, 32, 128, 784)  # workload B's widths
B_SAMPLES, B_BATCH = 6000, 256
LIMIT_SHARE = 0.6  # B must reach this share of numpy's sgemm rate for its shapes


def dense_epoch_shapes(widths, samples, batch):
    """The three products per dense layer per mini-batch of one epoch (forward x @ W, input
    gradient dz @ W.T, weight gradient x.T @ dz) as (m, k, n) triples."""
    sizes = [batch] * (samples // batch) + ([samples % batch] if samples % batch else [])
    shapes = []
    for b in sizes:
        for n_in, n_out in zip(widths, widths[1:]):
            shapes += [(b, n_in, n_out), (b, n_out, n_in), (n_in, b, n_out)]
    return shapes


def sgemm_rate(shapes, repeats=5) -> tuple[float, int]:
    """(GFLOP/s, threads): numpy's float32 matrix product over ``shapes`` (m, k, n), every
    core given to BLAS: the machine's limit for that work (2 m k n operations a product)."""
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(0)
    operands = [
        (rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32))
        for m, k, n in shapes
    ]
    flops = sum(2 * m * k * n for m, k, n in shapes)
    threads = os.cpu_count() or 1
    with threadpool_limits(threads, user_api="blas"):
        seconds = median_time(lambda: [a @ b for a, b in operands], repeats)
    return flops / seconds / 1e9, threads


def machine_limit(key: str, seconds: float) -> dict | None:
    """For a BLAS-bound workload (B): the sgemm rate numpy reaches for the same shapes, and
    the rate deepscope's ``seconds`` amount to (6 x samples x weights operations an epoch)."""
    if key != "B":
        return None
    # in a process of its own: BLAS's worker threads spin on after the products (C's step
    # ran 2.5x slower for the next 60 ms when they shared this process)
    code = (
        "from deepscope.bench import AUTOENCODER, B_BATCH, B_SAMPLES, dense_epoch_shapes, "
        "sgemm_rate; print(*sgemm_rate(dense_epoch_shapes(AUTOENCODER, B_SAMPLES, B_BATCH)))"
    )
    rate, threads = _last_line(code, dict(os.environ)).split()
    rate, threads = float(rate), int(threads)
    weights = sum(a * b for a, b in zip(AUTOENCODER, AUTOENCODER[1:]))
    return {"sgemm": rate, "threads": threads, "rate": 6 * B_SAMPLES * weights / seconds / 1e9}


# ---- the workloads, deepscope side -------------------------------------------------------
def _mnist_rows(n: int) -> np.ndarray:
    images = load_mnist()[0].reshape(-1, 784).astype(np.float32) / 255
    return np.resize(images, (n, 784))


def _data(key):
    if key == "A":
        X, y = playground("xor", 500, 0.0, seed=0)
        return X.astype(np.float32), y.astype(np.float32)
    if key == "B":
        X = _mnist_rows(B_SAMPLES)
        return X, X
    if key in ("C", "E"):
        images, labels = load_mnist()  # sorted by label, 500 a digit
        pick = slice(64) if key == "C" else slice(None, None, 50)  # E: 10 of each digit
        return images[pick, None].astype(np.float32) / 255, labels[pick].astype(np.int64)
    rng = np.random.default_rng(0)
    return (
        rng.normal(size=(128, 32)).astype(np.float32),
        rng.uniform(size=(128, 32)).astype(np.float32),
    )


def _model(key, backend):
    if key == "A":
        layers = [
            nn.Dense(2, 8),
            nn.Tanh(),
            nn.Dense(8, 8),
            nn.Tanh(),
            nn.Dense(8, 1),
            nn.Sigmoid(),
        ]
    elif key == "B":
        layers = [
            nn.Dense(784, 128),
            nn.ReLU(),
            nn.Dense(128, 32),
            nn.ReLU(),
            nn.Dense(32, 128),
            nn.ReLU(),
            nn.Dense(128, 784),
            nn.Sigmoid(),
        ]
    elif key in ("C", "E"):
        layers = [
            nn.Conv2D(1, 8, 3),
            nn.ReLU(),
            nn.MaxPool2D(2),
            nn.Flatten(),
            nn.Dense(8 * 13 * 13, 10),
        ]
    elif key == "G":
        layers = [nn.Residual([nn.Dense(32, 32), nn.BatchNorm1d(32), nn.Tanh()]) for _ in range(20)]
    else:
        layers = [x for _ in range(20) for x in (nn.Dense(32, 32), nn.Sigmoid())]
    return nn.Sequential(layers, seed=0, backend=backend)


def _landscape_setup(backend="cpu"):
    from .scenes.landscape import landscape_directions, train_run

    run = train_run("circle", batch_size=500, epochs=100, lr=0.5, seed=0)
    if backend != "cpu":
        run.model = nn.Sequential(run.model.layers, seed=None, backend=backend)
    d1, d2 = landscape_directions(run.model, "filter", seed=0)
    return run, d1, d2


def deepscope_runner(key, backend):
    """A zero-argument function that runs one unit of workload ``key`` on ``backend``."""
    if key == "L":
        from .scenes.landscape import loss_landscape

        run, d1, d2 = _landscape_setup(backend)
        return lambda: loss_landscape(
            run.model, run.X, run.y, run.loss, resolution=101, directions=(d1, d2)
        )
    X, y = _data(key)
    model = _model(key, backend)
    if key == "E":
        from .scenes.adversarial import epsilon_sweep

        return lambda: epsilon_sweep(model, X, y, EPSILONS, method="fgsm")
    if key == "A":
        loss, opt = nn.BCELoss(backend), nn.SGD(model, lr=0.03)
        return lambda: nn.fit(model, X, y, loss, opt, epochs=1, batch_size=10, seed=0)
    if key == "B":
        loss, opt = nn.MSELoss(backend), nn.Adam(model, lr=1e-3)
        trainer = nn.Trainer(model, X, y, loss, opt, batch_size=B_BATCH, seed=0)
        return trainer.epoch
    if key == "C":
        loss, opt = nn.CrossEntropyLoss(backend), nn.SGD(model, lr=0.01)

        def step():
            loss.forward(model.forward(X), y)
            model.backward(loss.backward(), input_grad=False)
            opt.step()

        return step
    loss, opt = nn.MSELoss(backend), nn.SGD(model, lr=0.1)
    if key == "G":
        trainer = nn.Trainer(model, X, y, loss, opt, batch_size=128, seed=0, diagnostics=True)
        return lambda: trainer.epoch().diagnostics  # one batch: one step, with diagnostics
    trainer = nn.Trainer(model, X, y, loss, opt, batch_size=128, seed=0)

    def step_with_norms():
        return trainer.epoch().norms  # one batch: one step; norms of every layer

    return step_with_norms


# ---- the same workloads in PyTorch -------------------------------------------------------
def _torch_landscape(device):
    import torch

    run, d1, d2 = _landscape_setup()
    theta, d1, d2 = (
        torch.from_numpy(np.ascontiguousarray(a)).to(device) for a in (run.model.theta, d1, d2)
    )
    X, y = torch.from_numpy(run.X).to(device), torch.from_numpy(run.y).to(device)[None, :, None]
    axis = torch.linspace(-1.0, 1.0, 101, device=device)
    coords = torch.cartesian_prod(axis, axis).to(torch.float32)
    layers = [
        (run.model.offsets[(id(layer), "W")], run.model.offsets[(id(layer), "b")], layer)
        for _, layer in run.model.param_layers()
    ]

    def evaluate():
        out = torch.empty(len(coords), device=device)
        with torch.no_grad():
            for s in range(0, len(coords), 256):
                c = coords[s : s + 256]
                t = theta + c[:, :1] * d1 + c[:, 1:] * d2
                h = X.expand(len(c), -1, -1)
                for i, (w_off, b_off, layer) in enumerate(layers):
                    n_in, n_out = layer.in_features, layer.out_features
                    w = t[:, w_off : w_off + n_in * n_out].reshape(-1, n_in, n_out)
                    h = torch.baddbmm(t[:, None, b_off : b_off + n_out], h, w)
                    h = torch.sigmoid(h) if i == len(layers) - 1 else torch.tanh(h)
                lp = torch.clamp(torch.log(h), min=-100)
                lq = torch.clamp(torch.log1p(-h), min=-100)
                out[s : s + 256] = -(y * lp + (1 - y) * lq).mean(dim=(1, 2))
        return out

    return evaluate


def _torch_fgsm_sweep(model, X, y):
    """Workload E in PyTorch: the input gradient by autograd (one forward and backward with
    ``requires_grad`` on the images), its sign, then one batched forward per eps (0 first,
    as the deepscope sweep does) under ``no_grad``: clamp, accuracy, true-class softmax."""
    import torch

    eps_values = [0.0, *(float(e) for e in EPSILONS)]

    def sweep():
        x = X.clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(model(x), y)
        (grad,) = torch.autograd.grad(loss, x)
        sign = grad.sign()
        acc, conf = [], []
        with torch.no_grad():
            for eps in eps_values:
                p = torch.softmax(model(torch.clamp(X + eps * sign, 0.0, 1.0)), dim=1)
                acc.append((p.argmax(dim=1) == y).float().mean().item())
                conf.append(p.gather(1, y[:, None]).mean().item())
        return acc, conf

    return sweep


def _torch_residual_step(X, y, device):
    """Workload G in PyTorch: 20 blocks x + tanh(BN(Linear x)), MSE, SGD; after backward the
    same per-layer numbers as ``Event.diagnostics`` (every Linear and BatchNorm weight's
    |dW| and |W|, the update ratio from a copy of the weights before the step, and each
    block's mean |1 - tanh^2|)."""
    import torch

    tnn = torch.nn

    class Block(tnn.Module):
        def __init__(self):
            super().__init__()
            self.linear, self.bn, self.act = tnn.Linear(32, 32), tnn.BatchNorm1d(32), tnn.Tanh()

        def forward(self, x):
            self.out = self.act(self.bn(self.linear(x)))
            return x + self.out

    model = tnn.Sequential(*[Block() for _ in range(20)]).to(device)
    loss_fn, opt = tnn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1)
    weights = [w for block in model for w in (block.linear.weight, block.bn.weight)]

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        with torch.no_grad():
            before = [w.detach().clone() for w in weights]
            grad = torch.stack([w.grad.norm() for w in weights])
            norm = torch.stack([w.norm() for w in before])
            slope = torch.stack([(1 - b.out * b.out).abs().mean() for b in model])
        opt.step()
        with torch.no_grad():
            ratio = torch.stack([(w - b).norm() for w, b in zip(weights, before)]) / norm
        return grad, norm, ratio, slope

    return step


def torch_runner(key, device="cpu"):
    """A zero-argument function that runs one unit of workload ``key`` in PyTorch on
    ``device`` ("cpu" or "cuda"; on a GPU each unit ends in ``torch.cuda.synchronize()``)."""
    import torch

    run = _torch_unit(key, device)
    if device == "cpu":
        return run

    def synchronized():
        out = run()
        torch.cuda.synchronize()
        return out

    return synchronized


def _torch_unit(key, device):
    import torch

    torch.manual_seed(0)
    if key == "L":
        return _torch_landscape(device)
    X, y = (torch.from_numpy(a).to(device) for a in _data(key))
    if key == "G":
        return _torch_residual_step(X, y, device)
    tnn = torch.nn
    if key == "A":
        model = tnn.Sequential(
            tnn.Linear(2, 8),
            tnn.Tanh(),
            tnn.Linear(8, 8),
            tnn.Tanh(),
            tnn.Linear(8, 1),
            tnn.Sigmoid(),
        ).to(device)
        loss_fn, opt = tnn.BCELoss(), torch.optim.SGD(model.parameters(), lr=0.03)
        y = y[:, None]

        def epoch():
            order = torch.randperm(len(X), device=device)
            for s in range(0, len(X), 10):
                idx = order[s : s + 10]
                opt.zero_grad()
                loss = loss_fn(model(X[idx]), y[idx])
                loss.backward()
                opt.step()

        return epoch
    if key == "B":
        model = tnn.Sequential(
            tnn.Linear(784, 128),
            tnn.ReLU(),
            tnn.Linear(128, 32),
            tnn.ReLU(),
            tnn.Linear(32, 128),
            tnn.ReLU(),
            tnn.Linear(128, 784),
            tnn.Sigmoid(),
        ).to(device)
        loss_fn, opt = tnn.MSELoss(), torch.optim.Adam(model.parameters(), lr=1e-3)

        def epoch():
            order = torch.randperm(len(X), device=device)
            for s in range(0, len(X), B_BATCH):
                idx = order[s : s + B_BATCH]
                opt.zero_grad()
                loss = loss_fn(model(X[idx]), y[idx])
                loss.backward()
                opt.step()

        return epoch
    if key in ("C", "E"):
        model = tnn.Sequential(
            tnn.Conv2d(1, 8, 3),
            tnn.ReLU(),
            tnn.MaxPool2d(2),
            tnn.Flatten(),
            tnn.Linear(8 * 13 * 13, 10),
        ).to(device)
        if key == "E":
            return _torch_fgsm_sweep(model, X, y)
        loss_fn, opt = tnn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=0.01)
    else:
        layers = []
        for _ in range(20):
            layers += [tnn.Linear(32, 32), tnn.Sigmoid()]
        model = tnn.Sequential(*layers).to(device)
        loss_fn, opt = tnn.MSELoss(), torch.optim.SGD(model.parameters(), lr=0.1)
    weights = [m.weight for m in model if isinstance(m, (tnn.Linear, tnn.Conv2d))]

    def step():
        opt.zero_grad()
        loss = loss_fn(model(X), y)
        loss.backward()
        norms = torch.stack([w.grad.norm() for w in weights]) if key == "F" else None
        opt.step()
        return norms

    return step


def versions() -> str:
    import numba

    torch = "not installed"
    if torch_available():
        import torch as _torch

        torch = _torch.__version__
    return (
        f"numpy {np.__version__}, numba {numba.__version__}, torch {torch}, {os.cpu_count()} cores"
    )


def torch_available() -> bool:
    return importlib.util.find_spec("torch") is not None


def _synchronized(run):
    """``run`` followed by numba's ``cuda.synchronize()``: a unit on the GPU ends there."""
    from numba import cuda

    def unit():
        out = run()
        cuda.synchronize()
        return out

    return unit


def time_side(key: str, side: str) -> float:
    """Median seconds of one unit of workload ``key`` on ``side``: deepscope's "cpu",
    "numpy" or "cuda" backend, or PyTorch's "torch" (CPU) or "torch-cuda"."""
    w = WORKLOADS[key]
    if side in ("torch", "torch-cuda"):
        return median_time(torch_runner(key, "cpu" if side == "torch" else "cuda"), w.repeats)
    if side == "cuda":
        return median_time(_synchronized(deepscope_runner(key, "cuda")), w.repeats)
    repeats = w.repeats if side == "cpu" else max(3, w.repeats // 5)
    return median_time(deepscope_runner(key, side), repeats)


def _time_in_process(key: str, side: str) -> float:
    """``time_side`` in a fresh interpreter. For PyTorch, torch is imported there before
    deepscope and without the OpenMP wait setting deepscope made here: deepscope's thread
    policy must not reach torch's own thread pool (the earlier one, idle OpenMP threads
    asleep at once, made torch 2-5x slower: F 10.7 ms against 1.9 ms)."""
    from .core.cpu.threads import WAIT_SET_HERE, WAIT_VARS

    env = dict(os.environ)
    first = ""
    if side.startswith("torch"):
        first = "import torch; "
        if WAIT_SET_HERE:
            for var in WAIT_VARS:
                env.pop(var, None)
    code = f"{first}from deepscope.bench import time_side; print(time_side({key!r}, {side!r}))"
    return float(_last_line(code, env))


def _last_line(code: str, env: dict) -> str:
    """The last line ``code`` prints, run in a fresh interpreter with ``env``."""
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def cold_start(key: str) -> float:
    """Seconds to the end of the first unit of workload ``key`` in a fresh process with an
    empty numba cache: everything it compiles, its data and model built, one run."""
    import tempfile

    code = (
        "import time; t = time.perf_counter(); from deepscope.bench import deepscope_runner; "
        f"deepscope_runner({key!r}, 'cpu')(); print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as cache:
        return float(_last_line(code, {**os.environ, "NUMBA_CACHE_DIR": cache}))


ROUNDS = 3  # deepscope and torch each timed this many times, alternately; medians shown


def run_workload(key: str, with_numpy=True, with_torch=True, with_cold=True) -> dict:
    w = WORKLOADS[key]
    row = {"key": key, "title": w.title, "target": w.target}
    torch = with_torch and torch_available()
    ours, theirs = [], []
    # every side in a fresh process, alternately, so that the machine's drift reaches both:
    # in a long-lived one, numba's two threads came back from a wait on one core (C's step
    # 0.75 ms in a fresh process, 1.8-1.9 ms in the bench's own after a torch process ran)
    for _ in range(ROUNDS):
        ours.append(_time_in_process(key, "cpu"))
        if torch:
            theirs.append(_time_in_process(key, "torch"))  # always on its own (see there)
    row["deepscope"] = statistics.median(ours)
    if theirs:
        row["torch"] = statistics.median(theirs)
        ratios = sorted(a / b for a, b in zip(ours, theirs))
        row["ratio_range"] = (ratios[0], ratios[-1])
    if with_cold:
        row["cold"] = cold_start(key)
    if with_numpy and key not in NO_NUMPY:
        row["numpy"] = _time_in_process(key, "numpy")
    row["limit"] = machine_limit(key, row["deepscope"])
    return row


def descent_recompute_time() -> float:
    """Seconds for what one control change in the descent panel recomputes: 5 optimizers x
    200 steps on Rosenbrock."""
    from .scenes.descent import race

    return median_time(lambda: race("rosenbrock", steps=200, lr=0.001), 20)


def _fmt_time(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _range_note(span) -> str:
    """ " (0.21-0.36)": the lowest and highest ratio of the alternating rounds."""
    return "" if span is None else f" ({span[0]:.3f}-{span[1]:.3f})"


def _verdict(ok: bool) -> str:
    return "met" if ok else "not met"


def _limit_cell(limit: dict | None) -> str:
    if limit is None:
        return "-"
    share = limit["rate"] / limit["sgemm"]
    verdict = _verdict(share >= LIMIT_SHARE)
    return (
        f"numpy sgemm {limit['sgemm']:.0f} GFLOP/s ({limit['threads']} threads); deepscope "
        f"{limit['rate']:.0f} GFLOP/s = {share:.0%} (>= {LIMIT_SHARE:.0%} {verdict})"
    )


def format_table(rows: list[dict]) -> str:
    lines = [
        "| workload | deepscope (cpu) | cold start | numpy reference | PyTorch CPU | vs numpy "
        "| vs torch | target vs torch | machine limit |",
        "|" + "---|" * 9,
    ]
    for r in rows:
        ds, ref, th = r["deepscope"], r.get("numpy"), r.get("torch")
        verdict = "" if th is None else " " + _verdict(ds / th <= r["target"])
        cells = [
            f"{r['key']}. {r['title']}",
            _fmt_time(ds),
            _fmt_time(r["cold"]) if "cold" in r else "-",
            _fmt_time(ref) if ref else "-",
            _fmt_time(th) if th else "not installed",
            f"{ds / ref:.3f}" if ref else "-",
            f"{ds / th:.3f}{_range_note(r.get('ratio_range'))}" if th else "-",
            f"<= {r['target']:.2g}{verdict}",
            _limit_cell(r.get("limit")),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


GPU_SPEEDUP = {"B": 10.0, "L": 10.0}  # cuda backend at least this many times the cpu's speed
GPU_VS_TORCH = {"L": 1.0}  # ... and at most this ratio to PyTorch CUDA's time


def torch_sees_a_gpu() -> bool:
    """Whether PyTorch is importable and sees a CUDA GPU (asked in a process of its own)."""
    if not torch_available():
        return False
    code = "import torch; print(torch.cuda.is_available())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return out.returncode == 0 and out.stdout.strip().endswith("True")


def run_gpu_workload(key: str, with_torch=True) -> dict:
    """One row of the GPU table: every side in a process of its own."""
    row = {"key": key, "title": WORKLOADS[key].title}
    row["cuda"] = _time_in_process(key, "cuda")
    row["cpu"] = _time_in_process(key, "cpu")
    if with_torch:
        row["torch_cuda"] = _time_in_process(key, "torch-cuda")
    return row


def format_gpu_table(rows: list[dict]) -> str:
    """The GPU table: deepscope's cuda backend against its cpu backend (speed-up = cpu time /
    cuda time) and against PyTorch CUDA (ratio = deepscope time / torch time)."""
    lines = [
        "| workload | deepscope (cuda) | deepscope (cpu) | speed-up over cpu | target "
        "| PyTorch CUDA | vs torch CUDA | target vs torch CUDA |",
        "|" + "---|" * 8,
    ]
    for r in rows:
        key, cu, cpu, th = r["key"], r["cuda"], r["cpu"], r.get("torch_cuda")
        speedup = cpu / cu
        want, vs = GPU_SPEEDUP.get(key), GPU_VS_TORCH.get(key)
        reach = "-" if want is None else f">= {want:.0f}x {_verdict(speedup >= want)}"
        beat = "-" if vs is None or not th else f"<= {vs:.2g} {_verdict(cu / th <= vs)}"
        cells = [
            f"{key}. {r['title']}",
            _fmt_time(cu),
            _fmt_time(cpu),
            f"{speedup:.1f}x",
            reach,
            _fmt_time(th) if th else "torch sees no GPU",
            f"{cu / th:.3f}" if th else "-",
            beat,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def gpu_main(keys=None, out=print) -> list[dict]:
    """``deepscope bench --backend cuda``: every workload (or ``keys``) on the cuda backend,
    the cpu backend and PyTorch CUDA. Raises RuntimeError, with the reason, without a GPU."""
    from numba import cuda

    from .core import cuda_status

    ok, why = cuda_status()
    if not ok:
        raise RuntimeError(f"no CUDA GPU to time on: {why}")
    keys = list(keys or WORKLOADS)
    unknown = [k for k in keys if k not in WORKLOADS]
    if unknown:
        raise ValueError(f"workloads must be among {', '.join(WORKLOADS)}; got {unknown}")
    with_torch = torch_sees_a_gpu()
    if not with_torch:
        out("PyTorch is not importable or sees no GPU: the PyTorch CUDA column stays empty.")
    rows = []
    for key in keys:
        out(f"running {key} on the GPU: {WORKLOADS[key].title} ...")
        try:
            rows.append(run_gpu_workload(key, with_torch))
        except subprocess.CalledProcessError as exc:  # one workload's failure, the rest go on
            last = (exc.stderr or "").strip().splitlines()[-1:] or [str(exc)]
            out(f"  {key} failed, left out of the table: {last[0]}")
    name = cuda.get_current_device().name
    out("")
    out(f"{versions()}; GPU: {name.decode() if isinstance(name, bytes) else name}")
    out(format_gpu_table(rows))
    return rows


def import_time() -> float:
    """Seconds for ``import deepscope, deepscope.nn`` in a fresh interpreter (warm cache)."""
    code = "import time; t=time.perf_counter(); import deepscope.nn; print(time.perf_counter()-t)"
    return float(_last_line(code, dict(os.environ)))


def main(keys=None, with_numpy=True, startup=True, out=print) -> list[dict]:
    keys = list(keys or WORKLOADS)
    unknown = [k for k in keys if k not in WORKLOADS]
    if unknown:
        raise ValueError(f"workloads must be among {', '.join(WORKLOADS)}; got {unknown}")
    if not torch_available():
        out(
            "PyTorch is not importable: the torch columns stay empty "
            "(pip install torch==2.13.0 to compare; it is never a dependency)."
        )
    rows = []
    for key in keys:
        out(f"running {key}: {WORKLOADS[key].title} ...")
        rows.append(run_workload(key, with_numpy, with_cold=startup))
    out("")
    out(versions())
    out(format_table(rows))
    out("")
    out(
        "descent panel, one control change (5 optimizers x 200 steps, Rosenbrock): "
        f"{descent_recompute_time() * 1e3:.1f} ms (aim < 20 ms)"
    )
    if startup:
        out("")
        out(
            f"import deepscope.nn: {import_time() * 1e3:.0f} ms (warm cache). Cold start: the "
            "first unit of a workload in a new process with an empty numba cache."
        )
    return rows
