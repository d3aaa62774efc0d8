"""Where code runs: the best available device, reproducible seeds, and the notebook context."""

from __future__ import annotations

import os
import random
import sys

import numpy as np
import torch


def device() -> torch.device:
    """The fastest device present: CUDA GPU > Apple-silicon GPU (MPS) > CPU.

    Notebooks call this once (``DEVICE = device()``) and scale their ``parameters`` cell on it.
    """
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def seed(n: int = 0) -> int:
    """Seed Python's, NumPy's and PyTorch's generators (all devices) with ``n``; returns ``n``."""
    if not isinstance(n, int) or isinstance(n, bool) or not 0 <= n < 2 ** 32:
        raise ValueError(f"seed: n={n!r} must be an int from 0 to 2**32 - 1 (NumPy's range), "
                         "e.g. seed(0)")
    random.seed(n)
    np.random.seed(n)
    torch.manual_seed(n)  # also seeds every CUDA device
    return n


def in_colab() -> bool:
    """True inside Google Colab (its runtime imports the ``google.colab`` module)."""
    return "google.colab" in sys.modules


def static() -> bool:
    """True when nobody can interact with the output: the book build and the test run.

    ``make book`` and ``make test`` set ``ISOLEARN_STATIC=1``. Then widgets draw a static figure
    instead of live controls, and progress bars print plain text instead of a widget.
    """
    return os.environ.get("ISOLEARN_STATIC", "") not in ("", "0", "false", "False")
