"""``deepscope bench`` workload G (batch norm + residual blocks + per-layer diagnostics):
the deepscope side runs and returns every layer's diagnostics."""

import numpy as np

from deepscope.bench import WORKLOADS, _model, deepscope_runner


def test_workload_g_runs_one_step_with_diagnostics():
    assert "G" in WORKLOADS and WORKLOADS["G"].target == 0.5
    model = _model("G", "cpu")
    assert sum(type(layer).__name__ == "Dense" for layer in model.all_layers()) == 20
    step = deepscope_runner("G", "cpu")
    d = step()
    assert len(d["layer"]) == 40  # 20 Dense + 20 BatchNorm1d weights
    assert np.isfinite(d["update_ratio"]).all() and (d["act_slope"] > 0).all()
