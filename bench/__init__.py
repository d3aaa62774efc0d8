"""Benchmarks of the course's models and kernels: tables of measured speed, not tests.

Run from the repository root, e.g. ``python -m bench.models --quick``; ``bench/RESULTS.md``
keeps the tables of one full run and explains how to read them. ``bench.data`` measures the
data pipeline (per-image DataLoader against batches that stay on the device) and ``bench.gpu``
times every recipe of ``isolearn.recipes`` on fake data. Nothing here runs in ``make test``
except smoke tests that check the tables' structure (``tests/test_bench.py``,
``tests/test_recipes.py``, ``tests/test_augment.py``).
"""
