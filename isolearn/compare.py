"""Four families side by side: a pyramid CNN and three isotropic columns, measured the same way.

Chapter 6 asks the seed texts' claims to show their numbers: do isotropic networks (ViT,
MLP-Mixer, ConvMixer) match a pyramid CNN (ResNet) of the same size, what does each cost, and
how does the cost grow with the image? Every model is split into the same four kinds of work:

- **stem**: the first layer, which reads pixels (a patch embedding, or the ResNet's first conv);
- **token mixing**: operations that combine *different positions* (attention's softmax(QKᵀ)V,
  the Mixer's token MLP, ConvMixer's depthwise convolution);
- **channel mixing**: operations applied to *each position on its own* (attention's q, k, v and
  output projections, the MLPs, the pointwise convolutions);
- **head**: the classifier after pooling.

A ResNet's 3x3 convolutions mix positions and channels in one operation; they are counted as
**both at once**.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import torch
import torch.nn as nn

from isolearn.models import create
from isolearn.models.cnn import Pyramid, ResNetConfig, resnet
from isolearn.models.convmixer import ConvMixer
from isolearn.models.mixer import MLPMixer
from isolearn.models.vit import ViT
from isolearn.table import Table
from isolearn.train import History

PARTS = ("stem", "token mixing", "channel mixing", "both at once", "head")

# The four contenders at two scales, each about the same number of parameters. "digits": 16x16
# grey digits (or the native 8x8), ~17-21 k parameters, 4x4 patches (16 tokens); "cifar": 32x32
# colour images, ~0.5 M parameters, 2x2 patches (256 tokens) for the Mixer and ConvMixer, 4x4 for
# the ViT. A preset is a registered name or a builder taking the same keywords.


def resnet8(widths: tuple[int, ...] = (8, 16, 32), in_chans: int = 1, num_classes: int = 10,
            img_size: int = 16) -> Pyramid:
    """ResNet-8: He et al.'s CIFAR ResNet with one residual block per stage (n = 1 in 6n + 2):
    a 3x3 stem, then three stages that halve the map and double the channels."""
    config = ResNetConfig(depths=(1, 1, 1), widths=tuple(widths), num_classes=num_classes,
                          in_chans=in_chans, img_size=img_size)
    return resnet(config, "resnet8")


_SCALES = {
    "digits": {
        "ResNet": (resnet8, dict(widths=(8, 16, 32))),
        "ViT": ("vit_digits", dict(patch_size=4, embed_dim=24, depth=4, num_heads=4,
                                   mlp_ratio=2.0)),
        "Mixer": ("mixer_digits", dict(patch_size=4, hidden_dim=32, depth=4, tokens_mlp_dim=16,
                                       channels_mlp_dim=64)),
        "ConvMixer": ("convmixer_digits", dict(dim=60, depth=4, kernel_size=3, patch_size=4)),
    },
    "cifar": {
        "ResNet": ("resnet32", dict()),
        "ViT": ("vit_digits", dict(patch_size=4, embed_dim=128, depth=4, num_heads=4,
                                   mlp_ratio=2.0)),
        "Mixer": ("mixer_digits", dict(patch_size=2, hidden_dim=128, depth=4, tokens_mlp_dim=128,
                                       channels_mlp_dim=256)),
        "ConvMixer": ("convmixer_256_8", dict()),
    },
}


def contenders(scale: str = "digits", img_size: int | None = None, in_chans: int | None = None,
               num_classes: int = 10) -> dict[str, Callable[[], nn.Module]]:
    """Builders of the four families at ``scale`` ("digits": 16 px grey, "cifar": 32 px colour):
    ``{"ResNet": fn, "ViT": fn, "Mixer": fn, "ConvMixer": fn}``; each ``fn()`` makes a freshly
    initialised model (seed first for reproducible weights). ``img_size`` changes the input
    size at the same patch size (for the scaling experiment, or the native 8x8 digits)."""
    if scale not in _SCALES:
        raise ValueError(f"contenders: scale={scale!r} must be one of {', '.join(map(repr, _SCALES))}")
    img_size = img_size or (16 if scale == "digits" else 32)
    in_chans = in_chans or (1 if scale == "digits" else 3)

    def builder(preset, shape: dict) -> Callable[[], nn.Module]:
        make = preset if callable(preset) else (lambda **kw: create(preset, **kw))
        convmixer = isinstance(preset, str) and preset.startswith("convmixer")
        sized = {} if convmixer else {"img_size": img_size}  # a ConvMixer takes any size
        return lambda: make(in_chans=in_chans, num_classes=num_classes, **sized, **shape)

    return {name: builder(preset, shape) for name, (preset, shape) in _SCALES[scale].items()}


def family(model: nn.Module) -> str:
    """"ResNet", "ViT", "Mixer" or "ConvMixer" (pyramids of any kind count as "ResNet")."""
    kinds = {Pyramid: "ResNet", ViT: "ViT", MLPMixer: "Mixer", ConvMixer: "ConvMixer"}
    for kind, name in kinds.items():
        if isinstance(model, kind):
            return name
    raise ValueError(f"family: {type(model).__name__} is none of Pyramid, ViT, MLPMixer, ConvMixer")


def _stem_and_blocks(model: nn.Module) -> list[tuple[str, str]]:
    """(label, module name) of the stem and of every stage (pyramid) or block (column)."""
    if isinstance(model, Pyramid):
        stem = [] if isinstance(model.stem, nn.Identity) else [("stem", "stem")]
        return stem + [(f"stage {i + 1}", f"stages.{i}") for i in range(len(model.stages))]
    stem = "patch_embed" if isinstance(model, ViT) else "stem"
    family(model)  # a clear error for anything else
    return [("stem", stem)] + [(f"block {i + 1}", f"blocks.{i}") for i in range(len(model.blocks))]


def shape_trace(model: nn.Module, x: torch.Tensor) -> Table:
    """The shape after the stem and after every stage or block, for one image ``x: (1, c, h, w)``.

    Columns: stage, output shape ``(c, h, w)`` (token tables ``(n, d)`` are drawn as their
    ``(d, √n, √n)`` grid; a ViT's class token is left out of the grid but counted in the
    positions), positions (pixels of the map, or tokens), channels and values (positions x channels). The table
    feeds :func:`isolearn.viz.pyramid_figure`. Works on the meta device."""
    from isolearn.profile import trace_shapes

    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError(f"shape_trace: give one image (1, c, h, w), got {tuple(x.shape)}; use x[:1]")
    shapes = {row[0]: row[2] for row in trace_shapes(model, x, leaves_only=False).rows}
    rows = [["input", tuple(x.shape[1:]), x.shape[2] * x.shape[3], x.shape[1], x[0].numel()]]
    for label, name in _stem_and_blocks(model):
        shape = shapes[name][1:]
        if len(shape) == 3:  # a map (c, h, w)
            c, h, w = shape
            rows.append([label, (c, h, w), h * w, c, c * h * w])
        else:  # a token table (n, d)
            n, d = shape
            side = math.isqrt(n) if math.isqrt(n) ** 2 == n else math.isqrt(n - 1)  # class token
            rows.append([label, (d, side, side), n, d, n * d])
    return Table(["stage", "output shape", "positions", "channels", "values"], rows)


def compute_split(model: nn.Module, x: torch.Tensor) -> dict[str, int]:
    """Multiply-adds of one forward pass on ``x``, split into :data:`PARTS` (see the module's
    docstring). The parts add up to the whole model's count (checked here, so nothing that
    costs compute is left out). Works on the meta device."""
    from isolearn.profile import count_flops

    flops = count_flops(model, x, by_module=True)
    macs = {name: value // 2 for name, value in flops.items()}
    get = lambda name: macs.get(name, 0)  # noqa: E731  (a module without FLOPs is absent)
    split = dict.fromkeys(PARTS, 0)
    kind, blocks = family(model), [name for _, name in _stem_and_blocks(model)]
    split["stem"] = get(blocks[0]) if blocks[0] in ("stem", "patch_embed") else 0
    split["head"] = get("head")
    body = [b for b in blocks if b not in ("stem", "patch_embed")]
    for b in body:
        if kind == "ResNet":
            split["both at once"] += get(b)
        elif kind == "ViT":  # only softmax(QKᵀ)V combines tokens; qkv and proj act per token
            core = get(f"{b}.attn") - get(f"{b}.attn.qkv") - get(f"{b}.attn.proj")
            split["token mixing"] += core
            split["channel mixing"] += get(b) - core
        elif kind == "Mixer":
            split["token mixing"] += get(f"{b}.token_mlp")
            split["channel mixing"] += get(f"{b}.channel_mlp")
        else:  # ConvMixer
            split["token mixing"] += get(f"{b}.depthwise")
            split["channel mixing"] += get(f"{b}.pointwise")
    total = get("")
    if sum(split.values()) != total:
        raise RuntimeError(f"compute_split: the parts of {kind} add up to {sum(split.values())} "
                           f"MACs but the model does {total}: a module is not assigned to a part")
    return split


def race(builders: dict[str, Callable[[], nn.Module]], train, test, epochs: int, seeds: int = 1,
         device: torch.device | None = None, **fit_options) -> dict[str, list]:
    """Train every family with the same recipe and budget: ``seeds`` runs of ``epochs`` epochs
    each, seed ``s`` fixing both the initial weights and the batch order of run ``s``.
    ``fit_options`` go to :func:`isolearn.train.fit` (lr, batch_size, weight_decay, schedule).
    Returns ``{family: [History, ...]}``, one History per seed."""
    from isolearn.runtime import seed as set_seed
    from isolearn.train import fit

    histories: dict[str, list] = {}
    for name, build in builders.items():
        histories[name] = []
        for s in range(seeds):
            set_seed(s)
            histories[name].append(fit(build(), train, test, epochs=epochs, device=device, seed=s,
                                       progress=False, **fit_options))
    return histories


@dataclass
class Tuned:
    """What :func:`tune` measured for one family: the validation accuracy of every learning rate
    tried, the one chosen, and the runs at that learning rate (one per seed) with their test
    accuracies (the only time the test set is used)."""

    lrs: list[float]
    val_acc: list[float]  # final validation accuracy of each learning rate (seed 0)
    lr: float  # the chosen one: the highest validation accuracy
    histories: list[History]  # one per seed at ``lr``; ``test_acc`` holds the validation curve
    test_acc: list[float]  # one per seed at ``lr``, on the test set

    @property
    def seeds(self) -> int:
        return len(self.histories)


def tune(build: Callable[[], nn.Module], fit_set, val_set, test_set, lrs: Sequence[float],
         seeds: int = 5, epochs: int = 6, device: torch.device | None = None,
         **fit_options) -> Tuned:
    """Tune the learning rate on a validation split, then measure the chosen one over seeds.

    Every learning rate in ``lrs`` trains one model (seed 0) on ``fit_set`` for ``epochs``
    epochs; the one with the best final accuracy on ``val_set`` wins (ties: the smaller). Then
    seeds 1..``seeds``-1 train at that rate too (seed 0's run is reused: it is the same run), and
    each of the ``seeds`` models is evaluated once on ``test_set``. Give every family the same
    ``lrs``, ``epochs`` and ``fit_options`` (batch_size, weight_decay, schedule) and the budget is
    equal. Seed ``s`` fixes both the initial weights and the batch order. Models of one family
    train together (:func:`isolearn.stack.fit_stack`)."""
    from isolearn.runtime import seed as set_seed
    from isolearn.stack import fit_stack
    from isolearn.train import evaluate

    lrs = [float(lr) for lr in lrs]
    if not lrs or not isinstance(seeds, int) or seeds < 1:
        raise ValueError(f"tune: need at least one learning rate (got lrs={lrs}) and seeds >= 1 "
                         f"(got {seeds!r})")

    def models(seed_list):
        out = []
        for s in seed_list:
            set_seed(s)
            out.append(build())
        return out

    trial = models([0] * len(lrs))
    trials = fit_stack(trial, fit_set, val_set, epochs=epochs, lr=lrs, seeds=[0] * len(lrs),
                       device=device, **fit_options)
    val_acc = [h.test_acc[-1] for h in trials]
    best = max(range(len(lrs)), key=lambda i: (val_acc[i], -lrs[i]))
    nets, histories = [trial[best]], [trials[best]]
    if seeds > 1:
        more = models(range(1, seeds))
        histories += fit_stack(more, fit_set, val_set, epochs=epochs, lr=lrs[best],
                               seeds=list(range(1, seeds)), device=device, **fit_options)
        nets += more
    test_acc = [evaluate(net, test_set, device)[1] for net in nets]
    return Tuned(lrs, val_acc, lrs[best], histories, test_acc)


def mean_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of independent runs (one per seed) and the Student-t
    confidence interval of that mean, ``mean ± t·s/√n`` with ``n - 1`` degrees of freedom. It
    says how much the mean would move with other seeds; on one fixed test set it does not cover
    the test set's own sampling noise."""
    from scipy.stats import t as student

    x = torch.as_tensor(list(values), dtype=torch.float64)
    if x.numel() < 2 or not 0 < level < 1:
        raise ValueError(f"mean_interval: need at least 2 values (got {x.numel()}) and 0 < level < 1 "
                         f"(got {level})")
    half = student.ppf((1 + level) / 2, x.numel() - 1) * x.std() / math.sqrt(x.numel())
    return x.mean().item(), (x.mean() - half).item(), (x.mean() + half).item()


def difference_interval(a: Sequence[float], b: Sequence[float],
                        level: float = 0.90) -> tuple[float, float, float]:
    """``(difference, low, high)`` of ``mean(a) - mean(b)`` for two independent sets of runs:
    Welch's interval (unequal variances, Welch-Satterthwaite degrees of freedom). With
    ``level=0.90`` it is the interval of the two one-sided tests (TOST) of equivalence at 5 %:
    the two *match* within a margin ``m`` if the whole interval lies inside ``(-m, m)``."""
    from scipy.stats import t as student

    a = torch.as_tensor(list(a), dtype=torch.float64)
    b = torch.as_tensor(list(b), dtype=torch.float64)
    if a.numel() < 2 or b.numel() < 2:
        raise ValueError(f"difference_interval: need at least 2 runs on each side, got {a.numel()} "
                         f"and {b.numel()}")
    va, vb = a.var() / a.numel(), b.var() / b.numel()
    se = math.sqrt(va + vb)
    diff = (a.mean() - b.mean()).item()
    if se == 0:
        return diff, diff, diff
    dof = (va + vb) ** 2 / (va ** 2 / (a.numel() - 1) + vb ** 2 / (b.numel() - 1))
    half = student.ppf((1 + level) / 2, dof.item()) * se
    return diff, diff - half, diff + half


def verdict(low: float, high: float, margin: float) -> str:
    """Read a difference interval ``(low, high)`` against an equivalence ``margin``: "matches"
    (inside ``±margin``), "ahead" or "behind" (the whole interval beyond the margin),
    "ahead?"/"behind?" (beyond 0 but not beyond the margin), or "unclear"."""
    if -margin < low and high < margin:
        return "matches"
    if low >= margin:
        return "ahead"
    if high <= -margin:
        return "behind"
    if low > 0:
        return "ahead?"
    if high < 0:
        return "behind?"
    return "unclear"


def pareto_front(costs: Sequence[float], scores: Sequence[float]) -> list[int]:
    """Indices of the points that no other point beats: none costs at most as much and scores
    at least as high, with one of the two strictly. Sorted by cost: the frontier of what each
    cost can buy."""
    if len(costs) != len(scores):
        raise ValueError(f"pareto_front: {len(costs)} costs but {len(scores)} scores")
    points = list(zip(costs, scores))
    front = [i for i, (c, s) in enumerate(points)
             if not any(c2 <= c and s2 >= s and (c2, s2) != (c, s) for c2, s2 in points)]
    return sorted(front, key=lambda i: costs[i])
