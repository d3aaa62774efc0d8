"""Timing on a busy machine: count the CPU time of the calling thread, not the wall clock.

``isolearn.profile.best_time`` takes the fastest wall-clock run, which is right on a quiet
machine. When other processes share the cores, even the fastest of five runs can include time
spent waiting for a core, and a slope fitted to such times says more about the neighbours than
about the algorithm. ``time.thread_time()`` counts only the time this thread ran: with torch on
one thread (pinned here), that is the cost of the computation itself.
"""

from __future__ import annotations

import time
from typing import Callable

import torch


def cpu_seconds(fn: Callable[[], object], repeats: int = 5) -> float:
    """CPU seconds of the fastest of ``repeats`` calls of ``fn()``, with torch pinned to one
    thread (whose time ``time.thread_time`` counts). Use it for CPU work only: GPU kernels run
    elsewhere and are not counted."""
    if not isinstance(repeats, int) or repeats < 1:
        raise ValueError(f"cpu_seconds: repeats={repeats!r} must be an int >= 1")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        times = []
        for _ in range(repeats):
            start = time.thread_time()
            fn()
            times.append(time.thread_time() - start)
    finally:
        torch.set_num_threads(threads)
    return min(times)
