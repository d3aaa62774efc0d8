"""Math on the website: every `$` in a notebook's markdown must open or close MathJax, as MyST
parses it (a `$$` block glued to the line above it is read as inline math, and the page shows
raw dollars and LaTeX: chapter 3's Definition 2 once did)."""

import pytest
from markdown_it import MarkdownIt
from mdit_py_plugins.amsmath import amsmath_plugin
from mdit_py_plugins.dollarmath import dollarmath_plugin

from notebooks import NOTEBOOKS, load, source

PARSER = MarkdownIt("commonmark").use(dollarmath_plugin).use(amsmath_plugin)


def stray_dollars(markdown: str) -> list[str]:
    """Text (not math, not code) that still holds a `$` after MyST-style parsing."""
    found = []

    def walk(tokens):
        for token in tokens:
            if token.type == "text" and "$" in token.content:
                found.append(token.content)
            if token.children:
                walk(token.children)

    # directives (```{prf:definition} ...) are fences to markdown-it: parse their bodies too
    walk(PARSER.parse(markdown))
    for token in PARSER.parse(markdown):
        if token.type == "fence" and token.info.startswith("{") and "python" not in token.info:
            walk(PARSER.parse(token.content))
    return found


def test_the_check_catches_a_glued_display_block():
    glued = "values $V$,\n$$\nA = B\n$$\nwith the softmax over $d$ rows."
    assert stray_dollars(glued)
    assert not stray_dollars(glued.replace(",\n$$", ",\n\n$$").replace("$$\nwith", "$$\n\nwith"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_every_dollar_is_math(path):
    for cell in load(path)["cells"]:
        if cell["cell_type"] == "markdown":
            text = source(cell)
            assert not stray_dollars(text), (f"{path.name}: math that MyST will not render near "
                                             f"{stray_dollars(text)[0][:80]!r}; put $$ blocks "
                                             "between blank lines, and no space inside a $")
