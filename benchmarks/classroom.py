"""A class at once, measured in the browser: how long each student waits for a first picture.

Starts ``deepscope serve`` on loopback (its own port, its own numba cache when --cold), opens
dashboards in headless Chromium and times each page from navigation to its first drawn plot.

    python benchmarks/classroom.py first-plot [--pool N] [--cold] [--runs 2] [dashboards...]
        every dashboard (default) one after another: the time to its first plot, per run.
    python benchmarks/classroom.py load --students 10 [--dashboard descent] [--pool N]
        N students open one dashboard at once (with --pool N, N kernels preheated for it),
        then each presses a slider's right arrow: p50, p95 and max time to the widgets'
        state from the kernel (the server's part), to the first plot (the browsers share this
        machine with the server) and to the slider's effect on a plot, errors, the server's
        memory (Voila and its kernels) while the class is in, and the kernels still alive
        after they leave.

Bounded: at most 60 students, loopback only, every wait has a limit (--timeout seconds).
Needs the test extra (playwright) and Chromium at /usr/bin/chromium.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from testkit import CHROMIUM_ARGS  # noqa: E402 (the browser as the tests start it)

from deepscope.cli import REFILL_AFTER_S  # noqa: E402

DASHBOARDS = (
    "neuron",
    "descent",
    "landscape",
    "convolution",
    "autoencoder",
    "gradients",
    "adversarial",
    "playground",
    "lessons",
)
MAX_STUDENTS = 60
PLOT = ".js-plotly-plot .main-svg"
# the time to a slider's effect: the first change inside any plot after the key press
WATCH = """() => new Promise(done => {
  const t0 = performance.now();
  const seen = new MutationObserver(() => { seen.disconnect(); done(performance.now() - t0); });
  document.querySelectorAll('.js-plotly-plot').forEach(
    p => seen.observe(p, {subtree: true, childList: true, attributes: true}));
  window.__pressed = t0;
})"""


class Server:
    """``deepscope serve`` on a free loopback port; ``memory()`` and ``kernels()`` read its
    process tree."""

    def __init__(self, pool: list[str], cache_dir: str | None = None, log: Path | None = None):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ)
        if cache_dir:
            env["NUMBA_CACHE_DIR"] = cache_dir
        exe = Path(sys.executable).with_name("deepscope")
        cmd = [str(exe), "serve", "--no-browser", "--host=127.0.0.1", f"--port={self.port}"]
        cmd += [f"--pool={spec}" for spec in pool]
        self.log = open(log or os.devnull, "w")  # noqa: SIM115 (closed in stop)
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env)
        end = time.monotonic() + 120
        while time.monotonic() < end:
            try:
                urllib.request.urlopen(f"{self.url}/voila/static/voila.js", timeout=2)
                return
            except OSError:
                if self.proc.poll() is not None:
                    code = self.proc.returncode
                    raise SystemExit(f"deepscope serve exited with {code}") from None
                time.sleep(0.3)
        raise SystemExit("deepscope serve did not answer in 120 s")

    def tree(self) -> list[psutil.Process]:
        root = psutil.Process(self.proc.pid)
        return [root, *root.children(recursive=True)]

    def kernels(self) -> list[psutil.Process]:
        out = []
        for p in self.tree():
            try:
                if any("ipykernel_launcher" in part for part in p.cmdline()):
                    out.append(p)
            except psutil.Error:
                pass
        return out

    def memory(self) -> float:
        """Resident memory of the server and its kernels, MiB (unique set where readable)."""
        total = 0
        for p in self.tree():
            try:
                info = p.memory_full_info()
                total += getattr(info, "uss", info.rss)
            except psutil.Error:
                pass
        return total / 2**20

    def settle(self, quiet_cpu: float = 0.1, limit_s: float = 600) -> float:
        """Wait until the kernels' CPU use stays under ``quiet_cpu`` cores for two seconds
        (a pool has finished preheating); the seconds it took."""
        t0, quiet = time.monotonic(), 0
        while time.monotonic() - t0 < limit_s and quiet < 2:
            procs = self.kernels()
            before = sum(_cpu(p) for p in procs)
            time.sleep(1.0)
            used = sum(_cpu(p) for p in procs) - before
            quiet = quiet + 1 if used < quiet_cpu else 0
        return time.monotonic() - t0

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def _cpu(p: psutil.Process) -> float:
    try:
        t = p.cpu_times()
        return t.user + t.system
    except psutil.Error:
        return 0.0


async def _open(browser, url: str, timeout_s: float, slider: bool) -> dict:
    """One student: a page of its own, the time to its first plot (and to a slider's
    effect), errors shown on the page, then the page closed as a student leaves."""
    page = await browser.new_page(viewport={"width": 1200, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    out = {"first_plot": None, "state": None, "slider": None, "errors": errors}
    t0 = time.perf_counter()

    def frame(data) -> None:  # the kernel's reply with every widget's state: the server's part
        mark = "update_states" if isinstance(data, str) else b"update_states"
        if out["state"] is None and mark in data:
            out["state"] = time.perf_counter() - t0

    page.on("websocket", lambda ws: ws.on("framereceived", frame))
    try:
        await page.goto(url, timeout=timeout_s * 1000)
        await page.wait_for_selector(PLOT, timeout=timeout_s * 1000, state="attached")
        out["first_plot"] = time.perf_counter() - t0
        if slider:
            handle = page.locator(".widget-slider .noUi-handle >> visible=true").first
            await handle.wait_for(timeout=timeout_s * 1000)
            watch = asyncio.ensure_future(page.evaluate(WATCH))
            await page.wait_for_function("() => window.__pressed !== undefined")
            await handle.press("ArrowRight")
            out["slider"] = await asyncio.wait_for(watch, timeout_s) / 1000
        body = await page.inner_text("body")
        if "Traceback" in body:
            errors.append("a traceback on the page")
    except Exception as err:  # a timeout or a crash: counted, the class goes on
        errors.append(f"{type(err).__name__}: {str(err).splitlines()[0][:120]}")
    finally:  # leaving the page (its kernel is shut down), as a student does
        await page.goto("about:blank")
        await page.close()
    return out


async def _class(url: str, students: int, timeout_s: float, slider: bool, during=None):
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        jobs = [_open(browser, url, timeout_s, slider) for _ in range(students)]
        done = asyncio.Event()
        watcher = asyncio.ensure_future(during(done)) if during else None
        results = await asyncio.gather(*jobs)
        done.set()
        peak = await watcher if watcher else None
        await browser.close()
    return results, peak


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def _stats(values: list[float | None]) -> str:
    got = [v for v in values if v is not None]
    if not got:
        return "none"
    return (
        f"p50 {statistics.median(got):6.2f} s  p95 {_pct(got, 0.95):6.2f} s  "
        f"max {max(got):6.2f} s  ({len(got)} of {len(values)})"
    )


def first_plot(args) -> None:
    names = args.dashboards or list(DASHBOARDS)
    unknown = sorted(set(names) - set(DASHBOARDS))
    if unknown:
        raise SystemExit(f"unknown dashboard(s) {unknown}; known: {', '.join(DASHBOARDS)}")
    with tempfile.TemporaryDirectory() as cache:
        server = Server([str(args.pool)], cache_dir=cache if args.cold else None)
        try:
            if args.pool:
                print(f"pool of {args.pool} per dashboard preheated in {server.settle():.0f} s")
            kind = "cold cache" if args.cold else "warm cache"
            kind += f", pool {args.pool}" if args.pool else ", no pool"
            print(f"time from navigation to the first plot ({kind}), seconds")
            print(f"{'dashboard':<13}" + "".join(f"  run {i + 1:>2}" for i in range(args.runs)))
            for name in names:
                times = []
                for _ in range(args.runs):
                    url = f"{server.url}/voila/render/{name}.ipynb"
                    (res,), _ = asyncio.run(_class(url, 1, args.timeout, False))
                    shown = f"{res['first_plot']:8.2f}" if res["first_plot"] else "  failed"
                    times.append(shown)
                    if res["errors"]:
                        print(f"  {name}: {'; '.join(res['errors'])}", file=sys.stderr)
                    if args.pool:  # the pool refills before the next opening
                        time.sleep(REFILL_AFTER_S)
                        server.settle()
                print(f"{name:<13}" + "".join(times), flush=True)
        finally:
            server.stop()


def load(args) -> None:
    if not 1 <= args.students <= MAX_STUDENTS:
        raise SystemExit(f"--students must be from 1 to {MAX_STUDENTS}, got {args.students}")
    if args.dashboard not in DASHBOARDS:
        raise SystemExit(f"unknown dashboard {args.dashboard!r}; known: {', '.join(DASHBOARDS)}")
    server = Server(["0", f"{args.dashboard}={args.pool}"])  # a pool for this dashboard alone
    try:
        warm_url = f"{server.url}/voila/render/{args.dashboard}.ipynb"
        asyncio.run(_class(warm_url, 1, args.timeout, False))  # the numba cache is filled
        time.sleep(3)
        server.settle()
        idle = server.memory()

        async def peak_memory(done: asyncio.Event) -> float:
            peak = 0.0  # read in a thread: the browser's calls share this event loop
            while not done.is_set():
                peak = max(peak, await asyncio.to_thread(server.memory))
                await asyncio.sleep(2.0)
            return peak

        t0 = time.perf_counter()
        results, peak = asyncio.run(
            _class(warm_url, args.students, args.timeout, True, during=peak_memory)
        )
        wall = time.perf_counter() - t0
        time.sleep(args.linger)
        left = len(server.kernels())
    finally:
        server.stop()
    errors = [e for r in results for e in r["errors"]]
    pool = f"pool {args.pool}" if args.pool else "no pool"
    print(f"{args.students} students open {args.dashboard} at once ({pool}), in {wall:.0f} s")
    print(f"  widget state in: {_stats([r['state'] for r in results])}")
    print(f"  first plot:      {_stats([r['first_plot'] for r in results])}")
    print(f"  slider's effect: {_stats([r['slider'] for r in results])}")
    print(f"  errors:          {len(errors)}" + (f" ({errors[0]})" if errors else ""))
    print(f"  server memory:   {idle:.0f} MiB idle, {peak:.0f} MiB with the class in")
    print(f"  kernels alive {args.linger:.0f} s after they left: {left}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_first = sub.add_parser("first-plot", help="every dashboard, one page at a time")
    p_first.add_argument("dashboards", nargs="*", help=f"default: {' '.join(DASHBOARDS)}")
    p_first.add_argument("--runs", type=int, default=2)
    p_first.add_argument("--cold", action="store_true", help="an empty numba cache")
    p_load = sub.add_parser("load", help="a class opening one dashboard at once")
    p_load.add_argument("--students", type=int, default=10)
    p_load.add_argument("--dashboard", default="descent")
    p_load.add_argument(
        "--linger", type=float, default=10.0,
        help="seconds to wait after the pages close before counting kernels",
    )  # fmt: skip
    for p in (p_first, p_load):
        p.add_argument("--pool", type=int, default=0, help="preheated kernels (first-plot: per "
                       "dashboard; load: for the dashboard the class opens)")  # fmt: skip
        p.add_argument("--timeout", type=float, default=300.0, help="seconds, per wait")
    args = parser.parse_args(argv)
    first_plot(args) if args.command == "first-plot" else load(args)


if __name__ == "__main__":
    main()
