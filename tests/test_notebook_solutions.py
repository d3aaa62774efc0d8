"""Each solution in the book runs as printed in its own notebook: with only the names that the
notebook's set-up cell imports (a solution that uses ``F`` in a chapter that never imports
``torch.nn.functional as F`` fails for the reader, although it passes a test that supplies F)."""

import pytest

from isolearn.exercises import EXERCISES, check
from notebooks import NOTEBOOKS, code_cells, load, solutions, source


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_solutions_run_with_the_notebooks_own_imports(path):
    nb = load(path)
    setup = source(code_cells(nb)[0])  # the Colab install is skipped off Colab
    for label, code in solutions(nb).items():
        namespace: dict = {}
        exec(setup, namespace)
        exec(code, namespace)
        names = [k for k in namespace if k in EXERCISES]
        assert names, f"{path.name}: solution {label} defines none of the exercises"
        for name in names:
            verdict = check(name, namespace[name])
            assert verdict.passed, f"{path.name}: the solution of {label}, run as printed, fails: {verdict}"
