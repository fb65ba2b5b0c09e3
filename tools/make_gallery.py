"""Write the gallery (voila_apps/index.ipynb) from deepscope.widgets.PANELS and the lessons.

Run after adding a panel or changing a panel's title or summary; a test checks the gallery is
current:

    python tools/make_gallery.py
"""

from pathlib import Path

import nbformat

from deepscope.lessons import table as lesson_table
from deepscope.widgets import gallery_table

INDEX = Path(__file__).resolve().parents[1] / "voila_apps" / "index.ipynb"

INTRO = """# deepscope gallery

Interactive lessons on how neural networks learn. Each dashboard computes everything live with \
deepscope's own training engine. A dashboard's address can carry a setup: \
`descent.ipynb?surface=ravine&learning_rate=0.3&hidden=learning_rate` opens the ravine at that \
learning rate with its slider hidden; each panel shows the link to its current setup at its foot."""

LESSONS = """## Lessons

A lesson walks through one topic step by step: **Next** (or the arrow keys, or a presenter's \
clicker) moves the panel to the next point, with the narration beside it. A teacher adds \
`&presenter=true` for projector-sized text and opens a second window with `&notes=true` for \
the speaker notes; `&step=3` opens a step."""

VERSION = """import deepscope
from IPython.display import Markdown

Markdown(f"deepscope {deepscope.__version__}: open a dashboard above.")"""


def gallery() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell(INTRO),
        nbformat.v4.new_markdown_cell(gallery_table()),
        nbformat.v4.new_markdown_cell(LESSONS),
        nbformat.v4.new_markdown_cell(lesson_table()),
        nbformat.v4.new_code_cell(VERSION),
    ]
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return nb


if __name__ == "__main__":
    nbformat.write(gallery(), INDEX)
    print(f"wrote {INDEX}")
