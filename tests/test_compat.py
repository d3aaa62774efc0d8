"""isolearn.compat, in whichever generation runs the tests: the book's (make test) and Colab's
(make colab runs this file in its replica too)."""

import tomllib
from importlib import metadata
from pathlib import Path

import ipywidgets
import numpy
import pytest
import torch
from packaging.requirements import Requirement

from isolearn import compat

ROOT = Path(__file__).resolve().parent.parent


def test_version_reads_the_installed_release():
    assert compat.version("ipywidgets") == tuple(map(int, ipywidgets.__version__.split(".")[:3]))
    assert compat.version("numpy")[:2] == tuple(map(int, numpy.__version__.split(".")[:2]))
    # torch carries a local label on some builds (2.11.0+cu128): the release numbers only
    assert compat.version("torch") == tuple(map(int, torch.__version__.split("+")[0].split(".")))
    assert compat.version("no-such-package-isolearn") is None
    assert compat.version("ipywidgets") >= (7, 7)  # tuples compare by number: (7, 10) > (7, 9)


@pytest.mark.parametrize("bad", ["", 7, None])
def test_version_rejects_what_is_not_a_name(bad):
    with pytest.raises(TypeError, match="distribution"):
        compat.version(bad)


def test_versions_names_the_generation():
    found = compat.versions()
    assert set(found) == {"python", *compat.LIBRARIES}
    assert found["ipywidgets"] == ipywidgets.__version__
    # the distribution's version; torch.__version__ may add the build (2.11.0 vs 2.11.0+cu130)
    assert found["torch"].split("+")[0] == torch.__version__.split("+")[0]


def test_the_running_versions_meet_isolearns_floors():
    """In the replica this checks Colab's own packages against pyproject.toml's floors."""
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    unmet = [f"{r} (installed: {metadata.version(r.name)})" for r in map(Requirement, deps)
             if not r.specifier.contains(metadata.version(r.name), prereleases=True)]
    assert not unmet, f"installed versions below isolearn's floors: {unmet}"
