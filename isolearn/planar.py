"""Networks with 2-D hidden layers: representations you can draw, and numbers that describe them.

When a hidden layer has two units, its activations are points in the plane, so we can watch what
the network does: draw a grid in the input plane, push it through the layers, and see the plane
stretched, folded and squashed (elementwise tanh squashes it into a square, isotropic tanh into
a disc). This module builds such networks (:func:`mlp`), trains them while recording snapshots
of every hidden layer (:func:`train_snapshots`), and measures a 2-D representation of classes:
the direction each class points in (:func:`class_directions`), how evenly those directions share
the circle (:func:`angular_evenness`), how well the direction alone tells the class
(:func:`direction_accuracy`) and how many points collapse onto the origin, where they have no
direction at all (:func:`collapsed_fraction`). Small networks train fastest side by side: a
:func:`stack` of k seeds costs about as much as one on a CPU.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch
import torch.nn as nn
from einops import einsum

from isolearn import validate
from isolearn.activations import NAMES, activation, is_activation


def mlp(act: str, in_features: int = 2, hidden: Sequence[int] = (2, 2, 2), classes: int = 2,
        bias: bool = True) -> nn.Sequential:
    """Linear → activation for every width in ``hidden``, then a linear read-out to ``classes``.

    ``act`` names the activation (see :data:`isolearn.activations.NAMES`); every hidden layer
    gets a fresh one acting over the feature axis. ``bias=False`` drops every bias, the setting
    in which an isotropic network is a linear map times a positive scalar.
    """
    if act not in NAMES:
        raise ValueError(f"mlp: act={act!r} is unknown; choose one of {', '.join(NAMES)}")
    if isinstance(hidden, int) or not hidden or any(not isinstance(w, int) or w < 1 for w in hidden):
        raise ValueError(f"mlp: hidden={hidden!r} must be a non-empty list of positive widths, "
                         "e.g. (2, 2, 2)")
    validate.positive_int(in_features, "in_features", "mlp", 2)
    validate.positive_int(classes, "classes", "mlp", 2)
    layers: list[nn.Module] = []
    width = in_features
    for w in hidden:
        layers += [nn.Linear(width, w, bias=bias), activation(act)]
        width = w
    layers.append(nn.Linear(width, classes, bias=bias))
    return nn.Sequential(*layers)


class Linears(nn.Module):
    """k independent linear layers applied side by side, one per network of a stack:
    ``(k, n, i) -> (k, n, o)`` (an input ``(n, i)`` is shared by all k)."""

    def __init__(self, layers: Sequence[nn.Linear]):
        super().__init__()
        self.weight = nn.Parameter(torch.stack([l.weight.detach() for l in layers]))  # (k, o, i)
        biases = [l.bias for l in layers]
        self.bias = (nn.Parameter(torch.stack([b.detach() for b in biases])[:, None, :])  # (k, 1, o)
                     if biases[0] is not None else None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        pattern = "n i, k o i -> k n o" if x.dim() == 2 else "k n i, k o i -> k n o"
        out = einsum(x, self.weight, pattern)  # (k, n, o)
        return out if self.bias is None else out + self.bias


def stack(models: Sequence[nn.Sequential]) -> nn.Sequential:
    """k networks of one architecture as one network that runs them side by side.

    Each ``nn.Linear`` becomes :class:`Linears`; every other layer is copied from the first
    network with each parameter and buffer stacked to shape ``(k, 1, 1)``, so that it broadcasts
    over ``(k, n, d)`` (activations act over the last axis). The stack computes exactly what the
    k networks compute, ``(k, n, classes)``, but trains k seeds for the price of about one on a
    CPU, where tiny networks are slow because of per-operation overhead, not arithmetic.
    :func:`unstack` writes the trained weights back into the k networks.
    """
    if not models:
        raise ValueError("stack: models is empty; pass a list of networks built the same way")
    _check_same_architecture(models)
    layers = []
    for column in zip(*models):
        first = column[0]
        if isinstance(first, nn.Linear):
            layers.append(Linears(column))
            continue
        layer = copy.deepcopy(first)
        for name, value in list(first.named_parameters()) + list(first.named_buffers()):
            values = torch.stack([dict(m.named_parameters(), **dict(m.named_buffers()))[name]
                                  .detach() for m in column])  # (k, ...)
            stacked = values.reshape(len(column), *([1] * 2), *values.shape[1:])  # (k, 1, 1)
            if isinstance(value, nn.Parameter):
                setattr(layer, name, nn.Parameter(stacked))
            else:
                setattr(layer, name, stacked)
        layers.append(layer)
    return nn.Sequential(*layers)


def unstack(stacked: nn.Sequential, models: Sequence[nn.Sequential]) -> None:
    """Copy the weights of a :func:`stack` back into its k networks, in place."""
    k = next(iter(stacked.state_dict().values())).shape[0]
    if len(models) != k:
        raise ValueError(f"unstack: the stack holds {k} networks but {len(models)} models were given; "
                         "pass the list that was stacked")
    with torch.no_grad():
        for i, model in enumerate(models):
            for (name, value), target in zip(stacked.state_dict().items(),
                                             model.state_dict().values()):
                target.copy_(value[i].reshape(target.shape))


def hidden_states(model: nn.Sequential, x: torch.Tensor) -> list[torch.Tensor]:
    """``[x, h₁, h₂, ...]``: the input and the output of every activation layer of ``model``,
    each ``(n, width)`` (``(k, n, width)`` for a :func:`stack`): where the points sit in each
    hidden space."""
    if not isinstance(model, nn.Sequential):
        raise validate.ArgumentTypeError(f"hidden_states: model must be an nn.Sequential (its layers "
                                         f"are walked in order), got {type(model).__name__}")
    states = [x]
    with torch.no_grad():
        for layer in model:
            x = layer(x)
            if is_activation(layer):
                states.append(x)
    return states


def grid_lines(lim: float = 2.0, lines: int = 13, points: int = 60) -> torch.Tensor:
    """A square grid as polylines ``(2·lines, points, 2)``: ``lines`` vertical then ``lines``
    horizontal lines across [−lim, lim]², each sampled at ``points`` points (so that curves stay
    smooth after a nonlinear map)."""
    validate.number(lim, "lim", "grid_lines", minimum=0, strict=True, example=2.0)
    validate.positive_int(lines, "lines", "grid_lines", 13)
    if validate.positive_int(points, "points", "grid_lines", 60) < 2:
        raise ValueError(f"grid_lines: points={points} must be >= 2 (a line needs two ends), e.g. 60")
    ticks = torch.linspace(-lim, lim, lines)  # (lines,)
    along = torch.linspace(-lim, lim, points)  # (points,)
    vertical = torch.stack(torch.broadcast_tensors(ticks[:, None], along[None, :]), dim=-1)
    return torch.cat([vertical, vertical.flip(-1)])  # (2·lines, points, 2)


def circle(radius: float = 1.0, points: int = 200) -> torch.Tensor:
    """``points`` points ``(points, 2)`` on the circle of ``radius`` about the origin, closed."""
    validate.number(radius, "radius", "circle", minimum=0, example=1.0)
    validate.positive_int(points, "points", "circle", 200)
    t = torch.linspace(0, 2 * math.pi, points)
    return radius * torch.stack([t.cos(), t.sin()], dim=1)


@dataclass
class Snapshot:
    """One moment of training: the step, the training loss and accuracy (shape ``()`` for one
    network, ``(k,)`` for a :func:`stack` of k), the probe points after every layer
    (``states[0]`` is the probe itself, see :func:`hidden_states`), and a copy of the read-out
    layer as it was then (``head(h)`` gives the logits of points ``h`` of the last hidden space)."""

    step: int
    loss: torch.Tensor
    accuracy: torch.Tensor
    states: list[torch.Tensor]
    head: nn.Module


def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The fraction of ``x`` that ``model`` classifies as ``y``: shape ``()``, or ``(k,)`` for a
    :func:`stack` of k networks."""
    validate.labels(y, len(validate.tensor(x, "x", "accuracy")), "accuracy")
    with torch.no_grad():
        return (model(x).argmax(-1) == y).double().mean(-1)  # (k,) or ()


def _loss(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy per network: ``()`` for logits ``(n, c)``, ``(k,)`` for ``(k, n, c)``.

    Written out, log Σ exp(logits) − logit of the true class, with the largest logit taken out
    before exp so that nothing overflows (the shift does not change the value or, since it
    cancels, the gradient). For a few classes on a CPU this is 2–4 times faster than
    ``F.cross_entropy`` on the flattened stack, and the tests check that the two agree."""
    shift = logits.detach().amax(-1, keepdim=True)  # (..., n, 1)
    log_sum_exp = (logits - shift).exp().sum(-1).log() + shift[..., 0]  # (..., n)
    true = logits.gather(-1, y.expand(logits.shape[:-1]).unsqueeze(-1))[..., 0]  # (..., n)
    return (log_sum_exp - true).mean(-1)  # (k,) or ()


def _snapshot(step: int, logits: torch.Tensor, losses: torch.Tensor, y: torch.Tensor,
              model: nn.Sequential, probe: torch.Tensor) -> Snapshot:
    """The :class:`Snapshot` of a training step, from the logits and losses it computed."""
    correct = (logits.argmax(-1) == y).double().mean(-1)
    return Snapshot(step, losses.detach(), correct, hidden_states(model, probe),
                    copy.deepcopy(model[-1]))


def train_snapshots(model: nn.Sequential, x: torch.Tensor, y: torch.Tensor, steps: int = 600,
                    lr: float = 0.03, frames: int = 25, probe: torch.Tensor | None = None
                    ) -> list[Snapshot]:
    """Full-batch Adam on cross-entropy for ``steps`` steps, recording ``frames`` snapshots.

    A plain loop, like :func:`isolearn.train.fit`, with one addition: at ``frames`` steps spread
    evenly from 0 to ``steps`` it records where ``probe`` (default: ``x``) lands in every hidden
    layer (``frames=0``: none, just train). Toy sets have a few hundred points, so one batch is
    the whole set. ``model`` may be a :func:`stack` of k networks: the loss is then the sum of
    their k losses, so that each network receives exactly its own gradient and trains as if it
    were alone.
    """
    if not isinstance(steps, int) or steps < 1:
        raise ValueError(f"train_snapshots: steps={steps!r} must be a positive int, e.g. 600")
    if not isinstance(frames, int) or not 0 <= frames <= steps + 1:
        raise ValueError(f"train_snapshots: frames={frames!r} must be an int from 0 (train "
                         f"only) to steps + 1 = {steps + 1}")
    validate.number(lr, "lr", "train_snapshots", minimum=0, strict=True, example=0.03)
    _check_data(model, x, y, probe, "train_snapshots")
    probe = x if probe is None else probe
    record_at = set(np.linspace(0, steps, frames).round().astype(int).tolist())  # {} if 0
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    snapshots = []
    for step in range(steps + 1):
        logits = model(x)  # (n, classes), or (k, n, classes) for a stack
        losses = _loss(logits, y)  # () or (k,)
        if step in record_at:
            snapshots.append(_snapshot(step, logits, losses, y, model, probe))
        if step == steps:
            break
        optimizer.zero_grad(set_to_none=True)
        losses.sum().backward()
        optimizer.step()
    return snapshots


# ---------------------------------------------------------------------------------------------
# Describing a 2-D representation of classes
# ---------------------------------------------------------------------------------------------
def _check_points(h: torch.Tensor, fn: str) -> torch.Tensor:
    if not isinstance(h, torch.Tensor) or h.dim() != 2 or h.shape[1] != 2:
        shape = tuple(h.shape) if isinstance(h, torch.Tensor) else type(h).__name__
        raise ValueError(f"{fn}: h must be points in the plane, shape (n, 2), got {shape}")
    return h.detach().double().cpu()


def collapsed(h: torch.Tensor, radius: float = 0.05) -> torch.Tensor:
    """A mask ``(n,)``: the points of ``h`` ``(n, 2)`` exactly at the origin, or closer to it than
    ``radius`` times the 90th percentile of the other points' lengths. They have (almost) no
    direction. Measuring against the percentile makes the test independent of the activation's
    scale (tanh lives in [−1, 1]², ReLU is unbounded) and of a few far outliers; leaving the
    points at 0 out of it keeps the yardstick when most points collapse (with 95 % of them at 0,
    the 90th percentile of all lengths would be 0, and nothing would count)."""
    h = _check_points(h, "collapsed")
    if not 0 < radius < 1:
        raise ValueError(f"collapsed: radius={radius!r} must lie in (0, 1), e.g. 0.05")
    if len(h) == 0:
        raise ValueError("collapsed: h is empty (0 points); pass the points (n, 2) of a hidden layer")
    norms = h.norm(dim=1)  # (n,)
    moved = norms[norms > 0]
    scale = torch.quantile(moved, 0.9) if len(moved) else norms.new_zeros(())
    return (norms == 0) | (norms < radius * scale)


def collapsed_fraction(h: torch.Tensor, radius: float = 0.05) -> float:
    """The fraction of points of ``h`` ``(n, 2)`` that :func:`collapsed` marks: 0 = none."""
    return collapsed(h, radius).double().mean().item()


def class_directions(h: torch.Tensor, y: torch.Tensor, classes: int | None = None
                     ) -> tuple[torch.Tensor, torch.Tensor]:
    """Each class's mean direction in the plane: ``(angles (K,), strengths (K,))``.

    The points' unit vectors u = h/‖h‖ (0 for h = 0) are averaged per class, m_c = mean u. The
    angle of m_c (atan2, in (−π, π]) is the class's direction, and its length ‖m_c‖ ∈ [0, 1],
    the *mean resultant length* of circular statistics, says how strongly the class agrees on it:
    1 if every point points the same way, near 0 if its points scatter around the circle or sit
    at the origin.
    """
    h, y = _check_points(h, "class_directions"), validate.tensor(y, "y", "class_directions").cpu()
    if y.shape != (len(h),):
        raise ValueError(f"class_directions: y must be labels (n,) = ({len(h)},), got "
                         f"{tuple(y.shape)}")
    if len(y) and (y.is_floating_point() or int(y.min()) < 0):
        validate.labels(y, len(h), "class_directions", classes=0 if not y.is_floating_point() else None)
    classes = int(y.max()) + 1 if classes is None else validate.positive_int(classes, "classes", "class_directions")
    validate.labels(y, len(h), "class_directions", classes=classes)
    norms = h.norm(dim=1, keepdim=True)
    units = torch.where(norms > 0, h / norms.clamp_min(1e-300), torch.zeros_like(h))  # (n, 2)
    means = torch.zeros(classes, 2, dtype=h.dtype).index_add_(0, y, units)  # (K, 2)
    counts = torch.bincount(y, minlength=classes).clamp_min(1).to(h.dtype)
    means = means / counts[:, None]
    return torch.atan2(means[:, 1], means[:, 0]), means.norm(dim=1)


def angular_evenness(angles: torch.Tensor) -> float:
    """How evenly K directions share the circle: 1 when they are evenly spaced, 0 when they all
    coincide.

    Sort the angles and take the K gaps between neighbours around the circle (T₁ + ... + T_K =
    2π). Rao's spacing statistic U = ½ Σ |T_i − 2π/K| is 0 for equal gaps and largest,
    2π(1 − 1/K), when all K angles coincide; we report E = 1 − U / (2π(1 − 1/K)).
    """
    try:
        angles = torch.as_tensor(angles, dtype=torch.float64).flatten()
    except (TypeError, ValueError, RuntimeError):
        raise validate.ArgumentTypeError(f"angular_evenness: angles={angles!r} must be numbers (radians), "
                                         "e.g. a tensor (K,) from class_directions") from None
    if not torch.isfinite(angles).all():
        raise ValueError(f"angular_evenness: the angles hold NaN or inf ({angles.tolist()}); a class "
                         "with no point has no direction, leave it out")
    k = len(angles)
    if k < 2:
        raise ValueError(f"angular_evenness: needs at least 2 angles, got {k}")
    ordered = torch.sort(torch.remainder(angles, 2 * math.pi)).values  # (K,) in [0, 2π)
    gaps = torch.diff(ordered, append=ordered[:1] + 2 * math.pi)  # (K,), sum 2π
    u = 0.5 * (gaps - 2 * math.pi / k).abs().sum()
    return 1.0 - (u / (2 * math.pi * (1 - 1 / k))).item()


def direction_accuracy(h: torch.Tensor, y: torch.Tensor, classes: int | None = None) -> float:
    """How well the direction alone names the class: each point of ``h`` ``(n, 2)`` is given the
    class whose mean direction (:func:`class_directions`) is closest in angle, and we report the
    fraction given their own class. A point at exactly 0 has no direction and counts as wrong."""
    h, y = _check_points(h, "direction_accuracy"), y.cpu()
    angles, _ = class_directions(h, y, classes)
    means = torch.stack([angles.cos(), angles.sin()], dim=1)  # (K, 2) unit vectors
    guess = (h @ means.T).argmax(1)  # (n,): the largest cosine (times ‖h‖ > 0)
    has_direction = h.norm(dim=1) > 0
    return ((guess == y) & has_direction).double().mean().item()


def member(snapshots: Sequence[Snapshot], i: int) -> list[Snapshot]:
    """The snapshots of network ``i`` of a :func:`stack`, as if it had been trained alone: its
    loss and accuracy (shape ``()``), its probe points ``(n, width)`` in every layer and its
    read-out as an ``nn.Linear``. Use it to show chosen members of a stack side by side in
    :func:`isolearn.viz.warp_animation`."""
    if not snapshots or snapshots[0].accuracy.dim() != 1:
        raise ValueError("member: snapshots must come from training a stack of networks")
    k = len(snapshots[0].accuracy)
    if not isinstance(i, int) or not -k <= i < k:
        raise ValueError(f"member: i={i!r} is not one of the {k} networks of the stack")
    alone = []
    for snap in snapshots:
        head = snap.head
        linear = nn.Linear(head.weight.shape[2], head.weight.shape[1], bias=head.bias is not None)
        with torch.no_grad():
            linear.weight.copy_(head.weight[i])
            if head.bias is not None:
                linear.bias.copy_(head.bias[i, 0])
        states = [snap.states[0]] + [h[i] for h in snap.states[1:]]
        alone.append(Snapshot(snap.step, snap.loss[i], snap.accuracy[i], states, linear))
    return alone


def _check_same_architecture(models: Sequence[nn.Module]) -> None:
    """Every model an nn.Sequential with the same layers, of the same types and shapes."""
    for i, m in enumerate(models):
        if not isinstance(m, nn.Sequential):
            raise validate.ArgumentTypeError(f"stack: models[{i}] is a {type(m).__name__}; stack takes "
                                             "nn.Sequential networks, e.g. from planar.mlp")
    first = models[0]
    describe = lambda m: [(type(l).__name__, tuple(p.shape for p in l.parameters())) for l in m]  # noqa: E731
    for i, m in enumerate(models[1:], 1):
        if describe(m) != describe(first):
            raise ValueError(f"stack: models[{i}] is not built like models[0]: its layers are "
                             f"{describe(m)}, not {describe(first)} (types and parameter shapes); "
                             "stack networks of one architecture, e.g. planar.mlp with the same "
                             "act and hidden")


def _check_data(model: nn.Module, x: torch.Tensor, y: torch.Tensor, probe, fn: str) -> None:
    """Points (n, in_features) of the model's dtype, labels (n,) within its classes."""
    linears = [m for m in model.modules() if isinstance(m, (nn.Linear, Linears))]
    ins = linears[0].weight.shape[-1] if linears else None
    outs = linears[-1].weight.shape[-2] if linears else None
    for name, points in (("x", x), ("probe", probe)):
        if points is None:
            continue
        validate.tensor(points, name, fn)
        validate.like_model(points, model, fn, f"the points {name}")
        if points.dim() != 2 or (ins is not None and points.shape[1] != ins):
            raise ValueError(f"{fn}: {name} must be points (n, {ins}) for a network with in_features="
                             f"{ins}, got {tuple(points.shape)}")
    validate.labels(y, len(x), fn, classes=outs)


# ---------------------------------------------------------------------------------------------
# Full-batch training with a choice of optimiser and loss (chapter 8)
# ---------------------------------------------------------------------------------------------
OPTIMIZERS = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
LOSSES = ("cross_entropy", "mse")


def _mse(out: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Mean squared error per network: ``()`` for ``(n, d)``, ``(k,)`` for a stack ``(k, n, d)``."""
    return ((out - target) ** 2).mean((-2, -1))


def train_full_batch(model: nn.Module, x: torch.Tensor, target: torch.Tensor, steps: int = 600,
                     lr: float = 0.03, optimizer: str = "adam", loss: str = "cross_entropy"
                     ) -> torch.Tensor:
    """Full-batch training for ``steps`` steps; returns the last losses (``()``, or ``(k,)`` for
    a :func:`stack`).

    ``optimizer``: ``"adam"`` or ``"sgd"`` (plain gradient descent). The choice matters for
    representations: a gradient step commutes with rotating a hidden layer's basis, while Adam
    divides every coordinate of the gradient by its own running scale, which singles out the
    coordinate axes. ``loss``: ``"cross_entropy"`` (``target`` holds class labels) or ``"mse"``
    (``target`` holds the outputs wanted, e.g. ``x`` itself for an autoencoder). For a stack the
    loss is the sum of its k networks' losses, so each trains exactly as if it were alone.
    """
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"train_full_batch: optimizer={optimizer!r} must be one of "
                         f"{', '.join(OPTIMIZERS)}")
    if loss not in LOSSES:
        raise ValueError(f"train_full_batch: loss={loss!r} must be one of {', '.join(LOSSES)}")
    validate.positive_int(steps, "steps", "train_full_batch", 600)
    validate.number(lr, "lr", "train_full_batch", minimum=0, strict=True, example=0.03)
    measure = _loss if loss == "cross_entropy" else _mse
    opt = OPTIMIZERS[optimizer](model.parameters(), lr=lr)
    for _ in range(steps):
        losses = measure(model(x), target)  # () or (k,)
        opt.zero_grad(set_to_none=True)
        losses.sum().backward()
        opt.step()
    with torch.no_grad():
        return measure(model(x), target)
