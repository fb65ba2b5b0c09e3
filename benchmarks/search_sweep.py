"""Time a full hyperparameter sweep: 100 configurations (10 learning rates x 10 L2 rates) x 5
folds x 100 epochs of the Playground's default network (2-4-2-1 tanh on the circle's 250
training points), serially, on the local process pool and on a Dask LocalCluster.

    python benchmarks/search_sweep.py [--workers 2] [--repeats 2] [--skip-serial]

Each executor is timed cold (its start-up included: the pool's or the cluster's processes,
numba's cached kernels loaded in each) and warm (the same executor again); the table's last
column checks that every executor gave the serial numbers bit for bit. Nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from deepscope.scenes import playground as pg
from deepscope.scenes import search as S

AXES = {
    "learning_rate": list(pg.LEARNING_RATES[1:]),  # 0.0001 .. 10
    "regularization_rate": list(pg.REGULARIZATION_RATES),  # 0 .. 10
}
BASE = {"regularization": "L2"}
FOLDS, EPOCHS = 5, 100


def sweep(executor) -> tuple[float, S.SearchResult]:
    t = time.perf_counter()
    result = S.grid_search(AXES, base=BASE, folds=FOLDS, epochs=EPOCHS, executor=executor)
    return time.perf_counter() - t, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="pool workers / Dask workers")
    parser.add_argument("--repeats", type=int, default=2, help="warm runs per executor")
    parser.add_argument("--skip-serial", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    args = parser.parse_args()
    S.grid_search({"learning_rate": [0.03]}, folds=2, epochs=1, executor="serial")  # compile
    fits = 100 * FOLDS
    print(
        f"{fits // FOLDS} configurations x {FOLDS} folds x {EPOCHS} epochs, 2-4-2-1 tanh, "
        f"{len(pg.Experiment().train_points)} training points; {os.cpu_count()} cores "
        f"({platform.processor() or platform.machine()})"
    )
    rows, reference = [], None
    if not args.skip_serial:
        seconds, reference = sweep("serial")
        rows.append(("serial (this process)", seconds, None, reference))
    with S.process_pool(args.workers) as pool:  # its workers start on the first sweep
        cold, result = sweep(pool)
        warm = min(sweep(pool)[0] for _ in range(args.repeats))
    rows.append((f"process pool, {args.workers} workers", cold, warm, result))
    reference = reference or result
    if not args.skip_dask:
        from dask.distributed import Client, LocalCluster

        t = time.perf_counter()
        cluster = LocalCluster(
            n_workers=args.workers, processes=True, threads_per_worker=1, dashboard_address=None
        )
        with cluster, Client(cluster) as client:
            up = time.perf_counter() - t
            cold, result = sweep(client)
            warm = min(sweep(client)[0] for _ in range(args.repeats))
        name = f"Dask LocalCluster, {args.workers} workers (+{up:.1f} s up)"
        rows.append((name, cold, warm, result))
    print(f"\n{'executor':<44} {'cold s':>7} {'warm s':>7} {'fits/s':>7}  same numbers")
    for name, cold, warm, result in rows:
        best = warm if warm is not None else cold
        equal = np.array_equal(result.val_loss, reference.val_loss) and np.array_equal(
            result.train_loss, reference.train_loss
        )
        warm_s = f"{warm:7.2f}" if warm is not None else f"{'-':>7}"
        print(f"{name:<44} {cold:7.2f} {warm_s} {fits / best:7.0f}  {equal}")
    best = reference.best_point
    print(f"\nbest: {best}, mean validation loss {reference.best_loss:.4f}")


if __name__ == "__main__":
    main()
