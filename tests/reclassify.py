"""Count the classes of the reliability review's cases: ``python tests/reclassify.py``.

Runs every case of ``tests/test_bad_input.py`` (part A) and ``tests/test_checker_robustness.py``
(part B) in a fresh forked process each, so that no case can change the next one's outcome, and
prints the counts per class and per module, then every case whose class differs from the one the
table wants. Point ``PYTHONPATH`` at another checkout to count the classes of that version of
isolearn with the same table (``PYTHONPATH=/tmp/main python tests/reclassify.py``).
"""

from __future__ import annotations

import collections
import multiprocessing as mp
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("ISOLEARN_STATIC", "1")
import matplotlib  # noqa: E402

matplotlib.use("Agg")


def _child(table: str, index: int, pipe) -> None:
    module = __import__(table)
    case = module.CASES[index]
    try:
        pipe.send(module.classify(case))
    except BaseException as exc:  # noqa: BLE001  (a case that kills the classifier is class 3)
        pipe.send((3, f"the classifier itself stopped: {exc!r}"))


def run(table: str, seconds: float = 90.0) -> list[tuple]:
    module = __import__(table)
    context = mp.get_context("fork")
    results = []
    for index, case in enumerate(module.CASES):
        parent, child = context.Pipe(duplex=False)
        process = context.Process(target=_child, args=(table, index, child))
        process.start()
        got = (3, "hung: no answer") if not parent.poll(seconds) else parent.recv()
        process.join(5)
        if process.is_alive():
            process.kill()
            process.join()
        results.append((case, *got))
    return results


def report(title: str, results: list[tuple], key) -> None:
    counts = collections.Counter(cls for _, cls, _ in results)
    print(f"\n## {title}: {len(results)} cases")
    print("class " + "  ".join(f"{c}: {counts.get(c, 0)}" for c in range(5)))
    groups = collections.defaultdict(collections.Counter)
    for case, cls, _ in results:
        groups[key(case)][cls] += 1
    print(f"\n| {'group':40} | " + " | ".join(str(c) for c in range(5)) + " |")
    print("|" + "-" * 42 + "|" + "---|" * 5)
    for group in sorted(groups):
        print(f"| {group:40} | " + " | ".join(str(groups[group].get(c, 0)) for c in range(5)) + " |")
    off = [(case, cls, what) for case, cls, what in results if cls != case.want]
    print(f"\n{len(off)} case(s) not in the class the table wants:")
    for case, cls, what in off:
        print(f"  [{cls} != {case.want}] {case.id}: {what.splitlines()[0][:160] if what else ''}")


if __name__ == "__main__":
    import isolearn

    print(f"isolearn from {Path(isolearn.__file__).parent}")
    tables = sys.argv[1:] or ["test_bad_input", "test_checker_robustness"]
    if "test_bad_input" in tables:
        report("A. bad input to the public API", run("test_bad_input"), lambda c: c.module)
    if "test_checker_robustness" in tables:
        report("B. the exercise checker", run("test_checker_robustness", seconds=30), lambda c: c.group)
