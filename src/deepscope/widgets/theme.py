"""The view kit: palette, sizes, status and error lines, figure defaults.

Readable on a projector: figure text at 14 px, axis titles at 16 px, a status line at 15 px.
Panels fit JupyterLab's output column (about 934 px with the file browser open): figures
take the width they are given, and rows of controls wrap instead of overflowing.
"""

from __future__ import annotations

import html

import ipywidgets as W

FONT = 14
TITLE_FONT = 16
COLUMN = 920  # px: the widest a panel draws, inside JupyterLab's 934 px output column
ERROR = "#c0392b"
WARN = "#b35900"
OK = "#1e7b34"
MUTED = "#555"
# one colour per series, colour-blind safe enough for a class (Tableau 10)
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
)
WIDE = {"description_width": "initial"}


def layout(height: int = 460, **overrides) -> dict:
    """Figure defaults: width from the page, projector-sized text, room for the toolbar
    above the title, and user zoom kept while the data changes (uirevision)."""
    base = {
        "height": height,
        "autosize": True,
        "font": {"size": FONT},
        "title": {
            "font": {"size": TITLE_FONT},
            "x": 0.0,
            "xanchor": "left",
            "y": 0.96,
            "yanchor": "top",
        },  # a title of two lines grows down from 4% below the top, not off the top
        "margin": {"l": 60, "r": 20, "t": 70, "b": 50},
        "paper_bgcolor": "white",
        "plot_bgcolor": "#f7f7f9",
        "hoverlabel": {"font": {"size": FONT}},
        "legend": {"font": {"size": FONT}},
        "uirevision": "keep",
    }
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


def axis(title: str = "", **props) -> dict:
    """An axis with a readable title and tick labels."""
    return {
        "title": {"text": title, "font": {"size": TITLE_FONT}},
        "tickfont": {"size": FONT},
        "automargin": True,
        **props,
    }


def now_marker(name: str = "now", size: int = 14, **props) -> dict:
    """The trace of the "you are here" marker: white, black ring, no hover."""
    marker = {"size": size, "color": "white", "line": {"color": "black", "width": 2}}
    return {
        "type": "scatter",
        "name": name,
        "x": [],
        "y": [],
        "mode": "markers",
        "marker": marker,
        "hoverinfo": "skip",
        **props,
    }


def status_html(text: str, kind: str = "info") -> str:
    """One status or error line, in one style everywhere. ``text`` is HTML already (escape
    what a user typed with ``html.escape`` first); kind: info, ok, warn or error."""
    color = {"info": "inherit", "ok": OK, "warn": WARN, "error": ERROR}[kind]
    mark = {"info": "", "ok": "✓ ", "warn": "⚠ ", "error": "⚠ "}[kind]
    return f"<div style='color:{color};font-size:15px;line-height:1.4'>{mark}{text}</div>"


def error_html(err) -> str:
    """An exception's message as the panel's error line (a message of several lines, such
    as a CSV's bad rows, keeps its lines)."""
    return status_html(html.escape(str(err)).replace("\n", "<br>"), "error")


def row(children, **layout) -> W.HBox:
    """Controls side by side, wrapping onto a new line when the column is narrow."""
    return W.HBox(
        list(children),
        layout=W.Layout(flex_flow="row wrap", align_items="flex-start", **layout),
    )


def column(children, width: str | None = None, **layout) -> W.VBox:
    """Controls stacked; ``width`` in CSS units (None: as wide as the widest control)."""
    return W.VBox(list(children), layout=W.Layout(width=width, **layout))
