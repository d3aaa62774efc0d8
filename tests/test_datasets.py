"""The real-dataset loaders, on small fake files built here: IDX parsing, the CIFAR archive layout,
the SHA-256 check, atomic downloads and the offline message. No test touches the network."""

import gzip
import hashlib
import io
import pickle
import socket
import struct
import tarfile

import numpy as np
import pytest
import requests
import torch

from isolearn import data
from isolearn.data import CropFlip, DownloadError, read_idx

MNIST_FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
               "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


def idx_bytes(array: np.ndarray) -> bytes:
    """An IDX file: 0, 0, type code 0x08 (uint8), the number of dimensions, big-endian sizes, data."""
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return gzip.compress(header + array.astype(np.uint8).tobytes())


def sha256(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """An empty cache folder (ISOLEARN_DATA) and a registry whose hashes tests may replace."""
    monkeypatch.setenv("ISOLEARN_DATA", str(tmp_path))
    for name in data.REMOTE:
        monkeypatch.setitem(data.REMOTE, name, {"mirrors": data.REMOTE[name]["mirrors"],
                                                "files": dict(data.REMOTE[name]["files"])})
    return tmp_path


def fake_idx_set(n_train: int = 12, n_test: int = 5, seed: int = 0) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    return {
        "train-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (n_train, 28, 28))),
        "train-labels-idx1-ubyte.gz": idx_bytes(rng.integers(0, 10, n_train)),
        "t10k-images-idx3-ubyte.gz": idx_bytes(rng.integers(0, 256, (n_test, 28, 28))),
        "t10k-labels-idx1-ubyte.gz": idx_bytes(rng.integers(0, 10, n_test)),
    }


def install(cache, name: str, files: dict[str, bytes]) -> None:
    """Put fake files in the cache and register their hashes, as if downloaded before."""
    (cache / name).mkdir(exist_ok=True)
    for file, blob in files.items():
        (cache / name / file).write_bytes(blob)
        data.REMOTE[name]["files"][file] = sha256(blob)


def test_registry_lists_sha256_for_every_file():
    assert set(data.REMOTE) == {"mnist", "fashion_mnist", "cifar10"}
    for name, remote in data.REMOTE.items():
        assert remote["mirrors"] and all(m.endswith("/") for m in remote["mirrors"])
        for file, digest in remote["files"].items():
            assert len(digest) == 64 and int(digest, 16) >= 0, (name, file)
    assert sorted(data.REMOTE["mnist"]["files"]) == sorted(MNIST_FILES)
    assert sorted(data.REMOTE["fashion_mnist"]["files"]) == sorted(MNIST_FILES)


def test_data_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("ISOLEARN_DATA", str(tmp_path))
    assert data.data_dir() == tmp_path
    monkeypatch.delenv("ISOLEARN_DATA")
    assert data.data_dir().name == "isolearn"


@pytest.mark.parametrize("name, loader", [("mnist", data.mnist), ("fashion_mnist", data.fashion_mnist)])
def test_idx_loaders_parse_fake_files(cache, name, loader):
    files = fake_idx_set()
    install(cache, name, files)
    train, test = loader()
    x, y = train.tensors
    assert x.shape == (12, 1, 28, 28) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert test.tensors[0].shape == (5, 1, 28, 28) and len(test.tensors[1]) == 5
    raw = np.frombuffer(gzip.decompress(files["train-images-idx3-ubyte.gz"]), np.uint8, offset=16)
    assert torch.equal(x.flatten() * 255, torch.tensor(raw, dtype=torch.float32).flatten().mul(1.0))
    labels = np.frombuffer(gzip.decompress(files["train-labels-idx1-ubyte.gz"]), np.uint8, offset=8)
    assert y.tolist() == labels.tolist()


def test_read_idx_rejects_bad_files(tmp_path):
    not_idx = tmp_path / "photo.gz"
    not_idx.write_bytes(gzip.compress(b"\x89PNG\r\n\x1a\n"))
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(not_idx)
    truncated = tmp_path / "short.gz"
    truncated.write_bytes(gzip.compress(gzip.decompress(idx_bytes(np.zeros((3, 4, 4)))) [:-5]))
    with pytest.raises(ValueError, match="truncated"):
        read_idx(truncated)
    plain = tmp_path / "plain.idx"
    plain.write_bytes(gzip.decompress(idx_bytes(np.arange(6).reshape(2, 3))))
    assert read_idx(plain).tolist() == [[0, 1, 2], [3, 4, 5]]


def test_mismatched_counts_fail(cache):
    files = fake_idx_set()
    files["train-labels-idx1-ubyte.gz"] = idx_bytes(np.zeros(7))
    install(cache, "mnist", files)
    with pytest.raises(ValueError, match="12 images but .* 7 labels"):
        data.mnist()


def cifar_archive(per_batch: int = 3) -> bytes:
    """A small CIFAR-10 python archive: five training batches and a test batch of pickles.
    Image k of batch b has red = k, green = 100 + b, blue = a ramp 0..31 along the width."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for b, member in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
            images = np.zeros((per_batch, 3, 32, 32), np.uint8)
            images[:, 0] = np.arange(per_batch)[:, None, None]
            images[:, 1] = 100 + b
            images[:, 2] = np.arange(32)[None, None, :]
            rows = images.reshape(per_batch, 3072)  # the archive's layout: R plane, G plane, B plane
            labels = [(b + k) % 10 for k in range(per_batch)]
            blob = pickle.dumps({b"batch_label": member.encode(), b"labels": labels, b"data": rows})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{member}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    return buffer.getvalue()


def test_cifar10_parses_a_fake_archive(cache):
    install(cache, "cifar10", {"cifar-10-python.tar.gz": cifar_archive()})
    train, test = data.cifar10()
    x, y = train.tensors
    assert x.shape == (15, 3, 32, 32) and test.tensors[0].shape == (3, 3, 32, 32)
    assert x.dtype == torch.float32 and 0 <= x.min() and x.max() <= 1
    pixels = (x * 255).round().long()
    assert pixels[4, 0].unique().tolist() == [1]            # batch 2, image 1: red = 1
    assert pixels[4, 1].unique().tolist() == [101]          # green = 100 + batch index 1
    assert pixels[4, 2, 7].tolist() == list(range(32))      # blue ramps along the width (rows intact)
    assert y.tolist() == [(b + k) % 10 for b in range(5) for k in range(3)]
    assert (test.tensors[0] * 255).round()[0, 1].unique().tolist() == [105]


# --- downloads: verified, atomic, and fast to fail offline ---------------------------------------


def fake_downloader(payload: bytes, fail_after: int | None = None):
    """A pooch downloader that writes ``payload`` (or part of it, then loses the connection)."""
    def download(url, output_file, pooch):
        with open(output_file, "wb") as f:
            f.write(payload[:fail_after] if fail_after is not None else payload)
        if fail_after is not None:
            raise requests.ConnectionError("connection reset by peer")
    return download


def files_in(folder) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file())


def test_download_is_verified_then_kept(cache, monkeypatch):
    archive = cifar_archive(per_batch=1)
    data.REMOTE["cifar10"]["files"]["cifar-10-python.tar.gz"] = sha256(archive)
    monkeypatch.setattr(data, "_downloader", lambda: fake_downloader(archive))
    train, _ = data.cifar10()
    assert len(train) == 5 and files_in(cache) == ["cifar-10-python.tar.gz"]
    monkeypatch.setattr(data, "_downloader", lambda: fake_downloader(b"", fail_after=0))
    assert len(data.cifar10()[0]) == 5  # cached and verified: no second download


def test_wrong_checksum_leaves_nothing_behind(cache, monkeypatch):
    monkeypatch.setattr(data, "_downloader", lambda: fake_downloader(b"not the real archive"))
    with pytest.raises(DownloadError) as info:
        data.cifar10()
    message = str(info.value)
    assert "does not match" in message and "Nothing was written" in message and "digits()" in message
    assert files_in(cache) == []


def test_partial_download_leaves_nothing_behind(cache, monkeypatch):
    archive = cifar_archive(per_batch=1)
    data.REMOTE["cifar10"]["files"]["cifar-10-python.tar.gz"] = sha256(archive)
    monkeypatch.setattr(data, "_downloader", lambda: fake_downloader(archive, fail_after=100))
    with pytest.raises(DownloadError, match=r"no network\?[\s\S]*isolearn.data.digits\(\)"):
        data.cifar10()
    assert files_in(cache) == []


def test_every_mirror_is_tried(cache, monkeypatch):
    files = fake_idx_set()
    for file, blob in files.items():
        data.REMOTE["mnist"]["files"][file] = sha256(blob)
    tried = []

    def second_mirror_works(url, output_file, pooch):
        tried.append(url)
        if "ossci" in url:
            raise requests.ConnectionError("first mirror down")
        with open(output_file, "wb") as f:
            f.write(files[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(data, "_downloader", lambda: second_mirror_works)
    train, test = data.mnist()
    assert len(train) == 12 and len(test) == 5
    assert len(tried) == 8 and sum("ossci" in url for url in tried) == 4
    assert files_in(cache) == sorted(MNIST_FILES)


def test_offline_fails_at_once_with_the_alternative(cache, monkeypatch):
    """The real downloader against a closed local port: refused at once, a clear message."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # free, and closed again when the block ends
    monkeypatch.setitem(data.REMOTE["mnist"], "mirrors", (f"http://127.0.0.1:{port}/",))
    with pytest.raises(DownloadError) as info:
        data.mnist()
    message = str(info.value)
    assert "no network?" in message and "isolearn.data.digits()" in message and "ISOLEARN_DATA" in message
    assert files_in(cache) == []


def test_fetch_unknown_name():
    with pytest.raises(ValueError, match="mnist, fashion_mnist, cifar10"):
        data.fetch("imagenet")


# --- augmentation ---------------------------------------------------------------------------------


def test_crop_flip_shifts_and_flips():
    x = torch.rand(20, 3, 8, 8)
    labelled = torch.utils.data.TensorDataset(x, torch.arange(20))
    aug = CropFlip(labelled, padding=2, seed=1)
    flipped = 0
    for i in range(20):
        out, label = aug[i]
        assert out.shape == (3, 8, 8) and label == i
        shifts = [(dy, dx) for dy in range(-2, 3) for dx in range(-2, 3)]
        plain = any(torch.equal(out, data.shift(x[i], dy, dx)) for dy, dx in shifts)
        mirror = any(torch.equal(out, data.shift(x[i].flip(-1), dy, dx)) for dy, dx in shifts)
        assert plain or mirror, f"image {i} is not a shifted (or flipped) copy"
        flipped += mirror and not plain
    assert 3 <= flipped <= 17  # about half
    first, again = CropFlip(labelled, seed=5), CropFlip(labelled, seed=5)
    assert all(torch.equal(first[i][0], again[i][0]) for i in range(20))  # reproducible
    digits_like = CropFlip(labelled, padding=0, flip=False)
    assert all(torch.equal(digits_like[i][0], x[i]) for i in range(20))
    with pytest.raises(ValueError, match="padding"):
        CropFlip(labelled, padding=-1)


def test_the_chapter_gpu_recipe_runs_on_a_fake_cifar(cache):
    """Chapter 2 trains ResNet-20 on CIFAR-10 on a GPU; the same calls, on a tiny fake archive."""
    from isolearn.models import create
    from isolearn.train import fit

    install(cache, "cifar10", {"cifar-10-python.tar.gz": cifar_archive(per_batch=4)})
    train, test = data.cifar10()
    run = fit(create("resnet20"), CropFlip(train, padding=4), test, epochs=1, lr=2e-3,
              weight_decay=0.05, batch_size=128, schedule="cosine", device=torch.device("cpu"),
              progress=False)
    assert run.epochs == 1 and 0 <= run.test_acc[0] <= 1
