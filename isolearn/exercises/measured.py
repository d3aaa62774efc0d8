"""Chapter 6 exercises: attention's multiply-adds, a log-log slope, the time to an accuracy."""

from __future__ import annotations

import math

from isolearn.exercises import Case, exercise
from isolearn.profile import loglog_slope


@exercise("attention_macs", "attention_macs(tokens, dim, depth) -> int: multiply-adds of the "
          "token mixing (softmax(Q Kᵀ) V, all heads) of `depth` ViT blocks on `tokens` tokens",
          lambda n, d, depth: depth * 2 * n * n * d)
def _attention_macs_cases() -> list[Case]:
    rows = [(1, 8, 1), (17, 48, 4), (65, 64, 4), (197, 768, 12), (3137, 48, 4), (50, 1024, 0)]  # small first
    return [Case(r, f"tokens={r[0]}, dim={r[1]}, depth={r[2]}") for r in rows]


@exercise("slope", "slope(xs, ys) -> float: the least-squares slope of log(y) against log(x)",
          lambda xs, ys: loglog_slope(xs, ys), forbid=("isolearn.profile.loglog_slope",))
def _slope_cases() -> list[Case]:
    rows = [([1, 2, 4, 8], [3, 6, 12, 24]),  # linear: 1
            ([16, 64, 256, 1024], [5 * n * n for n in (16, 64, 256, 1024)]),  # quadratic: 2
            ([10, 100, 1000], [7.0, 7.0, 7.0]),  # constant: 0
            ([2, 3, 5, 7, 11], [math.sqrt(v) * (1.1 if i % 2 else 0.9) for i, v in
                                enumerate((2, 3, 5, 7, 11))]),  # noisy, not exact
            ([16, 64, 256, 1024, 3136], [0.9, 1.3, 2.6, 5.8, 16.7])]  # a measured time
    return [Case(r, f"xs={r[0]}, ys={[round(y, 3) for y in r[1]]}") for r in rows]


def _time_to(test_acc, seconds, target):
    return next((s for a, s in zip(test_acc, seconds) if a >= target), None)


@exercise("time_to_accuracy", "time_to_accuracy(test_acc, seconds, target) -> float or None: "
          "the seconds at the first epoch whose test accuracy reaches target", _time_to,
          forbid=("isolearn.train.History.time_to",))
def _time_to_cases() -> list[Case]:
    rows = [([0.5, 0.8, 0.95], [1.0, 2.0, 3.0], 0.9), ([0.5, 0.9, 0.95], [1.5, 3.0, 4.5], 0.9),
            ([0.95, 0.5, 0.99], [2.0, 4.0, 6.0], 0.9), ([0.1, 0.2], [1.0, 2.0], 0.9),
            ([0.97, 0.99], [0.7, 1.4], 0.98), ([], [], 0.5)]
    return [Case(r, f"test_acc={r[0]}, seconds={r[1]}, target={r[2]}") for r in rows]
