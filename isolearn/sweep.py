"""Seed sweeps: many small networks trained at once, and what to record while they train.

A question such as "how often does gradient descent solve the moons with this network, and
after how many steps?" needs dozens of seeds and thousands of steps. Trained one after another
that is slow; trained as one :func:`isolearn.planar.stack` (the seeds' weights stacked along a
first axis, so every layer is one batched tensor operation) it costs a few times one network.
:func:`seeded` builds such a stack from a list of seeds, :func:`train_trace` trains it with
full-batch Adam and records, every few steps, each network's accuracy, loss and the typical
length of its pre-activations, and :func:`direction_only_accuracy` tests what a trained
network's first isotropic layer passes on: if it only passes the *direction* of its input, the
network decides just as well with that layer replaced by z/‖z‖.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Sequence

import torch
import torch.nn as nn

from isolearn.planar import Linears, Snapshot, _loss, _snapshot, accuracy, stack
from isolearn.runtime import seed as set_seed


def seeded(build: Callable[[], nn.Module], seeds: Sequence[int]) -> nn.Sequential:
    """One :func:`isolearn.planar.stack` of the networks ``build()`` makes after
    ``isolearn.seed(s)``, for each s in ``seeds``: network i of the stack starts exactly as the
    network of seed ``seeds[i]`` would on its own."""
    seeds = list(seeds)
    if not seeds:
        raise ValueError("seeded: seeds is empty; pass e.g. range(64)")
    models = []
    for s in seeds:
        set_seed(s)
        models.append(build())
    return stack(models)


@dataclass
class Trace:
    """What :func:`train_trace` recorded, at the T steps ``steps`` ``(T,)``, for k networks:
    training ``loss`` and ``accuracy`` ``(T, k)``, ``test_accuracy`` ``(T, k)`` (empty
    without a test set) and ``lengths`` ``(T, L, k)``: for each of the L linear layers that
    feed an activation, the median over the training points of the pre-activation length
    ‖z_l‖. ``snapshots`` holds :class:`isolearn.planar.Snapshot` s at the requested frames."""

    steps: torch.Tensor
    loss: torch.Tensor
    accuracy: torch.Tensor
    test_accuracy: torch.Tensor
    lengths: torch.Tensor
    snapshots: list[Snapshot] = field(default_factory=list)

    def solved(self, threshold: float = 0.97) -> torch.Tensor:
        """``(T, k)``: True where a network's training accuracy (and its test accuracy, when
        recorded) exceeds ``threshold``."""
        done = self.accuracy > threshold
        if self.test_accuracy.numel():
            done = done & (self.test_accuracy > threshold)
        return done

    def first_solved(self, threshold: float = 0.97) -> torch.Tensor:
        """``(k,)``: the first recorded step at which each network counts as :meth:`solved`,
        or −1 if it never did."""
        done = self.solved(threshold)  # (T, k)
        first = done.double().argmax(0)  # (k,): the first True, or 0 if none
        return torch.where(done.any(0), self.steps[first], -1)


def _pre_activation_lengths(model: nn.Sequential, x: torch.Tensor) -> torch.Tensor:
    """``(L, k)``: median over the points of ‖z‖ for every linear layer followed by a layer."""
    lengths, h = [], x
    with torch.no_grad():
        for layer, after in zip(model, list(model)[1:] + [None]):
            h = layer(h)
            if isinstance(layer, (Linears, nn.Linear)) and after is not None:
                lengths.append(h.norm(dim=-1).median(dim=-1).values)  # (k,) or ()
    return torch.stack(lengths).reshape(len(lengths), -1)


def train_trace(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor, steps: int,
                lr: float = 0.05, every: int = 25,
                test: tuple[torch.Tensor, torch.Tensor] | None = None,
                frames_at: Sequence[int] = (), probe: torch.Tensor | None = None) -> Trace:
    """Full-batch Adam on cross-entropy for ``steps`` steps, recording a :class:`Trace` at
    step 0 and every ``every`` steps (and at the last).

    ``model`` is usually a stack of k networks (:func:`seeded`); the loss is the sum of their
    losses, so each network receives its own gradient and trains exactly as it would alone
    (the same loop as :func:`isolearn.planar.train_snapshots`). ``test = (x_test, y_test)``
    adds the test accuracy. At the steps in ``frames_at`` it also records where ``probe``
    (default ``x``) lands in every hidden layer, for :func:`isolearn.viz.warp_animation`.
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"train_trace: steps={steps!r} must be a positive int, e.g. 2000")
    if not isinstance(every, int) or every < 1:
        raise ValueError(f"train_trace: every={every!r} must be a positive int, e.g. 25")
    if any(not 0 <= t <= steps for t in frames_at):
        raise ValueError(f"train_trace: frames_at={list(frames_at)!r} must lie in 0..{steps}")
    probe = x if probe is None else probe
    frames_at = set(frames_at)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    rows: dict[str, list[torch.Tensor]] = {"steps": [], "loss": [], "accuracy": [],
                                           "test_accuracy": [], "lengths": []}
    snapshots = []
    for step in range(steps + 1):
        logits = model(x)  # (k, n, classes)
        losses = _loss(logits, y)  # (k,)
        if step in frames_at:
            snapshots.append(_snapshot(step, logits, losses, y, model, probe))
        if step % every == 0 or step == steps:
            rows["steps"].append(torch.tensor(step))
            rows["loss"].append(losses.detach())
            rows["accuracy"].append((logits.argmax(-1) == y).double().mean(-1))
            if test is not None:
                rows["test_accuracy"].append(accuracy(model, *test))
            rows["lengths"].append(_pre_activation_lengths(model, x))
        if step == steps:
            break
        optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        optimizer.step()
    stacked = {name: torch.stack(v) if v else torch.empty(0) for name, v in rows.items()}
    return Trace(**stacked, snapshots=snapshots)


def direction_only_accuracy(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor,
                            layer: int = 0) -> torch.Tensor:
    """The accuracy ``(k,)`` (or ``()``) when the activation after linear layer ``layer`` is
    replaced by the pure direction z/‖z‖ of its pre-activation z.

    A saturated isotropic tanh layer (‖z‖ ≫ 1, so tanh‖z‖ ≈ 1) already outputs almost exactly
    z/‖z‖, and then this changes nothing; a layer that uses the length of z loses that
    information, and the accuracy drops."""
    if not isinstance(layer, int) or not 0 <= 2 * layer < len(model) - 1:
        raise ValueError(f"direction_only_accuracy: layer={layer!r} must index a hidden "
                         f"layer, 0 to {(len(model) - 2) // 2}")
    with torch.no_grad():
        h = x
        for module in list(model)[:2 * layer]:
            h = module(h)
        z = model[2 * layer](h)  # (k, n, width)
        h = z / z.norm(dim=-1, keepdim=True)
        for module in list(model)[2 * layer + 2:]:
            h = module(h)
        return (h.argmax(-1) == y).double().mean(-1)
