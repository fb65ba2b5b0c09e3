"""deepscope: Jupyter widgets that teach deep learning by showing it happen."""

__version__ = "0.1.0"
