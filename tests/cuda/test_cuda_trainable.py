"""Frozen layers on the GPU (the fused dense epoch and the layer-by-layer path), in numba's
simulator or on a GPU: bit for bit unchanged, the rest as on the cpu backend."""

import numpy as np
import pytest

from deepscope import nn
from deepscope.data import playground

pytestmark = pytest.mark.cuda


# the fused epoch with and without clipping, the layer-by-layer path with it
@pytest.mark.parametrize("clip, compiled", [(None, True), (1.0, True), (1.0, False)])
def test_frozen_layers_stay_put_on_the_gpu_and_match_the_cpu(clip, compiled):
    X, y = playground("xor", 16, 0.1, seed=0)
    X = (X / 6).astype(np.float32)
    runs = {}
    for backend in ("cpu", "cuda"):
        model = nn.Sequential(
            [nn.Dense(2, 5), nn.Tanh(), nn.Dense(5, 3), nn.Tanh(), nn.Dense(3, 1), nn.Sigmoid()],
            seed=0,
            backend=backend,
        )
        model.layers[2].trainable = False
        frozen = model.layers[2].params["W"].copy()
        opt = nn.SGD(model, lr=0.1, momentum=0.9, weight_decay=0.01)
        trainer = nn.Trainer(
            model, X, y, nn.BCELoss(backend), opt, batch_size=8, clip_norm=clip, compiled=compiled
        )
        assert trainer.compiled == compiled
        trainer.epoch()
        np.testing.assert_array_equal(model.layers[2].params["W"], frozen)
        model.layers[0].trainable = False  # between epochs: takes effect
        first = model.layers[0].params["W"].copy()
        trainer.epoch()
        np.testing.assert_array_equal(model.layers[0].params["W"], first)
        np.testing.assert_array_equal(model.layers[2].params["W"], frozen)
        runs[backend] = model.theta.copy()
    np.testing.assert_allclose(runs["cuda"], runs["cpu"], rtol=1e-5, atol=1e-6)
