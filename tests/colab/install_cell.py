"""Step 1 of ``make colab``, run by the replica's Python: the first notebook's own install block,
in a kernel that looks like Colab's to it (see ``replica.colab_kernel_env``).

First with REPO_URL sent to a repository that does not exist: the block must fail, showing pip's
error and then the one line that says what to do. Then for real, REPO_URL sent to this checkout:
pip must stay quiet, the block must print only ``colab_message()`` (the replica has no GPU, so
the CPU-runtime advice), and the kernel must then import the installed isolearn.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]

from frontend import Frontend  # noqa: E402  (tests/frontend.py)
from replica import ROOT, colab_kernel_env  # noqa: E402
from setup_cell import ADVICE, split  # noqa: E402


def first_block() -> tuple[str, str]:
    """(notebook name, its install block) for the first notebook."""
    path = sorted((ROOT / "notebooks").glob("*.ipynb"))[0]
    cell = next(c for c in json.loads(path.read_text())["cells"] if c["cell_type"] == "code")
    return path.name, split("".join(cell["source"]))[0]


def text(outputs: list[dict], name: str) -> str:
    return "".join(o["text"] for o in outputs if o["output_type"] == "stream" and o["name"] == name)


def check_failure(block: str, repo_url: str, scratch: Path) -> None:
    env = colab_kernel_env(scratch / "unreachable", repo_url, scratch / "no-such-repository")
    with Frontend(env=env, cwd=str(scratch)) as kernel:
        outputs = kernel.execute(block, allow_errors=True)
    errors = [o for o in outputs if o["output_type"] == "error"]
    assert errors, f"with REPO_URL unreachable the block did not fail: {outputs}"
    message = errors[0]["evalue"]
    assert message.rstrip().splitlines()[-1] == ADVICE, (
        f"a failed install must end with the line {ADVICE!r}; it showed:\n{message}")
    assert "ERROR" in message or "error" in message, f"pip's own error is not shown:\n{message}"
    print(f"  unreachable REPO_URL: the cell fails and ends with: {ADVICE}")


def check_install(block: str, repo_url: str, scratch: Path) -> None:
    env = colab_kernel_env(scratch / "colab", repo_url, ROOT)
    with Frontend(env=env, cwd=str(scratch)) as kernel:
        outputs = kernel.execute(block)
        expected = kernel.execute("from isolearn.runtime import colab_message\n"
                                  "print(colab_message())")
        where = kernel.execute("import google.colab, isolearn, sysconfig\n"
                               "print(google.colab.STANDIN, isolearn.__file__,\n"
                               "      sysconfig.get_paths()['purelib'])")
    shown = text(outputs, "stdout")
    assert shown == text(expected, "stdout") and len(outputs) == 1, (
        f"the install block must print only colab_message(); it showed: {outputs}")
    assert "Runtime → Change runtime type → T4 GPU" in shown, shown
    standin, path, site = text(where, "stdout").split()
    assert standin == "True" and path.startswith(site), (
        f"the kernel imported isolearn from {path}, not from what pip installed in {site}")
    print("  the install block printed only:\n    " + shown.strip().replace("\n", "\n    "))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scratch", type=Path, required=True, help="an empty temporary folder")
    args = parser.parse_args()
    name, block = first_block()
    repo_url = re.search(r'^REPO_URL = "([^"]+)"', block, re.M).group(1)
    print(f"make colab: running {name}'s install block as Colab would (REPO_URL {repo_url} "
          f"-> {ROOT})", flush=True)
    try:
        check_failure(block, repo_url, args.scratch)
        check_install(block, repo_url, args.scratch)
    except AssertionError as failure:
        print(f"make colab: {failure}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
