from deepscope.bench import ISOLATED, WORKLOADS, deepscope_runner, median_time


def test_workload_e_deepscope_runner_runs_once():
    assert "E" in WORKLOADS and "E" in ISOLATED
    seconds = median_time(deepscope_runner("E", "cpu"), repeats=1, warmup=0)
    assert seconds > 0
