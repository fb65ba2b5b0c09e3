"""Command line: ``deepscope serve``, ``warmup``, ``bench``, ``info``, ``export-lesson``."""

from __future__ import annotations

import argparse
import os
import platform
import sys
import threading
import time
import urllib.request
from importlib import metadata, resources
from pathlib import Path


def apps_dir() -> Path:
    """The Voila dashboards (package data ``deepscope/apps``: in a checkout a link to
    voila_apps/, in a wheel a copy)."""
    return Path(str(resources.files("deepscope") / "apps")).resolve()


#: seconds before a pool refills the kernels pages have taken: kernels started while a
#: class's pages load take the machine from them. Short, because Voila puts the delayed refill
#: in the pool at once and a page that comes next waits out the delay on it (with 60 s, the
#: second student on a pool of 1 saw a first plot after 60.0-60.7 s, against 2.2 s)
REFILL_AFTER_S = 5
#: seconds a kernel whose page has gone stays alive before it is culled (a page that comes
#: back within this time, after a dropped connection, finds its kernel still there)
CULL_AFTER_S = 300


def parse_pool(specs: list[str], dashboards: list[str]) -> dict[str, int]:
    """``--pool`` values ("2": every dashboard; "descent=30": one) as Voila's
    ``kernel_pools_config``. Preheated kernels per dashboard, 1 when not given."""
    sizes = {"default": 1}
    for spec in specs:
        name, _, count = spec.rpartition("=")
        if not count.isdigit() or int(count) > 100:
            raise ValueError(
                f"--pool {spec!r}: expected a count from 0 to 100, alone (every dashboard) "
                "or as NAME=COUNT (one dashboard)"
            )
        if not name:
            sizes["default"] = int(count)
        elif name.removesuffix(".ipynb") in dashboards:
            sizes[f"{name.removesuffix('.ipynb')}.ipynb"] = int(count)
        else:
            raise ValueError(f"--pool {spec!r}: no dashboard {name!r}; there are "
                             f"{', '.join(dashboards)}")  # fmt: skip
    return {nb: {"pool_size": n} for nb, n in sizes.items()}


def jupyter_share() -> str:
    """The Jupyter data folder holding deepscope's Voila template (``voila/templates/
    deepscope``): on ``JUPYTER_PATH`` it is found by ``--VoilaConfiguration.template=deepscope``."""
    return str(resources.files("deepscope") / "share")


def plotly_url() -> str:
    """Where ``deepscope serve`` offers plotly.js (its version in the query: a page keeps the
    file until plotly changes)."""
    from .widgets.figure import plotly_version

    return f"/deepscope/static/plotly.min.js?v={plotly_version()}"


def server_config(pool: dict[str, dict], cull_after: float):
    """The Voila configuration ``deepscope serve`` runs with.

    - Preheated kernels (``pool``): each dashboard already ran in a kernel that waits for a
      page, so a student's page opens on a picture that is ready. Taken kernels are replaced
      ``REFILL_AFTER_S`` later, once the class's pages have loaded.
    - A page that is left shuts its kernel down: Voila sends that request with the ``_xsrf``
      cookie, which its pages never set, so the request is refused (403) and the kernel lives
      on. The check is off here; the server has no other form to protect.
    - A kernel whose page is gone without a word (a crash, a lost connection) is culled after
      ``cull_after`` seconds without a connection (0: never).
    - The pages come from deepscope's template (``share/voila/templates/deepscope``, on the
      Jupyter path while ``serve`` runs): Voila's lab template, whose head has a dashboard's
      page fetch and run plotly.js while its kernel starts.
    """
    from traitlets.config import Config

    cfg = Config()
    cfg.VoilaConfiguration.template = "deepscope"
    cfg.VoilaConfiguration.resources = {"deepscope_plotly": plotly_url()}
    cfg.Voila.tornado_settings = {"disable_check_xsrf": True}
    # plotly's own extension (FigureWidget, which the panels do not use) would add a 4.8 MB
    # script to every page
    cfg.VoilaConfiguration.extension_denylist = ["jupyterlab-plotly"]
    sizes = [c["pool_size"] for c in pool.values()]
    cfg.VoilaConfiguration.preheat_kernel = any(sizes)
    if any(sizes):
        cfg.VoilaConfiguration.default_pool_size = pool["default"]["pool_size"]
        cfg.VoilaKernelManager.kernel_pools_config = pool
        cfg.VoilaKernelManager.fill_delay = REFILL_AFTER_S
    if cull_after > 0:
        cfg.MappingKernelManager.cull_idle_timeout = int(cull_after)
        cfg.MappingKernelManager.cull_interval = max(1, min(60, int(cull_after) // 2))
        cfg.MappingKernelManager.cull_connected = False
        cfg.MappingKernelManager.cull_busy = False
    return cfg


def dashboards() -> list[str]:
    return sorted(p.stem for p in apps_dir().glob("*.ipynb"))


def serve(port: int, host: str, no_browser: bool, pool: dict[str, dict], cull_after: float):
    """Voila over the dashboards, in this process; the browser opens on the gallery once the
    server answers (Voila itself would open its file list)."""
    from .widgets.figure import PLOTLY_URL_ENV

    os.environ[PLOTLY_URL_ENV] = plotly_url()
    paths = [jupyter_share(), os.getenv("JUPYTER_PATH")]  # deepscope's Voila template
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, paths))
    gallery = f"http://{host}:{port}/voila/render/index.ipynb"
    preheated = ", ".join(f"{nb.removesuffix('.ipynb')} {c['pool_size']}"
                          for nb, c in pool.items())  # fmt: skip
    print(f"deepscope gallery: {gallery} (every dashboard: http://{host}:{port}/; Ctrl+C stops)")
    print(f"preheated kernels per dashboard: {preheated}; a kernel whose page is gone ends "
          + (f"after {cull_after:.0f} s" if cull_after > 0 else "with the server"))  # fmt: skip
    if not no_browser:
        threading.Thread(target=_open_when_up, args=(gallery,), daemon=True).start()
    argv = [str(apps_dir()), f"--port={port}", f"--Voila.ip={host}", "--theme=light",
            "--no-browser"]  # fmt: skip
    _voila_app().launch_instance(argv, config=server_config(pool, cull_after))
    return 0


def _voila_app():
    """Voila with one more route: plotly.js as a file (the kernels' figures point pages at
    it, see ``PLOTLY_URL_ENV``), which the browser keeps from one dashboard to the next."""
    from tornado.web import StaticFileHandler
    from voila.app import Voila

    from .widgets.figure import plotly_file

    class DeepscopeVoila(Voila):
        def init_handlers(self):
            route = (r"/deepscope/static/(plotly\.min\.js)", StaticFileHandler,
                     {"path": str(plotly_file().parent)})  # fmt: skip
            return [route, *super().init_handlers()]

    return DeepscopeVoila


def _open_when_up(url: str, seconds: float = 120.0) -> bool:
    """Open ``url`` in the browser as soon as the server answers (False if it never did)."""
    import webbrowser

    end = time.monotonic() + seconds
    probe = url.split("/voila/")[0] + "/voila/static/voila.js"
    while time.monotonic() < end:
        try:
            urllib.request.urlopen(probe, timeout=2)
        except OSError:
            time.sleep(0.3)
            continue
        webbrowser.open(url)
        return True
    return False


def warmup(names: list[str]) -> int:
    """Fill numba's cache before a class: build each panel once, as its dashboard does (its
    first picture, and a training that starts with it run to the end), so that no student's
    page waits for the compiler. One line per dashboard as it goes."""
    t0 = time.perf_counter()
    from . import numba_cache_dir
    from .widgets import PANELS

    unknown = [n for n in names if n not in PANELS]
    if unknown:
        print(f"deepscope warmup: no dashboard {', '.join(map(repr, unknown))}; there are "
              f"{', '.join(PANELS)}", file=sys.stderr)  # fmt: skip
        return 2
    chosen = names or list(PANELS)
    where = numba_cache_dir() or "beside deepscope's modules"
    print(f"deepscope warmup: numba's cache ({where}) for {len(chosen)} dashboard(s); the "
          "first time takes a few minutes, later ones seconds", flush=True)  # fmt: skip
    for i, name in enumerate(chosen, 1):
        print(f"  [{i}/{len(chosen)}] {name:<12}", end=" ", flush=True)
        t = time.perf_counter()
        PANELS[name]()
        print(f"{time.perf_counter() - t:5.1f} s", flush=True)
    print(f"  ready in {time.perf_counter() - t0:.0f} s")
    return 0


def info() -> str:
    import numba

    from .core import backend as be
    from .core.cpu import POLICY

    lines = [
        f"deepscope {metadata.version('deepscope')}, Python {platform.python_version()} "
        f"on {platform.machine()}"
    ]
    for pkg in (
        "numpy",
        "numba",
        "scipy",
        "ipywidgets",
        "plotly",
        "anywidget",
        "voila",
        "numba-cuda",
        "torch",
    ):
        try:
            lines.append(f"  {pkg:<11} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            lines.append(f"  {pkg:<11} not installed")
    try:
        x = __import__("numpy").zeros((1, 1, 2, 2))
        be.get_backend("cpu").maxpool2d_forward(x, 2, 2)  # starts numba's thread pool
        layer = numba.threading_layer()
    except ValueError:
        layer = "not initialised"
    lines.append(
        f"numba threading layer: {layer}, {numba.config.NUMBA_NUM_THREADS} threads; "
        f"BLAS threads: {POLICY['blas_threads']}; idle OpenMP workers: {POLICY['openmp_wait']}"
    )
    ok, why = be.cuda_status()
    lines.append("backends: numpy (reference), cpu (numba)" + (", cuda" if ok else ""))
    lines.append(f"cuda: {'available' if ok else 'unavailable'} ({why})")
    try:
        auto = be.get_backend("auto").name
        src = (
            f"{be.ENV_VAR}={os.environ[be.ENV_VAR]}"
            if os.environ.get(be.ENV_VAR)
            else "a GPU is present"
            if ok
            else "no GPU"
        )
        lines.append(f'"auto" picks: {auto} ({src})')
    except (ValueError, RuntimeError) as exc:
        lines.append(f'"auto" fails: {exc}')
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="deepscope", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p_serve = sub.add_parser("serve", help="serve the dashboard gallery with Voila")
    p_serve.add_argument("--port", type=int, default=8866)
    p_serve.add_argument("--host", default="127.0.0.1")
    p_serve.add_argument("--no-browser", action="store_true")
    p_serve.add_argument(
        "--pool", action="append", default=[], metavar="[NAME=]COUNT",
        help="preheated kernels: COUNT for every dashboard, NAME=COUNT for one (repeatable; "
        "default 1 each; 0 turns preheating off)",
    )  # fmt: skip
    p_serve.add_argument(
        "--cull-after", type=float, default=CULL_AFTER_S, metavar="SECONDS",
        help=f"end a kernel this long after its page is gone (default {CULL_AFTER_S}; 0: never)",
    )  # fmt: skip
    p_bench = sub.add_parser("bench", help="print the benchmark tables")
    p_bench.add_argument("workloads", nargs="*", help="A B C E F G L (default: all)")
    p_bench.add_argument("--no-numpy", action="store_true", help="skip the numpy reference")
    p_bench.add_argument(
        "--backend", choices=("cpu", "cuda"), default="cpu",
        help="cuda: the workloads on a GPU, against the cpu backend and PyTorch CUDA",
    )  # fmt: skip
    p_bench.add_argument(
        "--no-startup", action="store_true", help="skip import and compile-time measurements"
    )
    p_warm = sub.add_parser("warmup", help="fill numba's cache so that first pages are fast")
    p_warm.add_argument("dashboards", nargs="*", help="default: every dashboard")
    sub.add_parser("info", help="versions, threading, backends")
    p_export = sub.add_parser(
        "export-lesson", help="a lesson as one HTML file: narration and figures, no kernel"
    )
    p_export.add_argument("name", help="a shipped lesson's name or a lesson .toml file")
    p_export.add_argument("-o", "--output", required=True, help="the HTML file to write")
    args = parser.parse_args(argv)
    if args.command == "export-lesson":
        from .widgets.lesson import export_html

        out = Path(args.output)
        if not out.parent.is_dir():
            print(f"deepscope export-lesson: no folder {out.parent} to write {out.name} in",
                  file=sys.stderr)  # fmt: skip
            return 2
        try:
            path = export_html(args.name, out)
        except (ValueError, OSError) as err:
            print(f"deepscope export-lesson: {err}", file=sys.stderr)
            return 2
        print(f"wrote {path}")
        return 0
    if args.command == "serve":
        try:
            pool = parse_pool(args.pool, dashboards())
        except ValueError as err:
            parser.error(str(err))
        if args.cull_after < 0:
            parser.error(f"--cull-after: expected 0 or more seconds, got {args.cull_after:g}")
        return serve(args.port, args.host, args.no_browser, pool, args.cull_after)
    if args.command == "warmup":
        return warmup(args.dashboards)
    if args.command == "bench":
        from . import bench

        if args.backend == "cuda":
            try:
                bench.gpu_main(args.workloads)
            except (RuntimeError, ValueError) as exc:
                print(f"deepscope bench --backend cuda: {exc}", file=sys.stderr)
                return 2
            return 0
        bench.main(args.workloads, not args.no_numpy, not args.no_startup)
        return 0
    print(info())
    return 0


if __name__ == "__main__":
    sys.exit(main())
