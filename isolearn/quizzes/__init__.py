"""Check-your-understanding quizzes that grade in the reader's browser, with no kernel.

Each chapter's questions are written in Python, in ``isolearn/quizzes/chNN.py``: its function
``quizzes()`` returns ``{section: [question, ...]}``, the questions built with :func:`choice`
(multiple choice, feedback for every option) and :func:`numeric` (a number within a tolerance,
feedback for the usual mistakes). A number the book can compute (a parameter count, an output
size, a receptive field, a ratio of multiply-adds) is computed there by isolearn, never typed.

``python -m isolearn.quizzes`` writes each chapter's questions to ``chNN.json`` beside its spec.
Those data files are committed and shipped with the package, and ``tests/test_quizzes.py``
checks that each one equals a fresh regeneration: an answer cannot drift from the code that
computes it. A notebook shows one section's questions in a ``remove-input`` cell (the page shows the
quiz, not the line that draws it; Colab and JupyterLab show both)::

    quiz("ch01", "output-size")

They are drawn by `jupyterquiz <https://github.com/jmshea/jupyterquiz>`_ as HTML and JavaScript,
which grade in the browser: on the website (no kernel), in JupyterLab and on Colab alike.
"""

from __future__ import annotations

import importlib
import json
import math
import pkgutil
import random
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent

# jupyterquiz's palette, with colours that keep text readable (WCAG AA) on the light and the
# dark page: a chosen option turns green or red under white text.
COLORS = {"--jq-correct-color": "#1a7f37", "--jq-incorrect-color": "#b3261e"}
# jupyterquiz colours the feedback line, which sits on the page's own background, with the same
# variables, and writes white on light grey in the number box; these rules fix both, in light
# and dark (the website's data-theme, JupyterLab's data-jp-theme-light).
STYLE = """<style>
.Quiz .Feedback.correct{color:#1a7f37}.Quiz .Feedback.incorrect{color:#b3261e}
html[data-theme=dark] .Quiz .Feedback.correct,body[data-jp-theme-light=false] .Quiz .Feedback.correct{color:#56d364}
html[data-theme=dark] .Quiz .Feedback.incorrect,body[data-jp-theme-light=false] .Quiz .Feedback.incorrect{color:#ff8a80}
.Quiz .Input-text{color:#101010;background-color:#fafafa}
.Quiz .Input-text.correctButton,.Quiz .Input-text.incorrectButton{color:#fafafa}
</style>"""


# --- writing questions ---------------------------------------------------------------------------

def _number(value: Any, name: str, where: str) -> int | float:
    """A plain Python int or float (JSON has no tensors), finite."""
    if hasattr(value, "item") and callable(value.item):  # a NumPy or torch scalar
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"{where}: {name}={value!r} must be a finite int or float")
    return value


def option(answer: str, feedback: str, correct: bool = False) -> dict:
    """One option of a :func:`choice` question, with the feedback a reader sees on choosing it."""
    for name, text in (("answer", answer), ("feedback", feedback)):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"option: {name}={text!r} must be a non-empty string; every option "
                             f"says why it is right or wrong")
    return {"answer": answer, "correct": bool(correct), "feedback": feedback}


def choice(question: str, *options: dict) -> dict:
    """A multiple-choice question: ``options`` made by :func:`option`, at least one correct.
    The order is shuffled in the browser each time the page loads."""
    if not isinstance(question, str) or not question.strip():
        raise ValueError(f"choice: question={question!r} must be a non-empty string")
    if len(options) < 2:
        raise ValueError(f"choice: {question[:40]!r}... has {len(options)} option(s); give at least 2")
    if not any(o.get("correct") for o in options):
        raise ValueError(f"choice: {question[:40]!r}... has no correct option; mark one "
                         f"option(..., correct=True)")
    answers = [o["answer"] for o in options]
    if len(set(answers)) != len(answers):
        raise ValueError(f"choice: {question[:40]!r}... repeats an option: {answers}")
    many = sum(bool(o["correct"]) for o in options) > 1
    return {"question": question, "type": "many_choice" if many else "multiple_choice",
            "answers": [dict(o) for o in options]}


def numeric(question: str, answer: Any, feedback: str, hint: str, tolerance: Any = 0,
            mistakes: dict | None = None) -> dict:
    """A question answered with a number: right within ``tolerance`` (absolute; 0 for an exact
    count), with ``feedback`` when it is. ``mistakes`` maps the numbers that the usual slips give
    (forgetting the bias, the padding, the +1) to what went wrong; any other number gets ``hint``.
    ``answer`` and the mistakes should come from isolearn, not from a calculator."""
    where = f"numeric({question[:40]!r}...)"
    answer = _number(answer, "answer", where)
    tolerance = _number(tolerance, "tolerance", where)
    if tolerance < 0:
        raise ValueError(f"{where}: tolerance={tolerance!r} must be >= 0")
    for name, text in (("question", question), ("feedback", feedback), ("hint", hint)):
        if not isinstance(text, str) or not text.strip():
            raise ValueError(f"{where}: {name}={text!r} must be a non-empty string")
    # jupyterquiz tries the answers in order; a value matches exactly, a range [low, high). With
    # a tolerance, each mistake gets the same width as the answer, and no two may overlap.
    def entry(value: float, correct: bool, text: str) -> dict:
        if tolerance == 0:
            return {"type": "value", "value": value, "correct": correct, "feedback": text}
        ends = [round(value - tolerance, 12), round(value + tolerance, 12)]  # no float noise
        return {"type": "range", "range": ends,
                "correct": correct, "feedback": text}

    answers = [entry(answer, True, feedback)]
    taken = [answer]
    for value, why in (mistakes or {}).items():
        value = _number(value, "a mistake", where)
        clash = next((t for t in taken if abs(value - t) < max(2 * tolerance, 1e-12)), None)
        if clash is not None:
            what = "the answer" if clash == answer else "another mistake"
            raise ValueError(f"{where}: the mistake {value!r} is too close to {what} {clash!r} "
                             f"for the tolerance {tolerance!r}: a reader could not tell them "
                             f"apart; lower the tolerance or drop the mistake")
        if not isinstance(why, str) or not why.strip():
            raise ValueError(f"{where}: the mistake {value!r} needs a sentence saying what went "
                             f"wrong, got {why!r}")
        answers.append(entry(value, False, why))
        taken.append(value)
    answers.append({"type": "default", "feedback": hint})
    return {"question": question, "type": "numeric", "answers": answers}


# --- the data files --------------------------------------------------------------------------------

def chapters() -> list[str]:
    """The chapters with a quiz spec, e.g. ``["ch01", "ch02", ...]``."""
    return sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("ch"))


def _check_chapter(chapter: str) -> str:
    known = chapters()
    if chapter not in known:
        raise ValueError(f"quiz: chapter={chapter!r} has no quizzes; choose one of {known}")
    return chapter


def build(chapter: str) -> dict:
    """Run the chapter's spec: ``{"chapter": ..., "sections": {section: [question, ...]}}``."""
    spec = importlib.import_module(f"isolearn.quizzes.{_check_chapter(chapter)}")
    sections = spec.quizzes()
    for section, questions in sections.items():
        if not questions:
            raise ValueError(f"{chapter}: section {section!r} has no questions")
    return {"chapter": chapter,
            "written_by": f"python -m isolearn.quizzes, from isolearn/quizzes/{chapter}.py",
            "sections": sections}


def path(chapter: str) -> Path:
    """Where the chapter's data file lives: ``isolearn/quizzes/chNN.json``."""
    return HERE / f"{chapter}.json"


def dumps(data: dict) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False) + "\n"


def write(chapter: str) -> Path:
    """Regenerate the chapter's data file from its spec; returns its path."""
    target = path(chapter)
    target.write_text(dumps(build(chapter)), encoding="utf-8")
    return target


def load(chapter: str) -> dict:
    """The chapter's questions as committed (what the notebooks show)."""
    return json.loads(path(_check_chapter(chapter)).read_text(encoding="utf-8"))


# --- showing them --------------------------------------------------------------------------------

def questions(chapter: str, section: str) -> list[dict]:
    """The questions of one section of a chapter, from its data file."""
    sections = load(chapter)["sections"]
    if section not in sections:
        raise ValueError(f"quiz: {chapter} has no section {section!r}; choose one of "
                         f"{list(sections)}")
    return sections[section]


def quiz(chapter: str, section: str) -> None:
    """Show one section's questions, graded in the browser (no kernel needed)."""
    from IPython.display import HTML, Javascript, display

    shown = questions(chapter, section)
    try:
        from jupyterquiz import display_quiz
    except ImportError:  # isolearn declares it; an environment without it gets one line
        print(f"(a quiz of {len(shown)} questions: `pip install jupyterquiz` to see it)")
        return
    # jupyterquiz names its container with Python's global random generator: seed it from the
    # quiz's name (the same page on every build, distinct quizzes on a page) and leave the
    # reader's random state as it was.
    import jupyterquiz.dynamic.display as drawn

    def guarded(*objects, **options):  # jupyterquiz's own display calls, its script mended
        display(*[Javascript(mathjax_guard(o.data)) if isinstance(o, Javascript) else o
                  for o in objects], **options)

    state, original = random.getstate(), drawn.display
    random.seed(f"isolearn-quiz-{chapter}-{section}")
    drawn.display = guarded
    # jupyterquiz's functions (about 39 kB of script) come with every quiz, as a live notebook
    # needs (Colab keeps each output apart). A built page is one document whose scripts run in
    # order, so there, and in tests, only a notebook's first quiz carries them.
    from isolearn.runtime import static

    load_js = not (static() and _SCRIPT_LOADED)
    try:
        display(HTML(STYLE))
        display_quiz(shown, colors=COLORS, load_js=load_js)
        _SCRIPT_LOADED.append(True)
    finally:
        drawn.display = original
        random.setstate(state)


_SCRIPT_LOADED: list[bool] = []  # True once this process has shown a quiz with its functions

# jupyterquiz typesets with MathJax when ``window.MathJax`` exists, and reads MathJax.version to
# choose how. On the website the quiz's script runs while the page loads, before the deferred
# MathJax 3 has replaced its configuration object (which has no version): reading
# ``MathJax.version[0]`` then throws, on every question. The questions hold no math, so the
# guard skips typesetting until MathJax has started. tests/test_quizzes.py fails if a new
# jupyterquiz no longer has the checks this rewrites.
MATHJAX_CHECKS = ("typeof MathJax !== 'undefined'", "typeof MathJax != 'undefined'")


# The number box's label is not tied to its input (no ``for``), which screen readers and the
# site's accessibility check (axe: "form elements must have labels") need.
NUMBER_LABEL = ('lab.className = "InpLabel";', 'lab.className = "InpLabel"; lab.htmlFor = id + "-0";')


def mathjax_guard(script: str) -> str:
    """jupyterquiz's script mended: every "is MathJax there?" test also asks for its version,
    and the number box's label names its input."""
    for check in MATHJAX_CHECKS:
        script = script.replace(check, f"{check} && MathJax.version")
    return script.replace(*NUMBER_LABEL)
