"""Each solution in the book runs as printed in its own notebook: with only the names that the
notebook's set-up cell imports (a solution that uses ``F`` in a chapter that never imports
``torch.nn.functional as F`` fails for the reader, although it passes a test that supplies F)."""

import pytest

from isolearn.exercises import EXERCISES, check
from notebooks import NOTEBOOKS, code_cells, load, solutions, source

# ex-widget-*: an exercise done with a widget (isolearn.widget_exercises); its solution is prose,
# and tests/test_widget_exercises.py checks its verdicts and the numbers the solution gives.
SOLUTIONS = [(path, label, code) for path in NOTEBOOKS for label, code in solutions(load(path)).items()
             if not label.startswith("ex-widget-")]


@pytest.mark.parametrize("path, label, code", SOLUTIONS, ids=[f"{p.stem}:{label}" for p, label, _ in SOLUTIONS])
def test_solution_runs_with_only_its_notebooks_imports(path, label, code):
    namespace: dict = {}
    exec(source(code_cells(load(path))[0]), namespace)  # the set-up cell (no install off Colab)
    imported = dict(namespace)  # e.g. chapter 5 imports the library's receptive_field to use it
    exec(code, namespace)
    defined = sorted(name for name in set(namespace) & set(EXERCISES)
                     if namespace[name] is not imported.get(name))
    assert defined, f"{path.name}: solution {label} defines none of the exercises"
    verdicts = [check(name, namespace[name]) for name in defined]
    assert all(v.passed for v in verdicts), f"{path.name}, {label} run as printed: {verdicts}"
