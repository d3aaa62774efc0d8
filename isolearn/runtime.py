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
    """Seed Python's, NumPy's and PyTorch's generators (all devices) with ``n``; returns ``n``.

    What it guarantees: after ``seed(n)`` the same code draws the same random numbers (initial
    weights, batch order, dropout masks, augmentations), so a run on the CPU is **bit-identical**
    to another with the same seed, the same number of threads (``torch.get_num_threads()``),
    the same torch build and the same hardware, whether repeated in one process or in a fresh one.

    What it does not: make runs agree across thread counts or machines. More threads split the
    sums inside matrix products, convolutions, attention and batch norm differently, so the last
    bits differ, and training carries the differences on. ``python -m bench.reproducibility``
    measures it: two epochs on the digits, 1 against 2 threads, end with weights apart by 3e-8
    (an MLP), 3e-5 (vit_digits) and 1e-2 (a ResNet-20 with batch norm, whose loss differs too),
    at the same test accuracy. On a GPU, PyTorch documents that some kernels are not
    deterministic even on one machine unless ``torch.use_deterministic_algorithms(True)``.
    Compare results across runs and machines as ranges over seeds, not digit for digit.
    """
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


def colab_message(d: torch.device | None = None) -> str:
    """What the set-up cell prints on Colab once isolearn is installed: the device, and on a
    CPU runtime how to get a GPU (``Runtime → Change runtime type → T4 GPU``).

    ``d`` defaults to :func:`device`. The notebook's ``parameters`` cell picks the GPU sizes on
    ``cuda`` and the CPU sizes otherwise, so on a CPU runtime the chapter still runs, only smaller.
    """
    d = device() if d is None else d
    if not isinstance(d, torch.device):
        raise TypeError(f"colab_message: d={d!r} must be a torch.device, e.g. device()")
    if d.type == "cuda":
        return f"isolearn is installed; Colab GPU: {torch.cuda.get_device_name(d)}."
    return ("isolearn is installed, but this Colab runtime has no GPU, so the chapter uses "
            "its CPU sizes.\nFor the GPU sizes: Runtime → Change runtime type → T4 GPU, "
            "then run the notebook again.")
