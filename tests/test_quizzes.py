"""The check-your-understanding quizzes (isolearn.quizzes): every committed data file equals a
fresh run of its spec (so every computed answer is recomputed here), every section is shown once
in its chapter's notebook in a remove-input cell, and the builders refuse malformed questions."""

import json
import random
import re

import pytest

from isolearn import quizzes
from isolearn.quizzes import __main__ as cli
from isolearn.quizzes import choice, numeric, option
from notebooks import NOTEBOOKS, code_cells, load, source

CHAPTERS = quizzes.chapters()
CALL = re.compile(r'quiz\("(ch\d\d)", "([\w-]+)"\)')


def notebook(chapter: str):
    found = [p for p in NOTEBOOKS if p.name.startswith(chapter[2:] + "_")]
    assert len(found) == 1, f"{chapter}: expected one notebook {chapter[2:]}_*.ipynb, found {found}"
    return found[0]


def test_every_chapter_has_quizzes():
    numbers = sorted(p.name[:2] for p in NOTEBOOKS)
    assert [c[2:] for c in CHAPTERS] == numbers, "each notebook NN_* needs isolearn/quizzes/chNN.py"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_committed_file_is_a_fresh_regeneration(chapter):
    """Recomputes every answer from isolearn: a changed formula or a hand edit fails here."""
    committed = quizzes.path(chapter).read_text(encoding="utf-8")
    assert committed == quizzes.dumps(quizzes.build(chapter)), (
        f"{quizzes.path(chapter).name} is stale: run python -m isolearn.quizzes {chapter}")


def test_the_check_catches_a_tampered_answer(tmp_path, monkeypatch):
    data = quizzes.build("ch01")
    question = next(q for qs in data["sections"].values() for q in qs if q["type"] == "numeric")
    question["answers"][0]["value"] += 1  # a hand-typed answer that drifted
    monkeypatch.setattr(quizzes, "path", lambda chapter: tmp_path / f"{chapter}.json")
    (tmp_path / "ch01.json").write_text(quizzes.dumps(data), encoding="utf-8")
    monkeypatch.setattr(cli, "path", quizzes.path)
    assert cli.main(["--check", "ch01"]) == 1
    monkeypatch.setattr(cli, "write", lambda chapter: (tmp_path / "ch01.json").write_text(
        quizzes.dumps(quizzes.build(chapter)), encoding="utf-8"))
    cli.main(["ch01"])
    assert cli.main(["--check", "ch01"]) == 0


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_section_is_shown_once_hidden(chapter):
    nb = load(notebook(chapter))
    calls = []
    for cell in code_cells(nb):
        for found in CALL.findall(source(cell)):
            assert found[0] == chapter, f"{notebook(chapter).name} shows {found[0]}'s quiz"
            assert "remove-input" in cell["metadata"].get("tags", []), (
                f"{notebook(chapter).name}: tag the cell of quiz{found} 'remove-input'")
            calls.append(found[1])
    sections = list(quizzes.load(chapter)["sections"])
    assert calls == sections, f"{notebook(chapter).name} shows {calls}; the spec has {sections}"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_questions_are_well_formed(chapter):
    for section, questions in quizzes.load(chapter)["sections"].items():
        assert 1 <= len(questions) <= 4, f"{chapter}/{section}: 1 to 4 questions a section"
        for q in questions:
            if q["type"] == "numeric":
                right = [a for a in q["answers"] if a.get("correct")]
                assert len(right) == 1 and q["answers"][-1]["type"] == "default"
            else:
                assert sum(a["correct"] for a in q["answers"]) >= 1
                assert all(a["feedback"] for a in q["answers"])


def test_a_chapter_has_both_kinds_of_question():
    for chapter in CHAPTERS:
        kinds = {q["type"] for qs in quizzes.load(chapter)["sections"].values() for q in qs}
        assert "numeric" in kinds and "multiple_choice" in kinds, f"{chapter} has only {kinds}"


def test_quiz_shows_html_and_script_and_keeps_the_random_state(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    random.seed(5)
    expected = random.random()
    random.seed(5)
    quizzes.quiz("ch01", "output-size")
    assert random.random() == expected, "quiz() must leave the reader's random state alone"
    kinds = [type(o).__name__ for o in shown]
    assert kinds == ["HTML", "HTML", "Javascript"], kinds
    first = shown[1].data
    shown.clear()
    quizzes.quiz("ch01", "output-size")
    assert shown[1].data == first, "the same quiz must render the same on every build"
    assert json.loads(json.dumps(quizzes.questions("ch01", "output-size")))


def test_a_built_page_carries_the_functions_once(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda *objs, **kw: shown.extend(objs))
    monkeypatch.setattr(quizzes, "_SCRIPT_LOADED", [])
    for flag in ("1", "1", "0"):
        monkeypatch.setenv("ISOLEARN_STATIC", flag)
        quizzes.quiz("ch01", "output-size")
    scripts = [o.data for o in shown if type(o).__name__ == "Javascript"]
    assert ["function show_questions" in s for s in scripts] == [True, False, True]


def test_the_script_waits_for_mathjax():
    """The page's MathJax starts after the quiz's script: every MathJax test gets the guard."""
    import jupyterquiz.dynamic.display as drawn

    scripts = []
    original = drawn.display
    drawn.display = lambda *objs, **kw: scripts.extend(o.data for o in objs if type(o).__name__ == "Javascript")
    try:
        drawn.display_quiz(quizzes.questions("ch01", "output-size"))
    finally:
        drawn.display = original
    raw = scripts[0]
    assert sum(raw.count(c) for c in quizzes.MATHJAX_CHECKS) >= 4, "jupyterquiz changed its MathJax tests"
    mended = quizzes.mathjax_guard(raw)
    assert mended.count("&& MathJax.version") == sum(raw.count(c) for c in quizzes.MATHJAX_CHECKS)
    assert raw.count(quizzes.NUMBER_LABEL[0]) >= 1 and quizzes.NUMBER_LABEL[0] not in mended.replace(
        quizzes.NUMBER_LABEL[1], "")


def test_quiz_names_a_missing_chapter_or_section():
    with pytest.raises(ValueError, match="chapter='ch99'.*choose one of"):
        quizzes.quiz("ch99", "x")
    with pytest.raises(ValueError, match="no section 'nope'.*output-size"):
        quizzes.questions("ch01", "nope")


def test_builders_refuse_malformed_questions():
    good = option("a", "why a", correct=True)
    with pytest.raises(ValueError, match="no correct option"):
        choice("Q?", option("a", "x"), option("b", "y"))
    with pytest.raises(ValueError, match="at least 2"):
        choice("Q?", good)
    with pytest.raises(ValueError, match="repeats an option"):
        choice("Q?", good, option("a", "again"))
    with pytest.raises(ValueError, match="feedback=''"):
        option("a", "")
    with pytest.raises(TypeError, match="answer='12'"):
        numeric("Q?", "12", "right", "hint")
    with pytest.raises(ValueError, match="too close to the answer"):
        numeric("Q?", 1.0, "right", "hint", tolerance=0.1, mistakes={1.05: "slip"})
    with pytest.raises(ValueError, match="tolerance=-1"):
        numeric("Q?", 1, "right", "hint", tolerance=-1)
    many = choice("Q?", good, option("b", "also", correct=True))
    assert many["type"] == "many_choice"
