"""ipywidgets + plotly panels. Views only draw: the numbers come from deepscope.scenes.

``PANELS`` names every panel (the gallery, the lessons and the contract test read it); each
is built on ``Panel`` (see ``panel.py``) and draws with ``Figure`` (see ``figure.py``).
"""

from .adversarial import AdversarialPanel
from .autoencoder import AutoencoderPanel
from .canvas import DrawingCanvas
from .convolution import ConvolutionPanel
from .descent import DescentPanel
from .figure import Figure
from .gradients import GradientsPanel
from .landscape import LandscapePanel
from .lesson import LessonPlayer
from .neuron import NeuronPanel
from .panel import Panel
from .player import Player
from .playground import PlaygroundPanel

PANELS = {
    "neuron": NeuronPanel,
    "descent": DescentPanel,
    "landscape": LandscapePanel,
    "convolution": ConvolutionPanel,
    "autoencoder": AutoencoderPanel,
    "gradients": GradientsPanel,
    "adversarial": AdversarialPanel,
    "playground": PlaygroundPanel,
}

__all__ = [
    "gallery_table",
    "PANELS",
    "AdversarialPanel",
    "AutoencoderPanel",
    "ConvolutionPanel",
    "DescentPanel",
    "DrawingCanvas",
    "Figure",
    "GradientsPanel",
    "LandscapePanel",
    "LessonPlayer",
    "NeuronPanel",
    "Panel",
    "Player",
    "PlaygroundPanel",
]


def gallery_table() -> str:
    """The gallery's table of dashboards, one row per panel in PANELS (Markdown).
    ``python tools/make_gallery.py`` writes it into voila_apps/index.ipynb."""
    rows = [f"| [{p.title}]({p.dashboard}) | {p.summary} |" for p in PANELS.values()]
    return "\n".join(["| dashboard | what it teaches |", "|---|---|", *rows])
