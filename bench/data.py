"""How much of an epoch does the data pipeline cost? ``python -m bench.data`` prints a table.

Two ways to feed a model, on two data sets:

- **per image**: a ``DataLoader`` (``isolearn.data.loader``) reads every image on its own in
  Python, through ``CropFlip`` when augmenting (a fresh crop and flip per image), and stacks
  them into a batch; on a GPU each batch is then copied to the device;
- **on the device**: ``isolearn.data.DeviceBatches`` keeps the whole set as one tensor where the
  model runs; a batch is an index slice, augmented by ``isolearn.augment`` in a few batched
  operations (the GPU path of ``isolearn.recipes``).

Data sets: scikit-learn's 1,347 training digits (8x8, batch 64, the chapters' CPU path) and a
CIFAR-shaped fake set (50,000 random 3x32x32 images, batch 512, ConvMixer-256/8's recipe).
For the CIFAR rows the last column puts the pipeline next to a ConvMixer-256/8 training epoch
timed on the same device (fp16 autocast on CUDA, bfloat16 on the CPU), the issue's target
being under 5 % of a GPU epoch. Slow rows are timed on ``--batches`` batches and scaled to a
whole epoch (the ``timed`` column says how many). ``--device cuda`` when a GPU is at hand.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
from datetime import date

import torch
from torch.utils.data import TensorDataset

import isolearn
from isolearn.augment import RandAugment, flip, random_crop
from isolearn.data import CropFlip, DeviceBatches, digits, loader
from isolearn.table import Table

COLUMNS = ["data", "pipeline", "images", "batch", "timed", "ms per epoch", "images/s",
           "share of a ConvMixer epoch"]


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def epoch_ms(make_batches, device: torch.device, total_batches: int, batches: int | None,
             repeats: int = 3) -> tuple[float, int]:
    """Milliseconds of one epoch of ``make_batches()`` (an iterable of ready (x, y) on
    ``device``), the best of ``repeats``; timed on the first ``batches`` batches and scaled
    to ``total_batches`` if given. Returns (ms, batches timed)."""
    best, timed = math.inf, 0
    for _ in range(repeats):
        _sync(device)
        start = time.perf_counter()
        timed = 0
        for x, y in make_batches():
            x.sum()  # touch the batch, as a model would
            timed += 1
            if batches and timed >= batches:
                break
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 1000 * best * total_batches / timed, timed


def pipelines(x: torch.Tensor, y: torch.Tensor, batch: int, device: torch.device, padding: int,
              mirror: bool, randaugment: bool):
    """The pipelines to compare, as (name, make_batches) with batches ready on ``device``."""
    data = TensorDataset(x, y)
    g = torch.Generator(device).manual_seed(0)
    on_device = DeviceBatches(data, batch, shuffle=True, seed=0, device=device)

    def per_image(dataset):
        return lambda: ((xb.to(device), yb.to(device)) for xb, yb in loader(dataset, batch, True, 0))

    def augmented(steps):
        def make():
            for xb, yb in on_device:
                for step in steps:
                    xb = step(xb)
                yield xb, yb
        return make

    crop = lambda xb: random_crop(xb, padding, g)  # noqa: E731
    crop_flip = [crop, lambda xb: flip(xb, 0.5, g)] if mirror else [crop]
    what = "crop + flip" if mirror else "crop"
    rows = [("DataLoader, no augmentation", per_image(data)),
            ("DeviceBatches, no augmentation", lambda: iter(on_device)),
            (f"CropFlip ({what}, per image) + DataLoader", per_image(CropFlip(data, padding, mirror))),
            (f"DeviceBatches + batched {what}", augmented(crop_flip))]
    if randaugment:
        ra = RandAugment(2, 12)
        rows.append(("DeviceBatches + batched flip + RandAugment(2, 12)",
                     augmented([lambda xb: flip(xb, 0.5, g), lambda xb: ra(xb, g)])))
    return rows


def convmixer_epoch_ms(device: torch.device, batch: int, images: int, steps: int) -> float:
    """Milliseconds of a ConvMixer-256/8 training epoch on ``images`` images, from ``steps``
    timed steps (after one warm-up step) in the recipe's precision."""
    from isolearn.models import create
    from isolearn.recipes import Precision

    model = create("convmixer_256_8").to(device, memory_format=torch.channels_last)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
    amp = Precision("fp16", device)
    x = torch.rand(batch, 3, 32, 32, device=device).contiguous(memory_format=torch.channels_last)
    y = torch.randint(10, (batch,), device=device)
    times = []
    for i in range(steps + 1):
        _sync(device)
        start = time.perf_counter()
        with amp.autocast():
            loss = torch.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad(set_to_none=True)
        amp.step(loss, opt)
        _sync(device)
        if i:
            times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times) * math.ceil(images / batch)


def measure(device: torch.device | str = "cpu", cifar_images: int = 50_000, batches: int = 20,
            steps: int = 2, repeats: int = 3, batch: int = 512) -> Table:
    """The table: every pipeline on the digits and on the CIFAR-shaped fake set."""
    device = torch.device(device)
    rows = []
    train, _ = digits()
    x, y = train.tensors
    for name, make in pipelines(x, y, 64, device, padding=2, mirror=False, randaugment=False):
        ms, timed = epoch_ms(make, device, math.ceil(len(y) / 64), None, repeats)
        rows.append(["digits 8x8", name, len(y), 64, f"{timed} (all)", ms, len(y) / ms * 1000, "n/a"])
    g = torch.Generator().manual_seed(0)
    x = torch.rand(cifar_images, 3, 32, 32, generator=g)
    y = torch.randint(10, (cifar_images,), generator=g)
    total = math.ceil(cifar_images / batch)
    model_ms = convmixer_epoch_ms(device, batch, cifar_images, steps)
    for name, make in pipelines(x, y, batch, device, padding=4, mirror=True, randaugment=True):
        ms, timed = epoch_ms(make, device, total, batches, repeats)
        share = ms / (ms + model_ms)
        rows.append(["CIFAR-shaped, fake", name, cifar_images, batch,
                     f"{timed} of {total}" if timed < total else f"{timed} (all)", ms,
                     cifar_images / ms * 1000, f"{100 * share:.2g} %"])
    rows.append(["CIFAR-shaped, fake", "ConvMixer-256/8 training, fp16 recipe (for the share)",
                 cifar_images, batch, f"{steps} steps", model_ms, cifar_images / model_ms * 1000, "n/a"])
    return Table(COLUMNS, rows)


def header(device: torch.device | str) -> str:
    device = torch.device(device)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else (platform.processor() or "cpu")
    return (f"device: {device.type} ({name}), {torch.get_num_threads()} threads, torch {torch.__version__}, "
            f"isolearn {isolearn.__version__}, {date.today().isoformat()}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.data", description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--images", type=int, default=50_000, help="size of the CIFAR-shaped set")
    parser.add_argument("--batches", type=int, default=20, help="batches timed per slow pipeline")
    parser.add_argument("--steps", type=int, default=2, help="ConvMixer training steps timed")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    for key in ("images", "batches", "steps", "repeats"):
        if getattr(args, key) < 1:
            parser.error(f"--{key} must be a positive integer")
    table = measure(args.device, args.images, args.batches, args.steps, args.repeats)
    print(header(args.device))
    print(table.markdown() if args.markdown else table)


if __name__ == "__main__":
    main()
