"""Helpers for plotly FigureWidgets inside ipywidgets containers."""

from __future__ import annotations

from copy import deepcopy

import numpy as np
import plotly.graph_objects as go


def sync_state(fig: go.FigureWidget) -> go.FigureWidget:
    """Copy the figure's current traces and layout into its synced widget state.

    plotly's anywidget-based FigureWidget sends trace edits as one-off messages and refreshes
    its synced state only when it is displayed on its own; a figure that first appears inside
    an HBox/VBox would render the state from its construction (empty). Call this after
    building (and first drawing) a figure that lives in a container.
    """
    fig._widget_layout = deepcopy(fig._layout_obj._props)
    fig._widget_data = deepcopy(fig._data)
    return fig


def gaps(values):
    """``values`` for a plotly trace with every NaN or inf as None (a gap in the plot).

    Widget messages are JSON, and JSON has no NaN: a NaN would be sent as a non-standard
    token or a string. Finite arrays pass through unchanged (and travel as binary).
    """
    a = np.asarray(values, dtype=np.float64)
    if np.isfinite(a).all():
        return values
    return np.where(np.isfinite(a), a, None).tolist()
