"""Helpers for plotly FigureWidgets inside ipywidgets containers."""

from __future__ import annotations

from copy import deepcopy

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
