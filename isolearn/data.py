"""Data that runs offline: scikit-learn's bundled 8x8 digits and 2-D toy sets.

Everything here is generated or ships inside an installed package, so notebooks run with no
network. Tensors follow the course's shape notation: images ``(n, c, h, w)``, points ``(n, 2)``.
"""

from __future__ import annotations

import math
from pathlib import Path

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
    kind: str = "moons", n: int = 512, classes: int = 2, noise: float = 0.1, seed: int = 0,
    winding: float = 3.0
) -> TensorDataset:
    """A 2-D classification toy set: points ``(n, 2)`` float32 and labels ``(n,)`` int64.

    ``kind`` is one of ``moons`` and ``circles`` (two classes only), ``spirals`` (``classes`` arms
    winding around the origin) and ``blobs`` (``classes`` Gaussian clusters). ``noise`` is the
    standard deviation of the Gaussian jitter, in the units of the data (which spans about [-1, 1]).
    ``winding`` is how far each spiral arm turns, in radians, from the centre to the rim.
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
    else:  # spirals: arm k is r = t, angle = 2πk/K + winding·t, for t in (0, 1]
        rng = np.random.default_rng(seed)
        y = np.arange(n) % classes
        t = np.sqrt(rng.uniform(0.02, 1.0, n))  # denser near the centre is harder; sqrt evens it
        angle = 2 * math.pi * y / classes + winding * t
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


# --- real datasets: downloaded once with pooch, verified by SHA-256, cached --------------------
#
# MNIST and Fashion-MNIST come as four gzipped IDX files each, CIFAR-10 as one tar.gz of Python
# pickles. Each file is listed with its SHA-256; a download is written to a temporary name in the
# cache folder, verified, and only then renamed (pooch does this), so the cache never holds a
# partial or corrupt file. Where each hash comes from:
#
# - MNIST: tensorflow/datasets, tensorflow_datasets/url_checksums/mnist.txt (the cvdf mirror, with
#   sizes), and the same four hashes for the ossci-datasets S3 mirror that torchvision uses in
#   ankane/torchvision-ruby, lib/torchvision/datasets/mnist.rb.
# - Fashion-MNIST: tensorflow/datasets, tensorflow_datasets/url_checksums/fashion_mnist.txt (Zalando's
#   S3 website, with sizes). The second mirror is the copy committed in zalandoresearch/fashion-mnist,
#   data/fashion/; public code pins the same four hashes for it, but we could not download it here.
# - CIFAR-10 (python version): keras-team/keras, keras/src/datasets/cifar10.py (file_hash of
#   https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz, 170,498,071 bytes).

DATA_ENV = "ISOLEARN_DATA"
DOWNLOAD_TIMEOUT = (5, 30)  # seconds to connect, and between two packets: offline fails fast

REMOTE: dict[str, dict] = {
    "mnist": {
        "mirrors": ("https://ossci-datasets.s3.amazonaws.com/mnist/",
                    "https://storage.googleapis.com/cvdf-datasets/mnist/"),
        "files": {
            "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
            "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
            "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
            "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
        },
    },
    "fashion_mnist": {
        "mirrors": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
                    "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/"),
        "files": {
            "train-images-idx3-ubyte.gz": "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
            "train-labels-idx1-ubyte.gz": "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
            "t10k-images-idx3-ubyte.gz": "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
            "t10k-labels-idx1-ubyte.gz": "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
        },
    },
    "cifar10": {
        "mirrors": ("https://www.cs.toronto.edu/~kriz/",),
        "files": {
            "cifar-10-python.tar.gz": "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
        },
    },
}

FASHION_MNIST_CLASSES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
                         "Sneaker", "Bag", "Ankle boot")
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
                   "truck")


class DownloadError(ConnectionError):
    """A dataset could not be downloaded (offline, every mirror down, or a checksum mismatch)."""


def data_dir() -> Path:
    """Where downloads are cached: ``$ISOLEARN_DATA`` if set, else the user cache folder
    (``~/.cache/isolearn`` on Linux)."""
    import os

    import pooch

    return Path(os.environ.get(DATA_ENV) or pooch.os_cache("isolearn"))


def _downloader():
    import pooch

    from isolearn.runtime import static

    return pooch.HTTPDownloader(progressbar=not static(), chunk_size=1 << 20, timeout=DOWNLOAD_TIMEOUT)


def fetch(name: str) -> dict[str, Path]:
    """The files of dataset ``name`` (a key of ``REMOTE``) as ``{file name: local path}``.

    A cached file whose SHA-256 matches is used as it is; otherwise each mirror is tried in
    turn. Raises :class:`DownloadError`, naming the offline alternative, if none succeeds.
    """
    import pooch
    import requests

    if name not in REMOTE:
        raise ValueError(f"fetch: name={name!r} is unknown; choose one of {', '.join(REMOTE)}")
    folder = data_dir() / name
    paths: dict[str, Path] = {}
    for file, sha256 in REMOTE[name]["files"].items():
        problems, offline = [], True
        for base in REMOTE[name]["mirrors"]:
            try:
                paths[file] = Path(pooch.retrieve(base + file, known_hash=f"sha256:{sha256}", fname=file,
                                                  path=folder, downloader=_downloader()))
                break
            except (requests.RequestException, OSError, ValueError) as error:  # ValueError: hash
                unreachable = isinstance(error, (requests.ConnectionError, requests.Timeout))
                offline &= unreachable
                reason = "cannot reach the server" if unreachable else str(error).splitlines()[0][:200]
                problems.append(f"{base + file}: {type(error).__name__}, {reason}")
        else:
            raise DownloadError(
                f"{name}: could not download {file} " + ("(no network?)" if offline else "from any mirror")
                + ":\n  " + "\n  ".join(problems)
                + f"\nNothing was written to the cache {folder}. Offline, use isolearn.data.digits() "
                f"(bundled with scikit-learn, no download), or copy {file} into that folder "
                f"(set {DATA_ENV} to choose it).")
    return paths


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_idx(path) -> np.ndarray:
    """An IDX file (gzipped if its name ends in .gz) as a NumPy array.

    The format of LeCun's MNIST files: two zero bytes, a type code (0x08 = unsigned byte), the
    number of dimensions ``k``, then ``k`` big-endian 32-bit sizes, then the values in C order.
    """
    import gzip
    import struct

    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in _IDX_TYPES:
        raise ValueError(f"read_idx: {path} is not an IDX file (it starts with {data[:4].hex()}, "
                         "expected 0000 then a type code such as 08)")
    k = data[3]
    dims = struct.unpack(f">{k}I", data[4: 4 + 4 * k])
    values = np.frombuffer(data, _IDX_TYPES[data[2]], offset=4 + 4 * k)
    if values.size != math.prod(dims):
        raise ValueError(f"read_idx: {path} declares shape {dims} ({math.prod(dims)} values) but "
                         f"holds {values.size}; the file is truncated, delete it and download again")
    return values.reshape(dims)


def _idx_dataset(paths: dict, images: str, labels: str) -> TensorDataset:
    x = torch.from_numpy(read_idx(paths[images]).copy()).unsqueeze(1)  # (n, 1, 28, 28) uint8
    y = torch.from_numpy(read_idx(paths[labels]).astype(np.int64))  # (n,)
    if len(x) != len(y):
        raise ValueError(f"{images} holds {len(x)} images but {labels} {len(y)} labels")
    return TensorDataset(x.float() / 255, y)


def _idx_pair(name: str) -> tuple[TensorDataset, TensorDataset]:
    paths = fetch(name)
    return (_idx_dataset(paths, "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
            _idx_dataset(paths, "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"))


def mnist() -> tuple[TensorDataset, TensorDataset]:
    """MNIST handwritten digits (LeCun et al. 1998) as ``(train, test)``: 60,000 and 10,000
    images ``(n, 1, 28, 28)`` float32 in [0, 1], labels ``(n,)`` int64 in 0..9.

    Downloads 11 MB once (see :func:`fetch`); offline, use :func:`digits`."""
    return _idx_pair("mnist")


def fashion_mnist() -> tuple[TensorDataset, TensorDataset]:
    """Fashion-MNIST (Xiao et al. 2017), Zalando's drop-in replacement for MNIST: the same
    shapes, ten kinds of clothing (``FASHION_MNIST_CLASSES``). Downloads 30 MB once."""
    return _idx_pair("fashion_mnist")


def read_cifar10(archive) -> tuple[TensorDataset, TensorDataset]:
    """The CIFAR-10 python archive (a tar.gz of pickled batches) as ``(train, test)``.

    ``data_batch_1`` .. ``data_batch_5`` form the training set and ``test_batch`` the test set;
    each holds ``data``, rows of 3072 bytes (1024 red, then green, then blue values, each a 32x32
    image in row order), and ``labels``. The archive is read in place, nothing is extracted.
    Unpickling runs no foreign code only because :func:`fetch` verified the archive's SHA-256.
    """
    import pickle
    import tarfile

    from einops import rearrange

    def batch(tar, member):
        with tar.extractfile(f"cifar-10-batches-py/{member}") as f:
            d = pickle.load(f, encoding="bytes")
        x = rearrange(np.asarray(d[b"data"], dtype=np.uint8), "n (c h w) -> n c h w", c=3, h=32, w=32)
        return torch.from_numpy(x.copy()), torch.as_tensor(d[b"labels"], dtype=torch.int64)

    with tarfile.open(archive, "r:gz") as tar:
        train = [batch(tar, f"data_batch_{i}") for i in range(1, 6)]
        x_test, y_test = batch(tar, "test_batch")
    x_train = torch.cat([x for x, _ in train])  # (50000, 3, 32, 32) uint8
    y_train = torch.cat([y for _, y in train])
    return TensorDataset(x_train.float() / 255, y_train), TensorDataset(x_test.float() / 255, y_test)


def cifar10() -> tuple[TensorDataset, TensorDataset]:
    """CIFAR-10 (Krizhevsky 2009) as ``(train, test)``: 50,000 and 10,000 colour images
    ``(n, 3, 32, 32)`` float32 in [0, 1] (0.6 GB and 0.12 GB in memory), labels in 0..9 naming
    ``CIFAR10_CLASSES``. Downloads 163 MB once; offline, use :func:`digits`."""
    return read_cifar10(fetch("cifar10")["cifar-10-python.tar.gz"])


class CropFlip(Dataset):
    """The standard CIFAR augmentation of He et al. 2016 (sec. 4.2): pad 4 zero pixels on each
    side, cut a random crop of the original size (equivalently: shift by up to 4 pixels), and
    flip it left-right with probability 1/2 (``flip=False`` for digits and letters, which a mirror
    changes). A fresh draw every time an image is read."""

    def __init__(self, data: Dataset, padding: int = 4, flip: bool = True, seed: int = 0):
        if not isinstance(padding, int) or padding < 0:
            raise ValueError(f"CropFlip: padding={padding!r} must be an int >= 0, e.g. 4")
        self.x, self.y = tensors(data)
        self.padding, self.flip = padding, flip
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        p = self.padding
        dy, dx = torch.randint(-p, p + 1, (2,), generator=self.generator).tolist()
        x = shift(self.x[i], dy, dx)  # (c, h, w): pad + crop = a shift with zeros coming in
        if self.flip and torch.rand((), generator=self.generator) < 0.5:
            x = x.flip(-1)  # left-right
        return x, self.y[i]


def canvas(data: torch.Tensor | TensorDataset, size: int) -> torch.Tensor | TensorDataset:
    """Images ``(..., h, w)`` centred on a larger zero canvas ``(..., size, size)``, so that a shift
    of up to ``(size - h) // 2`` pixels moves the whole image and crops nothing: shifted and
    unshifted copies then hold exactly the same pixels. A TensorDataset ``(images, labels)`` gives
    a TensorDataset with its images on the canvas."""
    if isinstance(data, TensorDataset):
        x, *rest = data.tensors
        return TensorDataset(canvas(x, size), *rest)
    h, w = data.shape[-2:]
    if not isinstance(size, int) or size < max(h, w):
        raise ValueError(f"canvas: size={size!r} must be an int >= the images' {h}x{w}, e.g. "
                         f"size={max(h, w) + 8}")
    top, left = (size - h) // 2, (size - w) // 2
    return F.pad(data, (left, size - w - left, top, size - h - top))  # zeros all round


def sample_photo_rgb(name: str = "china", size: int = 128) -> torch.Tensor:
    """The colour version of :func:`sample_photo`: the centre square of scikit-learn's bundled
    photograph as ``(3, size, size)`` float32 in [0, 1], channels red, green, blue."""
    from sklearn.datasets import load_sample_image

    if name not in ("china", "flower"):
        raise ValueError(f"sample_photo_rgb: name={name!r} is unknown; choose 'china' or 'flower'")
    rgb = torch.tensor(load_sample_image(f"{name}.jpg"), dtype=torch.float32) / 255  # (h, w, 3)
    rgb = rgb.permute(2, 0, 1)[None]  # (1, 3, h, w)
    side = min(rgb.shape[-2:])
    top, left = (rgb.shape[-2] - side) // 2, (rgb.shape[-1] - side) // 2
    square = rgb[..., top: top + side, left: left + side]
    return F.interpolate(square, size=(size, size), mode="bilinear", antialias=True)[0].clamp(0, 1)


def holdout(data: Dataset, fraction: float = 0.2, seed: int = 0) -> tuple[TensorDataset, TensorDataset]:
    """Split a training set into ``(fit, validation)``: ``fraction`` of it, stratified by class and
    fixed by ``seed``, becomes the validation set. Tune on the validation set and keep the test set
    for the one final measurement, so that the test accuracy says how the *chosen* settings do on
    images that no choice has seen."""
    from sklearn.model_selection import train_test_split

    if not 0.0 < fraction < 1.0:
        raise ValueError(f"holdout: fraction={fraction!r} must lie strictly between 0 and 1, e.g. 0.2")
    x, y = tensors(data)
    idx_fit, idx_val = train_test_split(np.arange(len(y)), test_size=fraction, random_state=seed,
                                        stratify=y.numpy())
    idx_fit, idx_val = torch.as_tensor(idx_fit), torch.as_tensor(idx_val)
    return TensorDataset(x[idx_fit], y[idx_fit]), TensorDataset(x[idx_val], y[idx_val])
# --- batches that stay on the device ----------------------------------------------------------


class DeviceBatches:
    """Mini-batches of a tensor dataset that lives on one device: ``x: (n, ...)`` and ``y: (n,)``
    are moved there once, and each batch is an index slice of them, ``(x[idx], y[idx])``.

    A DataLoader fetches every image on its own in Python and stacks them (``collate``); for
    data that fits in memory that is most of the cost of a small model's epoch, and on a GPU it
    also copies every batch from the host. Here a batch costs one gather, on the device.

    With ``shuffle=True`` the order is a fresh permutation each epoch, drawn from a generator
    seeded with ``seed``. The batches are *the same* as ``loader(data, batch_size, shuffle, seed)``
    gives: we draw from the generator exactly what a DataLoader draws (a seed for its workers,
    the permutation, and the one more permutation its sampler draws when it runs out), so
    swapping one for the other changes no batch and no later random number (tested). The last
    batch may be smaller, as with a DataLoader.
    """

    def __init__(self, data: Dataset | tuple[torch.Tensor, torch.Tensor], batch_size: int = 128,
                 shuffle: bool = False, seed: int = 0, device: torch.device | str | None = None):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"DeviceBatches: batch_size={batch_size!r} must be a positive int, e.g. 128")
        x, y = data if isinstance(data, tuple) else tensors(data)
        if len(x) != len(y):
            raise ValueError(f"DeviceBatches: {len(x)} inputs but {len(y)} labels; they must pair up")
        device = torch.device(device) if device is not None else x.device
        self.x, self.y = x.to(device), y.to(device)  # (n, ...), (n,)
        self.batch_size, self.shuffle, self.device = batch_size, shuffle, device
        self.generator = torch.Generator().manual_seed(seed) if shuffle else None

    def __len__(self) -> int:
        return math.ceil(len(self.y) / self.batch_size)

    def __iter__(self):
        n, b = len(self.y), self.batch_size
        torch.empty((), dtype=torch.int64).random_(generator=self.generator)  # a DataLoader's draw
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(self.device)
            torch.randperm(n, generator=self.generator)  # what its sampler draws when exhausted
        for start in range(0, n, b):
            if self.shuffle:
                idx = order[start: start + b]
                yield self.x[idx], self.y[idx]  # a gather on the device
            else:
                yield self.x[start: start + b], self.y[start: start + b]  # views, no copy


def batched(data: Dataset, batch_size: int = 128, shuffle: bool = False, seed: int = 0,
            device: torch.device | str | None = None) -> DeviceBatches | DataLoader:
    """The fastest batches of ``data`` that give the same result: :class:`DeviceBatches` for a
    TensorDataset of inputs and labels (stored tensors), a :func:`loader` for a dataset that
    computes each item when it is read (``CropFlip``'s fresh augmentation, for one)."""
    if isinstance(data, TensorDataset) and len(data.tensors) == 2:
        return DeviceBatches(data, batch_size, shuffle, seed, device)
    return loader(data, batch_size, shuffle, seed)
