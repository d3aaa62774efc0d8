"""``make colab``: a replica of Google Colab's runtime, and the course run in it.

Colab's GPU runtime (``pip-freeze.gpu.txt``, ``os-info-gpu.txt`` beside this file) is replicated
as closely as this machine allows, in ``_build/colab/venv``:

- Python 3.13 (pyenv's, or ``COLAB_PYTHON``); Colab runs 3.13.15;
- Colab's version of every package in ``PACKAGES`` (what the course imports and what installing
  isolearn could touch), their dependencies at Colab's versions too (Colab's whole freeze is the
  pip constraint file), and the test tools Colab lacks (``TOOLS``, pinned as in requirements.txt);
- torch 2.11.0 from PyPI. That is a CUDA 13 build where Colab's is CUDA 12.8, and this machine
  has no GPU: the replica runs the CPU path only, and leaves Colab's CUDA libraries out.

Then, in it:

1. the first notebook's own install block runs in a kernel that sees a stand-in ``google.colab``
   (``standin/``), with git told (``url.<this checkout>.insteadOf <REPO_URL>``, in a temporary
   git config) to fetch this checkout where the block says ``REPO_URL``; so pip installs this
   checkout's committed HEAD exactly as it installs the repository on Colab. It must print
   nothing but the Colab message, and ``pip freeze`` before and after must differ only by
   isolearn: a replaced package fails, named;
2. every notebook runs under nbval (ISOLEARN_STATIC=1, as in make test), every explorer runs
   live with ipywidgets 7.7.1 (tests/test_explorers_live.py), and tests/test_compat.py runs,
   on two workers as make test does (``pytest_command`` says why that is reliable);
3. ``pip freeze`` once more: the chapters replaced nothing either.

A re-run reuses the venv while its pins are unchanged and it is as built (isolearn aside).
Run: ``make colab`` (``python3 tests/colab/replica.py``; ``--build-only`` stops after the venv).
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
BUILD = ROOT / "_build" / "colab"
VENV = BUILD / "venv"
FREEZE = HERE / "pip-freeze.gpu.txt"

# Colab's packages that the course imports or that installing isolearn could touch (names as
# pip knows them). The replica installs Colab's version of each; tests/test_colab.py checks
# that every package the course imports is listed.
PACKAGES = [
    "torch", "numpy", "scipy", "matplotlib", "matplotlib-inline", "pillow", "scikit-learn",
    "tqdm", "einops", "pooch", "requests", "packaging", "pyyaml",
    "ipython", "ipywidgets", "widgetsnbextension", "jupyterlab-widgets", "ipykernel",
    "traitlets", "jupyter-client", "jupyter-core", "pyzmq", "tornado", "nbformat",
    "pytest", "pip", "setuptools", "wheel",
]
# What the course imports that Colab does not preinstall: installing isolearn adds it (the
# install block's pip resolves it, from pyproject.toml's floor), so it has no Colab version to pin.
ADDED_BY_ISOLEARN = ["jupyterquiz"]
# What the replica needs to run the tests and Colab does not have; versions from requirements.txt.
TOOLS = ["nbval", "coverage", "pytest-xdist", "execnet"]
# Left out of the constraints: the CUDA stack. PyPI's torch 2.11.0 is built on CUDA 13 and needs
# its own versions of these; Colab's are CUDA 12.8 (and this machine has no GPU to use them).
NOT_PINNED = re.compile(r"^(nvidia-|cuda-)")
PYTHON = "3.13"

# The replica's processes ignore this machine's pip configuration (local mirrors, a global
# constraint file), as Colab knows nothing of them; and debugpy's note about Python 3.13's
# frozen modules, which every kernel would print, is turned off.
ENV = {"PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1",
       "PYDEVD_DISABLE_FILE_VALIDATION": "1", "OMP_NUM_THREADS": "1", "PYTHONNOUSERSITE": "1"}
DROP = ("PIP_FIND_LINKS", "PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL", "PIP_CONSTRAINT",
        "VIRTUAL_ENV", "PYTHONPATH", "ISOLEARN_STATIC")


class Failed(Exception):
    """A check of the replica failed; the message says which and why."""


def say(text: str) -> None:
    print(f"make colab: {text}", flush=True)


def environment(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in DROP}
    return {**env, **ENV, **extra}


def run(cmd: list, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("env", environment())
    done = subprocess.run([str(c) for c in cmd], text=True, capture_output=True, **kw)
    if done.returncode:
        raise Failed(f"{' '.join(map(str, cmd))} failed:\n{done.stdout}{done.stderr}")
    return done


# --- the pins ---------------------------------------------------------------------------------

def constraints(freeze_text: str, tools: dict[str, str]) -> str:
    """pip constraints from Colab's freeze: each ``name==version`` line with its local label
    dropped (``torch==2.11.0+cu128`` -> ``torch==2.11.0``, the PyPI release), except the CUDA
    stack (NOT_PINNED); then ``tools`` ({name: version})."""
    lines = []
    for line in freeze_text.splitlines():
        match = re.match(r"^([A-Za-z0-9._-]+)==([^+\s]+)", line.strip())
        if match and not NOT_PINNED.match(match.group(1).lower()):
            lines.append(f"{match.group(1)}=={match.group(2)}")
    lines += [f"{name}=={v}" for name, v in sorted(tools.items())]
    return "\n".join(lines) + "\n"


def tool_pins() -> dict[str, str]:
    """TOOLS at the versions requirements.txt pins (the book's test environment)."""
    pins = dict(re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", (ROOT / "requirements.txt").read_text(),
                           re.M))
    lower = {k.lower(): v for k, v in pins.items()}
    missing = [t for t in TOOLS if t not in lower]
    if missing:
        raise Failed(f"requirements.txt pins no version of {missing} (tests/colab/replica.py TOOLS)")
    return {t: lower[t] for t in TOOLS}


def find_python() -> str:
    """Python 3.13 for the replica: COLAB_PYTHON, else pyenv's newest 3.13, else python3.13 on
    PATH; without one, this Python, with a message that says so."""
    if os.environ.get("COLAB_PYTHON"):
        return os.environ["COLAB_PYTHON"]
    root = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    found = sorted(glob.glob(f"{root}/versions/{PYTHON}.*/bin/python{PYTHON}"),
                   key=lambda p: [int(x) for x in re.findall(r"\d+", p.split("/versions/")[1])[:3]])
    if found:
        return found[-1]
    if shutil.which(f"python{PYTHON}"):
        return shutil.which(f"python{PYTHON}")
    say(f"WARNING: no Python {PYTHON} found (Colab runs {PYTHON}; looked for COLAB_PYTHON, "
        f"{root}/versions/{PYTHON}.*, python{PYTHON} on PATH). Falling back to {sys.executable} "
        f"(Python {sys.version.split()[0]}), so the replica differs from Colab in its Python "
        f"too. For a closer one: pyenv install {PYTHON}, or COLAB_PYTHON=/path/to/python{PYTHON}.")
    return sys.executable


def python_version(python: str) -> str:
    return run([python, "-c", "import sys; print(sys.version.split()[0])"]).stdout.strip()


def freeze(python: Path) -> list[str]:
    return sorted(run([python, "-m", "pip", "freeze", "--all"]).stdout.splitlines(), key=str.lower)


def name_of(line: str) -> str:
    return re.split(r"\s*(?:==|@)\s*", line, maxsplit=1)[0].lower().replace("_", "-")


def changes(before: list[str], after: list[str]) -> tuple[list[str], list[str], list[str]]:
    """(replaced, removed, added) between two ``pip freeze`` listings, as readable lines."""
    old = {name_of(line): line for line in before}
    new = {name_of(line): line for line in after}
    replaced = [f"{old[n]} -> {new[n]}" for n in sorted(old.keys() & new.keys()) if old[n] != new[n]]
    removed = [old[n] for n in sorted(old.keys() - new.keys())]
    added = [new[n] for n in sorted(new.keys() - old.keys())]
    return replaced, removed, added


# --- step 0: the venv -------------------------------------------------------------------------

def build(python: str) -> Path:
    """Create (or reuse) the replica venv; returns its Python."""
    BUILD.mkdir(parents=True, exist_ok=True)
    pins = constraints(FREEZE.read_text(), tool_pins())
    (BUILD / "constraints.txt").write_text(pins)
    stamp = hashlib.sha256(json.dumps([pins, PACKAGES, TOOLS, python_version(python)])
                           .encode()).hexdigest()
    venv_python = VENV / "bin" / "python"
    if (VENV / ".stamp").is_file() and (VENV / ".stamp").read_text() == stamp:
        run([venv_python, "-m", "pip", "uninstall", "-q", "-y", "isolearn"])  # last run's
        if freeze(venv_python) == (VENV / ".freeze").read_text().splitlines():
            say(f"reusing {VENV.relative_to(ROOT)} (pins unchanged)")
            return venv_python
        say("the venv no longer matches what was built; building it again")
    say(f"building {VENV.relative_to(ROOT)} with Python {python_version(python)} and Colab's "
        f"versions (torch is a 2-4 minute download)")
    shutil.rmtree(VENV, ignore_errors=True)
    run([python, "-m", "venv", VENV])
    pip = [venv_python, "-m", "pip", "install", "-q", "-c", BUILD / "constraints.txt"]
    run(pip + ["pip", "setuptools", "wheel"])  # Colab's pip first: it resolves the rest
    run(pip + PACKAGES + TOOLS)
    built = freeze(venv_python)
    (VENV / ".freeze").write_text("\n".join(built) + "\n")
    (VENV / ".stamp").write_text(stamp)
    return venv_python


def check_versions(venv_python: Path) -> None:
    """Every package of PACKAGES at Colab's version (the constraints promise it; this proves it)."""
    colab = {name_of(line): line.split("==")[1].split("+")[0]
             for line in FREEZE.read_text().splitlines() if "==" in line}
    have = {name_of(line): line.split("==")[1].split("+")[0]
            for line in freeze(venv_python) if "==" in line}
    wrong = [f"{p} {have.get(p, 'absent')} (Colab: {colab[p]})" for p in PACKAGES
             if have.get(p) != colab[p]]
    if wrong:
        raise Failed(f"the replica does not have Colab's versions: {wrong}")
    shown = ["torch", "numpy", "matplotlib", "scikit-learn", "ipython", "ipywidgets", "ipykernel"]
    say(f"Python {python_version(str(venv_python))}, "
        + ", ".join(f"{p} {have[p]}" for p in shown))


# --- step 1: the notebooks' own install block, for real ---------------------------------------

def colab_kernel_env(scratch: Path, repo_url: str, checkout: Path) -> dict[str, str]:
    """What makes a kernel of the replica look like Colab's to the install block: google.colab
    imported at start-up, and REPO_URL fetched from ``checkout``."""
    startup = scratch / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True)
    (startup / "00-google-colab.py").write_text("import google.colab  # as Colab's kernel does\n")
    gitconfig = scratch / "gitconfig"
    gitconfig.write_text(f'[url "{checkout}"]\n\tinsteadOf = {repo_url}\n')
    return {"PYTHONPATH": str(HERE / "standin"), "IPYTHONDIR": str(scratch / "ipython"),
            "GIT_CONFIG_GLOBAL": str(gitconfig), "GIT_CONFIG_NOSYSTEM": "1"}


def install_like_colab(venv_python: Path) -> None:
    before = freeze(venv_python)
    with tempfile.TemporaryDirectory(prefix="colab-replica-") as scratch:
        done = subprocess.run([venv_python, "-P", HERE / "install_cell.py", "--scratch", scratch],
                              env=environment(), text=True)
    if done.returncode:
        raise Failed("the notebooks' install block did not work as on Colab (see above)")
    replaced, removed, added = changes(before, freeze(venv_python))
    if replaced or removed:
        raise Failed("installing isolearn as the notebooks do changed Colab's packages:\n  "
                     + "\n  ".join(replaced + [f"{r} -> removed" for r in removed])
                     + "\npyproject.toml must ask only for what Colab's versions meet "
                       "(tests/test_colab.py says which floor does not).")
    others = [a for a in added if name_of(a) != "isolearn"]
    if not any(name_of(a) == "isolearn" for a in added):
        raise Failed(f"the install block ran but isolearn is not installed (added: {added})")
    say("the install replaced nothing; it added "
        + ", ".join(a.split(" @ ")[0].split("==")[0] for a in added)
        + (f" (Colab lacks {others})" if others else ""))


# --- step 2: chapters, explorers, compat ------------------------------------------------------

def pytest_command(venv_python: Path, workers: int = 2) -> list:
    """``workers`` workers (COLAB_WORKERS, default 2), each notebook whole on one of them
    (``--dist loadfile``), as in make test; ``COLAB_WORKERS=1`` runs them one after another.

    Without ``--dist loadfile``, ``-n 2`` means ``--dist load``, which deals a notebook's cells
    out to both workers; each worker then runs its share in a kernel of its own, and a cell
    whose definitions ran on the other worker fails with a NameError, which looks like a kernel
    restarted mid-notebook. (Reproduced with two 21-cell notebooks: ``--dist load``, 32 of 42
    cells failed, 20 with NameErrors; ``--dist loadfile``, all passed.) ``-P``: the checkout's
    own ``isolearn/`` must not shadow the installed one.
    """
    parallel = ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []
    return [venv_python, "-P", "-m", "pytest", "notebooks", "tests/test_explorers_live.py",
            "tests/test_compat.py", "--nbval-lax", "--nbval-current-env", *parallel,
            "-p", "no:cacheprovider", "-q", "-W", "ignore::DeprecationWarning"]


def run_course(venv_python: Path) -> None:
    workers = os.environ.get("COLAB_WORKERS", "2")
    if not workers.isdigit() or int(workers) < 1:
        raise Failed(f"COLAB_WORKERS={workers!r} must be a whole number of workers, 1 or more")
    done = subprocess.run(pytest_command(venv_python, int(workers)), cwd=ROOT,
                          env=environment(ISOLEARN_STATIC="1"))
    if done.returncode:
        raise Failed("a chapter, an explorer or a compat test failed in the replica (see above)")


def main(argv: list[str]) -> int:
    times, mark = [], time.monotonic()

    def lap(name: str) -> None:
        nonlocal mark
        times.append(f"{name} {time.monotonic() - mark:.0f} s")
        mark = time.monotonic()
        say(f"{times[-1]} (load average {os.getloadavg()[0]:.1f})")

    try:
        venv_python = build(find_python())
        check_versions(venv_python)
        lap("venv")
        if "--build-only" in argv:
            return 0
        dirty = run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"]).stdout
        if dirty.strip():
            say("NOTE: the install takes this checkout's committed HEAD, as Colab takes the "
                "repository: uncommitted changes are not in it")
        install_like_colab(venv_python)
        lap("install")
        after_install = freeze(venv_python)
        run_course(venv_python)
        lap("chapters, explorers and compat")
        replaced, removed, added = changes(after_install, freeze(venv_python))
        if replaced or removed or added:
            raise Failed(f"running the chapters changed the replica's packages: "
                         f"{replaced + removed + added}")
    except Failed as failure:
        say(f"FAILED: {failure}")
        return 1
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    say(f"all green. Times: {', '.join(times)}; load average {load}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
