"""ipywidgets + plotly panels. Views only draw: the numbers come from deepscope.scenes."""

from .canvas import DrawingCanvas
from .convolution import ConvolutionPanel
from .descent import DescentPanel
from .landscape import LandscapePanel
from .neuron import NeuronPanel
from .player import Player

__all__ = [
    "ConvolutionPanel",
    "DescentPanel",
    "DrawingCanvas",
    "LandscapePanel",
    "NeuronPanel",
    "Player",
]
