"""The one place where isolearn adapts to the versions of the libraries it runs with.

isolearn runs on two generations of everything it touches, and CI runs every test, chapter and
explorer in both: Colab's preinstalled versions (``make colab``; Python 3.13, IPython 7,
ipywidgets 7, and the rest in ``tests/colab/pip-freeze.gpu.txt``) and the book's pinned ones
(``make test``; ``requirements.txt``).

Code is written once for both. Where an API differs between them, the difference goes here,
behind one function that the rest of isolearn calls, with a test in ``tests/test_compat.py``
(which runs in both environments). So far none of the APIs isolearn uses differs: the unit
tests, the chapters and the live explorers pass unchanged in both, so the widgets, for
instance, use only what ipywidgets 7.7 and 8.1 share. :func:`version` is what such a
difference branches on, and :func:`versions` says which generation is running.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata

# The libraries whose generation matters, by distribution name.
LIBRARIES = ("torch", "numpy", "matplotlib", "scikit-learn", "ipython", "ipywidgets", "ipykernel")


def version(distribution: str) -> tuple[int, ...] | None:
    """The installed release of ``distribution`` as numbers, e.g. ``(7, 7, 1)`` for ipywidgets
    7.7.1 or ``(2, 11, 0)`` for torch ``2.11.0+cu128``; None if it is not installed.

    Compare tuples, not strings (``"2.10" < "2.9"`` as strings): ``version("ipywidgets") >= (8,)``.
    """
    if not isinstance(distribution, str) or not distribution:
        raise TypeError(f"version: distribution={distribution!r} must be a package name such "
                        f"as 'ipywidgets'")
    try:
        text = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None
    return tuple(int(part) for part in re.match(r"\d+(?:\.\d+)*", text).group().split("."))


def versions() -> dict[str, str]:
    """{library: installed version} for Python and :data:`LIBRARIES` ("absent" if missing):
    which generation this is."""
    found = {"python": ".".join(map(str, sys.version_info[:3]))}
    for name in LIBRARIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "absent"
    return found
