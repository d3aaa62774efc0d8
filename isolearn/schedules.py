"""Learning-rate schedules as their references run them: the rate as a function of training time.

A schedule is a small frozen dataclass. ``schedule(t, epochs)`` is the learning rate at time
``t`` (in epochs) of a run of ``epochs`` epochs; ``schedule.time(step, steps_per_epoch)`` is the
time at which a reference reads it for a given step (before or after the step, per step or per
epoch: the references differ, and the difference shows in the first and last steps);
``schedule.knots(epochs)`` are the points it must pass through, which the tests check.
:mod:`isolearn.recipes` sets the rate before every optimiser step from these.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

@dataclass(frozen=True)
class Constant:
    """The same learning rate for every step."""

    lr: float

    def time(self, step: int, steps_per_epoch: int) -> float:
        return step / steps_per_epoch

    def __call__(self, t: float, epochs: int) -> float:
        return self.lr

    def knots(self, epochs: int) -> list[tuple[float, float]]:
        return [(0.0, self.lr)]

    def __str__(self) -> str:
        return f"constant {self.lr:g}"


@dataclass(frozen=True)
class StepDecay:
    """``lr``, multiplied by ``factor`` at each milestone (a fraction of the run), per step:
    He et al.'s "divide it by 10 at 32k and 48k iterations" of 64k is milestones 1/2 and 3/4."""

    lr: float
    milestones: tuple[Fraction, ...] = (Fraction(1, 2), Fraction(3, 4))
    factor: float = 0.1

    def time(self, step: int, steps_per_epoch: int) -> float:
        return step / steps_per_epoch

    def __call__(self, t: float, epochs: int) -> float:
        return self.lr * self.factor ** sum(t >= m * epochs for m in self.milestones)

    def knots(self, epochs: int) -> list[tuple[float, float]]:
        return [(0.0, self.lr)] + [(float(m * epochs), self.lr * self.factor ** (k + 1))
                                   for k, m in enumerate(self.milestones)]

    def __str__(self) -> str:
        steps = " and ".join(str(m) for m in self.milestones)
        return f"{self.lr:g}, x{self.factor:g} at {steps} of the steps"


@dataclass(frozen=True)
class Cosine:
    """Half a cosine from ``lr`` down to ``min_lr`` over the whole run, per step (what
    :func:`isolearn.train.fit` does with ``schedule="cosine"``)."""

    lr: float
    min_lr: float = 0.0

    def time(self, step: int, steps_per_epoch: int) -> float:
        return step / steps_per_epoch

    def __call__(self, t: float, epochs: int) -> float:
        return self.min_lr + (self.lr - self.min_lr) * (1 + math.cos(math.pi * t / epochs)) / 2

    def knots(self, epochs: int) -> list[tuple[float, float]]:
        return [(0.0, self.lr), (epochs / 2, (self.lr + self.min_lr) / 2)]

    def __str__(self) -> str:
        return f"cosine {self.lr:g} -> {self.min_lr:g} per step"


@dataclass(frozen=True)
class Piecewise:
    """Linear between knots ``(fraction of the run, lr)``, per step, the time read *after* the
    step as the ConvMixer script does (``epoch + (i + 1) / steps``). Knot epochs are rounded
    down (the script computes them with integer division, ``epochs * 2 // 5``)."""

    points: tuple[tuple[Fraction, float], ...]

    def time(self, step: int, steps_per_epoch: int) -> float:
        return (step + 1) / steps_per_epoch

    def __call__(self, t: float, epochs: int) -> float:
        ts, lrs = zip(*self.knots(epochs))
        return float(np.interp(t, ts, lrs))

    def knots(self, epochs: int) -> list[tuple[float, float]]:
        return [(float(math.floor(f * epochs)), lr) for f, lr in self.points]

    def __str__(self) -> str:
        at = {Fraction(0): "0", Fraction(1): "E"}
        return "linear per step through " + ", ".join(f"({at.get(f, f'{f} E')}, {lr:g})"
                                                       for f, lr in self.points)


@dataclass(frozen=True)
class WarmupCosine:
    """Linear warm-up from 0 to ``lr`` over ``warmup`` epochs, then a cosine to ``min_lr`` with
    period ``epochs`` (never completed), *per epoch*, exactly as the omihub777 references step
    ``GradualWarmupScheduler(multiplier=1)`` + ``CosineAnnealingLR(T_max=epochs)`` once per
    epoch: epoch e (from 0) trains at ``lr·e/warmup`` for e <= warmup (so epoch 0 at 0), and at
    ``min_lr + (lr - min_lr)·(1 + cos(π (e - warmup - 1) / epochs)) / 2`` after."""

    lr: float
    warmup: int = 5
    min_lr: float = 0.0

    def time(self, step: int, steps_per_epoch: int) -> float:
        return float(step // steps_per_epoch)

    def __call__(self, t: float, epochs: int) -> float:
        if t <= self.warmup:
            return self.lr * t / self.warmup
        k = t - self.warmup - 1
        return self.min_lr + (self.lr - self.min_lr) * (1 + math.cos(math.pi * k / epochs)) / 2

    def knots(self, epochs: int) -> list[tuple[float, float]]:
        return [(0.0, 0.0), (float(self.warmup), self.lr), (float(self.warmup + 1), self.lr)]

    def __str__(self) -> str:
        return f"warm-up {self.warmup} epochs to {self.lr:g}, cosine to {self.min_lr:g} (per epoch)"


Schedule = Constant | StepDecay | Cosine | Piecewise | WarmupCosine
