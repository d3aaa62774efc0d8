"""check() gives a specific verdict and never raises; the book's solutions pass their checks."""

import ast
import re
import sys

import pytest
import torch.nn.functional as F

from isolearn.exercises import EXERCISES, check
from notebooks import NOTEBOOKS, ROOT, code_cells, load, source, toc_files

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import solutions as solutions_page  # noqa: E402  (the Sphinx extension that builds the appendix)


def stub(*args, **kwargs):
    raise NotImplementedError


def right_output_size(n, k, s=1, p=0, d=1):
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def unfold_conv(x, w, s=1, p=0):
    """conv2d_unfold as the exercise asks: F.unfold and one matrix product."""
    b, _, h, wd = x.shape
    cols = F.unfold(x, w.shape[2:], padding=p, stride=s)
    out = w.reshape(w.shape[0], -1) @ cols
    return out.reshape(b, w.shape[0], (h + 2 * p - w.shape[2]) // s + 1, (wd + 2 * p - w.shape[3]) // s + 1)


def test_passes_a_correct_answer():
    verdict = check("output_size", right_output_size)
    assert verdict.passed and "all 10 cases pass" in str(verdict) and str(verdict).startswith("✅")


def test_stub_is_not_implemented_yet_not_an_error():
    for name in EXERCISES:
        verdict = check(name, stub)
        assert verdict.status == "not implemented" and not verdict.passed
        assert "not implemented yet" in str(verdict)


def test_wrong_answer_shows_the_first_failing_case():
    verdict = check("output_size", lambda n, k, s=1, p=0, d=1: (n + 2 * p - k) // s + 1)  # forgets dilation
    assert verdict.status == "failed"
    assert "dilation=2" in verdict.detail and "expected 5, got 7" in verdict.detail


def test_float_instead_of_int_is_explained():
    verdict = check("output_size", lambda n, k, s=1, p=0, d=1: (n + 2 * p - d * (k - 1) - 1) / s + 1)
    assert verdict.status == "failed" and "use // or int" in verdict.detail


def test_tensor_answers_wrong_shape_and_wrong_values():
    shape = check("conv2d_unfold", lambda x, w, s=1, p=0: unfold_conv(x, w, s, p)[..., 1:])
    assert shape.status == "failed" and "expected shape (1, 1, 3, 3), got shape (1, 1, 3, 2)" in shape.detail
    values = check("conv2d_unfold", lambda x, w, s=1, p=0: unfold_conv(x, w, s, p) + 0.1)
    assert values.status == "failed" and "wrong values" in values.detail
    kind = check("conv2d_unfold", lambda x, w, s=1, p=0: 3)
    assert kind.status == "failed" and "expected a tensor" in kind.detail


def test_exception_is_one_line_pointing_at_the_learners_line():
    def buggy(layers):
        r = 1
        for k, s in layers:
            r += k / 0
        return r

    verdict = check("receptive_field", buggy)
    assert verdict.status == "error" and "ZeroDivisionError" in verdict.message
    assert "line 4 of your function: `r += k / 0`" in verdict.message
    assert "Traceback" not in str(verdict)


def test_endless_loop_times_out():
    def endless(layers):
        while True:
            pass

    verdict = check("receptive_field", endless, timeout=0.3)
    assert verdict.status == "timeout" and "longer than 0.3 s" in verdict.message


def test_unknown_name_and_non_function():
    assert "did you mean conv2d_unfold" in check("conv2d_unfld", stub).message
    verdict = check("output_size", 42)
    assert verdict.status == "error" and "pass your function itself" in verdict.message


def test_html_rendering():
    html = check("output_size", right_output_size)._repr_html_()
    assert "✅" in html and 'class="isolearn-verdict isolearn-verdict--passed"' in html
    html = check("output_size", lambda *a: "<b>")._repr_html_()
    assert "&lt;b&gt;" in html and "❌" in html and "isolearn-verdict--failed" in html
    html = check("output_size", stub)._repr_html_()  # backticks become code
    assert "<code>raise NotImplementedError</code>" in html and "`" not in html.split("</style>")[1]


def _notebook_namespace(path) -> dict:
    """What a solution pasted into the notebook sees: the notebook's own top-level imports."""
    namespace: dict = {}
    for cell in code_cells(load(path)):
        try:
            tree = ast.parse(source(cell))
        except SyntaxError:  # a cell with IPython syntax (%magic, !shell): no imports to take
            continue
        imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        exec(compile(ast.Module(body=imports, type_ignores=[]), str(path), "exec"), namespace)
    return namespace


CHAPTERS = solutions_page.collect(ROOT)


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda c: c.path.name)
def test_every_solution_of_the_appendix_passes_its_check(chapter):
    """The Solutions page shows exactly these solutions (book/_ext/solutions.py collects them from
    the dropdowns); each runs as printed in its notebook and gets a pass."""
    assert not chapter.unanswered, f"{chapter.path.name}: exercises without a solution: {chapter.unanswered}"
    for solution in chapter.solutions:
        if solution.label.startswith("ex-widget-"):  # done with a widget: tests/test_widget_exercises.py
            assert not solution.code, f"{solution.label}: a widget exercise's solution is prose"
            continue
        namespace = _notebook_namespace(chapter.path)
        exec(solution.code, namespace)
        names = [k for k in re.findall(r"^def (\w+)", solution.code, re.M) if k in EXERCISES]
        assert names, f"{chapter.path.name}: the solution of {solution.label} defines none of {sorted(EXERCISES)}"
        for name in names:
            verdict = check(name, namespace[name])
            assert verdict.passed, f"{chapter.path.name}: the solution of {solution.label} fails: {verdict}"


def test_every_checked_exercise_has_a_solution_and_every_exercise_is_used():
    checked = {}
    for path in NOTEBOOKS:
        for cell in code_cells(load(path)):
            for name in re.findall(r"check\(\s*[\"'](\w+)[\"']", source(cell)):
                checked[name] = path.name
    solved = {name for chapter in CHAPTERS for s in chapter.solutions
              for name in re.findall(r"^def (\w+)", s.code, re.M)}
    assert set(checked) - solved == set(), f"checked in a notebook, but no solution defines it: {set(checked) - solved}"
    assert set(EXERCISES) - set(checked) == set(), f"registered, but no notebook checks it: {set(EXERCISES) - set(checked)}"


def test_the_appendix_page_lists_every_solution():
    text = solutions_page.page(CHAPTERS)
    for chapter in CHAPTERS:
        assert f"## {chapter.title}" in text
        for s in chapter.solutions:
            assert f"### {s.title}" in text and f"<{s.label}>`" in text and s.body in text
    assert "book/solutions" in [f for f in toc_files()], "the Solutions page is not in _toc.yml"


def test_chapter3_exercises_catch_typical_mistakes():
    no_scaling = check("scaled_dot_product_attention", lambda q, k, v: (q @ k.transpose(-2, -1)).softmax(-1) @ v)
    assert no_scaling.status == "failed"
    wrong_axis = check("scaled_dot_product_attention",
                       lambda q, k, v: (q @ k.transpose(-2, -1) / q.shape[-1] ** 0.5).softmax(-2) @ v)
    assert wrong_axis.status == "failed"
    channel_first = check("patchify", lambda x, p: x.reshape(x.shape[0], x.shape[1], x.shape[2] // p, p,
                                                             x.shape[3] // p, p)
                          .permute(0, 2, 4, 1, 3, 5).reshape(x.shape[0], -1, p * p * x.shape[1]))
    assert channel_first.status == "failed"  # (c, p1, p2) order instead of (p1, p2, c)
    no_cls = check("vit_params", lambda s, p, c, k, d, L, r=4.0: 0)
    assert no_cls.status == "failed" and "expected 2,578, got 0" in no_cls.detail  # the smallest ViT first


def test_an_exercise_never_accepts_the_library_function_it_asks_for():
    """Where an exercise's reference is isolearn's own public function, passing that function
    must not pass (chapter 9's compressed_widths did, before its forbid= named it)."""
    from isolearn.exercises import EXERCISES, check

    public = {name: ex for name, ex in EXERCISES.items()
              if getattr(ex.reference, "__module__", "").startswith("isolearn.")
              and not ex.reference.__module__.startswith("isolearn.exercises")
              and not ex.reference.__name__.startswith("_")}
    assert public, "no exercise uses a library function as its reference: nothing to check"
    accepted = [name for name, ex in public.items() if check(name, ex.reference).passed]
    assert not accepted, f"these exercises pass when given the library's own answer: {accepted}"
