"""ipywidgets + plotly panels. Views only draw: the numbers come from deepscope.scenes."""

from .neuron import NeuronPanel
from .player import Player

__all__ = ["NeuronPanel", "Player"]
