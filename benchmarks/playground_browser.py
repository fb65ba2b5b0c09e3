"""The playground's speed where it counts: in the browser, while the pictures move.

Serves voila_apps/ with Voila (or uses --url), opens the playground dashboard in headless
Chromium with the Playground's default network (2 inputs, 4-2 hidden, tanh, 250 training
points, batch 10) at "flat out", presses Play and, for --seconds, samples the output map's
title (it carries the epoch and changes once per drawn frame) every 5 ms: epochs a second
as the browser sees them, and frames drawn a second. In the same run, the scene alone (no
drawing) gives the engine's own epochs a second. The Playground itself runs one epoch per
animation frame: 60 epochs a second in Chromium here.

    python benchmarks/playground_browser.py [--seconds 6] [--url http://127.0.0.1:8866]
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLAYGROUND_EPOCHS_PER_S = 60.0
TITLE = (
    "() => { const p = Array.from(document.querySelectorAll('.js-plotly-plot'))"
    ".find(p => p._fullData && p._fullData.some(t => t.name === 'map'));"
    " return p ? p.layout.title.text : ''; }"
)
SAMPLE = f"""async (seconds) => {{
  const title = {TITLE};
  const epoch = (t) => parseInt((t.match(/epoch ([\\d,]+)/) || [0, '0'])[1].replace(/,/g, ''));
  const t0 = performance.now(); let last = title(); const e0 = epoch(last); let frames = 0;
  while (performance.now() - t0 < seconds * 1000) {{
    await new Promise(r => setTimeout(r, 5));
    const now = title(); if (now !== last) {{ frames++; last = now; }}
  }}
  return [epoch(last) - e0, frames, (performance.now() - t0) / 1000];
}}"""


def scene_rate(seconds: float = 2.0) -> float:
    from deepscope.scenes.playground import Experiment

    e = Experiment()
    e.run(10)
    t0, n = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        e.run(50)
        n += 50
    return n / (time.perf_counter() - t0)


def serve() -> tuple[str, subprocess.Popen]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    voila = str(Path(sys.executable).with_name("voila"))
    proc = subprocess.Popen(
        [voila, str(ROOT / "voila_apps"), "--no-browser", f"--port={port}",
         "--Voila.ip=127.0.0.1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(240):
        try:
            urllib.request.urlopen(f"{url}/voila/static/voila.js", timeout=2)
            return url, proc
        except OSError:
            time.sleep(0.5)
    raise SystemExit("Voila did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=6.0)
    parser.add_argument("--url", default="")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    proc = None
    url = args.url
    if not url:
        url, proc = serve()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--headless", "--no-sandbox"]
            )
            page = browser.new_page(viewport={"width": 1200, "height": 1300})
            page.goto(f"{url}/voila/render/playground.ipynb?speed=0&epochs=100000",
                      timeout=180_000)  # fmt: skip
            page.wait_for_function(f"() => ({TITLE})().includes('epoch 0')", timeout=180_000)
            page.get_by_role("button", name="Play").click()
            page.wait_for_function(f"() => !({TITLE})().includes('epoch 0<')", timeout=30_000)
            page.wait_for_timeout(1000)  # past the first frames
            epochs, frames, elapsed = page.evaluate(SAMPLE, args.seconds)
            page.get_by_role("button", name="Stop").click()
            browser.close()
    finally:
        if proc is not None:
            proc.terminate()
    alone = scene_rate()
    rate = epochs / elapsed
    print("| what | epochs a second | frames a second | vs the Playground (60 epochs/s) |")
    print("|---|---|---|---|")
    print(f"| dashboard in Chromium, flat out, redrawing | {rate:,.0f} | {frames / elapsed:.1f} "
          f"| {rate / PLAYGROUND_EPOCHS_PER_S:.0f}x |")  # fmt: skip
    print(f"| the scene alone (no drawing), same run | {alone:,.0f} | - "
          f"| {alone / PLAYGROUND_EPOCHS_PER_S:.0f}x |")  # fmt: skip


if __name__ == "__main__":
    main()
