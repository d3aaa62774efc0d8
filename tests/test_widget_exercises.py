"""Widget exercises (isolearn.widget_exercises): each is driven to wrong settings, which get ❌
with the reason, and to the right one, which gets ✅; through verdict() and through its live
controls (in this process; tests/test_explorers_live.py drives them in a real kernel too). A
verdict never raises, and every chapter notebook shows one exercise in a cell with alt text."""

import re

import pytest
from matplotlib.figure import Figure

from isolearn import widget_exercises as wx
from notebooks import NOTEBOOKS, code_cells, load, source

SOBEL_X = [-1, 0, 1, -2, 0, 2, -1, 0, 1]


def kernel(values):
    return {f"k{i}": float(v) for i, v in enumerate(values)}


# (exercise, [(wrong setting, words its verdict must say)], right setting)
CASES = {
    "VerticalEdgeExercise": (
        [({}, "all zeros"),
         (kernel([0, 0, 0, 0, 1, 0, 0, 0, 0]), "sum to 1"),
         (kernel([-1, -2, -1, 0, 0, 0, 1, 2, 1]), "horizontal edges: you built a top-bottom"),
         (kernel([-1, -1, 0, 0, 1, 1, 0, 0, 0]), "only"),  # a diagonal step: both alike
         (kernel([float("nan")] + [0] * 8), "not a number")],
        kernel(SOBEL_X)),
    "PyramidDepthExercise": (
        [({"kernel": 3, "stages": 3}, "less than the 28-pixel digit"),
         ({"kernel": 3, "stages": 5}, "the last map is 1×1")],
        {"kernel": 3, "stages": 4}),
    "PatchBudgetExercise": (
        [({"patch": 2}, "over the budget of 100"), ({"patch": 8}, "patch 4 fits too")],
        {"patch": 4}),
    "MixerCrossoverExercise": (
        [({"patch": 8}, "still cheaper"), ({"patch": 2}, "at patch 4 too")],
        {"patch": 4}),
    "CornerReachExercise": (
        [({"kernel": 3, "depth": 2}, "needs 7"), ({"kernel": 15, "depth": 1}, "over the budget"),
         ({"kernel": 4, "depth": 2}, "even")],
        {"kernel": 5, "depth": 4}),
    "AttentionShareExercise": (
        [({"side": 48}, "not more than half"), ({"side": 80}, "already at 64 px")],
        {"side": 64}),
    "SpotlightWidthExercise": (
        [({"epsilon": 0.9}, "lower ε"), ({"epsilon": 0.3}, "Raise ε")],
        {"epsilon": 0.7}),
    "ExactPruningExercise": (
        [({"k": 11}, "σ > 0"), ({"k": 3}, "one more unit can go")],
        {"k": 10}),
    "RotationFreeViTExercise": (
        [({"norm": "layer", "activation": "iso_tanh"}, "Change the norm"),
         ({"norm": "rms", "activation": "gelu"}, "gelu acts on each unit"),
         ({"norm": "rms", "activation": "relu"}, "Change the activation"),
         ({"norm": "batch", "activation": "gelu"}, "choose norm")],
        {"norm": "rms", "activation": "iso_tanh_scaled"}),
}
EXERCISES = {name: getattr(wx, name) for name in CASES}


def test_every_exercise_has_cases():
    found = {name for name, cls in vars(wx).items() if isinstance(cls, type)
             and issubclass(cls, wx.WidgetExercise) and cls is not wx.WidgetExercise}
    assert found == set(CASES) | {"TanhRotationExercise"}, found ^ (set(CASES) | {"TanhRotationExercise"})


@pytest.mark.parametrize("name", CASES)
def test_wrong_settings_say_why_and_the_right_one_passes(name):
    exercise = EXERCISES[name]()
    wrong, right = CASES[name]
    for setting, words in wrong:
        verdict = exercise.verdict(**setting)
        assert not verdict.passed and str(verdict).startswith("❌"), (setting, verdict)
        assert words in verdict.message, f"{name} {setting}: {verdict.message!r} lacks {words!r}"
    verdict = exercise.verdict(**right)
    assert verdict.passed and str(verdict).startswith("✅"), verdict


def test_tanh_rotations_are_found_one_by_one():
    exercise = wx.TanhRotationExercise()
    assert "differ by up to" in exercise.verdict(degrees=30).message
    assert "identity" in exercise.verdict(degrees=0).message
    assert "1 of 3 found" in exercise.verdict(degrees=90).message
    assert "2 of 3 found" in exercise.verdict(degrees=180).message
    assert not exercise.verdict(degrees=45).passed
    assert exercise.verdict(degrees=270).passed


def test_a_verdict_never_raises():
    exercise = wx.VerticalEdgeExercise()
    assert exercise.verdict(k0="three").status == "error"
    unknown = exercise.verdict(k9=1.0)
    assert unknown.status == "error" and "unknown setting 'k9'" in unknown.message
    assert wx.CornerReachExercise().verdict(depth=None).status == "error"


@pytest.mark.parametrize("name", [*CASES, "TanhRotationExercise"])
def test_static_figure_is_the_starting_setting(name):
    exercise = EXERCISES.get(name, getattr(wx, name))()
    fig = exercise.figure()
    assert isinstance(fig, Figure) and fig.axes
    assert not exercise.verdict(**exercise.start).passed, "the start must not be a solution"


def _controls(box):
    """Every control with a value under an ipywidgets box, depth first."""
    import ipywidgets as w

    found = []
    for child in box.children:
        if isinstance(child, w.Box):
            found += _controls(child)
        elif isinstance(child, w.ValueWidget) and not isinstance(child, (w.HTML, w.Output)):
            found.append(child)
    return found


def _verdict_html(box):
    import ipywidgets as w

    return next(c.value for c in box.children if isinstance(c, w.HTML) and "isolearn-verdict" in c.value)


@pytest.mark.parametrize("name", CASES)
def test_the_live_controls_reach_the_verdict(name):
    pytest.importorskip("ipywidgets")
    exercise = EXERCISES[name]()
    box = exercise.widget()
    controls = _controls(box)
    assert len(controls) == len(exercise.start)
    assert "❌" in _verdict_html(box)
    _, right = CASES[name]
    for key, control in zip(exercise.start, controls):  # the controls follow start's order
        control.value = right.get(key, exercise.start[key])
    assert "✅" in _verdict_html(box), _verdict_html(box)
    assert exercise.setting == {**exercise.start, **right}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_chapter_has_a_widget_exercise_with_alt_text(path):
    cells = [c for c in code_cells(load(path)) if "isolearn.widget_exercises" in source(c)]
    assert cells, f"{path.name}: no widget exercise"
    for cell in cells:
        alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
        assert len(alt) > 20, f"{path.name}: give the widget exercise's figure alt text"
        name = re.search(r"(\w+Exercise)\(", source(cell)).group(1)
        assert hasattr(wx, name)
    markdown = "".join(source(c) for c in load(path)["cells"] if c["cell_type"] == "markdown")
    labels = re.findall(r"^:label: (ex-widget-[\w-]+)", markdown, re.M)
    assert len(labels) == len(cells), f"{path.name}: each widget exercise needs an {{exercise}}"
    for label in labels:
        assert f"{{solution}} {label}" in markdown, f"{path.name}: {label} has no solution dropdown"


def test_the_printed_solutions_agree_with_the_exercises():
    """The numbers in the notebooks' solution dropdowns, recomputed."""
    pyramid = wx.PyramidDepthExercise()
    assert pyramid.measure(3, 4) == (46, 2) and pyramid.measure(3, 3)[0] == 22
    assert pyramid.measure(5, 3) == (36, 4) and pyramid.measure(7, 3) == (50, 4)
    assert pyramid.measure(3, 5)[1] == 1
    patch = wx.PatchBudgetExercise()
    assert [patch.tokens(p) for p in (2, 4, 8)] == [256, 64, 16]
    corner = wx.CornerReachExercise()
    passing = {(k, d) for k in range(3, 16, 2) for d in range(1, 9)
               if corner.verdict(kernel=k, depth=d).passed}
    assert passing == {(3, 7), (3, 8), (5, 4)} and corner.reach(15, 1).all()
    mixer = wx.MixerCrossoverExercise()
    assert [mixer.costs(p)[2] / mixer.costs(p)[1] for p in (8, 2)] == [4, 0.25]
    share = wx.AttentionShareExercise()
    assert share.share(48) == (144, 0.5) and share.share(64) == (256, 0.64)
    spot = wx.SpotlightWidthExercise()
    assert round(spot.baseline(0.7), 3) == 0.018 and round(spot.baseline(0.75), 3) == 0.010
    assert round(spot.baseline(0.9), 4) == 0.0005
    prune = wx.ExactPruningExercise()
    assert prune.change(10) < 1e-9 < prune.change(11)
