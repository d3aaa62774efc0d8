"""Bad input to the public API gets a clear answer: the cases of the reliability review, as a table.

Each case runs one call and is classified as the review classified it:

0. accepted and handled correctly (a valid input, or a result that is right);
1. a clear error: a ValueError or TypeError raised by isolearn itself (or Python's own argument
   binding), whose message names the parameter (``match``);
2. an error from deep inside torch, numpy or matplotlib;
3. a silently wrong result, or a hang;
4. data loss, or a corrupt cache left behind.

``want`` is the class the case must get now; a regression names its case (the test id). The
same table feeds ``tests/reclassify.py``, which counts the classes (before and after a change).
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import io
import os
import re
import signal
import tarfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.nn as nn

import isolearn
from isolearn import activations as act
from isolearn import attention as attn
from isolearn import conv, data, models, patches, planar, probe, profile, runtime, train, viz
from isolearn import widgets
from isolearn.table import Table

ROOT = Path(isolearn.__file__).resolve().parent


@dataclass
class Case:
    id: str  # "module | what was passed"
    run: Callable[[], Any]
    want: int  # the class this case must get
    match: str = ""  # class 1: a regex the message must match (it names the parameter or the fix)
    ok: Callable[[Any], bool] | None = None  # a value returned is right (class 0) if ok(value)
    bad: int = 3  # the class of a wrong value (4: data loss)

    @property
    def module(self) -> str:
        return self.id.split(" | ")[0]


class _Hang(BaseException):
    pass


def _raised_here(exc: BaseException) -> bool:
    """Raised by an explicit ``raise`` in isolearn, or by Python's binding of the arguments."""
    frames = traceback.extract_tb(exc.__traceback__)
    if frames and Path(frames[-1].filename).resolve().is_relative_to(ROOT):
        return True
    return isinstance(exc, TypeError) and bool(re.search(
        r"unexpected keyword argument|required positional argument|positional arguments? but|"
        r"takes no arguments", str(exc)))


def classify(case: Case, seconds: float = 60.0) -> tuple[int, str]:
    """(class, what happened) for one case; a run longer than ``seconds`` counts as a hang."""
    def _alarm(*_):
        raise _Hang()

    use_alarm = hasattr(signal, "SIGALRM")
    if use_alarm:
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        value = case.run()
    except _Hang:
        return 3, f"still running after {seconds:g} s"
    except Exception as exc:  # noqa: BLE001  (what was raised is what we classify)
        text = f"{type(exc).__name__}: {exc}"
        isolearn_error = type(exc).__module__.startswith("isolearn")
        if (isinstance(exc, (ValueError, TypeError)) or isolearn_error) and _raised_here(exc):
            return 1, text
        return 2, text
    finally:
        if use_alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
    if case.ok is None:
        return case.bad, f"accepted silently: {_short(value)}"
    try:
        right = bool(case.ok(value))
    except Exception as exc:  # noqa: BLE001
        return case.bad, f"returned {_short(value)}, and checking it raised {exc!r}"
    return (0, "handled correctly") if right else (case.bad, f"wrong result: {_short(value)}")


def _short(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return f"tensor {tuple(value.shape)} {value.dtype}"
    return repr(value)[:120]


# --- fixtures, built once ------------------------------------------------------------------------

@functools.lru_cache(None)
def digits8():
    return data.digits()


@functools.lru_cache(None)
def digit_images(n: int = 16, size: int = 8) -> tuple[torch.Tensor, torch.Tensor]:
    x, y = digits8()[0].tensors
    if size != 8:
        x = torch.nn.functional.interpolate(x, size=(size, size), mode="bilinear")
    return x[:n], y[:n]


def small_set(n: int = 64, x: torch.Tensor | None = None, y: torch.Tensor | None = None):
    xs, ys = digit_images(n)
    return torch.utils.data.TensorDataset(xs if x is None else x, ys if y is None else y)


def mlp8(classes: int = 10) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, classes))


FAMILIES = {  # name -> (builder, image side)
    "vit_digits": (lambda: models.create("vit_digits"), 8),
    "mixer_digits": (lambda: models.create("mixer_digits"), 8),
    "convmixer_digits": (lambda: models.create("convmixer_digits", dim=16, depth=1), 8),
    "resnet20": (lambda: models.create("resnet20", in_chans=1, widths=(4, 8, 8), img_size=16), 16),
    "lenet5": (lambda: models.create("lenet5"), 32),
    "vgg11": (lambda: models.create("vgg11", in_chans=1, img_size=32, widths=(4, 4, 4, 4, 4),
                                    hidden=(8,), num_classes=10), 32),
}


@functools.lru_cache(None)
def family(name: str) -> nn.Module:
    torch.manual_seed(0)
    return FAMILIES[name][0]().eval()


def forward(name: str, make_x: Callable[[int], Any]) -> Callable[[], Any]:
    def run():
        side = FAMILIES[name][1]
        with torch.no_grad():
            return family(name)(make_x(side))
    return run


def raises_then_mode(fn: Callable[[nn.Module], Any]) -> Callable[[], bool]:
    """Call fn(model) on a model in train mode, expect it to raise; return model.training."""
    def run():
        model = family("resnet20")
        model.train()
        try:
            fn(model)
        except Exception:  # noqa: BLE001
            pass
        was = model.training
        model.eval()
        return was
    return run


def temp_cache(files: dict[str, bytes], setup: Callable[[Path], None], call: Callable[[], Any]):
    """Run ``call`` with a temporary ISOLEARN_DATA holding dataset "fake" with ``files`` registered
    (their true hashes) and mirrors that refuse connections (offline); ``setup(folder)`` first."""
    import tempfile

    def run():
        with tempfile.TemporaryDirectory() as root:
            saved_env, saved = os.environ.get(data.DATA_ENV), dict(data.REMOTE)
            os.environ[data.DATA_ENV] = root
            data.REMOTE["fake"] = {"mirrors": ("http://127.0.0.1:9/",),
                                   "files": {k: hashlib.sha256(v).hexdigest() for k, v in files.items()}}
            folder = Path(root) / "fake"
            folder.mkdir()
            try:
                setup(folder)
                return call(folder)
            finally:
                data.REMOTE.clear()
                data.REMOTE.update(saved)
                if saved_env is None:
                    os.environ.pop(data.DATA_ENV, None)
                else:
                    os.environ[data.DATA_ENV] = saved_env
    return run


def _write(folder: Path, name: str, content: bytes, age: float = 0.0) -> None:
    (folder / name).write_bytes(content)
    if age:
        then = time.time() - age
        os.utime(folder / name, (then, then))


def _gz(raw: bytes) -> bytes:
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb") as f:
        f.write(raw)
    return out.getvalue()


def _tmpfile(content: bytes, suffix: str) -> str:
    import tempfile

    handle = tempfile.NamedTemporaryFile(suffix=suffix, delete=False)
    handle.write(content)
    handle.close()
    return handle.name


def _empty_targz() -> str:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz"):
        pass
    return _tmpfile(out.getvalue(), ".tar.gz")


def animation_frames(html) -> int:
    return html.data.count("data:image/")  # the player's frames, each one data URL


def close_figures(fig) -> bool:
    import matplotlib.pyplot as plt

    plt.close("all")
    return fig is not None


# --- the cases ---------------------------------------------------------------------------------

x8 = lambda: digit_images()[0]  # noqa: E731  (16, 1, 8, 8)
q3 = lambda: torch.randn(2, 3, 4)  # noqa: E731
img16 = lambda: torch.rand(16, 16)  # noqa: E731
SOBEL = [[-1., 0, 1], [-2, 0, 2], [-1, 0, 1]]


def _model_cases() -> list[Case]:
    cases = [
        Case("runtime | seed(2**32), beyond NumPy's range", lambda: runtime.seed(2 ** 32), 1, "seed"),
        Case("runtime | seed(2**64)", lambda: runtime.seed(2 ** 64), 1, "seed"),
        Case("runtime | seed(None)", lambda: runtime.seed(None), 1, "seed"),
        Case("runtime | seed(1.5)", lambda: runtime.seed(1.5), 1, "seed"),
        Case("models.create | create(['resnet20'])", lambda: models.create(["resnet20"]), 1, "create"),
        Case("models.create | presets(None)", lambda: models.presets(None), 1, "contains"),
        Case("models.create | presets(5)", lambda: models.presets(5), 1, "contains"),
        Case("models.create | a typo", lambda: models.create("resnet2"), 1, "did you mean"),
    ]
    meta = lambda name, **kw: lambda: _on_meta(name, **kw)  # noqa: E731
    options = [("vit_digits", "mlp_ratio", 0), ("vit_digits", "mlp_ratio", -1),
               ("vit_digits", "embed_dim", 64.5), ("vit_digits", "in_chans", "1"),
               ("vit_digits", "patch_size", 3), ("mixer_digits", "depth", -1),
               ("mixer_digits", "hidden_dim", 0), ("mixer_digits", "tokens_mlp_dim", 0),
               ("mixer_digits", "hidden_dim", 32.5), ("mixer_digits", "channels_mlp_dim", -64),
               ("vgg11", "hidden", (0,)), ("vgg11", "dropout", 1.5), ("vgg11", "widths", (64, 0)),
               ("convmixer_digits", "kernel_size", 4), ("resnet20", "shortcut", "C")]
    cases += [Case(f"models.options | {name} {key}={value!r}", meta(name, **{key: value}), 1, key)
              for name, key, value in options]
    # Huge sizes: torch's allocator names the bytes it cannot get; no limit would be sensible.
    cases += [Case("models.options | resnet20 num_classes=10**12 on CPU",
                   lambda: models.create("resnet20", num_classes=10 ** 12), 2)]
    for name in models.names():  # the review's matrix: bad overrides on every preset, on meta
        accepted = models.create.__globals__["_PRESETS"][name].options
        for key, value in [("num_classes", 0), ("num_classes", -5), ("num_classes", 10.0),
                           ("num_classes", "10"), ("num_classes", None), ("in_chans", 0),
                           ("in_chans", None), ("img_size", -32), ("img_size", 224.0),
                           ("img_size", None), ("depth", -1), ("hidden_dim", 0),
                           ("tokens_mlp_dim", 0), ("embed_dim", 0), ("mlp_ratio", 0),
                           ("widths", 16), ("widths", (0, 16)), ("dim", 0), ("patch_size", 0)]:
            if key in accepted:
                cases.append(Case(f"models.presets | {name} {key}={value!r}",
                                  meta(name, **{key: value}), 1, key))
    for name in FAMILIES:
        f = f"forward:{name}"
        cases += [
            Case(f"{f} | one image without batch dim (1, h, w)", forward(name, lambda s: torch.rand(1, s, s)),
                 1, r"x\[None\]"),
            Case(f"{f} | a 2-D image (h, w)", forward(name, lambda s: torch.rand(s, s)), 1, r"x\[None"),
            Case(f"{f} | uint8 images (raw pixels)",
                 forward(name, lambda s: torch.randint(0, 256, (2, 1, s, s), dtype=torch.uint8)), 1,
                 r"x\.float\(\) / 255"),
            Case(f"{f} | int64 images", forward(name, lambda s: torch.randint(0, 2, (2, 1, s, s))), 1,
                 r"x\.float\(\)"),
            Case(f"{f} | float64 images", forward(name, lambda s: torch.rand(2, 1, s, s, dtype=torch.float64)),
                 1, r"model\.double\(\)"),
            Case(f"{f} | bool images", forward(name, lambda s: torch.rand(2, 1, s, s) > 0.5), 1, "bool"),
            Case(f"{f} | numpy images", forward(name, lambda s: np.zeros((2, 1, s, s), np.float32)), 1,
                 "torch"),
            Case(f"{f} | images on the meta device",
                 forward(name, lambda s: torch.rand(2, 1, s, s, device="meta")), 1, "meta"),
            Case(f"{f} | None", forward(name, lambda s: None), 1, "tensor"),
            Case(f"{f} | 3 channels for a 1-channel model", forward(name, lambda s: torch.rand(2, 3, s, s)),
                 1, "in_chans"),
            Case(f"{f} | valid images", forward(name, lambda s: torch.rand(2, 1, s, s)), 0,
                 ok=lambda out: out.shape == (2, 10) and torch.isfinite(out).all()),
        ]
    return cases


def _on_meta(name: str, **overrides):
    with torch.device("meta"):
        return models.create(name, **overrides)


def _data_cases() -> list[Case]:
    pts = lambda: data.toy2d(n=16)  # noqa: E731
    big = lambda padding: lambda: [data.CropFlip(small_set(8), padding=padding)[i % 8] for i in range(200)]  # noqa: E731
    return [
        Case("data.digits | seed=None (an unreproducible split)", lambda: data.digits(seed=None), 1, "seed"),
        Case("data.digits | seed=-1", lambda: data.digits(seed=-1), 1, "seed"),
        Case("data.digits | seed='a'", lambda: data.digits(seed="a"), 1, "seed"),
        Case("data.digits | test_fraction='0.2'", lambda: data.digits(test_fraction="0.2"), 1, "test_fraction"),
        Case("data.digits | test_fraction=None", lambda: data.digits(test_fraction=None), 1, "test_fraction"),
        Case("data.digits | test_fraction=0.001 (2 test images < 10 classes)",
             lambda: data.digits(test_fraction=0.001), 1, "test_fraction"),
        Case("data.digits | size=4096 (120 GB)", lambda: data.digits(size=4096), 1, "size"),
        Case("data.digits | size=8.0", lambda: data.digits(size=8.0), 1, "size"),
        Case("data.toy2d | noise=nan (spirals)", lambda: data.toy2d("spirals", noise=float("nan")), 1, "noise"),
        Case("data.toy2d | noise=inf (spirals)", lambda: data.toy2d("spirals", noise=float("inf")), 1, "noise"),
        Case("data.toy2d | winding=nan (spirals)", lambda: data.toy2d("spirals", winding=float("nan")), 1,
             "winding"),
        Case("data.toy2d | noise=nan (moons)", lambda: data.toy2d("moons", noise=float("nan")), 1, "noise"),
        Case("data.toy2d | noise='0.1'", lambda: data.toy2d(noise="0.1"), 1, "noise"),
        Case("data.toy2d | noise=None", lambda: data.toy2d(noise=None), 1, "noise"),
        Case("data.toy2d | classes='3' (spirals)", lambda: data.toy2d("spirals", classes="3"), 1, "classes"),
        Case("data.toy2d | seed=-1 (moons)", lambda: data.toy2d("moons", seed=-1), 1, "seed"),
        Case("data.toy2d | seed=-1 (spirals)", lambda: data.toy2d("spirals", seed=-1), 1, "seed"),
        Case("data.toy2d | seed='a' (blobs)", lambda: data.toy2d("blobs", seed="a"), 1, "seed"),
        Case("data.toy2d | n=10**10", lambda: data.toy2d(n=10 ** 10), 1, "n="),
        Case("data.loader | data=None", lambda: data.loader(None), 1, "data"),
        Case("data.loader | a tensor of images, no labels", lambda: data.loader(x8()), 1, "TensorDataset"),
        Case("data.loader | a tuple (x, y)", lambda: data.loader(digit_images()), 1, "TensorDataset"),
        Case("data.loader | shuffle, seed=None", lambda: data.loader(pts(), shuffle=True, seed=None), 1, "seed"),
        Case("data.loader | shuffle, seed='a'", lambda: data.loader(pts(), shuffle=True, seed="a"), 1, "seed"),
        Case("data.loader | an empty dataset", lambda: data.loader(small_set(0), shuffle=True), 1, "empty"),
        Case("data.loader | batch_size=0", lambda: data.loader(pts(), batch_size=0), 1, "batch_size"),
        Case("data.tensors | a plain tensor", lambda: data.tensors(x8()), 1, "TensorDataset"),
        Case("data.tensors | None", lambda: data.tensors(None), 1, "data"),
        Case("data.tensors | a TensorDataset", lambda: data.tensors(pts()), 0,
             ok=lambda xy: xy[0].shape == (16, 2) and xy[1].shape == (16,)),
        Case("data.shift | dy=1.5", lambda: data.shift(x8()[0], 1.5, 0), 1, "dy"),
        Case("data.shift | dy='1'", lambda: data.shift(x8()[0], "1", 0), 1, "dy"),
        Case("data.shift | dy=None", lambda: data.shift(x8()[0], None, 0), 1, "dy"),
        Case("data.shift | a 1-D tensor", lambda: data.shift(torch.ones(8), 1, 0), 1, r"h, w\)"),
        Case("data.shift | a numpy image", lambda: data.shift(np.zeros((8, 8)), 1, 0), 1, "tensor"),
        Case("data.CropFlip | padding=8 on 8x8 digits (the image side)", big(8), 1, "padding"),
        Case("data.CropFlip | padding=100 on 8x8 digits", big(100), 1, "padding"),
        Case("data.CropFlip | padding=7 on 8x8 digits (valid)", big(7), 0, ok=lambda xs: len(xs) == 200),
        Case("data.CropFlip | data=None", lambda: data.CropFlip(None), 1, "data"),
        Case("data.CropFlip | 2-D points, not images", lambda: data.CropFlip(pts()), 1, "images"),
        Case("data.CropFlip | seed=None", lambda: data.CropFlip(small_set(8), seed=None), 1, "seed"),
        Case("data.CropFlip | flip='no' (a truthy string)", lambda: data.CropFlip(small_set(8), flip="no"), 1,
             "flip"),
        Case("data.sample_photo | size=0", lambda: data.sample_photo(size=0), 1, "size"),
        Case("data.sample_photo | size=-1", lambda: data.sample_photo(size=-1), 1, "size"),
        Case("data.sample_photo | size=64.5", lambda: data.sample_photo(size=64.5), 1, "size"),
        Case("data.sample_photo | size=None", lambda: data.sample_photo(size=None), 1, "size"),
        Case("data.sample_photo | size=10**6 (4 TB)", lambda: data.sample_photo(size=10 ** 6), 1, "size"),
        Case("data.read_idx | random bytes named .gz",
             lambda: data.read_idx(_tmpfile(b"\x80\x1d" + bytes(range(200)), ".gz")), 1, "read_idx"),
        Case("data.read_idx | a gzip stream cut off",
             lambda: data.read_idx(_tmpfile(_gz(b"\0\0\x08\x01" + bytes(4000))[:60], ".gz")), 1, "read_idx"),
        Case("data.read_idx | a 6-byte file (header cut)",
             lambda: data.read_idx(_tmpfile(b"\0\0\x08\x03\0\0", "")), 1, "read_idx"),
        Case("data.read_idx | None", lambda: data.read_idx(None), 1, "path"),
        Case("data.read_cifar10 | random bytes", lambda: data.read_cifar10(_tmpfile(bytes(range(256)), ".tar.gz")),
             1, "read_cifar10"),
        Case("data.read_cifar10 | a valid but empty tar.gz", lambda: data.read_cifar10(_empty_targz()), 1,
             "read_cifar10"),
        Case("data.fetch | fetch(['mnist'])", lambda: data.fetch(["mnist"]), 1, "name"),
        Case("data.fetch | offline, a corrupt file of the right name in the cache",
             temp_cache({"a.bin": b"good"}, lambda f: _write(f, "a.bin", b"garbage"),
                        lambda f: data.fetch("fake")), 1, "SHA-256"),
        Case("data.fetch | offline, a valid cached file loads",
             temp_cache({"a.bin": b"good"}, lambda f: _write(f, "a.bin", b"good"),
                        lambda f: data.fetch("fake")["a.bin"].read_bytes()), 0, ok=lambda v: v == b"good"),
        Case("data.fetch | an orphan temporary file of a killed download",
             temp_cache({"a.bin": b"good"},
                        lambda f: (_write(f, "a.bin", b"good"), _write(f, "tmpn0li_0an", b"half", age=3600)),
                        lambda f: (data.fetch("fake"), sorted(p.name for p in f.iterdir()))[1]),
             0, ok=lambda names: names == ["a.bin"], bad=4),
        Case("data.fetch | a fresh temporary file (another download in progress) is kept",
             temp_cache({"a.bin": b"good"},
                        lambda f: (_write(f, "a.bin", b"good"), _write(f, "tmpfresh", b"half")),
                        lambda f: (data.fetch("fake"), sorted(p.name for p in f.iterdir()))[1]),
             0, ok=lambda names: names == ["a.bin", "tmpfresh"], bad=4),
    ]


def _conv_cases() -> list[Case]:
    x = lambda: torch.randn(2, 3, 6, 6)  # noqa: E731
    w = lambda: torch.randn(4, 3, 3, 3)  # noqa: E731
    cases = []
    for fn in (conv.conv2d_loops, conv.conv2d_unfold):
        n = f"conv.{fn.__name__}"
        cases += [
            Case(f"{n} | weight numpy", lambda fn=fn: fn(x(), w().numpy()), 1, "weight"),
            Case(f"{n} | x int64, weight float32", lambda fn=fn: fn(x().long(), w()), 1, "dtype|float"),
            Case(f"{n} | x float64, weight float32", lambda fn=fn: fn(x().double(), w()), 1, "dtype|float"),
            Case(f"{n} | bool x and weight", lambda fn=fn: fn(x() > 0, w() > 0), 1, "float"),
            Case(f"{n} | bias of the wrong length", lambda fn=fn: fn(x(), w(), torch.zeros(5)), 1, "bias"),
            Case(f"{n} | bias 2-D (4, 1)", lambda fn=fn: fn(x(), w(), torch.zeros(4, 1)), 1, "bias"),
            Case(f"{n} | bias a float", lambda fn=fn: fn(x(), w(), 0.5), 1, "bias"),
            Case(f"{n} | weight None", lambda fn=fn: fn(x(), None), 1, "weight"),
            Case(f"{n} | one image (c, h, w)", lambda fn=fn: fn(x()[0], w()), 1, r"x\[None\]"),
            Case(f"{n} | valid", lambda fn=fn: fn(x(), w(), padding=1), 0,
                 ok=lambda out: out.shape == (2, 4, 6, 6)),
        ]
    cases += [
        Case("conv.conv2d_macs | c_in=0", lambda: conv.conv2d_macs(0, 4, 3, 8), 1, "c_in"),
        Case("conv.conv2d_macs | c_out=-4", lambda: conv.conv2d_macs(3, -4, 3, 8), 1, "c_out"),
        Case("conv.conv2d_macs | groups=1.5", lambda: conv.conv2d_macs(3, 3, 3, 8, groups=1.5), 1, "groups"),
        Case("conv.conv2d_macs | c_in='3'", lambda: conv.conv2d_macs("3", 4, 3, 8), 1, "c_in"),
        Case("conv.receptive_field | a flat list [3, 1]", lambda: conv.receptive_field([3, 1]), 1, "layer"),
        Case("conv.receptive_field | None", lambda: conv.receptive_field(None), 1, "layers"),
        Case("conv.layer_specs | [1, 2]", lambda: conv.layer_specs([1, 2]), 1, "layer|module"),
        Case("conv.layer_specs | None", lambda: conv.layer_specs(None), 1, "model"),
        Case("conv.input_gradient | size=0", lambda: conv.input_gradient(nn.Conv2d(1, 1, 3), 0), 1, "size"),
        Case("conv.input_gradient | size=-1", lambda: conv.input_gradient(nn.Conv2d(1, 1, 3), -1), 1, "size"),
        Case("conv.input_gradient | size=8.0", lambda: conv.input_gradient(nn.Conv2d(1, 1, 3), 8.0), 1, "size"),
        Case("conv.input_gradient | in_channels=3 for a 1-channel stack",
             lambda: conv.input_gradient(nn.Conv2d(1, 1, 3), 9, in_channels=3), 1, "in_channels"),
        Case("conv.apply_kernel | an int kernel (sharpen as ints)",
             lambda: conv.apply_kernel(img16(), torch.tensor([[0, -1, 0], [-1, 5, -1], [0, -1, 0]])), 0,
             ok=lambda out: out.is_floating_point() and out.abs().sum() > 0),
        Case("conv.apply_kernel | a uint8 image", lambda: conv.apply_kernel((img16() * 255).byte(),
                                                                            conv.KERNELS["sobel x"]), 0,
             ok=lambda out: out.is_floating_point() and out.abs().max() > 1),
        Case("conv.apply_kernel | a batch of 2 images (2, 1, h, w)",
             lambda: conv.apply_kernel(torch.rand(2, 1, 16, 16), conv.KERNELS["sobel x"]), 1, "image"),
        Case("conv.apply_kernel | numpy image", lambda: conv.apply_kernel(img16().numpy(), conv.KERNELS["sobel x"]),
             1, "image"),
        Case("conv.apply_kernel | numpy kernel", lambda: conv.apply_kernel(img16(), np.array(SOBEL)), 1, "kernel"),
        Case("conv.apply_kernel | the kernel's name", lambda: conv.apply_kernel(img16(), "sobel x"), 1,
             r"KERNELS\["),
    ]
    return cases


def _patch_attention_cases() -> list[Case]:
    m = lambda n, k, dtype=torch.long: torch.tril(torch.ones(n, k, dtype=dtype))  # noqa: E731
    qkv = lambda: (torch.randn(2, 5, 4), torch.randn(2, 7, 4), torch.randn(2, 7, 3))  # noqa: E731

    def fully_masked():
        q, k, v = qkv()
        mask = torch.ones(5, 7, dtype=torch.bool)
        mask[2] = False
        return attn.attention(q, k, v, mask), torch.nn.functional.scaled_dot_product_attention(
            q, k, v, attn_mask=mask)

    mhsa = lambda: attn.MultiHeadSelfAttention(8, 2)  # noqa: E731
    return [
        Case("patches.patchify | numpy x", lambda: patches.patchify(np.zeros((1, 1, 4, 4)), 2), 1, "tensor"),
        Case("patches.patchify | p=3 on 8 px", lambda: patches.patchify(torch.zeros(1, 1, 8, 8), 3), 1,
             "patch_size"),
        Case("patches.unpatchify | height=12 not matching 4 tokens",
             lambda: patches.unpatchify(torch.zeros(1, 4, 4), 2, 12, 1), 1, "height"),
        Case("patches.unpatchify | p=0", lambda: patches.unpatchify(torch.zeros(1, 4, 4), 0, 4, 1), 1,
             "patch_size"),
        Case("patches.unpatchify | tokens 2-D (n, d)", lambda: patches.unpatchify(torch.zeros(4, 4), 2, 4, 1), 1,
             r"\(b, n"),
        Case("patches.PatchEmbed | in_chans=0", lambda: patches.PatchEmbed(8, 2, 0, 16), 1, "in_chans"),
        Case("patches.PatchEmbed | embed_dim=0", lambda: patches.PatchEmbed(8, 2, 1, 0), 1, "embed_dim"),
        Case("patches.PatchEmbed | img_size=None", lambda: patches.PatchEmbed(None, 2, 1, 16), 1, "img_size"),
        Case("patches.PatchEmbed | img_size=-32", lambda: patches.PatchEmbed(-32, 16, 1, 16), 1, "img_size"),
        Case("patches.PatchEmbed | forward a 3-D image",
             lambda: patches.PatchEmbed(8, 2, 1, 16)(torch.zeros(1, 8, 8)), 1, r"x\[None\]"),
        Case("patches.PatchEmbed | forward uint8",
             lambda: patches.PatchEmbed(8, 2, 1, 16)(torch.zeros(1, 1, 8, 8, dtype=torch.uint8)), 1, "255"),
        Case("patches.PatchEmbed | forward float64",
             lambda: patches.PatchEmbed(8, 2, 1, 16)(torch.zeros(1, 1, 8, 8, dtype=torch.float64)), 1,
             "double"),
        Case("attention.attention | an int 0/1 mask", lambda: attn.attention(*qkv(), m(5, 7)), 1, "mask"),
        Case("attention.attention | a fully masked row, as SDPA", fully_masked, 0,
             ok=lambda ab: torch.allclose(ab[0], ab[1], atol=1e-6)),
        Case("attention.attention | d=0 features",
             lambda: attn.attention(torch.zeros(2, 3, 0), torch.zeros(2, 3, 0), torch.zeros(2, 3, 2)), 1, "d"),
        Case("attention.attention | 1-D q, k, v", lambda: attn.attention(torch.ones(4), torch.ones(4), torch.ones(4)),
             1, r"\(\.\.\., n, d\)"),
        Case("attention.attention | a mask of the wrong shape",
             lambda: attn.attention(*qkv(), torch.ones(5, 5, dtype=torch.bool)), 1, "mask"),
        Case("attention.attention | q float64, k and v float32",
             lambda: attn.attention(qkv()[0].double(), *qkv()[1:]), 1, "dtype|float"),
        Case("attention.attention | int64 q, k, v",
             lambda: attn.attention(*(t.long() for t in qkv())), 1, "float"),
        Case("attention.attention | numpy q", lambda: attn.attention(qkv()[0].numpy(), *qkv()[1:]), 1, "q"),
        Case("attention.attention | None v", lambda: attn.attention(*qkv()[:2], None), 1, "v"),
        Case("attention.MultiHeadSelfAttention | dim=0", lambda: attn.MultiHeadSelfAttention(0, 1), 1, "dim"),
        Case("attention.MultiHeadSelfAttention | num_heads=-4", lambda: attn.MultiHeadSelfAttention(64, -4), 1,
             "num_heads"),
        Case("attention.MultiHeadSelfAttention | num_heads=0", lambda: attn.MultiHeadSelfAttention(64, 0), 1,
             "num_heads"),
        Case("attention.MultiHeadSelfAttention | dim=-8", lambda: attn.MultiHeadSelfAttention(-8, 2), 1, "dim"),
        Case("attention.MultiHeadSelfAttention | dim=64.0", lambda: attn.MultiHeadSelfAttention(64.0, 2), 1, "dim"),
        Case("attention.MultiHeadSelfAttention | forward float64",
             lambda: mhsa()(torch.randn(2, 4, 8, dtype=torch.float64)), 1, "double"),
        Case("attention.MultiHeadSelfAttention | forward, mask of the wrong shape",
             lambda: mhsa()(torch.randn(2, 4, 8), torch.ones(5, 5, dtype=torch.bool)), 1, "mask"),
        Case("attention.MultiHeadSelfAttention | forward, an int 0/1 mask",
             lambda: mhsa()(torch.randn(2, 4, 8), m(4, 4)), 1, "mask"),
    ]


def _activation_cases() -> list[Case]:
    unit = lambda out: torch.isfinite(out).all() and abs(out.norm().item() - 1) < 1e-3  # noqa: E731
    v = lambda: torch.randn(6, 3)  # noqa: E731
    cases = []
    for name, fn in (("isotropic_tanh", act.isotropic_tanh), ("intrinsic_tanh", act.intrinsic_tanh)):
        cases += [
            Case(f"activations.{name} | an inf entry", lambda fn=fn: fn(torch.tensor([[float("inf"), 0.0]])), 0,
                 ok=lambda out: torch.equal(out, torch.tensor([[1.0, 0.0]]))),
            Case(f"activations.{name} | a huge vector 1e20 (float32)",
                 lambda fn=fn: fn(torch.tensor([[1e20, 1e20]])), 0, ok=unit),
            Case(f"activations.{name} | a huge vector 1e200 (float64)",
                 lambda fn=fn: fn(torch.tensor([[1e200, 1e200]], dtype=torch.float64)), 0, ok=unit),
            Case(f"activations.{name} | int64 x [[3, 4]]", lambda fn=fn: fn(torch.tensor([[3, 4]])), 0,
                 ok=lambda out: out.is_floating_point() and 0.9 < out.norm() < 1),
        ]
    cases += [
        Case("activations.isotropic_relu | int64 x [[3, 4]]", lambda: act.isotropic_relu(torch.tensor([[3, 4]]), 1.0),
             0, ok=lambda out: torch.allclose(out, torch.tensor([[2.4, 3.2]]))),
        Case("activations.isotropic_relu | bool x", lambda: act.isotropic_relu(torch.tensor([[True, False]])), 0,
             ok=lambda out: torch.allclose(out, torch.tensor([[0.9, 0.0]]))),
        Case("activations.thresholds | isotropic_relu threshold=tensor(-1.)",
             lambda: act.isotropic_relu(v(), torch.tensor(-1.0)), 1, "threshold"),
        Case("activations.thresholds | isotropic_relu threshold='0.1'", lambda: act.isotropic_relu(v(), "0.1"), 1,
             "threshold"),
        Case("activations.thresholds | isotropic_relu threshold=None", lambda: act.isotropic_relu(v(), None), 1,
             "threshold"),
        Case("activations.thresholds | isotropic_relu threshold=tensor([0.1, 0.2])",
             lambda: act.isotropic_relu(v(), torch.tensor([0.1, 0.2])), 1, "threshold"),
        Case("activations.thresholds | isotropic_relu threshold=nan",
             lambda: act.isotropic_relu(v(), float("nan")), 1, "threshold"),
        Case("activations.thresholds | intrinsic_tanh o=tensor(-1.)",
             lambda: act.intrinsic_tanh(v(), o=torch.tensor(-1.0)), 1, "o="),
        Case("activations.thresholds | intrinsic_tanh o='1'", lambda: act.intrinsic_tanh(v(), o="1"), 1, "o="),
        Case("activations.thresholds | IsoReLU(threshold='0.1')", lambda: act.IsoReLU(threshold="0.1"), 1,
             "threshold"),
        Case("activations.thresholds | IsoReLU(threshold=None)", lambda: act.IsoReLU(threshold=None), 1,
             "threshold"),
        Case("activations.thresholds | IntrinsicTanh(o=None)", lambda: act.IntrinsicTanh(o=None), 1, "o="),
        Case("activations.thresholds | IsoReLU learnable, forward",
             lambda: act.IsoReLU(0.5, learnable=True)(v()), 0, ok=lambda out: out.shape == (6, 3)),
        Case("activations.equivariance_error | scale=nan",
             lambda: act.equivariance_error(torch.tanh, scale=float("nan")), 1, "scale"),
        Case("activations.equivariance_error | f returns another shape",
             lambda: act.equivariance_error(lambda x: x.sum(1)), 1, "shape"),
        Case("activations.equivariance_error | f='tanh'", lambda: act.equivariance_error("tanh"), 1, "f="),
        Case("activations.equivariance_error | f=nn.Tanh, the class", lambda: act.equivariance_error(nn.Tanh), 1,
             r"Tanh\(\)"),
        Case("activations.equivariance_error | dtype=torch.int64",
             lambda: act.equivariance_error(torch.tanh, dtype=torch.int64), 1, "dtype"),
        Case("activations.equivariance_error | random_orthogonal(n=-1, d=3)", lambda: act.random_orthogonal(-1, 3),
             1, "n="),
        Case("activations.equivariance_error | random_orthogonal(n=2, d=0)", lambda: act.random_orthogonal(2, 0), 1,
             "d="),
        Case("activations.equivariance_error | random_permutation(2, 3.5)", lambda: act.random_permutation(2, 3.5),
             1, "d="),
    ]
    return cases


def _planar_cases() -> list[Case]:
    net = lambda act_="tanh", hidden=(2, 2): planar.mlp(act_, hidden=hidden)  # noqa: E731
    pts = lambda: data.toy2d(n=64).tensors  # noqa: E731
    snaps = lambda **kw: (lambda: planar.train_snapshots(kw.pop("model", net()), kw.pop("x", pts()[0]),  # noqa: E731
                                                         kw.pop("y", pts()[1]), steps=2, frames=1, **kw))
    h = lambda: torch.randn(100, 2)  # noqa: E731
    some_zero = lambda: torch.cat([torch.zeros(95, 2), torch.randn(5, 2)])  # noqa: E731
    return [
        Case("planar.mlp | hidden=5 (an int)", lambda: planar.mlp("tanh", hidden=5), 1, "hidden"),
        Case("planar.mlp | in_features=-1", lambda: planar.mlp("tanh", in_features=-1), 1, "in_features"),
        Case("planar.mlp | in_features=0", lambda: planar.mlp("tanh", in_features=0), 1, "in_features"),
        Case("planar.mlp | classes=0", lambda: planar.mlp("tanh", classes=0), 1, "classes"),
        Case("planar.mlp | classes='2'", lambda: planar.mlp("tanh", classes="2"), 1, "classes"),
        Case("planar.stack | different widths", lambda: planar.stack([net(hidden=(2, 2)), net(hidden=(3, 2))]),
             1, "stack"),
        Case("planar.stack | a Linear, not a Sequential", lambda: planar.stack([nn.Linear(2, 2)]), 1, "Sequential"),
        Case("planar.stack | different depths", lambda: planar.stack([net(hidden=(2, 2)), net(hidden=(2, 2, 2))]),
             1, "layers"),
        Case("planar.stack | different activations", lambda: planar.stack([net("tanh"), net("relu")]), 1,
             "Tanh|ReLU"),
        Case("planar.stack | the same architecture", lambda: planar.stack([net(), net()]), 0,
             ok=lambda s: s(torch.zeros(5, 2)).shape == (2, 5, 2)),
        Case("planar.unstack | into a wrong number of models",
             lambda: planar.unstack(planar.stack([net(), net()]), [net(), net(), net()]), 1, "models"),
        Case("planar.train_snapshots | lr=-1", snaps(lr=-1), 1, "lr"),
        Case("planar.train_snapshots | lr='0.03'", snaps(lr="0.03"), 1, "lr"),
        Case("planar.train_snapshots | float labels", snaps(y=pts()[1].float()), 1, r"long\(\)"),
        Case("planar.train_snapshots | a label >= classes", snaps(y=pts()[1] * 3), 1, "num_classes|classes"),
        Case("planar.train_snapshots | x float64", snaps(x=pts()[0].double()), 1, "float"),
        Case("planar.train_snapshots | x with 3 features for a 2-input net", snaps(x=torch.randn(64, 3)), 1,
             "features|in_features"),
        Case("planar.train_snapshots | x and y of different lengths", snaps(y=pts()[1][:10]), 1, "labels"),
        Case("planar.train_snapshots | a probe of the wrong width", snaps(probe=torch.randn(5, 3)), 1, "probe"),
        Case("planar.train_snapshots | labels (n, 1)", snaps(y=pts()[1][:, None]), 1, "labels"),
        Case("planar.describe | collapsed, empty (0, 2)", lambda: planar.collapsed(torch.zeros(0, 2)), 1, "empty"),
        Case("planar.describe | class_directions, float y",
             lambda: planar.class_directions(h(), torch.zeros(100)), 1, r"long\(\)"),
        Case("planar.describe | class_directions, a negative label",
             lambda: planar.class_directions(h(), torch.full((100,), -1)), 1, "labels"),
        Case("planar.describe | class_directions, classes=2 < max label + 1",
             lambda: planar.class_directions(h(), torch.arange(100) % 3, classes=2), 1, "classes"),
        Case("planar.describe | angular_evenness('abc')", lambda: planar.angular_evenness("abc"), 1, "angles"),
        Case("planar.describe | angular_evenness([nan, 0])", lambda: planar.angular_evenness([float("nan"), 0.0]),
             1, "angles"),
        Case("planar.describe | angular_evenness of 4 evenly spaced radians", lambda: planar.angular_evenness(
            [0.0, np.pi / 2, np.pi, 3 * np.pi / 2]), 0, ok=lambda e: abs(e - 1) < 1e-9),
        Case("planar.describe | hidden_states of a Linear", lambda: planar.hidden_states(nn.Linear(2, 2), h()), 1,
             "Sequential"),
        Case("planar.describe | grid_lines(lines=-1)", lambda: planar.grid_lines(lines=-1), 1, "lines"),
        Case("planar.describe | grid_lines(points=2.5)", lambda: planar.grid_lines(points=2.5), 1, "points"),
        Case("planar.describe | circle(radius='1')", lambda: planar.circle(radius="1"), 1, "radius"),
        Case("planar.describe | collapsed_fraction, 95 of 100 points at the origin",
             lambda: planar.collapsed_fraction(some_zero()), 0, ok=lambda f: abs(f - 0.95) < 1e-9),
        Case("planar.describe | collapsed_fraction, every point at the origin",
             lambda: planar.collapsed_fraction(torch.zeros(100, 2)), 0, ok=lambda f: f == 1.0),
        Case("planar.describe | collapsed_fraction, none collapsed",
             lambda: planar.collapsed_fraction(torch.randn(100, 2) + 5), 0, ok=lambda f: f == 0.0),
        Case("planar.describe | accuracy with labels (n, 1)",
             lambda: planar.accuracy(net(), pts()[0], pts()[1][:, None]), 1, "labels"),
    ]


def _train_cases() -> list[Case]:
    sset = lambda: small_set(64)  # noqa: E731
    fit = lambda model=None, tr=None, **kw: lambda: train.fit(  # noqa: E731
        mlp8() if model is None else model(), sset() if tr is None else tr(), epochs=kw.pop("epochs", 1),
        progress=False, device=kw.pop("device", "cpu"), **kw)
    xs, ys = digit_images(64)
    return [
        Case("train.fit | lr='1e-3'", fit(lr="1e-3"), 1, "lr"),
        Case("train.fit | lr=None", fit(lr=None), 1, "lr"),
        Case("train.fit | lr=nan", fit(lr=float("nan")), 1, "lr"),
        Case("train.fit | weight_decay=-1", fit(weight_decay=-1), 1, "weight_decay"),
        Case("train.fit | device='gpu'", fit(device="gpu"), 1, "device"),
        Case("train.fit | device='cuda' on a CPU-only machine", fit(device="cuda"), 1, "device"),
        Case("train.fit | device='mps' (not on this machine)", fit(device="mps"), 1, "device"),
        Case("train.fit | device=0 (an int)", fit(device=0), 1, "device"),
        Case("train.fit | seed=None", fit(seed=None), 1, "seed"),
        Case("train.fit | train=None", fit(tr=lambda: None), 1, "train"),
        Case("train.fit | train=(x, y), a tuple of tensors", fit(tr=lambda: (xs, ys)), 1, "TensorDataset"),
        Case("train.fit | train=x, a tensor without labels", fit(tr=lambda: xs), 1, "TensorDataset"),
        Case("train.fit | float64 images", fit(tr=lambda: small_set(64, x=xs.double())), 1, r"float\(\)|double"),
        Case("train.fit | uint8 images", fit(tr=lambda: small_set(64, x=(xs * 255).byte())), 1, "255"),
        Case("train.fit | float labels", fit(tr=lambda: small_set(64, y=ys.float())), 1, r"long\(\)"),
        Case("train.fit | labels of shape (n, 1)", fit(tr=lambda: small_set(64, y=ys[:, None])), 1, "labels"),
        Case("train.fit | a 5-class model, 10-class data", fit(model=lambda: mlp8(5)), 1, "num_classes"),
        Case("train.fit | a model for 2-D points fed digits",
             fit(model=lambda: nn.Sequential(nn.Flatten(), nn.Linear(2, 2))), 1, "train"),
        Case("train.fit | a model without parameters", fit(model=lambda: nn.Flatten()), 1, "parameters"),
        Case("train.fit | an empty train set", fit(tr=lambda: small_set(0)), 1, "empty"),
        Case("train.fit | an empty test set", lambda: train.fit(mlp8(), sset(), small_set(0), epochs=1,
                                                                progress=False, device="cpu"), 1, "empty"),
        Case("train.fit | a test set of another image size", lambda: train.fit(
            mlp8(), sset(), data.digits(size=16)[1], epochs=1, progress=False, device="cpu"), 1, "test"),
        Case("train.fit | NaN images", fit(tr=lambda: small_set(64, x=torch.full_like(xs, float("nan")))), 1,
             "NaN|finite"),
        Case("train.fit | epochs=0", fit(epochs=0), 1, "epochs"),
        Case("train.fit | valid", fit(), 0, ok=lambda h: h.epochs == 1),
        Case("train.evaluate | an empty dataset", lambda: train.evaluate(mlp8(), small_set(0)), 1, "empty"),
        Case("train.evaluate | a model without parameters",
             lambda: train.evaluate(nn.Sequential(nn.Flatten(), nn.AdaptiveAvgPool1d(10)), sset()), 0,
             ok=lambda la: len(la) == 2 and 0 <= la[1] <= 1),
        Case("train.evaluate | device='cuda' on a CPU-only machine",
             lambda: train.evaluate(mlp8(), sset(), device="cuda"), 1, "device"),
        Case("train.evaluate | data=None", lambda: train.evaluate(mlp8(), None), 1, "data"),
        Case("train.evaluate | labels out of range", lambda: train.evaluate(mlp8(4), sset()), 1, "num_classes"),
        Case("train.evaluate | the model's mode after a failed evaluate()",
             raises_then_mode(lambda m: train.evaluate(m, small_set(8))), 0, ok=lambda training: training),
        Case("train.History | time_to('0.9')", lambda: train.History(test_acc=[0.5], seconds=[1.0]).time_to("0.9"),
             1, "accuracy"),
    ]


def _profile_cases() -> list[Case]:
    x16 = lambda: torch.rand(1, 1, 16, 16)  # noqa: E731
    return [
        Case("profile | count_params(None)", lambda: profile.count_params(None), 1, "model"),
        Case("profile | count_params(a tensor)", lambda: profile.count_params(torch.zeros(3)), 1, "model"),
        Case("profile | count_params(a list of modules)", lambda: profile.count_params([nn.Linear(2, 2)]), 1,
             "model"),
        Case("profile | count_flops(model, None)", lambda: profile.count_flops(family("resnet20"), None), 1, "x"),
        Case("profile | count_flops(model, float64 x)",
             lambda: profile.count_flops(family("resnet20"), x16().double()), 1, "double"),
        Case("profile | the model's mode after count_flops() raised",
             raises_then_mode(lambda m: profile.count_flops(m, torch.rand(1, 3, 16, 16))), 0,
             ok=lambda training: training),
        Case("profile | throughput repeats=2.5", lambda: profile.throughput(nn.Identity(), x16(), repeats=2.5), 1,
             "repeats"),
        Case("profile | throughput repeats='3'", lambda: profile.throughput(nn.Identity(), x16(), repeats="3"), 1,
             "repeats"),
        Case("profile | best_time threads=0", lambda: profile.best_time(lambda: None, threads=0), 1, "threads"),
        Case("profile | best_time fn=3", lambda: profile.best_time(3), 1, "fn"),
        Case("profile | loglog_slope of strings", lambda: profile.loglog_slope(["a", "b"], ["c", "d"]), 1,
             "xs|ys"),
        Case("profile | loglog_slope with a 0 in xs", lambda: profile.loglog_slope([0, 1, 2], [1, 2, 3]), 1, "xs"),
        Case("profile | loglog_slope with a negative y", lambda: profile.loglog_slope([1, 2, 3], [1, -2, 3]), 1,
             "ys"),
        Case("profile | loglog_slope, all xs equal", lambda: profile.loglog_slope([2, 2, 2], [1, 2, 3]), 1, "xs"),
        Case("profile | loglog_slope of y = x^2", lambda: profile.loglog_slope([1, 2, 4], [1, 4, 16]), 0,
             ok=lambda k: abs(k - 2) < 1e-12),
        Case("table | rows=None", lambda: Table(["a"], None), 1, "rows"),
        Case("table | flat rows [1, 2] for one column", lambda: Table(["a"], [1, 2]), 1, "row"),
        Case("table | columns=None", lambda: Table(None, [[1]]), 1, "columns"),
        Case("table | columns='ab', a string", lambda: Table("ab", [[1, 2]]), 1, "columns"),
        Case("probe | ridge alpha='1'", lambda: probe.ridge(torch.randn(10, 3), torch.randn(10, 2), alpha="1"), 1,
             "alpha"),
        Case("probe | ridge z 1-D (n,)", lambda: probe.ridge(torch.randn(10), torch.randn(10, 2)), 1, "z_train"),
        Case("probe | ridge, predict features of another width",
             lambda: probe.ridge(torch.randn(10, 5), torch.randn(10, 2))(torch.randn(3, 6)), 1, "features"),
        Case("probe | ridge, an empty z (0, 5)", lambda: probe.ridge(torch.zeros(0, 5), torch.zeros(0, 3)), 1,
             "empty"),
        Case("probe | read_out, float labels", lambda: probe.read_out(
            torch.randn(20, 4), torch.zeros(20), torch.randn(20, 3), torch.randn(5, 4), torch.zeros(5),
            torch.randn(5, 3)), 1, r"long\(\)"),
        Case("probe | read_out, constant pixels (R² undefined)", lambda: probe.read_out(
            torch.randn(20, 4), torch.arange(20) % 2, torch.ones(20, 3), torch.randn(5, 4), torch.arange(5) % 2,
            torch.ones(5, 3)), 1, "constant"),
    ]


def _compare_cases() -> list[Case]:
    from isolearn import compare

    tiny = lambda: small_set(16)  # noqa: E731
    return [
        Case("compare | race(builders given models, not functions)",
             lambda: compare.race({"lin": mlp8()}, tiny(), tiny(), epochs=1), 1, "lambda"),
        Case("compare | contenders(num_classes=0), then build the Mixer",
             lambda: compare.contenders(num_classes=0)["Mixer"](), 1, "num_classes"),
        Case("compare | race(seeds=0)", lambda: compare.race({"lin": mlp8}, tiny(), tiny(), epochs=1, seeds=0), 1,
             "seeds"),
        Case("compare | race(seeds=-1)", lambda: compare.race({"lin": mlp8}, tiny(), tiny(), epochs=1, seeds=-1),
             1, "seeds"),
    ]


def _figure_cases() -> list[Case]:
    maps = lambda: [torch.rand(1, 4, 8, 8), torch.rand(1, 8, 4, 4)]  # noqa: E731
    fig = lambda f: lambda: close_figures(f())  # noqa: E731
    drawn = lambda value: value is True  # noqa: E731
    return [
        Case("viz.image_grid | an empty list", lambda: viz.image_grid([]), 1, "images"),
        Case("viz.image_grid | numpy images", fig(lambda: viz.image_grid([np.zeros((8, 8))])), 0, ok=drawn),
        Case("viz.image_grid | titles shorter than images",
             lambda: viz.image_grid([torch.zeros(8, 8)] * 3, titles=["a"]), 1, "titles"),
        Case("viz.image_grid | ncols=-1", lambda: viz.image_grid([torch.zeros(8, 8)], ncols=-1), 1, "ncols"),
        Case("viz.image_grid | ncols=2.5", lambda: viz.image_grid([torch.zeros(8, 8)], ncols=2.5), 1, "ncols"),
        Case("viz.image_grid | cmap='nonsense'", lambda: viz.image_grid([torch.zeros(8, 8)], cmap="nonsense"), 1,
             "cmap"),
        Case("viz.kernel_grid | an nn.Conv2d, not its weight", lambda: viz.kernel_grid(nn.Conv2d(1, 4, 3)), 1,
             "weight"),
        Case("viz.annotate | fmt='{:d}' on floats", lambda: viz.annotate(None, torch.rand(2, 2), fmt="{:d}"), 1,
             "fmt"),
        Case("viz.sliding_kernel_animation | a kernel larger than the image",
             lambda: viz.sliding_kernel_animation(torch.rand(4, 4), torch.rand(5, 5)), 1, "kernel"),
        # The review's 28x28 digit (676 positions) took 36 s and 11 MB; a 14x14 image (144 positions,
        # more than the 64 frames allowed) shows the subsampling in a few seconds.
        Case("viz.sliding_kernel_animation | more positions than frames allowed (14x14: 144) is subsampled",
             lambda: viz.sliding_kernel_animation(torch.rand(14, 14), conv.KERNELS["sobel x"]), 0,
             ok=lambda html: 0 < animation_frames(html) <= 64),
        Case("viz.figures | pyramid_figure({})", lambda: viz.pyramid_figure({}), 1, "tables"),
        Case("viz.figures | feature_pyramid([], [])", lambda: viz.feature_pyramid([], []), 1, "maps"),
        Case("viz.figures | feature_pyramid channels=0", lambda: viz.feature_pyramid(maps(), ["a", "b"], channels=0),
             1, "channels"),
        Case("viz.figures | feature_pyramid, names shorter than maps",
             lambda: viz.feature_pyramid(maps(), ["a"]), 1, "names"),
        Case("viz.figures | plane_maps({}), just the input plane", fig(lambda: viz.plane_maps({})), 0, ok=drawn),
        Case("viz.figures | plane_maps, f of the wrong output shape",
             lambda: viz.plane_maps({"bad": lambda p: p.sum(1)}), 1, "shape"),
        Case("viz.figures | plane_maps radii=()", lambda: viz.plane_maps({}, radii=()), 1, "radii"),
        Case("viz.figures | plane_maps lines=0", lambda: viz.plane_maps({}, lines=0), 1, "lines"),
        Case("viz.figures | class_scatter with 12 classes", fig(lambda: viz.class_scatter(
            {"a": torch.randn(24, 2)}, torch.arange(24) % 12)), 0, ok=drawn),
        Case("viz.figures | class_scatter names shorter than the classes",
             lambda: viz.class_scatter({"a": torch.randn(6, 2)}, torch.arange(6) % 3, names=["x"]), 1, "names"),
        Case("viz.figures | class_scatter points={}", lambda: viz.class_scatter({}, torch.zeros(3).long()), 1,
             "points"),
        Case("viz.figures | class_scatter points (n, 3)",
             lambda: viz.class_scatter({"a": torch.randn(6, 3)}, torch.arange(6) % 3), 1, r"\(n, 2\)"),
        Case("viz.figures | show_source(torch.relu), a builtin", lambda: viz.show_source(torch.relu), 1, "source"),
        Case("viz.figures | show_source('conv2d'), a string", lambda: viz.show_source("conv2d"), 1, "source"),
    ]


def _widget_cases() -> list[Case]:
    from isolearn.models.vit import ViT, ViTConfig

    tiny_vit = lambda **kw: ViT(ViTConfig(img_size=8, patch_size=4, in_chans=1, num_classes=10,  # noqa: E731
                                          embed_dim=8, depth=1, num_heads=2, mlp_ratio=1.0, **kw))
    fig = lambda make: lambda: close_figures(make().figure())  # noqa: E731
    drawn = lambda value: value is True  # noqa: E731

    def leaves_the_model():
        model = tiny_vit().double().train()
        widgets.AttentionExplorer(model, torch.rand(2, 1, 8, 8, dtype=torch.float64))
        return model.training, next(model.parameters()).dtype

    return [
        Case("widgets | KernelExplorer, a numpy image", fig(lambda: widgets.KernelExplorer(img16().numpy())), 0,
             ok=drawn),
        Case("widgets | KernelExplorer, a kernel as a nested list",
             fig(lambda: widgets.KernelExplorer(img16(), {"sobel": SOBEL})), 0, ok=drawn),
        Case("widgets | KernelExplorer, an int kernel: feature_map",
             lambda: widgets.KernelExplorer(img16(), {"k": torch.tensor([[0, -1, 0], [-1, 5, -1],
                                                                        [0, -1, 0]])}).feature_map, 0,
             ok=lambda out: out.is_floating_point() and out.abs().sum() > 0),
        Case("widgets | PatchExplorer, a 7x7 image (no divisor between 1 and 7)",
             fig(lambda: widgets.PatchExplorer(torch.rand(7, 7))), 0, ok=drawn),
        Case("widgets | PatchExplorer sizes=[3] on 8x8", lambda: widgets.PatchExplorer(torch.rand(8, 8), [3]), 1,
             "sizes"),
        Case("widgets | PatchExplorer sizes=[0]", lambda: widgets.PatchExplorer(torch.rand(8, 8), [0]), 1, "sizes"),
        Case("widgets | PatchExplorer sizes=[4] on 8x8 (one size)",
             fig(lambda: widgets.PatchExplorer(torch.rand(8, 8), [4])), 0, ok=drawn),
        Case("widgets | PatchExplorer, 9x9 image, default sizes", fig(lambda: widgets.PatchExplorer(torch.rand(9, 9))),
             0, ok=drawn),
        Case("widgets | PatchExplorer, 4x4 image, default sizes", fig(lambda: widgets.PatchExplorer(torch.rand(4, 4))),
             0, ok=drawn),
        Case("widgets | PatchExplorer, a non-square 8x12 image", lambda: widgets.PatchExplorer(torch.rand(8, 12)), 1,
             "square"),
        Case("widgets | AttentionExplorer, a ViT without class token",
             lambda: widgets.AttentionExplorer(tiny_vit(pool="mean"), torch.rand(2, 1, 8, 8)), 1, "class token"),
        Case("widgets | AttentionExplorer on a Mixer",
             lambda: widgets.AttentionExplorer(models.create("mixer_digits"), torch.rand(2, 1, 8, 8)), 1, "ViT"),
        Case("widgets | AttentionExplorer, images (1, 8, 8) without batch",
             lambda: widgets.AttentionExplorer(tiny_vit(), torch.rand(1, 8, 8)), 1, r"\[None\]"),
        Case("widgets | AttentionExplorer leaves the caller's model as it was", leaves_the_model, 0,
             ok=lambda state: state == (True, torch.float64)),
        Case("widgets | RotationExplorer fns={'bad': 'tanh'}",
             lambda: widgets.RotationExplorer({"bad": "tanh"}).figure(), 1, "fns"),
        Case("widgets | RotationExplorer angles=[]", lambda: widgets.RotationExplorer(angles=[]).figure(), 1,
             "angles"),
        Case("widgets | RotationExplorer angles=['30']", lambda: widgets.RotationExplorer(angles=["30"]).figure(), 1,
             "angles"),
    ]


def _isotropy_cases() -> list[Case]:
    """Chapter 10: the activation and norm options, the symmetry checker, the new norm."""
    from isolearn import norm, symmetry

    return [
        Case("models | create('vit_digits', activation='swish')",
             lambda: models.create("vit_digits", activation="swish"), 1, "activation='swish'"),
        Case("models | create('mixer_digits', norm='batch')",
             lambda: models.create("mixer_digits", norm="batch"), 1, "norm='batch'"),
        Case("models | create('convmixer_digits', norm='layer')",
             lambda: models.create("convmixer_digits", norm="layer"), 1, "norm='layer'"),
        Case("symmetry | symmetries(nn.Linear)", lambda: symmetry.symmetries(nn.Linear(2, 2)), 1, "model"),
        Case("symmetry | rotate_stream q of the wrong width",
             lambda: symmetry.rotate_stream(models.create("vit_digits", depth=1), torch.eye(3)), 1, "q"),
        Case("activations | ScaledIsoTanh(scale=0)", lambda: act.ScaledIsoTanh(0.0), 1, "scale"),
        Case("norm | rms_norm on an int tensor", lambda: norm.rms_norm(torch.ones(2, 3, dtype=torch.long)), 1,
             "float"),
        Case("norm | affine_step, 5 inputs and 4 gradients",
             lambda: norm.affine_step(torch.ones(5, 2), torch.ones(4, 3), 0.1), 1, "grad_z"),
    ]


def all_cases() -> list[Case]:
    return (_model_cases() + _data_cases() + _conv_cases() + _patch_attention_cases() + _activation_cases()
            + _planar_cases() + _train_cases() + _profile_cases() + _compare_cases() + _figure_cases()
            + _widget_cases() + _isotropy_cases())


CASES = all_cases()


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_gets_a_clear_answer(case: Case):
    got, what = classify(case)
    assert got == case.want, f"class {got}, want {case.want}: {what}"
    if got == 1 and case.match:
        assert re.search(case.match, what), f"the message does not name {case.match!r}: {what}"


def test_the_table_has_unique_ids():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
