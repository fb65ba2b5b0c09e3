"""ipywidgets + plotly panels. Views only draw: the numbers come from deepscope.scenes."""

from .descent import DescentPanel
from .landscape import LandscapePanel
from .neuron import NeuronPanel
from .player import Player

__all__ = ["DescentPanel", "LandscapePanel", "NeuronPanel", "Player"]
