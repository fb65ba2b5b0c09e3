import json

import numpy as np
import pytest

from deepscope.widgets import LandscapePanel


def test_landscape_panel_computes_with_progress_and_animates():
    panel = LandscapePanel(resolution=21, epochs=20)
    assert panel.progress.value == 1.0
    contour, path = panel.fig.data[:2]
    assert np.asarray(contour.z).shape == (21, 21)
    assert len(path.x) == len(panel.run.thetas)
    panel.player.slider.value = 3
    now = panel.fig.data[2]
    assert (now.x[0], now.y[0]) == pytest.approx(tuple(panel.path[3]))
    panel.batch_size = 10
    assert "press" in panel.message.value
    panel.learning_rate = 3.0
    panel.compute()
    assert "Trained in" in panel.message.value
    state = json.loads(json.dumps(panel.state))
    assert LandscapePanel(compute=False, **state).state == state
