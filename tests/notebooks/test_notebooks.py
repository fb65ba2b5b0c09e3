"""Every notebook and dashboard runs top to bottom without an error."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted([*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("voila_apps/*.ipynb")])


@pytest.mark.notebooks
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_notebook_runs(path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.get("output_type") == "error"
    ]
    assert not errors


def test_every_panel_has_its_dashboard_and_every_dashboard_a_panel():
    from deepscope.widgets import PANELS

    dashboards = {p.name for p in ROOT.glob("voila_apps/*.ipynb")} - {
        "index.ipynb",
        "lessons.ipynb",
    }
    assert {panel.dashboard for panel in PANELS.values()} == dashboards
    for name, panel in PANELS.items():
        nb = (ROOT / "voila_apps" / panel.dashboard).read_text()
        assert f"{panel.__name__}.from_query()" in nb, f"{name}: the dashboard must read its link"
        assert panel.title and panel.summary, f"{name}: the gallery needs a title and a summary"
    from deepscope.widgets import gallery_table

    gallery = nbformat.read(ROOT / "voila_apps" / "index.ipynb", as_version=4)
    tables = [c.source for c in gallery.cells if c.cell_type == "markdown"]
    assert gallery_table() in tables, "the gallery is stale: run python tools/make_gallery.py"
    from deepscope.lessons import table

    assert table() in tables, "the gallery's lessons are stale: run python tools/make_gallery.py"
    assert "LessonPlayer.from_query()" in (ROOT / "voila_apps" / "lessons.ipynb").read_text()


def test_the_readme_table_has_every_panel():
    from deepscope.widgets import PANELS

    readme = (ROOT / "README.md").read_text()
    for panel in PANELS.values():
        assert f"| `{panel.__name__}` | `voila_apps/{panel.dashboard}`" in readme, panel.__name__
