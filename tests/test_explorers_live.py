"""Every explorer of isolearn, live: built in a real kernel with live controls (not the static
figure), each control moved once the way a browser moves it, and the figure checked to change.

Runs with the book's ipywidgets 8 here (make test) and with Colab's ipywidgets 7.7.1 in the
Colab replica (make colab). A new Explorer subclass needs one line in DRIVERS.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import isolearn
from frontend import Frontend
from isolearn.widgets import Explorer

# How to build one of each explorer: an expression, evaluated in the kernel after IMPORTS and
# `from <the explorer's module> import <the explorer>`. Keep the inputs small: each control of
# the explorer is moved once and every move redraws the figure.
# A chapter has drawn with pyplot before it shows an explorer; that loads matplotlib's inline
# backend, which is what turns a displayed Figure into a PNG (before it, only text).
IMPORTS = """\
import matplotlib.pyplot as plt
import torch
from isolearn.models import create
plt.figure()
plt.close()
torch.manual_seed(0)
"""
DRIVERS = {
    "KernelExplorer": "KernelExplorer(torch.rand(12, 12))",
    "PatchExplorer": "PatchExplorer(torch.rand(1, 16, 16))",
    "AttentionExplorer": "AttentionExplorer(create('vit_digits', depth=2), torch.rand(3, 1, 8, 8))",
    "RotationExplorer": "RotationExplorer()",
    # isolearn.widget_exercises: explorers with a task and a verdict
    "VerticalEdgeExercise": "VerticalEdgeExercise()",
    "PyramidDepthExercise": "PyramidDepthExercise()",
    "PatchBudgetExercise": "PatchBudgetExercise()",
    "MixerCrossoverExercise": "MixerCrossoverExercise()",
    "CornerReachExercise": "CornerReachExercise()",
    "AttentionShareExercise": "AttentionShareExercise()",
    "TanhRotationExercise": "TanhRotationExercise()",
    "SpotlightWidthExercise": "SpotlightWidthExercise()",
    "ExactPruningExercise": "ExactPruningExercise()",
    "RotationFreeViTExercise": "RotationFreeViTExercise()",
}


def explorers() -> list[type]:
    """Every concrete subclass of Explorer in any isolearn module (abstract ones, which do not
    implement widget(), are skipped)."""
    for module in pkgutil.walk_packages(isolearn.__path__, "isolearn."):
        importlib.import_module(module.name)
    found, todo = [], [Explorer]
    while todo:
        cls = todo.pop()
        todo += cls.__subclasses__()
        if cls is not Explorer and cls.widget is not Explorer.widget and not inspect.isabstract(cls):
            found.append(cls)
    return sorted(set(found), key=lambda c: c.__name__)


EXPLORERS = explorers()


def test_every_explorer_has_a_driver():
    names = {cls.__name__ for cls in EXPLORERS}
    missing = sorted(names - set(DRIVERS))
    assert not missing, (f"no live test for {missing}: add to DRIVERS in "
                         f"tests/test_explorers_live.py a line such as "
                         f"{missing[0]!r}: \"{missing[0]}(<small inputs>)\"")
    stale = sorted(set(DRIVERS) - names)
    assert not stale, f"DRIVERS names explorers that isolearn no longer has: {stale}; remove them"


@pytest.fixture(scope="module")
def kernel():
    # ISOLEARN_STATIC=0: the live widget, as on Colab or in JupyterLab (make test sets it to 1).
    frontend = Frontend(env={"ISOLEARN_STATIC": "0", "OMP_NUM_THREADS": "1"})
    frontend.execute(IMPORTS)
    yield frontend
    frontend.close()


@pytest.mark.parametrize("cls", EXPLORERS, ids=lambda c: c.__name__)
def test_explorer_reacts_to_every_control(kernel, cls):
    if cls.__name__ not in DRIVERS:
        pytest.fail(f"{cls.__name__} has no driver: see test_every_explorer_has_a_driver")
    build = f"from {cls.__module__} import {cls.__name__}\n{DRIVERS[cls.__name__]}"
    root = kernel.displayed_widget(kernel.execute(build))
    before = kernel.pictures(root)
    assert any(before.values()), f"{cls.__name__}: the live widget shows no figure"
    controls = kernel.controls(root)
    assert controls, f"{cls.__name__}: the live widget has no control to move"
    for control in controls:
        what = kernel.describe(control)
        kernel.send_state(control, kernel.moved(control))
        after = kernel.pictures(root)
        assert all(len(images) <= 1 for images in after.values()), (
            f"{cls.__name__}: moving {what} left several figures stacked in one output")
        changed = after != before and any(after.values())  # (not in the assert: no PNG dump)
        assert changed, f"{cls.__name__}: moving {what} did not change the figure"
        before = after


# A widget exercise, live: the controls sent to the right setting turn the verdict to ✅ (the
# verdict is an HTML widget, so its text is the model's state that a browser would render).
RIGHT = {"PatchBudgetExercise": [4], "CornerReachExercise": [5, 4],
         "VerticalEdgeExercise": [-1, 0, 1, -2, 0, 2, -1, 0, 1]}


@pytest.mark.parametrize("name", sorted(RIGHT))
def test_a_widget_exercise_turns_green_live(kernel, name):
    build = f"from isolearn.widget_exercises import {name}\n{DRIVERS[name]}"
    root = kernel.displayed_widget(kernel.execute(build))

    def verdict() -> str:
        return next(kernel.models[m]["value"] for m in kernel.tree(root)
                    if "isolearn-verdict" in str(kernel.models[m].get("value", "")))

    assert "❌" in verdict()
    for control, value in zip(kernel.controls(root), RIGHT[name]):
        state = kernel.models[control]
        if "_options_labels" in state:  # a choice: send the index of the value
            kernel.send_state(control, {"index": state["_options_labels"].index(str(value))})
        else:
            kernel.send_state(control, {"value": value})
    assert "✅" in verdict(), verdict()
