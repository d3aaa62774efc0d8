"""An explorer shows a picture, not ``<Figure size 800x720 with 6 Axes>``, in a fresh kernel.

The website once showed that text in place of chapter 3's PatchExplorer: its figure was the
first of the notebook, and in a kernel where pyplot has not drawn yet, IPython has no PNG
formatter for a bare ``matplotlib.figure.Figure`` (the inline backend registers it only when
pyplot picks its backend). Explorers now render their PNG themselves. This runs a real kernel,
as the book build does, because the bug lives in that order of events and nowhere else.
"""

import nbformat
from nbclient import NotebookClient

CELLS = [
    # 1: the explorer's imports, and no pyplot figure anywhere before the explorer's
    "import os\nimport torch\nfrom isolearn.widgets import PatchExplorer",
    # 2: the static figure (what the website shows), the first figure of this kernel
    "os.environ['ISOLEARN_STATIC'] = '1'\nPatchExplorer(torch.rand(16, 16))",
    # 3: the live widget: its Output widget must hold a PNG too
    "os.environ['ISOLEARN_STATIC'] = '0'\nPatchExplorer(torch.rand(16, 16))",
]


def _run(cells):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(nb, timeout=120, kernel_name="python3", store_widget_state=True).execute()
    return nb


def test_explorer_shows_a_png_in_a_fresh_kernel_and_in_its_widget():
    nb = _run(CELLS)
    static = nb.cells[1].outputs
    data = [o.get("data", {}) for o in static]
    assert any("image/png" in d for d in data), f"the static explorer showed no PNG: {static}"
    text = " ".join(d.get("text/plain", "") for d in data)
    assert "<Figure size" not in text, f"the static explorer showed its repr: {text!r}"

    live = nb.cells[2].outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in live), live
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    captured = [o for model in state.values() if model["model_name"] == "OutputModel"
                for o in model["state"].get("outputs", [])]
    assert any("image/png" in o.get("data", {}) for o in captured), (
        f"the live widget's Output holds no PNG: {captured}")
    assert not any("<Figure size" in o.get("data", {}).get("text/plain", "") for o in captured)
