"""Command line: ``deepscope serve``, ``deepscope bench``, ``deepscope info``."""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
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


def serve(port: int, host: str, no_browser: bool) -> int:
    """Voila over the dashboards; the browser opens on the gallery once the server answers
    (Voila itself would open its file list)."""
    root = apps_dir()
    voila = shutil.which("voila") or str(Path(sys.executable).with_name("voila"))
    cmd = [voila, str(root), f"--port={port}", f"--Voila.ip={host}", "--theme=light",
           "--no-browser"]  # fmt: skip
    gallery = f"http://{host}:{port}/voila/render/index.ipynb"
    print(f"deepscope gallery: {gallery} (every dashboard: http://{host}:{port}/; Ctrl+C stops)")
    proc = subprocess.Popen(cmd)
    if not no_browser:
        threading.Thread(target=_open_when_up, args=(proc, gallery), daemon=True).start()
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()


def _open_when_up(proc: subprocess.Popen, url: str, seconds: float = 120.0) -> bool:
    """Open ``url`` in the browser as soon as the server answers (False if it never did)."""
    import webbrowser

    end = time.monotonic() + seconds
    probe = url.split("/voila/")[0] + "/voila/static/voila.js"
    while time.monotonic() < end and proc.poll() is None:
        try:
            urllib.request.urlopen(probe, timeout=2)
        except OSError:
            time.sleep(0.3)
            continue
        webbrowser.open(url)
        return True
    return False


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
        f"BLAS threads: {POLICY['blas_threads']}"
    )
    ok, why = be.cuda_status()
    lines.append("backends: numpy (reference), cpu (numba)" + (", cuda" if ok else ""))
    lines.append(f"cuda: {'available' if ok else 'unavailable'} ({why})")
    try:
        auto = be.get_backend("auto").name
        src = (
            f"{be.ENV_VAR}={__import__('os').environ[be.ENV_VAR]}"
            if __import__("os").environ.get(be.ENV_VAR)
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
    p_bench = sub.add_parser("bench", help="print the benchmark tables")
    p_bench.add_argument("workloads", nargs="*", help="A B C E F L (default: all)")
    p_bench.add_argument("--no-numpy", action="store_true", help="skip the numpy reference")
    p_bench.add_argument(
        "--no-startup", action="store_true", help="skip import and compile-time measurements"
    )
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
        return serve(args.port, args.host, args.no_browser)
    if args.command == "bench":
        from . import bench

        bench.main(args.workloads, not args.no_numpy, not args.no_startup)
        return 0
    print(info())
    return 0


if __name__ == "__main__":
    sys.exit(main())
