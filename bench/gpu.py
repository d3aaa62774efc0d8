"""Every recipe of ``isolearn.recipes`` on fake data of its real shapes, for one or two epochs:
``python -m bench.gpu`` prints a table of per-epoch time, images/s and the data share.

Made for a GPU, where no data set can be downloaded: fake data (random pixels and labels, the
real shapes and counts) costs what real data costs, so the *timings* are real; the accuracies
are not, and the table has none. Epoch 1 includes the warm-up (cuDNN picking its kernels,
memory being allocated); the last is the steady state, and ``full run`` scales it to the
recipe's epochs (training only, evaluation excluded). ``data s/epoch`` is one epoch of the
data path alone (slicing, augmentation, normalisation, channels-last copy), timed
separately, and ``data share %`` its fraction of the training epoch. Options: ``--recipes``,
``--epochs``, ``--limit`` (images per split, for a quick run), ``--device``, ``--markdown``.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

import torch

from isolearn import recipes

COLUMNS = ["recipe", "images", "batch", "precision", "first epoch s", "last epoch s", "train img/s",
           "data s/epoch", "data share %", "full run (from the last epoch)", "T4 estimate", "reference time"]


def data_epoch_seconds(prepared: recipes.Prepared, seed: int = 0) -> float:
    """Seconds of one epoch of the data path alone: batches, augmentation, normalisation and
    the channels-last copy, synchronised, as the training loop does them."""
    device = prepared.x_train.device
    g = torch.Generator(device).manual_seed(seed)
    recipes._sync(device)
    start = time.perf_counter()
    for x, _ in prepared.batches(seed):
        x = prepared.transform(x, g)
        if prepared.recipe.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
    recipes._sync(device)
    return time.perf_counter() - start


def measure(names: list[str] | None = None, epochs: int = 2, limit: int | None = None,
            device: torch.device | str | None = None) -> recipes.Table:
    """Run each recipe for ``epochs`` epochs on fake data and time it (see the module doc)."""
    rows = []
    for name in names or recipes.names():
        r = recipes.get(name)
        prepared = recipes.prepare(r, fake_data=True, limit=limit, device=device)
        result = recipes.train(prepared, epochs=epochs, progress=False)
        data_s = data_epoch_seconds(prepared)
        last = result.epoch_seconds[-1]
        rows.append([name, result.train_images, r.batch_size, result.precision,
                     round(result.epoch_seconds[0], 3), round(last, 3),
                     round(result.train_images / last), round(data_s, 3), float(f"{100 * data_s / last:.2g}"),
                     recipes._clock(last * r.epochs * (r.spec.train / result.train_images)),
                     recipes._minutes(recipes.t4_estimate(r)), r.reference_time or "-"])
        del prepared, result
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    return recipes.Table(COLUMNS, rows)


def header(device: torch.device | str | None = None) -> str:
    from isolearn.runtime import device as best_device

    device = torch.device(device) if device is not None else best_device()
    return (f"device: {recipes.device_name(device)}; torch {torch.__version__}; {date.today().isoformat()}; "
            "fake data (random pixels and labels): timings only, no accuracy")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.gpu", description=__doc__.splitlines()[0])
    parser.add_argument("--recipes", nargs="*", help="which (default: all)")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--limit", type=int, help="images per split (default: the full sizes)")
    parser.add_argument("--device")
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    if args.epochs < 1 or (args.limit is not None and args.limit < 1):
        parser.error("--epochs and --limit must be positive integers")
    for name in args.recipes or []:
        try:
            recipes.get(name)
        except ValueError as error:
            parser.error(str(error))
    table = measure(args.recipes, args.epochs, args.limit, args.device)
    print(header(args.device))
    print(table.markdown() if args.markdown else table)


if __name__ == "__main__":
    main()
