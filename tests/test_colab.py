"""Colab, checked fast and statically (make test); ``make colab`` checks the same for real in a
replica of Colab's runtime (tests/colab/replica.py).

- Installing isolearn on Colab replaces none of Colab's packages: every floor of pyproject.toml,
  and everything a new dependency would pull in, is met by Colab's preinstalled versions.
- The notebooks' install block fails with pip's error and one line that says what to do, and
  prints the device message on success (runtime.colab_message).
- The replica installs Colab's version of every package the course imports.
"""

import ast
import os
import subprocess
import sys
from importlib import metadata

import pytest
import torch

from colab import packages, replica, setup_cell
from isolearn.runtime import colab_message
from notebooks import NOTEBOOKS, ROOT, code_cells, load, source


@pytest.mark.parametrize("runtime", sorted(packages.FREEZES))
def test_installing_isolearn_on_colab_replaces_nothing(runtime):
    found = packages.isolearn_problems(runtime)
    assert not found, f"on Colab's {runtime} runtime:\n" + "\n".join(found)


def test_the_check_names_a_floor_above_colab():
    colab = packages.colab_packages("GPU")
    found = packages.problems(["ipython>=8.0", "numpy>=2.1"], colab, "3.13.15")
    assert len(found) == 1
    assert "ipython>=8.0" in found[0] and "ipython 7.34.0" in found[0] and "replace" in found[0]


def test_the_check_follows_a_new_dependency_into_what_it_pulls_in():
    """A dependency Colab lacks is fine, unless what it requires would replace a Colab package."""
    colab = packages.colab_packages("GPU")
    requires = {"fancywidgets": ["ipywidgets>=8", "tqdm>=4"], "harmless": ["numpy>=1.20"]}.get
    found = packages.problems(["fancywidgets>=1", "harmless"], colab, "3.13.15", requires)
    assert len(found) == 1
    assert "isolearn -> fancywidgets requires ipywidgets>=8" in found[0] and "7.7.1" in found[0]
    unknown = packages.problems(["not-installed-anywhere"], colab, "3.13.15", lambda name: None)
    assert "cannot be checked" in unknown[0]


def test_freeze_lines_with_urls_carry_their_version():
    found = packages.parse_freeze(
        "torch @ https://download.pytorch.org/whl/cpu/torch-2.11.0%2Bcpu-cp313-cp313-"
        "manylinux_2_28_x86_64.whl\ngoogle-colab @ file:///colabtools/dist/google_colab-1.0.0"
        ".tar.gz\nkg @ git+https://github.com/googlecolab/kernel_gateway@b134e99\n"
        "Scikit_Learn==1.6.1\n# a comment\n")
    assert found == {"torch": "2.11.0+cpu", "google-colab": "1.0.0", "kg": None,
                     "scikit-learn": "1.6.1"}


def test_colab_message_says_how_to_get_a_gpu(monkeypatch):
    cpu = colab_message(torch.device("cpu"))
    assert "Runtime → Change runtime type → T4 GPU" in cpu and "CPU sizes" in cpu
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda d=None: "Tesla T4")
    assert "Tesla T4" in colab_message(torch.device("cuda")) and "Runtime" not in colab_message(
        torch.device("cuda"))
    with pytest.raises(TypeError, match="torch.device"):
        colab_message("cuda")


def test_a_failed_install_shows_pips_error_then_what_to_do(tmp_path):
    """The block itself, in a Python that sees a stand-in google.colab, with a REPO_URL that
    cannot be fetched (a local path that does not exist: nothing is downloaded or installed)."""
    block = setup_cell.block(url=f"file://{tmp_path}/no-such-repository")
    env = {**os.environ, "PYTHONPATH": str(ROOT / "tests" / "colab" / "standin"),
           "PIP_CONFIG_FILE": os.devnull, "PIP_NO_INDEX": "1"}
    done = subprocess.run([sys.executable, "-c", f"import google.colab\n{block}"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode != 0 and done.stdout == ""
    assert done.stderr.rstrip().splitlines()[-1] == setup_cell.ADVICE, done.stderr
    assert "RuntimeError" in done.stderr and "git" in done.stderr  # pip's own error is shown


def test_the_block_is_skipped_outside_colab():
    namespace = {}
    exec(setup_cell.block(), namespace)  # no google.colab here: nothing runs, nothing prints
    assert namespace["REPO_URL"] == setup_cell.repo_url() and "pip" not in namespace


def _imported_modules() -> set[str]:
    """Top-level modules that isolearn and the notebooks import (stdlib and isolearn aside)."""
    texts = [p.read_text() for p in (ROOT / "isolearn").rglob("*.py")]
    texts += [source(c) for p in NOTEBOOKS for c in code_cells(load(p))]
    found = set()
    for text in texts:
        lines = [line for line in text.splitlines() if not line.lstrip().startswith(("!", "%"))]
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.Import):
                found |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"isolearn", "__future__"}


def test_the_replica_installs_what_the_course_imports():
    distributions = metadata.packages_distributions()
    listed = {packages.canonical(p) for p in replica.PACKAGES}
    added = {packages.canonical(p) for p in replica.ADDED_BY_ISOLEARN}
    missing = sorted({packages.canonical(d) for m in _imported_modules()
                      for d in distributions.get(m, [m])} - listed - added)
    assert not missing, (f"the course imports {missing}, which tests/colab/replica.py's PACKAGES "
                         f"does not list: add them, so the replica installs Colab's versions")
    colab = packages.colab_packages("GPU")
    assert not [p for p in listed if p not in colab], "PACKAGES names a package Colab lacks"
    assert not [p for p in added if p in colab], "ADDED_BY_ISOLEARN names a package Colab has: pin it"


def test_replica_constraints_are_colabs_versions():
    pins = replica.constraints("torch==2.11.0+cu128\nnvidia-cublas-cu12==12.8.4.1\n"
                               "cuda-python==12.8\nipython==7.34.0\nx @ https://e.org/x.whl\n",
                               {"nbval": "0.11.0"})
    assert pins.splitlines() == ["torch==2.11.0", "ipython==7.34.0", "nbval==0.11.0"]
    replaced, removed, added = replica.changes(["ipython==7.34.0", "numpy==2.1.3", "six==1.17.0"],
                                               ["ipython==9.18.1", "numpy==2.1.3",
                                                "isolearn @ git+https://x@abc"])
    assert replaced == ["ipython==7.34.0 -> ipython==9.18.1"] and removed == ["six==1.17.0"]
    assert [replica.name_of(a) for a in added] == ["isolearn"]
