"""``python -m isolearn.quizzes [--check] [chNN ...]``: write the chapters' quiz data files from
their specs (all chapters by default), or with ``--check`` only report the files that differ
from a fresh regeneration (exit status 1 if any does)."""

from __future__ import annotations

import argparse
import sys

from isolearn.quizzes import build, chapters, dumps, path, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m isolearn.quizzes", description=__doc__)
    parser.add_argument("chapters", nargs="*", help=f"chapters to write (default: all of {chapters()})")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 on a stale file")
    args = parser.parse_args(argv)
    stale = []
    for chapter in args.chapters or chapters():
        if args.check:
            current = path(chapter).read_text(encoding="utf-8") if path(chapter).exists() else ""
            if current != dumps(build(chapter)):
                stale.append(chapter)
                print(f"{path(chapter)} is stale: run python -m isolearn.quizzes {chapter}")
        else:
            print(f"wrote {write(chapter)}")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
