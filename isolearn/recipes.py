"""The book's GPU runs: each is a named *recipe* that follows the training of its reference.

A result depends on the recipe as much as on the architecture: trained with settings of one's
own, a network can land far below its paper's number and make the architecture look worse than
it is. So every GPU run of the book is written down here once, as a :class:`Recipe`: the data
with its normalisation and augmentation, the model preset, the optimiser, the learning-rate
schedule, epochs, batch size and precision, the reference it follows, the result that
reference reports, and where our code differs from it. ``run(name)`` trains it::

    from isolearn.recipes import run
    result = run("convmixer_256_8_cifar10")  # downloads CIFAR-10 once, trains, evaluates
    result.plot()                             # its history next to the reference's number

From a shell: ``python -m isolearn.recipes --list`` prints the table, and
``python -m isolearn.recipes NAME [--epochs N] [--fake-data] [--limit N]`` runs one;
``--fake-data`` trains on random tensors of the real shapes, so the whole path runs with no
download (for timing and testing: such a run measures no accuracy).

**The path.** The training set is moved to the device once (:class:`isolearn.data.DeviceBatches`);
a batch is an index slice of it; augmentation (:mod:`isolearn.augment`) runs on the whole batch
on the device; the learning rate is set before every step from the recipe's schedule; the
forward pass runs under autocast (fp16 with a gradient scaler on CUDA; on a CPU, where fp16
is slow, bfloat16); convolutional models take channels-last memory. The tests run every recipe
through this same path on the CPU with fake data and a few batches.

**Adding a recipe** is one :func:`register` call; most fields have defaults, and
:func:`shortened` derives a shorter variant. The expected time on a Colab T4 is an *estimate*:
the training FLOPs (3 x the forward FLOPs counted by :func:`isolearn.profile.count_flops`, per
image and epoch) divided by an *assumed* throughput, :data:`T4_ASSUMED_TFLOPS`.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import math
import sys
import time
from dataclasses import dataclass, field, replace
from fractions import Fraction
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import TensorDataset

from isolearn.augment import AutoAugment, Crop, Flip, RandAugment, cutmix, normalize
from isolearn.data import DeviceBatches, DownloadError, cifar10, mnist, tensors
from isolearn.schedules import Constant, Cosine, Piecewise, Schedule, StepDecay, WarmupCosine
from isolearn.table import Table
from isolearn.train import History, evaluate

# --- data sets ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class DataSpec:
    """A data set a recipe can train on: its loader and the shapes that fake data copies."""

    load: Callable[[], tuple[TensorDataset, TensorDataset]]
    shape: tuple[int, int, int]  # (c, h, w)
    train: int
    test: int
    classes: int


DATASETS: dict[str, DataSpec] = {
    "cifar10": DataSpec(cifar10, (3, 32, 32), 50_000, 10_000, 10),
    "mnist": DataSpec(mnist, (1, 28, 28), 60_000, 10_000, 10),
}

CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)  # per channel, over the 50,000 training images

OPTIMIZERS = ("sgd", "adam", "adamw")
PRECISIONS = ("fp32", "fp16")
OBJECTIVES = ("classify", "reconstruct")

# ASSUMED effective throughput of a Colab T4 on these small models, for the *estimated* times
# only (nothing was measured on a T4): about a quarter of its fp32 peak (8.1 TFLOP/s) and a
# sixteenth of its fp16 tensor-core peak (65). Memory-bound layers (depthwise convolutions,
# normalisation, narrow layers) run slower: the ConvMixer reference's own 42.6 s per epoch on a
# 2080 Ti amounts to 1.0 TFLOP/s.
T4_ASSUMED_TFLOPS = {"fp32": 2.0, "fp16": 4.0}


# --- the recipe ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recipe:
    """One training run, as its reference ran it. ``schedule`` carries the (peak) learning rate;
    ``augment`` lists batched steps in order (:mod:`isolearn.augment`), applied to images in
    [0, 1] and followed by ``normalize``, unless ``normalize_first`` (then the crop's zero
    padding is the mean). ``normalize``: ``(mean, std)`` per channel, ``"pixel_mean"`` (subtract
    the training set's mean image, He et al.) or None. ``label_smoothing`` spreads ε over all
    classes (torch's convention) or, with ``smoothing_to_others``, ε/(K-1) over the others.
    ``cutmix`` is the probability of CutMix per batch. ``precision="fp16"``: autocast with a
    gradient scaler on CUDA (bfloat16 on the CPU). ``objective="reconstruct"``: the model
    outputs an image and is trained on the mean squared error to its (augmented) input."""

    name: str
    chapter: int
    title: str  # one line: what it trains, and after whom
    data: str  # a key of DATASETS
    model: str | Callable[..., nn.Module]  # a preset of isolearn.models, or a builder
    model_label: str  # how the table shows the model
    epochs: int
    batch_size: int
    optimizer: str  # "sgd" (with momentum), "adam" (L2 weight decay), "adamw" (decoupled)
    schedule: Schedule
    weight_decay: float = 0.0
    momentum: float = 0.9
    betas: tuple[float, float] = (0.9, 0.999)
    model_options: Mapping[str, Any] = field(default_factory=dict)
    augment: tuple = ()
    normalize: tuple[tuple[float, ...], tuple[float, ...]] | str | None = None
    normalize_first: bool = False
    label_smoothing: float = 0.0
    smoothing_to_others: bool = False
    cutmix: float = 0.0
    precision: str = "fp32"
    channels_last: bool = False
    shuffle: bool = True
    objective: str = "classify"
    eval_every: int = 1  # epochs between test evaluations (the last epoch always)
    eval_batch_size: int = 1000
    reference: str = ""  # whose recipe, and where
    cite: str = ""  # its key in book/references.bib
    reference_result: str = ""
    reference_accuracy: float | None = None  # the number the plot draws
    reference_time: str = ""
    differences: str = ""  # where this recipe (or our code) differs from the reference
    shortened_from: str = ""  # the full recipe, if this is a shortened variant

    def __post_init__(self):
        checks = {"data": (self.data, tuple(DATASETS)), "optimizer": (self.optimizer, OPTIMIZERS),
                  "precision": (self.precision, PRECISIONS), "objective": (self.objective, OBJECTIVES)}
        for key, (value, allowed) in checks.items():
            if value not in allowed:
                raise ValueError(f"Recipe {self.name!r}: {key}={value!r} must be one of "
                                 f"{', '.join(map(repr, allowed))}")
        for key in ("epochs", "batch_size", "eval_every", "eval_batch_size"):
            value = getattr(self, key)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"Recipe {self.name!r}: {key}={value!r} must be a positive int")
        if not 0 <= self.cutmix <= 1 or not 0 <= self.label_smoothing < 1:
            raise ValueError(f"Recipe {self.name!r}: cutmix={self.cutmix} must lie in [0, 1] and "
                             f"label_smoothing={self.label_smoothing} in [0, 1)")

    def build_model(self) -> nn.Module:
        """A freshly initialised model (seed first for reproducible weights)."""
        if isinstance(self.model, str):
            from isolearn.models import create

            return create(self.model, **self.model_options)
        return self.model(**self.model_options)

    def with_options(self, **model_options: Any) -> "Recipe":
        """The same recipe with some model options changed, e.g. ``act="relu"``."""
        return replace(self, model_options={**self.model_options, **model_options})

    @property
    def spec(self) -> DataSpec:
        return DATASETS[self.data]

    def describe(self) -> str:
        """Every setting, in words: what ``run`` will do."""
        aug = ", ".join(map(str, self.augment)) or "none"
        lines = [
            f"{self.name} (chapter {self.chapter}): {self.title}",
            f"  model      {self.model_label}, {params(self):,} parameters",
            f"  data       {self.data}: {self.spec.train:,} training and {self.spec.test:,} test "
            f"images {self.spec.shape}; augmentation: {aug}; normalisation: {_normalize_words(self)}",
            f"  training   {self.epochs} epochs, batch {self.batch_size}, {self.optimizer} "
            f"({_optimizer_words(self)}); lr {self.schedule}",
            f"  loss       {_loss_words(self)}; precision {self.precision}"
            + ("; channels-last" if self.channels_last else ""),
            f"  reference  {self.reference}: {self.reference_result or 'no published number'}"
            + (f" ({self.reference_time})" if self.reference_time else ""),
        ]
        if self.differences:
            lines.append(f"  differs    {self.differences}")
        pflop = training_flops(self) / 1e15
        lines.append(f"  T4 time    {_minutes(t4_estimate(self))} (estimate: {pflop:.2f} "
                     f"PFLOP at an assumed {T4_ASSUMED_TFLOPS[self.precision]:g} TFLOP/s)")
        return "\n".join(lines)


def _normalize_words(r: Recipe) -> str:
    if r.normalize is None:
        return "none (pixels in [0, 1])"
    where = "before" if r.normalize_first else "after"
    if r.normalize == "pixel_mean":
        return f"subtract the training set's mean image, {where} augmentation"
    mean, std = r.normalize
    return f"mean {mean}, std {std}, {where} augmentation"


def _optimizer_words(r: Recipe) -> str:
    if r.optimizer == "sgd":
        return f"momentum {r.momentum:g}, weight decay {r.weight_decay:g}"
    return f"betas {r.betas}, weight decay {r.weight_decay:g}"


def _loss_words(r: Recipe) -> str:
    if r.objective == "reconstruct":
        return "mean squared error to the input"
    words = "cross-entropy"
    if r.label_smoothing:
        spread = "over the other classes" if r.smoothing_to_others else "over all classes"
        words += f", label smoothing {r.label_smoothing:g} {spread}"
    if r.cutmix:
        words += f", CutMix on {r.cutmix:.0%} of the batches"
    return words


_RECIPES: dict[str, Recipe] = {}


def register(recipe: Recipe) -> Recipe:
    """Add ``recipe`` to the registry (its name must be new) and return it."""
    if recipe.name in _RECIPES:
        raise ValueError(f"register: a recipe named {recipe.name!r} exists already")
    if isinstance(recipe.model, str):
        from isolearn.models import names as model_names

        if recipe.model not in model_names():
            raise ValueError(f"register: {recipe.name}: model={recipe.model!r} is no preset of "
                             "isolearn.models (see isolearn.models.presets())")
    _RECIPES[recipe.name] = recipe
    return recipe


def get(name: str | Recipe) -> Recipe:
    """The recipe called ``name`` (a Recipe passes through)."""
    if isinstance(name, Recipe):
        return name
    if name not in _RECIPES:
        close = difflib.get_close_matches(str(name), _RECIPES, n=3, cutoff=0.4)
        hint = f"did you mean {', '.join(close)}?" if close else "see isolearn.recipes.names()"
        raise ValueError(f"recipes: no recipe named {name!r}; {hint}")
    return _RECIPES[name]


def names() -> list[str]:
    """All registered recipes, in the order of the book."""
    return sorted(_RECIPES, key=lambda n: (_RECIPES[n].chapter, list(_RECIPES).index(n)))


def shortened(recipe: Recipe, epochs: int, name: str | None = None) -> Recipe:
    """A shorter run of ``recipe``: every schedule knot moves with the epochs (warm-up stays as
    long); the reference's number belongs to the full run, and the table says so."""
    return replace(recipe, name=name or f"{recipe.name}_short", epochs=epochs,
                   shortened_from=recipe.name,
                   title=f"{recipe.title}, shortened to {epochs} of its {recipe.epochs} epochs")


# --- measured and estimated cost ----------------------------------------------------------------

_COST: dict[str, tuple[int, int]] = {}  # recipe name -> (parameters, forward FLOPs per image)


def _cost(recipe: Recipe) -> tuple[int, int]:
    key = f"{recipe.name}{sorted(recipe.model_options.items())}"
    if key not in _COST:
        from isolearn.profile import count_flops, count_params

        try:
            with torch.device("meta"):  # shapes only: no memory, no arithmetic
                model = recipe.build_model()
            x = torch.zeros(1, *recipe.spec.shape, device="meta")
            _COST[key] = (count_params(model), count_flops(model, x))
        except RuntimeError:  # a model whose forward looks at values (isotropic tanh near 0)
            model = recipe.build_model()
            _COST[key] = (count_params(model), count_flops(model, torch.zeros(1, *recipe.spec.shape)))
    return _COST[key]


def params(recipe: Recipe) -> int:
    """Parameters of the recipe's model."""
    return _cost(recipe)[0]


def training_flops(recipe: Recipe, epochs: int | None = None) -> float:
    """FLOPs of the whole run: 3 x forward FLOPs (forward, and a backward that costs about
    twice as much) x training images x epochs. Augmentation and evaluation are left out."""
    return 3.0 * _cost(recipe)[1] * recipe.spec.train * (epochs or recipe.epochs)


def t4_estimate(recipe: Recipe, epochs: int | None = None) -> float:
    """Seconds the run would take on a Colab T4 at the ASSUMED :data:`T4_ASSUMED_TFLOPS`: an
    estimate, not a measurement."""
    return training_flops(recipe, epochs) / (T4_ASSUMED_TFLOPS[recipe.precision] * 1e12)


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"~{seconds:.0f} s"
    if seconds < 5400:
        return f"~{seconds / 60:.0f} min"
    return f"~{seconds / 3600:.1f} h"


def table(detail: bool = False) -> Table:
    """The registered recipes, one row each (``detail=True``: also augmentation, optimiser,
    schedule and where the recipe differs from its reference). The T4 column is an estimate."""
    rows = []
    for r in map(get, names()):
        result = r.reference_result or "no published number"
        if r.shortened_from:
            result = f"(shortened {r.shortened_from})"
        row = [r.name, r.chapter, r.model_label, params(r), r.data, r.epochs, r.batch_size, r.precision]
        if detail:
            row[5:5] = [", ".join(map(str, r.augment)) or "none", f"{r.optimizer}, {r.schedule}"]
            row += [r.reference, result, r.differences or "-"]
        else:
            row += [result]
        rows.append(row + [_minutes(t4_estimate(r))])
    columns = ["recipe", "ch.", "model", "params", "data", "epochs", "batch", "precision"]
    if detail:
        columns[5:5] = ["augmentation", "optimiser and lr"]
        columns += ["reference", "reference result", "differs from the reference"]
    else:
        columns += ["reference result"]
    return Table(columns + ["T4 time (estimate)"], rows)


# --- running a recipe: data on the device, batched augmentation, schedule, autocast -------------


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def device_name(device: torch.device) -> str:
    """``cuda (NVIDIA T4)``, ``cpu``: what ran."""
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)})"
    return device.type


class Precision:
    """The recipe's arithmetic on ``device``: the autocast context and how to take a step.

    ``fp16`` on CUDA is the references' mixed precision: autocast to float16, with a
    ``GradScaler`` that multiplies the loss so small gradients survive float16 and skips a step
    whose gradients overflowed. On a CPU, where float16 is slow, autocast uses bfloat16 (its
    exponent range is float32's, so no scaler is needed). Elsewhere (MPS) it runs in float32.
    """

    def __init__(self, name: str, device: torch.device):
        self.name, self.device = name, device
        self.dtype = None
        if name == "fp16" and device.type == "cuda":
            self.dtype = torch.float16
        elif name == "fp16" and device.type == "cpu":
            self.dtype = torch.bfloat16
        self.scaler = None
        if self.dtype is torch.float16:
            scaler = getattr(torch.amp, "GradScaler", None)  # torch >= 2.3; older: torch.cuda.amp
            self.scaler = scaler("cuda") if scaler else torch.cuda.amp.GradScaler()

    def autocast(self):
        if self.dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.dtype)

    def step(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        """Backward pass and optimiser step (through the gradient scaler for float16)."""
        if self.scaler is None:
            loss.backward()
            optimizer.step()
        else:
            self.scaler.scale(loss).backward()
            self.scaler.step(optimizer)
            self.scaler.update()

    def __str__(self) -> str:
        if self.dtype is None:
            return "fp32"
        return {torch.float16: "fp16 autocast + GradScaler", torch.bfloat16: "bf16 autocast"}[self.dtype]


def make_optimizer(recipe: Recipe, model: nn.Module) -> torch.optim.Optimizer:
    """The recipe's optimiser, at the schedule's first learning rate (it is set every step)."""
    lr, wd = recipe.schedule(0.0, recipe.epochs), recipe.weight_decay
    if recipe.optimizer == "sgd":
        return torch.optim.SGD(model.parameters(), lr=lr, momentum=recipe.momentum, weight_decay=wd)
    kind = torch.optim.Adam if recipe.optimizer == "adam" else torch.optim.AdamW
    return kind(model.parameters(), lr=lr, betas=recipe.betas, weight_decay=wd)


@dataclass
class Prepared:
    """A recipe's data, on the device and ready to batch: the test set normalised once; each
    training batch goes through :meth:`transform` (augmentation, then normalisation)."""

    recipe: Recipe
    x_train: torch.Tensor  # (n, c, h, w)
    y_train: torch.Tensor  # (n,)
    x_test: torch.Tensor
    y_test: torch.Tensor
    mean: torch.Tensor | None
    std: torch.Tensor | None
    fake: bool

    def batches(self, seed: int = 0) -> DeviceBatches:
        return DeviceBatches((self.x_train, self.y_train), self.recipe.batch_size,
                             shuffle=self.recipe.shuffle, seed=seed)

    def transform(self, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """One training batch, augmented on the device: (b, c, h, w) -> (b, c, h, w)."""
        for step in self.recipe.augment:
            x = step(x, generator)
        if self.mean is not None and not self.recipe.normalize_first:
            x = normalize(x, self.mean, self.std)
        return x


def prepare(recipe: Recipe, fake_data: bool = False, limit: int | None = None,
            device: torch.device | str | None = None, seed: int = 0) -> Prepared:
    """Load (or fake) the recipe's data, keep the first ``limit`` images of each split, and
    put it on ``device``. Fake data: uniform pixels in [0, 1] and uniform labels, the real
    shapes and counts; it measures speed, never accuracy."""
    from isolearn.runtime import device as best_device

    device = torch.device(device) if device is not None else best_device()
    spec = recipe.spec
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise ValueError(f"prepare: limit={limit!r} must be a positive int (images per split) or None")
    if fake_data:
        g = torch.Generator(device).manual_seed(seed)
        sizes = [min(n, limit or n) for n in (spec.train, spec.test)]
        x_train, x_test = (torch.rand(n, *spec.shape, generator=g, device=device) for n in sizes)
        y_train, y_test = (torch.randint(spec.classes, (n,), generator=g, device=device) for n in sizes)
    else:
        train, test = spec.load()
        (x_train, y_train), (x_test, y_test) = tensors(train), tensors(test)
        x_train, y_train, x_test, y_test = (t[:limit].to(device) for t in (x_train, y_train, x_test, y_test))
    mean = std = None
    if recipe.normalize == "pixel_mean":
        mean = x_train.mean(0)  # (c, h, w): the training set's mean image
    elif recipe.normalize is not None:
        mean, std = (torch.tensor(v, device=device).reshape(-1, 1, 1) for v in recipe.normalize)
    if mean is not None:
        x_test = normalize(x_test, mean, std)
        if recipe.normalize_first:
            x_train = normalize(x_train, mean, std)
    return Prepared(recipe, x_train, y_train, x_test, y_test, mean, std, fake_data)


def _loss(recipe: Recipe, out: torch.Tensor, y: torch.Tensor, classes: int) -> torch.Tensor:
    out = out.float()  # the loss in float32, also under autocast
    if recipe.label_smoothing and recipe.smoothing_to_others:  # 1 - ε on y, ε/(K-1) elsewhere
        eps = recipe.label_smoothing
        target = torch.full_like(out, eps / (classes - 1)).scatter_(1, y[:, None], 1 - eps)
        return F.cross_entropy(out, target)
    return F.cross_entropy(out, y, label_smoothing=recipe.label_smoothing)


@torch.no_grad()
def _reconstruction_error(model: nn.Module, x: torch.Tensor, batch_size: int) -> float:
    model.eval()
    total = sum(F.mse_loss(model(x[i: i + batch_size]).float(), x[i: i + batch_size],
                           reduction="sum").item() for i in range(0, len(x), batch_size))
    model.train()
    return total / x.numel()


@dataclass
class RecipeRun:
    """What a run did: the recipe, the per-epoch :class:`~isolearn.train.History`, where and
    how fast it ran, and the learning rate of every step (with the schedule time it was read at)."""

    recipe: Recipe
    model: nn.Module  # the trained network (on the device it ran on)
    history: History
    epochs: int
    device: str
    precision: str
    fake_data: bool
    train_images: int
    test_images: int
    epoch_seconds: list[float]  # training time of each epoch, evaluation excluded
    lrs: list[float]
    times: list[float]
    seconds: float = 0.0  # wall time of the whole run, evaluation included

    @property
    def images_per_second(self) -> float:
        return self.train_images * len(self.epoch_seconds) / max(sum(self.epoch_seconds), 1e-12)

    def summary(self) -> str:
        r, h = self.recipe, self.history
        length = f"{self.epochs} epochs"
        if self.epochs < r.epochs:
            length = f"{self.epochs} of the recipe's {r.epochs} epochs (its schedule compressed)"
        elif self.epochs > r.epochs:
            length += f" (the recipe has {r.epochs})"
        where = (f"on {self.device}, {self.precision}, in {_clock(self.seconds)} "
                 f"({_clock(sum(self.epoch_seconds) / max(len(self.epoch_seconds), 1))} per epoch of "
                 f"training, {self.images_per_second:,.0f} images/s)")
        if self.fake_data:
            return (f"{r.name} on FAKE data (random pixels and labels: no accuracy is measured): "
                    f"{length} of {self.train_images:,} images {where}")
        if r.objective == "reconstruct":
            result = f"test reconstruction error {h.test_loss[-1]:.4f}"
        else:
            result = f"test accuracy {h.test_acc[-1]:.1%}"
        full = get(r.shortened_from) if r.shortened_from else r
        ref = (f"; the reference ({full.reference}, {full.epochs} epochs) reports {full.reference_result}"
               if full.reference_result else "")
        return f"{r.name}: {result} after {length} {where}{ref}"

    __str__ = summary

    def plot(self, axes=None):
        """Loss and accuracy per epoch, with the reference's accuracy as a dotted line."""
        return plot([self], axes)


def _clock(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min" if seconds < 7200 else f"{seconds / 3600:.1f} h"


def train(prepared: Prepared, epochs: int | None = None, device: torch.device | str | None = None,
          seed: int = 0, progress: bool = True) -> RecipeRun:
    """Train ``prepared.recipe`` on its prepared data: the whole GPU path in one loop."""
    from tqdm.auto import tqdm

    from isolearn.runtime import seed as set_seed
    from isolearn.runtime import static

    r = prepared.recipe
    epochs = epochs or r.epochs
    device = prepared.x_train.device if device is None else torch.device(device)
    set_seed(seed)  # the initial weights
    model = r.build_model().to(device, memory_format=torch.channels_last if r.channels_last
                               else torch.preserve_format)
    optimizer, amp = make_optimizer(r, model), Precision(r.precision, device)
    batches, classes = prepared.batches(seed), r.spec.classes
    pixels = torch.Generator(device).manual_seed(seed)  # each image's augmentation draws
    host = torch.Generator().manual_seed(seed)  # each batch's draws (CutMix)
    test = TensorDataset(prepared.x_test, prepared.y_test)
    history, lrs, times, epoch_seconds = History(), [], [], []
    start, steps = time.perf_counter(), len(batches)
    bar = tqdm(total=epochs * steps, desc=r.name, unit="step", disable=not progress or static())
    for epoch in range(epochs):
        model.train()
        _sync(device)
        epoch_start = time.perf_counter()
        total_loss = torch.zeros((), device=device)
        correct = torch.zeros((), device=device, dtype=torch.long)
        for i, (x, y) in enumerate(batches):
            t = r.schedule.time(epoch * steps + i, steps)
            lr = r.schedule(t, epochs)
            for group in optimizer.param_groups:
                group["lr"] = lr
            x = prepared.transform(x, pixels)  # (b, c, h, w), augmented on the device
            if r.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            mix = r.cutmix > 0 and torch.rand((), generator=host).item() < r.cutmix
            x, y_other, keep = cutmix(x, y, host) if mix else (x, y, 1.0)
            with amp.autocast():
                out = model(x)  # (b, classes), or an image for "reconstruct"
                if r.objective == "reconstruct":
                    loss = F.mse_loss(out.float(), x.float())
                else:
                    loss = _loss(r, out, y, classes)
                    if mix:  # the pasted box belongs to the other image's label
                        loss = keep * loss + (1 - keep) * _loss(r, out, y_other, classes)
            optimizer.zero_grad(set_to_none=True)
            amp.step(loss, optimizer)
            total_loss += loss.detach() * len(y)
            if r.objective == "classify":
                correct += (out.argmax(1) == y).sum()
            lrs.append(optimizer.param_groups[0]["lr"])  # the rate this step used
            times.append(t)
            bar.update()
        _sync(device)
        epoch_seconds.append(time.perf_counter() - epoch_start)
        n = len(prepared.y_train)
        history.train_loss.append(total_loss.item() / n)
        history.train_acc.append(correct.item() / n if r.objective == "classify" else math.nan)
        if (epoch + 1) % r.eval_every == 0 or epoch + 1 == epochs:
            with amp.autocast():
                if r.objective == "classify":
                    test_loss, test_acc = evaluate(model, test, device, r.eval_batch_size)
                else:
                    test_loss = _reconstruction_error(model, prepared.x_test, r.eval_batch_size)
                    test_acc = math.nan
        else:
            test_loss = test_acc = math.nan
        history.test_loss.append(test_loss)
        history.test_acc.append(test_acc)
        history.seconds.append(time.perf_counter() - start)
        shown = {"epoch": f"{epoch + 1}/{epochs}", "loss": f"{history.train_loss[-1]:.3f}"}
        if not prepared.fake and r.objective == "classify" and not math.isnan(test_acc):
            shown["test_acc"] = f"{test_acc:.3f}"
        bar.set_postfix(shown)
    bar.close()
    return RecipeRun(r, model, history, epochs, device_name(device), str(amp), prepared.fake,
                     len(prepared.y_train), len(prepared.y_test), epoch_seconds, lrs, times,
                     time.perf_counter() - start)


def run(recipe: str | Recipe, epochs: int | None = None, fake_data: bool = False,
        limit: int | None = None, device: torch.device | str | None = None, seed: int = 0,
        progress: bool = True) -> RecipeRun:
    """Train recipe ``recipe`` (a name or a :class:`Recipe`) and return a :class:`RecipeRun`.

    ``epochs`` overrides the recipe's (the schedule stretches or shrinks with it); ``fake_data``
    trains on random tensors of the real shapes (no download; timing only); ``limit`` keeps
    the first ``limit`` images of each split. ``progress``: a bar during training and the
    one-line summary at the end (in the book and the tests: the summary only).
    """
    r = get(recipe)
    if epochs is not None and (not isinstance(epochs, int) or epochs < 1):
        raise ValueError(f"run: epochs={epochs!r} must be a positive int, or None for the "
                         f"recipe's {r.epochs}")
    result = train(prepare(r, fake_data, limit, device, seed), epochs, seed=seed, progress=progress)
    if progress:
        print(result.summary())
    return result


def plot(runs: Sequence[RecipeRun], axes=None):
    """Loss (left) and accuracy (right) per epoch of one or more runs, train dashed and test
    solid, each reference's accuracy dotted; the title says what ran, where and how long."""
    import matplotlib.pyplot as plt

    if axes is None:
        _, axes = plt.subplots(1, 2, figsize=(10, 3.4), layout="constrained")
    for k, result in enumerate(runs):
        h, r, color = result.history, result.recipe, f"C{k}"
        epochs = np.arange(1, h.epochs + 1)
        label = r.name if len(runs) > 1 else ""
        for ax, train_values, test_values in ((axes[0], h.train_loss, h.test_loss),
                                              (axes[1], h.train_acc, h.test_acc)):
            ax.plot(epochs, train_values, "--", color=color, label=f"{label} train".strip())
            test_values = np.array(test_values, dtype=float)
            shown = ~np.isnan(test_values)
            ax.plot(epochs[shown], test_values[shown], "-o", ms=3, color=color, label=f"{label} test".strip())
        full = get(r.shortened_from) if r.shortened_from else r
        if full.reference_accuracy is not None and not result.fake_data:
            axes[1].axhline(full.reference_accuracy, ls=":", color=color,
                            label=f"reference {full.reference_accuracy:.2%} ({full.epochs} epochs)")
    axes[0].set(xlabel="epoch", ylabel="loss")
    axes[1].set(xlabel="epoch", ylabel="accuracy")
    for ax in axes:
        ax.grid(alpha=0.3)
        ax.legend(frameon=False, fontsize="small")
    first = runs[0]
    what = first.recipe.name if len(runs) == 1 else f"{len(runs)} recipes"
    fake = "FAKE DATA, timing only: " if first.fake_data else ""
    total = sum(result.seconds for result in runs)
    axes[0].figure.suptitle(f"{fake}{what}, {first.epochs} epochs on {first.device} "
                            f"({first.precision}), {_clock(total)}", fontsize="medium")
    return axes


def runs_table(runs: Sequence[RecipeRun]) -> Table:
    """One row per run: parameters, epochs, test accuracy (blank for fake data), training time
    and speed, the device."""
    rows = [[x.recipe.name, params(x.recipe), x.epochs,
             "fake data" if x.fake_data else round(x.history.test_acc[-1], 4),
             round(sum(x.epoch_seconds) / 60, 2), round(x.images_per_second), x.device] for x in runs]
    return Table(["recipe", "params", "epochs", "test acc", "train min", "train img/s", "device"], rows)


# --- the registry: every GPU run of the book ---------------------------------------------------
#
# Chapters 8-10 add theirs here: one register(Recipe(...)) each (see the fields above).


def race_contender(family: str = "ResNet") -> nn.Module:
    """One of chapter 6's four CIFAR-10 contenders, ``isolearn.compare.contenders("cifar")``."""
    from isolearn.compare import contenders

    builders = contenders("cifar")
    if family not in builders:
        raise ValueError(f"race_contender: family={family!r} must be one of {', '.join(builders)}")
    return builders[family]()


def bottleneck_mlp(act: str = "iso_tanh", width: int = 256, pixels: int = 784,
                   classes: int = 10) -> nn.Module:
    """Chapter 7's bottleneck network: flattened pixels -> ``width`` -> 2 -> ``classes``, the
    activation ``act`` after both hidden layers (:func:`isolearn.planar.mlp`)."""
    from isolearn import planar

    return nn.Sequential(nn.Flatten(), *planar.mlp(act, pixels, hidden=(width, 2), classes=classes))


F2, F3, F4, F5 = Fraction(1, 2), Fraction(3, 4), Fraction(2, 5), Fraction(4, 5)

register(Recipe(
    name="resnet20_cifar10", chapter=2, title="ResNet-20 on CIFAR-10, as He et al. trained it",
    data="cifar10", model="resnet20", model_label="ResNet-20 (option A)", epochs=164,
    batch_size=128, optimizer="sgd", momentum=0.9, weight_decay=1e-4,
    schedule=StepDecay(0.1, (F2, F3), 0.1), augment=(Crop(4), Flip()), normalize="pixel_mean",
    normalize_first=True, channels_last=True,
    reference="He et al. 2016, sec. 4.2", cite="he2016resnet",
    reference_result="91.25 % (8.75 % error, Table 6)", reference_accuracy=0.9125,
    differences=("trains on all 50,000 images (the paper fixed 64k iterations on a 45k/5k split); "
                 "164 epochs are 64,124 iterations, the /10 steps at half and three quarters of them; "
                 "the crop pads with zeros after the mean is subtracted (the paper does not say)")))
register(shortened(get("resnet20_cifar10"), 41))

register(Recipe(
    name="vit_cifar10", chapter=3, title="a 7-block ViT on CIFAR-10 (patch 4), omihub777/ViT-CIFAR's recipe",
    data="cifar10", model="vit_tiny_patch16_224",
    model_label="ViT, 7 blocks, d=384, 12 heads, MLP 384, patch 4",
    model_options=dict(img_size=32, patch_size=4, num_classes=10, embed_dim=384, depth=7, num_heads=12,
                       mlp_ratio=1.0),
    epochs=200, batch_size=128, optimizer="adam", betas=(0.9, 0.999), weight_decay=5e-5,
    schedule=WarmupCosine(1e-3, warmup=5, min_lr=1e-5), augment=(Crop(4), Flip(), AutoAugment()),
    normalize=(CIFAR10_MEAN, (0.2470, 0.2435, 0.2616)), label_smoothing=0.1,
    smoothing_to_others=True, precision="fp16", eval_batch_size=1024,
    reference=("omihub777/ViT-CIFAR, README and main.py (python main.py --dataset c10 "
               "--label-smoothing --autoaugment)"),
    cite="omihub777_vit_cifar", reference_result="90.92 % (README, 6.3 M parameters)",
    reference_accuracy=0.9092, reference_time="2:14:22 on a V100, mixed precision",
    differences=("our ViT block: attention scaled by sqrt(32) (the head width; theirs sqrt(384)), no GELU "
                 "after the MLP's second layer (theirs has one), truncated-normal initialisation; "
                 "AutoAugment batched in torch (isolearn.augment)")))
register(shortened(get("vit_cifar10"), 50))

register(Recipe(
    name="mixer_cifar10", chapter=4,
    title="Mixer-nano on CIFAR-10 (patch 4), omihub777/MLP-Mixer-CIFAR's recipe",
    data="cifar10", model="mixer_s16_224", model_label="Mixer, 8 blocks, C=128, D_S=64, D_C=512, patch 4",
    model_options=dict(img_size=32, patch_size=4, num_classes=10, hidden_dim=128, depth=8,
                       tokens_mlp_dim=64, channels_mlp_dim=512),
    epochs=300, batch_size=128, optimizer="adam", betas=(0.9, 0.99), weight_decay=5e-5,
    schedule=WarmupCosine(1e-3, warmup=5, min_lr=1e-6), augment=(Crop(4), Crop(4), AutoAugment()),
    normalize=(CIFAR10_MEAN, (0.2470, 0.2435, 0.2616)), label_smoothing=0.1, cutmix=0.5,
    precision="fp16", eval_batch_size=1024,
    reference=("omihub777/MLP-Mixer-CIFAR, README and main.py (python main.py --dataset c10 "
               "--model mlp_mixer --autoaugment --cutmix-prob 0.5)"),
    cite="omihub777_mixer_cifar", reference_result="90.83 % (README)", reference_accuracy=0.9083,
    reference_time="3:34.31 on a P100 (117.3k steps)",
    differences=("the widths of main.py's defaults and the README's table (D_S=64, D_C=512) make 1.13 M "
                 "parameters, not the README's 0.67 M (which D_S=512, D_C=64 would give); the reference "
                 "crops twice and never flips (its dataloader.py appends RandomCrop where a flip was "
                 "meant): we do the same; zero-initialised head (theirs: PyTorch's default)")))
register(shortened(get("mixer_cifar10"), 50))

register(Recipe(
    name="convmixer_256_8_cifar10", chapter=5,
    title="ConvMixer-256/8 (k=5, p=2) on CIFAR-10, the reference script's 92.5 % settings",
    data="cifar10", model="convmixer_256_8", model_label="ConvMixer-256/8, k=5, p=2", epochs=25,
    batch_size=512, optimizer="adamw", weight_decay=0.005,
    schedule=Piecewise(((Fraction(0), 0.0), (F4, 0.05), (F5, 0.05 / 20), (Fraction(1), 0.0))),
    augment=(Flip(), RandAugment(n=2, m=12)), normalize=(CIFAR10_MEAN, (0.2471, 0.2435, 0.2616)),
    precision="fp16", channels_last=True, eval_batch_size=512,
    reference=("locuslab/convmixer-cifar10, README and train.py (python train.py --lr-max=0.05 "
               "--ra-n=2 --ra-m=12 --wd=0.005 --scale=1.0 --jitter=0 --reprob=0)"),
    cite="trockman2022convmixercifar", reference_result="92.5 % (README; its log: 92.60 %)",
    reference_accuracy=0.926, reference_time="42.6 s per epoch on a 2080 Ti",
    differences=("RandAugment written in torch and batched on the device (isolearn.augment lists what "
                 "differs from torchvision's); RandomResizedCrop(scale=1), ColorJitter(0) and "
                 "RandomErasing(p=0) are identities and left out")))

for _family in ("ResNet", "ViT", "Mixer", "ConvMixer"):
    register(Recipe(
        name=f"race_cifar10_{_family.lower()}", chapter=6,
        title=f"chapter 6's CIFAR-10 race: the {_family} contender, one recipe for all four",
        data="cifar10", model=race_contender, model_options={"family": _family},
        model_label=f"chapter 6's {_family} (compare.contenders)", epochs=15, batch_size=128,
        optimizer="adamw", weight_decay=0.05, schedule=Cosine(3e-3), augment=(Crop(4), Flip()),
        channels_last=_family in ("ResNet", "ConvMixer"),
        reference="this book, chapter 6 (the same recipe for every family)",
        differences="crop and flip batched on the device (the chapter's CPU path: CropFlip, per image)"))

register(Recipe(
    name="bottleneck_mnist", chapter=7,
    title="chapter 7's 2-D bottleneck on MNIST: full-batch Adam, one network per activation",
    data="mnist", model=bottleneck_mlp, model_options={"act": "iso_tanh", "width": 256},
    model_label="MLP 784-256-2-10 (act: iso_tanh; with_options(act=...) for another)",
    epochs=1500, batch_size=60_000, shuffle=False, optimizer="adam", schedule=Constant(0.03),
    eval_every=100, eval_batch_size=10_000,
    reference="this book, chapter 7's GPU path (DIGIT_STEPS=1500, WIDTH=256, lr 0.03)",
    differences="one network per run (the chapter trains five seeds of each activation side by side)"))


def autoencoder_mlp(act: str = "iso_tanh", width: int = 256, bottleneck: int = 16,
                    pixels: int = 784) -> nn.Module:
    """Chapter 8's autoencoder: flattened pixels -> ``width`` -> ``bottleneck`` -> ``width`` ->
    pixels, the activation ``act`` after all three hidden layers (:func:`isolearn.planar.mlp`),
    reshaped back to a square image. Orthogonal weights and zero biases, the rotation-invariant
    start under which gradient descent gives an isotropic layer no privileged basis."""
    from isolearn import planar

    side = math.isqrt(pixels)
    if side * side != pixels:
        raise ValueError(f"autoencoder_mlp: pixels={pixels!r} must be a square number, e.g. 784")
    net = planar.mlp(act, pixels, hidden=(width, bottleneck, width), classes=pixels)
    for linear in net[::2]:
        nn.init.orthogonal_(linear.weight)
        nn.init.zeros_(linear.bias)
    return nn.Sequential(nn.Flatten(), *net, nn.Unflatten(1, (1, side, side)))


register(Recipe(
    name="autoencoder_mnist", chapter=8,
    title="chapter 8's quantisation ablation on MNIST: a 16-unit bottleneck, full-batch descent",
    data="mnist", model=autoencoder_mlp, model_options={"act": "iso_tanh"},
    model_label="MLP autoencoder 784-256-16-256-784 (act: iso_tanh; with_options(act=...))",
    epochs=2000, batch_size=60_000, shuffle=False, optimizer="sgd", momentum=0.0,
    schedule=Constant(0.5), objective="reconstruct", eval_every=500, eval_batch_size=10_000,
    reference=("this book, chapter 8's digits autoencoders at the bottleneck width of Bird's "
               "MNIST pictures (16)"), cite="bird2025emergence",
    differences=("plain gradient descent from an orthogonal start, the standard basis; Bird's "
                 "optimiser, epochs and Thompson-frame bases are not reproduced")))


def isotropic_perceptron(widths: Sequence[int] = (3072, 100, 100, 10)) -> nn.Module:
    """Chapter 9's Bird perceptron on flattened images: ``Flatten`` and an
    :class:`isolearn.neurons.IsotropicMLP` (trainable o and ψ, orthogonal start)."""
    from isolearn.neurons import IsotropicMLP

    return nn.Sequential(nn.Flatten(), IsotropicMLP(list(widths)))


register(Recipe(
    name="bird_mlp_cifar10", chapter=9,
    title="Bird's isotropic-tanh perceptron 3072-100-100-10 on CIFAR-10, as his Experiment 1 trains it",
    data="cifar10", model=isotropic_perceptron, model_label="Bird's perceptron 3072-100-100-10 (o, ψ trainable)",
    epochs=50, batch_size=48, optimizer="adamw", weight_decay=1e-3, schedule=Constant(1e-3),
    normalize="pixel_mean",
    reference=("GeorgeBird1/Isotropic-Adaptive-MLPs, [Experiment 1] Neuroadaptive Invariance (CIFAR10).ipynb "
               "(LEARNING_RATE 1e-3, BATCH_SIZE 48, ADAMW_WEIGHT_DECAY 1e-3, TOTAL_EPOCHS 50)"),
    cite="bird_adaptive_mlps",
    differences=("one of Bird's seven (o, ψ) settings: both trainable, no ψ decay; the mean image is "
                 "subtracted, but pixels are not divided by their standard deviation as Bird does; our "
                 "isotropic tanh uses a Taylor series near 0 instead of his identity inside |z| <= 1e-3")))


# Chapter 10: the shapes of chapter 6's CIFAR-10 contenders (isolearn.compare), with the options.
ISOTROPY_SHAPES = {
    "ViT": ("vit_digits", dict(img_size=32, patch_size=4, embed_dim=128, depth=4, num_heads=4,
                               mlp_ratio=2.0)),
    "Mixer": ("mixer_digits", dict(img_size=32, patch_size=2, hidden_dim=128, depth=4,
                                   tokens_mlp_dim=128, channels_mlp_dim=256)),
    "ConvMixer": ("convmixer_256_8", dict()),
}
# chapter 10's three variants: the paper's, isotropic tanh at the scale √D, and with RMSNorm too
ISOTROPY_VARIANTS = {"GELU": dict(activation="gelu"),
                     "iso tanh": dict(activation="iso_tanh_scaled"),
                     "iso tanh + RMS": dict(activation="iso_tanh_scaled", norm="rms")}


def isotropy_contender(family: str = "Mixer", activation: str = "gelu", norm: str | None = None) -> nn.Module:
    """Chapter 10's CIFAR-10 model: chapter 6's ``family`` contender ("ViT", "Mixer",
    "ConvMixer") with ``activation`` and ``norm`` (None: the paper's normaliser)."""
    from isolearn.models import create

    if family not in ISOTROPY_SHAPES:
        raise ValueError(f"isotropy_contender: family={family!r} must be one of "
                         f"{', '.join(map(repr, ISOTROPY_SHAPES))}")
    preset, shape = ISOTROPY_SHAPES[family]
    options = dict(shape, in_chans=3, num_classes=10, activation=activation)
    return create(preset, **options, **({} if norm is None else {"norm": norm}))


register(Recipe(
    name="isotropy_cifar10", chapter=10,
    title="chapter 10 on CIFAR-10: ViT, Mixer, ConvMixer with GELU or isotropic tanh, LayerNorm or RMSNorm",
    data="cifar10", model=isotropy_contender, model_options={"family": "Mixer", "activation": "gelu"},
    model_label="chapter 6's contender (family, activation, norm: with_options(...))", epochs=15,
    batch_size=128, optimizer="adamw", weight_decay=0.05, schedule=Cosine(3e-3),
    augment=(Crop(4), Flip()), normalize=(CIFAR10_MEAN, (0.2470, 0.2435, 0.2616)),
    reference="this book, chapter 6's race recipe (no published baseline for these variants)",
    differences=("fp32: the isotropic gain sums squares over a whole layer, which fp16 can overflow; "
                 "the same recipe for every variant, tuned for none")))


def isotropy_comparison(epochs: int | None = None, seeds: Sequence[int] = (0,), fake_data: bool = False,
                        limit: int | None = None, device: torch.device | str | None = None) -> Table:
    """Chapter 10's GPU path: recipe ``isotropy_cifar10`` for every family and variant
    (:data:`ISOTROPY_VARIANTS`) and seed; one row each with the test accuracy (blank for fake
    data) and the training minutes."""
    base, rows = get("isotropy_cifar10"), []
    for family in ISOTROPY_SHAPES:
        for variant, options in ISOTROPY_VARIANTS.items():
            r = base.with_options(family=family, **options)
            for seed in seeds:
                x = train(prepare(r, fake_data, limit, device, seed), epochs, seed=seed, progress=False)
                acc = None if x.fake_data else round(x.history.test_acc[-1], 4)
                rows.append([family, variant, seed, acc, round(sum(x.epoch_seconds) / 60, 2)])
    return Table(["family", "variant", "seed", "test acc", "train min"], rows,
                 title=f"isotropy_cifar10, {epochs or base.epochs} epochs")


# --- command line -------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m isolearn.recipes",
        description="The book's GPU runs. --list prints them; NAME runs one.")
    parser.add_argument("name", nargs="?", help="the recipe to run (see --list)")
    parser.add_argument("--list", action="store_true", help="print the table of recipes")
    parser.add_argument("--detail", action="store_true", help="with --list: every setting")
    parser.add_argument("--markdown", action="store_true", help="with --list: as a markdown table")
    parser.add_argument("--epochs", type=int, help="train this many epochs (the schedule follows)")
    parser.add_argument("--fake-data", action="store_true",
                        help="random tensors of the real shapes: no download, timing only")
    parser.add_argument("--limit", type=int, help="keep the first N images of each split")
    parser.add_argument("--device", help="cpu, cuda, cuda:1, ... (default: the fastest present)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.list:
        t = table(detail=args.detail)
        print(t.markdown() if args.markdown else t)
        print(f"\nT4 times are ESTIMATES: training FLOPs at an assumed {T4_ASSUMED_TFLOPS['fp32']:g} "
              f"TFLOP/s (fp32) or {T4_ASSUMED_TFLOPS['fp16']:g} TFLOP/s (fp16); nothing was timed on a T4.")
        return 0
    if args.name is None:
        parser.error("name a recipe to run, or --list to see them")
    for key in ("epochs", "limit"):
        if getattr(args, key) is not None and getattr(args, key) < 1:
            parser.error(f"--{key} must be a positive integer, got {getattr(args, key)}")
    try:
        recipe = get(args.name)
        print(recipe.describe(), file=sys.stderr)
        run(recipe, args.epochs, args.fake_data, args.limit, args.device, args.seed, progress=True)
    except (ValueError, DownloadError) as error:  # a bad name or value, no network: say so, no trace
        parser.exit(2, f"{parser.prog}: error: {error}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
