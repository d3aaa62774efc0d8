"""Benchmarks of the course's models and kernels: tables of measured speed, not tests.

Run from the repository root, e.g. ``python -m bench.models --quick``; ``bench/RESULTS.md``
keeps the tables of one full run and explains how to read them. Nothing here runs in
``make test`` except a smoke test (``tests/test_bench.py``) that checks the tables' structure.
"""
