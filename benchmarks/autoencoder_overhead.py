"""What the autoencoder panel's live pictures cost: the lecture's 784-128-32-128-784 network
trained on the 4,000 shipped digits (MSE, Adam 0.003, batch 64), epochs timed three ways in one
run: the scene's training alone (``scenes.autoencoder.training``, the events drained, no
drawing), ``nn.fit`` on the same network, and the panel training live on an event loop (the
curves and the reconstruction strip redrawn 5 times a second, as in a dashboard, the messages
going nowhere). The issue asks for at most 25 % on top of ``fit`` and at least 4 refreshes a
second.

    python benchmarks/autoencoder_overhead.py [--epochs 20] [--repeats 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

from deepscope import nn
from deepscope.scenes import autoencoder as scene
from deepscope.widgets import AutoencoderPanel


def time_fit(X, epochs: int) -> float:
    model = scene.build_autoencoder()
    t = time.perf_counter()
    nn.fit(model, X, X, nn.MSELoss(), nn.Adam(model, lr=0.003), epochs=epochs, batch_size=64)
    return (time.perf_counter() - t) / epochs


def time_scene(X, epochs: int) -> float:
    model = scene.build_autoencoder()
    t = time.perf_counter()
    for _ in scene.training(model, X, "mse", epochs, batch_size=64, lr=0.003):
        pass
    return (time.perf_counter() - t) / epochs


def time_panel(epochs: int) -> tuple[float, float]:
    """Seconds an epoch and redraws a second of the panel training live, from Train to its
    last epoch (the summary after it, PCA and the code map, is not training)."""
    panel = AutoencoderPanel(compute=False, epochs=epochs)
    marks = {"epoch": [], "draw": []}
    on_event, draw = panel.on_event, panel.draw_training

    def event(e):
        on_event(e)
        if e.kind == "epoch":
            marks["epoch"].append(time.perf_counter())

    def redraw():
        draw()
        marks["draw"].append(time.perf_counter())

    panel.on_event, panel.draw_training = event, redraw

    async def run():
        start = time.perf_counter()
        await panel.train()
        return start

    start = asyncio.run(run())
    elapsed = marks["epoch"][-1] - start
    draws = sum(t <= marks["epoch"][-1] for t in marks["draw"])
    return elapsed / epochs, draws / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X = scene.digits()[0]
    time_fit(X, 1), time_panel(1)  # compile and warm up
    fits, scenes, panels, rates = [], [], [], []
    for _ in range(args.repeats):
        fits.append(time_fit(X, args.epochs))
        scenes.append(time_scene(X, args.epochs))
        epoch, rate = time_panel(args.epochs)
        panels.append(epoch)
        rates.append(rate)
    fit, alone, live = (statistics.median(v) for v in (fits, scenes, panels))
    runs = f"median of {args.repeats} runs of {args.epochs} epochs"
    print(f"| what ({runs}) | s an epoch | vs fit |")
    print("|---|---|---|")
    print(f"| nn.fit | {fit:.3f} | 1.00 |")
    print(f"| the scene's training alone | {alone:.3f} | {alone / fit:.2f} |")
    print(f"| the panel training live, redrawing | {live:.3f} | {live / fit:.2f} |")
    print(f"\nthe panel redrew {statistics.median(rates):.1f} times a second")


if __name__ == "__main__":
    main()
