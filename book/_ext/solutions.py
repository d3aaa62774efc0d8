"""The book's Solutions appendix, assembled from the notebooks' own solution dropdowns.

Each chapter's exercises are ``{exercise}`` blocks with a ``:label:``, each followed by a
``{solution}`` block for that label (a dropdown). This Sphinx extension reads them from the
notebooks listed in ``_toc.yml``, in the book's order, and appends them to ``book/solutions.md``
when Sphinx reads that page: one section per chapter, one per exercise, with the exercise's title,
a link back to it and the solution's text as the chapter shows it. There is one source, so the
appendix and the dropdowns cannot drift apart, and an exercise added to a notebook appears here
at the next build. ``tests/test_exercises.py`` runs every solution collected here through
``check``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

PAGE = "book/solutions"  # the docname that receives the solutions
EXERCISE = re.compile(r"^(?P<fence>`{3,}|:{3,})\{exercise\}[ \t]*(?P<title>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                      re.S | re.M)
SOLUTION = re.compile(r"^(?P<fence>`{3,}|:{3,})\{solution\}[ \t]*(?P<label>[\w-]+)[ \t]*\n(?P<body>.*?)^(?P=fence)[ \t]*$",
                      re.S | re.M)
LABEL = re.compile(r"^:label:[ \t]*(?P<label>[\w-]+)[ \t]*$", re.M)
PYTHON = re.compile(r"^(?P<fence>`{3,})(?:python|\{code-cell\}[ \t]*python3?|\{code-block\}[ \t]*python)[ \t]*\n"
                    r"(?P<code>.*?)^(?P=fence)[ \t]*$", re.S | re.M)


@dataclass
class Solution:
    label: str  # the exercise's label, e.g. "ex-output-size"
    title: str  # the exercise's title
    body: str  # the solution's MyST text, without the directive's options

    @property
    def code(self) -> str:
        """The Python of the solution's code blocks, joined."""
        return "\n".join(m.group("code") for m in PYTHON.finditer(self.body))


@dataclass
class Chapter:
    path: Path
    title: str
    solutions: list[Solution] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)  # exercise labels without a solution


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _strip_options(body: str) -> str:
    lines = body.splitlines()
    while lines and re.match(r"^:[\w-]+:", lines[0]):
        lines.pop(0)
    return "\n".join(lines).strip("\n")


def chapter(path: Path) -> Chapter:
    """The exercises and solutions of one notebook, in the order of its cells."""
    cells = json.loads(Path(path).read_text())["cells"]
    markdown = "\n\n".join(_source(c) for c in cells if c["cell_type"] == "markdown")
    heading = re.search(r"^# (.+)$", markdown, re.M)
    found = Chapter(Path(path), heading.group(1).strip() if heading else Path(path).stem)
    titles = {}
    for m in EXERCISE.finditer(markdown):
        label = LABEL.search(m.group("body"))
        if label:
            titles[label.group("label")] = m.group("title").strip() or label.group("label")
    answered = set()
    for m in SOLUTION.finditer(markdown):
        label = m.group("label")
        answered.add(label)
        found.solutions.append(Solution(label, titles.get(label, label), _strip_options(m.group("body"))))
    found.unanswered = [label for label in titles if label not in answered]
    return found


def notebooks(root: Path) -> list[Path]:
    """The notebooks of the table of contents, in the book's order."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    files = []
    for part in toc.get("parts", []):
        for entry in part.get("chapters", []):
            for item in [entry, *entry.get("sections", [])]:
                path = root / f"{item['file']}.ipynb"
                if path.exists():
                    files.append(path)
    return files


def collect(root: Path) -> list[Chapter]:
    """Every chapter of the book that has exercises, with their solutions."""
    return [c for c in map(chapter, notebooks(root)) if c.solutions or c.unanswered]


def page(chapters: list[Chapter]) -> str:
    """The appendix as MyST markdown: a section per chapter, a subsection per exercise."""
    out = []
    for ch in chapters:
        out += [f"({ch.path.stem}-solutions)=", f"## {ch.title}", ""]
        for s in ch.solutions:
            out += [f"### {s.title}", "", f"{{ref}}`Back to the exercise <{s.label}>`", "", s.body, ""]
    return "\n".join(out) + "\n"


def _append(app, docname: str, source: list[str]) -> None:
    if docname == PAGE:
        source[0] = source[0].rstrip("\n") + "\n\n" + page(collect(Path(app.srcdir))) + "\n"


def _always_reread(app, env, added, changed, removed) -> list[str]:
    return [PAGE] if PAGE in env.found_docs else []  # the notebooks may have changed


def setup(app):
    app.connect("source-read", _append)
    app.connect("env-get-outdated", _always_reread)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
