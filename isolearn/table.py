"""A tiny table that prints as text and renders as HTML in Jupyter (no pandas needed)."""

from __future__ import annotations

import html
from typing import Any, Iterable, Sequence


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"  # never 1.2e+04
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, tuple):
        return "(" + ", ".join(str(v) for v in value) + ")"
    return str(value)


class Table:
    """Rows of values under named columns. ``table.rows`` holds the raw values for asserts;
    ``print(table)`` and Jupyter's rich display format them (ints with thousands separators)."""

    def __init__(self, columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str = ""):
        listlike = lambda v: isinstance(v, Iterable) and not isinstance(v, (str, bytes))  # noqa: E731
        if not listlike(columns):
            raise TypeError(f"Table: columns={columns!r} must be a list of names, e.g. ['name', 'params']")
        rows = list(rows) if listlike(rows) else rows
        if not listlike(rows) or not all(listlike(r) for r in rows):
            raise TypeError(f"Table: rows must be a list of rows, each a list of values (one per "
                            f"column), e.g. [['resnet20', 269722]]; got {str(rows)[:80]}")
        self.columns, self.rows, self.title = list(columns), [list(r) for r in rows], title
        for r in self.rows:
            if len(r) != len(self.columns):
                raise ValueError(f"Table: a row has {len(r)} values but there are "
                                 f"{len(self.columns)} columns {self.columns}")

    def column(self, name: str) -> list[Any]:
        """All values of one column, e.g. ``table.column("params")``."""
        if name not in self.columns:
            raise ValueError(f"Table.column: no column {name!r}; the columns are {self.columns}")
        i = self.columns.index(name)
        return [r[i] for r in self.rows]

    def __len__(self) -> int:
        return len(self.rows)

    def __str__(self) -> str:
        cells = [self.columns] + [[_fmt(v) for v in r] for r in self.rows]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.columns))]
        numeric = [all(isinstance(r[i], (int, float)) for r in self.rows) for i in range(len(widths))]

        def line(row):  # numbers right-aligned, text left-aligned
            return "  ".join(c.rjust(w) if num else c.ljust(w)
                             for c, w, num in zip(row, widths, numeric)).rstrip()

        out = [line(cells[0]), "  ".join("-" * w for w in widths)] + [line(r) for r in cells[1:]]
        return "\n".join(([self.title] if self.title else []) + out)

    __repr__ = __str__

    def _numeric(self) -> list[bool]:
        """Per column: do all its values print as numbers (a placeholder "n/a" allowed)?"""
        return [all(isinstance(r[i], (int, float)) or r[i] == "n/a" for r in self.rows)
                for i in range(len(self.columns))]

    def markdown(self) -> str:
        """The table as GitHub markdown (title in bold above), cells formatted as ``print``
        formats them; columns of numbers (a placeholder "n/a" allowed) are right-aligned."""
        numeric = self._numeric()

        def line(cells):
            return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"

        rule = ["---:" if num else "---" for num in numeric]
        lines = [line(self.columns), line(rule)] + [line(_fmt(v) for v in r) for r in self.rows]
        return "\n".join(([f"**{self.title}**", ""] if self.title else []) + lines)

    def _repr_html_(self) -> str:
        """The table as HTML: class ``isolearn-table``, numeric columns marked ``isolearn-num``
        (right-aligned); the website's CSS (book/_static/isolearn.css) sets the rest, so the
        table wraps its headers to fit the page, scrolls on a phone and follows dark mode."""
        numeric = self._numeric()

        def cell(tag: str, value: str, num: bool) -> str:
            return f'<{tag} class="isolearn-num">{value}</{tag}>' if num else f"<{tag}>{value}</{tag}>"

        head = "".join(cell("th", html.escape(c), num) for c, num in zip(self.columns, numeric))
        body = "".join("<tr>" + "".join(cell("td", html.escape(_fmt(v)), num)
                                        for v, num in zip(r, numeric)) + "</tr>"
                       for r in self.rows)
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return (f'<table class="isolearn-table">{caption}<thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table>")
