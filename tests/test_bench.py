import pytest

from deepscope.bench import (
    WORKLOADS,
    deepscope_runner,
    dense_epoch_shapes,
    format_gpu_table,
    format_table,
    machine_limit,
    median_time,
    sgemm_rate,
    torch_available,
    torch_runner,
)
from deepscope.cli import main as cli_main
from deepscope.core import cuda_status


def test_workload_e_deepscope_runner_runs_once():
    assert "E" in WORKLOADS
    seconds = median_time(deepscope_runner("E", "cpu"), repeats=1, warmup=0)
    assert seconds > 0


def test_dense_epoch_shapes_are_six_operations_per_sample_and_weight():
    widths, samples = (784, 128, 32, 128, 784), 6000
    shapes = dense_epoch_shapes(widths, samples, 256)
    assert len(shapes) == 24 * 4 * 3  # 23 full batches and one of 112; 3 products a layer
    weights = sum(a * b for a, b in zip(widths, widths[1:]))
    assert sum(2 * m * k * n for m, k, n in shapes) == 6 * samples * weights


def test_machine_limit_is_the_sgemm_rate_and_deepscope_share_of_it():
    rate, threads = sgemm_rate([(64, 32, 16)], repeats=1)
    assert rate > 0 and threads >= 1
    assert machine_limit("A", 1.0) is None
    limit = {"sgemm": 100.0, "threads": 2, "rate": 59.0}
    row = {"key": "B", "title": "t", "target": 0.75, "deepscope": 1.0, "torch": 2.0}
    table = format_table([{**row, "limit": limit, "cold": 3.0}])
    assert "59% (>= 60% not met)" in table and "<= 0.75 met" in table and "3.00 s" in table
    assert "(>= 60% met)" in format_table([{**row, "limit": {**limit, "rate": 60.0}}])
    ranged = format_table([{**row, "ratio_range": (0.41, 0.62)}])
    assert "| 0.500 (0.410-0.620) | <= 0.75 met |" in ranged  # the median judges, the range shows


def test_the_gpu_table_gives_speed_ups_and_verdicts():
    rows = [
        {"key": "B", "title": "t", "cuda": 0.01, "cpu": 0.12, "torch_cuda": 0.008},
        {"key": "L", "title": "t", "cuda": 0.02, "cpu": 0.1, "torch_cuda": 0.03},
        {"key": "A", "title": "t", "cuda": 0.002, "cpu": 0.001},  # torch saw no GPU
    ]
    lines = format_gpu_table(rows).splitlines()
    assert "| 12.0x | >= 10x met | 8.000 ms | 1.250 | - |" in lines[2]  # B: no torch target
    assert "| 5.0x | >= 10x not met | 30.000 ms | 0.667 | <= 1 met |" in lines[3]
    assert "| 0.5x | - | torch sees no GPU | - | - |" in lines[4]


@pytest.mark.skipif(cuda_status()[0], reason="a CUDA GPU is present: the bench would run")
def test_bench_on_cuda_without_a_gpu_says_why(capsys):
    assert cli_main(["bench", "--backend", "cuda", "A"]) == 2
    err = capsys.readouterr().err
    assert "deepscope bench --backend cuda: no CUDA GPU to time on:" in err
    assert cuda_status()[1] in err


@pytest.mark.skipif(not torch_available(), reason="PyTorch is not installed")
@pytest.mark.parametrize("key", sorted(WORKLOADS))
def test_every_torch_workload_runs_on_a_named_device(key):
    """The PyTorch side takes its device (the GPU table's column runs it on "cuda")."""
    assert median_time(torch_runner(key, "cpu"), repeats=1, warmup=0) > 0


def test_a_workload_that_fails_on_the_gpu_is_reported_and_the_rest_go_on(monkeypatch):
    """gpu_main's own logic, without a GPU: the device and the timed processes stood in for."""
    import subprocess
    from types import SimpleNamespace

    from numba import cuda

    from deepscope import bench, core

    def timed(key, side):
        if key == "B" and side == "cuda":
            raise subprocess.CalledProcessError(1, "python", stderr="Traceback\nCudaError: boom")
        return {"cuda": 0.01, "cpu": 0.2, "torch-cuda": 0.02}[side]

    monkeypatch.setattr(core, "cuda_status", lambda: (True, "a CUDA GPU is present"))
    monkeypatch.setattr(bench, "torch_sees_a_gpu", lambda: True)
    monkeypatch.setattr(bench, "_time_in_process", timed)
    monkeypatch.setattr(cuda, "get_current_device", lambda: SimpleNamespace(name=b"Test GPU"))
    printed = []
    rows = bench.gpu_main(["A", "B", "L"], out=printed.append)
    assert [r["key"] for r in rows] == ["A", "L"]
    assert "  B failed, left out of the table: CudaError: boom" in printed
    assert any(line.endswith("GPU: Test GPU") for line in printed)
    table = printed[-1]
    assert "| L. " in table and "20.0x | >= 10x met" in table and "<= 1 met" in table
