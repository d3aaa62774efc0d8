"""The install block that opens every notebook, and the notebook metadata for Colab: one place.

The first code cell of every notebook starts with ``BLOCK`` (``{url}`` filled in from
``repository.url`` in ``_config.yml``), then a blank line, then the chapter's own imports, which
this module never touches. Every notebook's metadata carries ``METADATA``, with which "Open in
Colab" starts a GPU runtime. ``tests/test_hygiene.py`` compares every notebook against both; to
rewrite every notebook to them (a new chapter made from an old copy of the cell, an edit of
``BLOCK``, a new ``repository.url``)::

    .venv/bin/python -m tests.colab.setup_cell --fix

What the block does on Colab: pip adds isolearn and whatever Colab lacks, and replaces nothing
(every floor in pyproject.toml is met by Colab's own packages; ``make colab`` proves it). pip
says nothing unless it fails; then the cell shows pip's error and one line that says what to do.
Then it prints :func:`isolearn.runtime.colab_message`: the GPU, or on a CPU runtime how to get one.
"""

from __future__ import annotations

import difflib
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BLOCK = '''\
# Setup: on Colab, install isolearn from the course repository (locally,
# `make lab` has installed it). REPO_URL = repository.url in _config.yml.
REPO_URL = "{url}"
import subprocess, sys
if "google.colab" in sys.modules:  # adds isolearn, keeps Colab's own packages
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                          f"isolearn @ git+{{REPO_URL}}"], capture_output=True)
    if pip.returncode:
        raise RuntimeError(pip.stderr.decode() + "\\nisolearn did not install: "
                           "check REPO_URL and the network, then run again")
    from isolearn.runtime import colab_message
    print(colab_message())
'''

# The one line a failed install ends with (the block spells it over two lines; tests check
# that a failure really ends with it).
ADVICE = "isolearn did not install: check REPO_URL and the network, then run again"

# Colab reads these when "Open in Colab" opens the notebook: a GPU runtime, a T4 by default.
METADATA = {"accelerator": "GPU", "colab": {"gpuType": "T4"}}

FIX = ".venv/bin/python -m tests.colab.setup_cell --fix"


def repo_url() -> str:
    """``repository.url`` from ``_config.yml``: the one place the repository's address is set."""
    import yaml

    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


def block(url: str | None = None) -> str:
    """The canonical install block for ``url`` (default: ``repository.url``)."""
    return BLOCK.format(url=url or repo_url())


def split(source: str) -> tuple[str, str]:
    """(install block, the rest) of a first cell: the block is everything before the first
    blank line; the rest starts at that blank line."""
    lines = source.splitlines(keepends=True)
    for i, line in enumerate(lines):
        if not line.strip():
            return "".join(lines[:i]), "".join(lines[i:])
    return source, ""


def read(path: Path) -> dict:
    return json.loads(path.read_text())


def write(path: Path, nb: dict) -> None:
    """Write as nbformat does (1-space indent, sorted keys), leaving every other cell's text
    exactly as it was (nbformat.write would re-split single-string sources: a noisy diff)."""
    path.write_text(json.dumps(nb, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def _first_code_cell(nb: dict) -> dict:
    cells = [c for c in nb["cells"] if c["cell_type"] == "code"]
    if not cells:
        raise ValueError("the notebook has no code cell; it must open with the set-up cell")
    return cells[0]


def _metadata_problems(metadata: dict) -> list[str]:
    found = []
    if metadata.get("accelerator") != METADATA["accelerator"]:
        found.append(f"metadata accelerator is {metadata.get('accelerator')!r}, "
                     f"not {METADATA['accelerator']!r}")
    gpu = metadata.get("colab", {}).get("gpuType")
    if gpu != METADATA["colab"]["gpuType"]:
        found.append(f"metadata colab.gpuType is {gpu!r}, not {METADATA['colab']['gpuType']!r}")
    return found


def problems(path: Path, url: str | None = None) -> list[str]:
    """What differs between the notebook at ``path`` and the canonical block and metadata."""
    nb = read(path)
    head, rest = split(source(_first_code_cell(nb)))
    want = block(url)
    found = []
    if head != want:
        diff = difflib.unified_diff(want.splitlines(), head.splitlines(), "canonical",
                                    path.name, lineterm="", n=1)
        found.append("the install block differs from tests/colab/setup_cell.py:\n  "
                     + "\n  ".join(diff))
    elif not rest.strip():
        found.append("the first cell must go on after the install block: a blank line, "
                     "then the chapter's imports, DEVICE = device() and seed(...)")
    return found + _metadata_problems(nb["metadata"])


def fix(path: Path, url: str | None = None) -> bool:
    """Rewrite the notebook's install block and Colab metadata to the canonical ones; leave
    the rest of the cell (the blank line and the imports below it) and every other cell as
    they are. Returns whether the file changed."""
    nb = read(path)
    cell = _first_code_cell(nb)
    head, rest = split(source(cell))
    if "REPO_URL" not in head:  # no block yet: put one on top and keep the whole cell
        rest = "\n" + source(cell)
    new = block(url) + (rest if rest.strip() else "\n")
    if new == source(cell) and not _metadata_problems(nb["metadata"]):
        return False
    cell["source"] = new.splitlines(keepends=True)
    nb["metadata"]["accelerator"] = METADATA["accelerator"]
    nb["metadata"].setdefault("colab", {})["gpuType"] = METADATA["colab"]["gpuType"]
    write(path, nb)
    return True


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("*.ipynb"))


def main(argv: list[str]) -> int:
    if argv not in ([], ["--fix"]):
        print(__doc__.strip().splitlines()[0], f"\nusage: {FIX}   (without --fix: only check)")
        return 2
    bad = 0
    for path in notebooks():
        if argv == ["--fix"]:
            print(f"{path.name}: {'rewritten' if fix(path) else 'already canonical'}")
        elif found := problems(path):
            bad += 1
            print(f"{path.name}:\n  " + "\n  ".join(found))
    if bad:
        print(f"{bad} notebook(s) differ; run: {FIX}")
    elif argv == []:
        print(f"all {len(notebooks())} notebooks open with the canonical block and metadata")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
