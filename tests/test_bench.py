from deepscope.bench import (
    ISOLATED,
    WORKLOADS,
    deepscope_runner,
    dense_epoch_shapes,
    format_table,
    machine_limit,
    median_time,
    sgemm_rate,
)


def test_workload_e_deepscope_runner_runs_once():
    assert "E" in WORKLOADS and "E" in ISOLATED
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
