"""Reading the course's notebooks and config in tests (no execution: nbval does that)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def load(path: Path) -> dict:
    return json.loads(path.read_text())


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def config() -> dict:
    return yaml.safe_load((ROOT / "_config.yml").read_text())


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        for chapter in part.get("chapters", []):
            files.append(chapter["file"])
            files.extend(section["file"] for section in chapter.get("sections", []))
    return files


SOLUTION = re.compile(r"`{4,}\{solution\}\s*(?P<label>[\w-]+)(?P<body>.*?)`{4,}", re.S)
PYTHON = re.compile(r"```python\n(?P<code>.*?)```", re.S)


def solutions(nb: dict) -> dict[str, str]:
    """{exercise label: the solution's Python code} from the notebook's solution dropdowns."""
    found = {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for m in SOLUTION.finditer(source(cell)):
                code = PYTHON.search(m.group("body"))
                found[m.group("label")] = code.group("code") if code else ""
    return found
