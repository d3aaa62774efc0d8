"""Colab: what the course promises about it, kept true by tests.

- ``setup_cell``: the install block that opens every notebook and the notebook metadata that
  makes "Open in Colab" start a GPU runtime, in one place; ``python -m tests.colab.setup_cell
  --fix`` writes them into every notebook.
- ``packages``: Colab's published package lists (``pip-freeze.*.txt``, see README.md) and the
  static check that every floor in pyproject.toml is met by them (tests/test_colab.py).
- ``replica``: ``make colab``, a virtual environment with Colab's Python and package versions in
  which the notebooks' own install block runs for real and every chapter and explorer is run.
"""
