"""Run the chapters into the book's execution cache before ``jupyter-book build``.

``jupyter-book build`` executes the notebooks one after another. This script runs them first,
one process per CPU core (``jupyter_cache``'s ``local-parallel`` executor), into the same cache
the build reads (``_build/.jupyter_cache``: ``execute_notebooks: cache`` in ``_config.yml``).
The build then finds each notebook's outputs by the hash of its code and executes only what is
missing. A notebook that fails here is not cached, so the build runs it again and fails on it
with its traceback: this script reports, the build decides.

    python book/_ext/execute_chapters.py [CACHE] [NOTEBOOK ...]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from jupyter_cache import get_cache
from jupyter_cache.executors import load_executor


def main(cache_path: str = "_build/.jupyter_cache", *notebooks: str) -> int:
    paths = [Path(p) for p in notebooks] or sorted(Path("notebooks").glob("*.ipynb"))
    Path(cache_path).parent.mkdir(parents=True, exist_ok=True)
    cache = get_cache(cache_path)
    for path in paths:
        cache.add_nb_to_project(str(path.resolve()))
    start = time.perf_counter()
    result = load_executor("local-parallel", cache).run_and_cache(
        filter_uris=[str(p.resolve()) for p in paths], timeout=900)
    print(f"execute_chapters: {len(result.succeeded)} executed, {len(result.excepted)} failed "
          f"(the build shows why), {len(result.errored)} could not start, in "
          f"{time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
