"""Data that runs offline: scikit-learn's bundled 8x8 digits and 2-D toy sets.

Everything here is generated or ships inside an installed package, so notebooks run with no
network. Tensors follow the course's shape notation: images ``(n, c, h, w)``, points ``(n, 2)``.
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, TensorDataset

TOY2D_KINDS = ("moons", "circles", "spirals", "blobs")


def digits(
    size: int = 8, test_fraction: float = 0.25, seed: int = 0
) -> tuple[TensorDataset, TensorDataset]:
    """scikit-learn's 1797 handwritten digits as ``(train, test)`` TensorDatasets.

    Images are float32 ``(n, 1, size, size)`` in [0, 1] (the raw pixels are integers 0..16),
    labels int64 ``(n,)`` in 0..9. The split is stratified by class and fixed by ``seed``, so every
    chapter sees the same test set. ``size`` > 8 upsamples bilinearly (e.g. 16 or 32, so that
    patch sizes and deep pyramids fit); values stay in [0, 1].
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not isinstance(size, int) or size < 1:
        raise ValueError(f"digits: size={size!r} must be a positive int such as 8, 16 or 32")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"digits: test_fraction={test_fraction!r} must lie strictly between 0 and 1")
    bunch = load_digits()
    x = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1) / 16.0  # (n, 1, 8, 8)
    y = torch.tensor(bunch.target, dtype=torch.int64)  # (n,)
    if size != 8:
        x = F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False).clamp(0, 1)
    idx_train, idx_test = train_test_split(
        np.arange(len(y)), test_size=test_fraction, random_state=seed, stratify=bunch.target
    )
    idx_train, idx_test = torch.as_tensor(idx_train), torch.as_tensor(idx_test)
    return TensorDataset(x[idx_train], y[idx_train]), TensorDataset(x[idx_test], y[idx_test])


def toy2d(
    kind: str = "moons", n: int = 512, classes: int = 2, noise: float = 0.1, seed: int = 0
) -> TensorDataset:
    """A 2-D classification toy set: points ``(n, 2)`` float32 and labels ``(n,)`` int64.

    ``kind`` is one of ``moons`` and ``circles`` (two classes only), ``spirals`` (``classes`` arms
    winding around the origin) and ``blobs`` (``classes`` Gaussian clusters). ``noise`` is the
    standard deviation of the Gaussian jitter, in the units of the data (which spans about [-1, 1]).
    """
    from sklearn.datasets import make_blobs, make_circles, make_moons

    if kind not in TOY2D_KINDS:
        raise ValueError(f"toy2d: kind={kind!r} is unknown; choose one of {', '.join(TOY2D_KINDS)}")
    if not isinstance(n, int) or n < classes:
        raise ValueError(f"toy2d: n={n!r} must be an int of at least classes={classes}")
    if not isinstance(classes, int) or classes < 2:
        raise ValueError(f"toy2d: classes={classes!r} must be an int >= 2")
    if kind in ("moons", "circles") and classes != 2:
        raise ValueError(f"toy2d: kind={kind!r} has exactly 2 classes, got classes={classes}; "
                         "use kind='spirals' or kind='blobs' for more")
    if noise < 0:
        raise ValueError(f"toy2d: noise={noise!r} must be >= 0")
    if kind == "moons":
        x, y = make_moons(n, noise=noise, random_state=seed)
        x = (x - np.array([0.5, 0.25])) / np.array([1.0, 0.75])  # centre on the origin
    elif kind == "circles":
        x, y = make_circles(n, noise=noise, factor=0.5, random_state=seed)
    elif kind == "blobs":
        rng = np.random.default_rng(seed)
        angles = 2 * math.pi * np.arange(classes) / classes + rng.uniform(0, 2 * math.pi)
        centers = 0.7 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        x, y = make_blobs(n, centers=centers, cluster_std=max(noise, 1e-6), random_state=seed)
    else:  # spirals: arm k is r = t, angle = 2πk/K + 3t, for t in (0, 1]
        rng = np.random.default_rng(seed)
        y = np.arange(n) % classes
        t = np.sqrt(rng.uniform(0.02, 1.0, n))  # denser near the centre is harder; sqrt evens it
        angle = 2 * math.pi * y / classes + 3.0 * t
        x = t[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)
        x = x + noise * rng.standard_normal(x.shape)
    return TensorDataset(torch.tensor(x, dtype=torch.float32), torch.tensor(y, dtype=torch.int64))


def loader(data: Dataset, batch_size: int = 128, shuffle: bool = False, seed: int = 0) -> DataLoader:
    """A plain DataLoader; with ``shuffle=True`` its order is fixed by ``seed`` (reproducible)."""
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"loader: batch_size={batch_size!r} must be a positive int, e.g. 128")
    generator = torch.Generator().manual_seed(seed) if shuffle else None
    return DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=generator)


def tensors(data: Dataset | DataLoader) -> tuple[torch.Tensor, torch.Tensor]:
    """All of a dataset (or a loader's dataset) as two tensors ``(x, y)``."""
    if isinstance(data, DataLoader):
        data = data.dataset
    if isinstance(data, TensorDataset):
        return data.tensors[0], data.tensors[1]
    xs, ys = zip(*(data[i] for i in range(len(data))))
    return torch.stack(xs), torch.as_tensor(ys)


def shift(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Images ``(..., h, w)`` moved down by ``dy`` and right by ``dx`` pixels (negative: up/left),
    filling the vacated border with zeros (the digits' background)."""
    h, w = x.shape[-2:]
    if abs(dy) >= h or abs(dx) >= w:
        raise ValueError(f"shift: (dy, dx)=({dy}, {dx}) moves a {h}x{w} image out of the frame; "
                         f"use |dy| < {h} and |dx| < {w}")
    out = torch.zeros_like(x)
    src_y, dst_y = slice(max(-dy, 0), h - max(dy, 0)), slice(max(dy, 0), h - max(-dy, 0))
    src_x, dst_x = slice(max(-dx, 0), w - max(dx, 0)), slice(max(dx, 0), w - max(-dx, 0))
    out[..., dst_y, dst_x] = x[..., src_y, src_x]
    return out


def sample_photo(name: str = "china", size: int = 128) -> torch.Tensor:
    """One of scikit-learn's two bundled photographs (``china``: a temple, ``flower``) as a
    grayscale ``(1, size, size)`` float32 image in [0, 1]: the centre square, resized smoothly."""
    from sklearn.datasets import load_sample_image

    if name not in ("china", "flower"):
        raise ValueError(f"sample_photo: name={name!r} is unknown; choose 'china' or 'flower'")
    rgb = torch.tensor(load_sample_image(f"{name}.jpg"), dtype=torch.float32) / 255  # (h, w, 3)
    gray = (rgb @ torch.tensor([0.299, 0.587, 0.114]))[None, None]  # (1, 1, h, w), ITU-R 601 luma
    h, w = gray.shape[-2:]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = gray[..., top: top + side, left: left + side]
    return F.interpolate(square, size=(size, size), mode="bilinear", antialias=True)[0].clamp(0, 1)
