"""Colab's preinstalled packages, and whether installing isolearn there would replace any.

``pip-freeze.gpu.txt`` and ``pip-freeze.cpu.txt`` are Colab's published lists (README.md says
where they come from and how to refresh them). pip installs a package's dependencies only where
the installed version does not meet the requirement, so installing isolearn on Colab replaces
nothing exactly when every requirement that the install brings along is met by Colab's version.
:func:`problems` checks that statically: isolearn's dependencies (pyproject.toml) and, for a
dependency Colab lacks, that dependency's own requirements, read from the book's environment
(where requirements.txt installed it). ``make colab`` then checks it for real, in a replica.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable
from urllib.parse import unquote

from packaging.markers import default_environment
from packaging.requirements import Requirement

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
FREEZES = {"GPU": HERE / "pip-freeze.gpu.txt", "CPU": HERE / "pip-freeze.cpu.txt"}


def canonical(name: str) -> str:
    """A package's name as pip compares it: ``Scikit_Learn`` -> ``scikit-learn``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_freeze(text: str) -> dict[str, str | None]:
    """{canonical name: version} from ``pip freeze`` output. ``name==1.0`` lines, and
    ``name @ URL`` lines whose wheel or sdist file name carries the version (a git URL does
    not: None)."""
    found: dict[str, str | None] = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if "==" in line:
            name, version = line.split("==", 1)
        elif " @ " in line:
            name, url = line.split(" @ ", 1)
            file = unquote(url.split("#")[0].rstrip("/").rsplit("/", 1)[-1])
            match = re.match(r"[^-]+-(\d[^-]*?)(\.tar\.gz|\.zip|-.*\.whl)$", file)
            version = match.group(1) if match else None
        else:
            continue
        found[canonical(name.strip())] = version.strip() if version else None
    return found


def colab_packages(runtime: str = "GPU") -> dict[str, str | None]:
    """What Colab's ``runtime`` ("GPU" or "CPU") preinstalls: {canonical name: version}."""
    return parse_freeze(FREEZES[runtime].read_text())


def colab_python() -> str:
    """The Python version of Colab's runtime, from ``os-info-gpu.txt`` ("3.13.15")."""
    return re.search(r"^Python (\S+)", (HERE / "os-info-gpu.txt").read_text(), re.M).group(1)


def pyproject() -> dict:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def installed_requires(name: str) -> list[str] | None:
    """The requirements of ``name`` as installed in this environment, or None if it is not."""
    try:
        return metadata.requires(name) or []
    except metadata.PackageNotFoundError:
        return None


def _applies(req: Requirement, env: dict, extras: Iterable[str]) -> bool:
    if req.marker is None:
        return True
    return any(req.marker.evaluate({**env, "extra": extra}) for extra in [""] + list(extras))


def problems(requirements: Iterable[str], colab: dict[str, str | None], python: str,
             requires: Callable[[str], list[str] | None] = installed_requires,
             why: str = "isolearn") -> list[str]:
    """Every way that installing ``requirements`` into an environment holding ``colab``
    ({name: version}, Python ``python``) would replace a package, as messages that name the
    package and why. Requirements of a package that ``colab`` lacks are followed through
    ``requires`` (its requirements as installed here); a loop or a repeat is followed once."""
    env = {**default_environment(), "python_version": ".".join(python.split(".")[:2]),
           "python_full_version": python, "sys_platform": "linux",
           "platform_system": "Linux", "platform_machine": "x86_64",
           "implementation_name": "cpython", "platform_python_implementation": "CPython"}
    found, seen = [], set()
    todo = [(Requirement(r), why) for r in requirements]
    while todo:
        req, parent = todo.pop(0)
        if not _applies(req, env, []):
            continue
        name = canonical(req.name)
        if name in colab:  # Colab has it: pip keeps it if its version meets the requirement
            have = colab[name]  # None: installed from a git URL, no version to compare
            if have is not None and not req.specifier.contains(have, prereleases=True):
                fix = (f"lower the floor in pyproject.toml to one that {have} meets (and keep "
                       f"the code working with {have})" if parent == why else
                       f"drop that dependency, or require a release of it that accepts {have}")
                found.append(f"{parent} requires {req}, but Colab preinstalls {req.name} {have}: "
                             f"pip would replace Colab's {req.name}; {fix}.")
            continue
        if (name, str(req.specifier)) in seen:
            continue
        seen.add((name, str(req.specifier)))
        sub = requires(req.name)
        if sub is None:
            found.append(f"{parent} requires {req}, which Colab does not preinstall and which is "
                         f"not installed here, so what it would pull in cannot be checked: "
                         f"install the book's environment (make test does) and run again.")
            continue
        for r in sub:
            child = Requirement(r)
            if _applies(child, env, req.extras):
                todo.append((Requirement(str(child).split(";")[0]), f"{parent} -> {req.name}"))
    return found


def isolearn_problems(runtime: str = "GPU") -> list[str]:
    """:func:`problems` for isolearn's pyproject.toml on Colab's ``runtime``, with its
    ``requires-python`` checked against Colab's Python."""
    from packaging.specifiers import SpecifierSet

    project = pyproject()["project"]
    python = colab_python()
    found = []
    if not SpecifierSet(project.get("requires-python", "")).contains(python):
        found.append(f"pyproject.toml: requires-python {project['requires-python']} excludes "
                     f"Colab's Python {python}")
    return found + problems(project["dependencies"], colab_packages(runtime), python)


if __name__ == "__main__":
    bad = [f"Colab's {runtime} runtime: {p}" for runtime in FREEZES
           for p in isolearn_problems(runtime)]
    print("\n".join(bad) or "installing isolearn on Colab replaces nothing")
    sys.exit(1 if bad else 0)
