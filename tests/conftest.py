"""Test set-up: no GUI backend, and the static mode that the book build uses (see runtime.static)."""

import os

import matplotlib

os.environ.setdefault("ISOLEARN_STATIC", "1")  # also inherited by the kernels nbval starts
matplotlib.use("Agg")
