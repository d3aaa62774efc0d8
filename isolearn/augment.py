"""Data augmentation for a whole batch at once, on the device that holds it.

A DataLoader augments one image at a time in Python (``isolearn.data.CropFlip``, torchvision's
transforms); on a GPU that costs more than the network. Here every function takes a batch
``x: (b, c, h, w)`` of images in [0, 1] and gives each image its *own* random draw, in a handful
of tensor operations and with no per-image Python, so the training set can stay on the GPU
(:class:`isolearn.data.DeviceBatches`) and batches never leave it.

- :func:`random_crop` and :func:`flip`: the CIFAR augmentation of He et al. (pad 4 zero pixels,
  cut a random crop of the original size, i.e. shift by up to 4 pixels; mirror with probability
  1/2), the batched twins of :class:`isolearn.data.CropFlip`.
- :class:`RandAugment` (Cubuk et al. 2020) and :class:`AutoAugment` (its CIFAR-10 policy, Cubuk
  et al. 2019): random photometric and geometric operations, written in torch (torchvision is
  not a dependency). Each op is a function of the batch and one magnitude per image.
- :func:`cutmix` (Yun et al. 2019): paste a box of another image of the batch.

Each augmentation *step* (:class:`Crop`, :class:`Flip`, :class:`RandAugment`,
:class:`AutoAugment`) is a small frozen dataclass, called as ``step(x, generator)``, whose
``str()`` names it; a recipe (:mod:`isolearn.recipes`) lists its steps in order.

**What differs from torchvision's RandAugment** (v0.26, which the ConvMixer reference uses on
PIL images): the same 14 operations, magnitude table (31 bins), signs and fill (black); but

1. we work on float images in [0, 1] and do not round to 256 levels after each operation
   (posterize, solarize and equalize round their input to 256 levels, as they must);
2. shears, translations and rotations sample the input at pixel centres with nearest-neighbour
   interpolation (``grid_sample``); PIL's geometry can place a pixel half a pixel differently;
3. contrast blends with the exact mean grey level (PIL rounds it to a whole level);
4. the random draws come from a torch generator on the device, one per image, so the *stream*
   of random numbers differs while their *distribution* is the same.

:class:`AutoAugment` follows the PIL implementation that the ViT and Mixer references use
(DeepVoltaire/AutoAugment, copied into omihub777/ViT-CIFAR): grey fill (128) for the
geometric ops, bicubic shears (``grid_sample``'s bicubic kernel has a = -0.75, PIL's a = -0.5),
fractional translations of up to 150/331 of the image, rotations always counter-clockwise,
with points 1 to 4 above.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from einops import rearrange

GRAY_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R 601 luma, as PIL's convert("L")


def _check_images(x: torch.Tensor, fn: str) -> None:
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or not x.is_floating_point():
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{fn}: x must be a float batch of images (b, c, h, w), got {shape}; "
                         "add a batch axis with x[None] and convert with x.float() / 255")


def _per_image(value: torch.Tensor) -> torch.Tensor:
    """(b,) -> (b, 1, 1, 1), to broadcast one number per image over its pixels."""
    return value.reshape(-1, 1, 1, 1)


def _uniform(b: int, x: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    return torch.rand(b, device=x.device, generator=generator)  # (b,)


# --- crop and flip ------------------------------------------------------------------------------


def shift_batch(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor, padding: int) -> torch.Tensor:
    """Image i of ``x: (b, c, h, w)`` moved down by ``dy[i]`` and right by ``dx[i]`` pixels, zeros
    coming in; every shift must lie in [-padding, padding]. The batched twin of
    :func:`isolearn.data.shift`: pad once; every crop of the padded image is a window (a view,
    no copy), and one gather picks each image's own."""
    _check_images(x, "shift_batch")
    if not isinstance(padding, int) or padding < 0:
        raise ValueError(f"shift_batch: padding={padding!r} must be an int >= 0, e.g. 4")
    if dy.shape != (len(x),) or dx.shape != (len(x),):
        raise ValueError(f"shift_batch: dy and dx need one shift per image, shape ({len(x)},); "
                         f"got {tuple(dy.shape)} and {tuple(dx.shape)}")
    return _shift(x, dy, dx, padding)


def _shift(x: torch.Tensor, dy: torch.Tensor, dx: torch.Tensor, padding: int) -> torch.Tensor:
    b, _, h, w = x.shape
    padded = F.pad(x, (padding, padding, padding, padding))  # (b, c, h + 2p, w + 2p), zeros
    windows = padded.unfold(2, h, 1).unfold(3, w, 1)  # (b, c, 2p + 1, 2p + 1, h, w): every crop
    rows, cols = padding - dy.long(), padding - dx.long()  # (b,): where each image's crop starts
    return windows[torch.arange(b, device=x.device), :, rows, cols]  # (b, c, h, w)


def random_crop(x: torch.Tensor, padding: int = 4, generator: torch.Generator | None = None) -> torch.Tensor:
    """Pad ``padding`` zero pixels on every side and cut a random crop of the original size: each
    image shifted by its own (dy, dx), uniform in [-padding, padding]² (torchvision's
    ``RandomCrop(size, padding)``; He et al. 2016, sec. 4.2). ``x: (b, c, h, w)``."""
    _check_images(x, "random_crop")
    if not isinstance(padding, int) or padding < 0:
        raise ValueError(f"random_crop: padding={padding!r} must be an int >= 0, e.g. 4")
    dy, dx = torch.randint(-padding, padding + 1, (2, len(x)), device=x.device, generator=generator)
    return _shift(x, dy, dx, padding)


def flip(x: torch.Tensor, p: float = 0.5, generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image left-right with probability ``p`` (its own coin). ``x: (b, c, h, w)``."""
    _check_images(x, "flip")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"flip: p={p!r} must be a probability in [0, 1]")
    heads = _uniform(len(x), x, generator) < p  # (b,)
    return torch.where(_per_image(heads), x.flip(-1), x)


def normalize(x: torch.Tensor, mean: torch.Tensor, std: torch.Tensor | None = None) -> torch.Tensor:
    """``(x - mean) / std``, broadcast over the batch: ``mean`` is ``(c, 1, 1)`` per channel or
    ``(c, h, w)`` per pixel (He et al. subtract the per-pixel mean and divide by nothing)."""
    x = x - mean.to(x.device)
    return x if std is None else x / std.to(x.device)


# --- the operations of RandAugment and AutoAugment: batch (b, c, h, w), one magnitude per image -


def _gray(x: torch.Tensor) -> torch.Tensor:
    """Luma (b, 1, h, w) of RGB images; a one-channel image is its own grey."""
    if x.shape[1] == 1:
        return x
    weights = torch.tensor(GRAY_WEIGHTS, device=x.device, dtype=x.dtype).reshape(1, 3, 1, 1)
    return (x * weights).sum(1, keepdim=True)


def _blend(x: torch.Tensor, other: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """``other + factor·(x - other)``, clipped to [0, 1]: PIL's ImageEnhance with ``factor``
    (1 keeps x, 0 gives ``other``, above 1 pushes away from it)."""
    return (other + _per_image(factor) * (x - other)).clamp(0, 1)


def _levels(x: torch.Tensor) -> torch.Tensor:
    """The 8-bit grey level 0..255 of each value (what PIL would store)."""
    return (x * 255).round()


def _affine(x: torch.Tensor, theta: torch.Tensor, fill: float, mode: str) -> torch.Tensor:
    """Resample every image at ``theta @ (u, v, 1)`` for each output pixel centre (u, v),
    measured in pixels from the image centre; ``theta: (b, 2, 3)``. Outside the image: ``fill``."""
    b, _, h, w = x.shape
    v, u = torch.meshgrid(torch.arange(h, device=x.device, dtype=x.dtype) - (h - 1) / 2,
                          torch.arange(w, device=x.device, dtype=x.dtype) - (w - 1) / 2, indexing="ij")
    points = torch.stack([u, v, torch.ones_like(u)], dim=-1)  # (h, w, 3)
    source = torch.einsum("bij,hwj->bhwi", theta.to(x.dtype), points)  # (b, h, w, 2): pixels
    scale = torch.tensor([2 / w, 2 / h], device=x.device, dtype=x.dtype)
    grid = source * scale  # grid_sample's coordinates: -1 and 1 are the outer pixel edges
    out = F.grid_sample(x - fill, grid, mode=mode, padding_mode="zeros", align_corners=False) + fill
    return out.clamp(0, 1) if mode == "bicubic" else out


def _theta(rows: list[list[torch.Tensor | float]], like: torch.Tensor) -> torch.Tensor:
    """Stack a 2x3 matrix whose entries are numbers or (b,) tensors into (b, 2, 3)."""
    b = len(like)
    entries = [torch.as_tensor(e, dtype=like.dtype, device=like.device).expand(b)
               for row in rows for e in row]
    return torch.stack(entries, dim=-1).reshape(b, 2, 3)


def shear_x(x: torch.Tensor, m: torch.Tensor, fill: float = 0.0, mode: str = "nearest") -> torch.Tensor:
    """Slant horizontally about the top edge: output (u, v) reads input (u + m·(v + h/2), v)."""
    h = x.shape[2]
    return _affine(x, _theta([[1, m, m * h / 2], [0, 1, 0]], m), fill, mode)


def shear_y(x: torch.Tensor, m: torch.Tensor, fill: float = 0.0, mode: str = "nearest") -> torch.Tensor:
    """Slant vertically about the left edge: output (u, v) reads input (u, v + m·(u + w/2))."""
    w = x.shape[3]
    return _affine(x, _theta([[1, 0, 0], [m, 1, m * w / 2]], m), fill, mode)


def translate_x(x: torch.Tensor, pixels: torch.Tensor, fill: float = 0.0,
                mode: str = "nearest") -> torch.Tensor:
    """Move each image right by ``pixels`` (left if negative)."""
    return _affine(x, _theta([[1, 0, -pixels], [0, 1, 0]], pixels), fill, mode)


def translate_y(x: torch.Tensor, pixels: torch.Tensor, fill: float = 0.0,
                mode: str = "nearest") -> torch.Tensor:
    """Move each image down by ``pixels`` (up if negative)."""
    return _affine(x, _theta([[1, 0, 0], [0, 1, -pixels]], pixels), fill, mode)


def rotate(x: torch.Tensor, degrees: torch.Tensor, fill: float = 0.0, mode: str = "nearest") -> torch.Tensor:
    """Turn each image counter-clockwise (as seen on screen) by ``degrees`` about its centre."""
    t = torch.deg2rad(degrees)
    cos, sin = torch.cos(t), torch.sin(t)
    return _affine(x, _theta([[cos, -sin, 0], [sin, cos, 0]], degrees), fill, mode)


def brightness(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Blend with black: ``factor`` 0 gives black, 1 the image, 1.5 a brighter one."""
    return _blend(x, torch.zeros_like(x), factor)


def color(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Saturation: blend with the image's grey version (0: grey, 1: unchanged)."""
    return _blend(x, _gray(x), factor)


def contrast(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Blend with the image's mean grey level (0: flat grey, 1: unchanged)."""
    return _blend(x, _gray(x).mean(dim=(1, 2, 3), keepdim=True), factor)


def sharpness(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Blend with a smoothed copy (PIL's SMOOTH kernel, 5 at the centre and 1 around, over 13);
    the one-pixel border keeps its values, as PIL's filter leaves it."""
    c = x.shape[1]
    kernel = torch.ones(3, 3, device=x.device, dtype=x.dtype)
    kernel[1, 1] = 5
    kernel = (kernel / kernel.sum()).repeat(c, 1, 1, 1)  # (c, 1, 3, 3): one kernel per channel
    smooth = x.clone()
    smooth[..., 1:-1, 1:-1] = F.conv2d(x, kernel, groups=c)  # (b, c, h - 2, w - 2)
    return _blend(x, smooth, factor)


def posterize(x: torch.Tensor, bits: torch.Tensor) -> torch.Tensor:
    """Keep the top ``bits`` of each 8-bit level (8: unchanged, 4: 16 levels)."""
    step = _per_image(2.0 ** (8 - bits.to(x.dtype)))
    return torch.floor(_levels(x) / step) * step / 255


def solarize(x: torch.Tensor, threshold: torch.Tensor) -> torch.Tensor:
    """Invert the levels at or above ``threshold`` (0..256; 256 changes nothing)."""
    return torch.where(_levels(x) >= _per_image(threshold), 1 - x, x)


def autocontrast(x: torch.Tensor, _: torch.Tensor | None = None) -> torch.Tensor:
    """Stretch each channel of each image to span [0, 1] (a flat channel stays as it is)."""
    lo = x.amin(dim=(2, 3), keepdim=True)  # (b, c, 1, 1)
    hi = x.amax(dim=(2, 3), keepdim=True)
    return torch.where(hi > lo, (x - lo) / (hi - lo).clamp_min(1e-12), x)


def equalize(x: torch.Tensor, _: torch.Tensor | None = None) -> torch.Tensor:
    """Histogram equalisation of each channel of each image, as PIL's ImageOps.equalize: the
    256-level histogram's running count, in steps of (pixels - count of the top level) / 255,
    becomes the new level; a channel with a single level stays as it is."""
    b, c, h, w = x.shape
    levels = rearrange(_levels(x).long(), "b c h w -> (b c) (h w)")  # (bc, hw) in 0..255
    ones = torch.ones_like(levels, dtype=torch.float)
    hist = torch.zeros(b * c, 256, device=x.device).scatter_add_(1, levels, ones)  # (bc, 256)
    top = hist.gather(1, levels.amax(1, keepdim=True))  # (bc, 1): count of the highest level
    step = torch.div(h * w - top, 255, rounding_mode="floor")  # (bc, 1)
    before = hist.cumsum(1) - hist  # (bc, 256): pixels strictly below each level
    lut = torch.div(before + torch.div(step, 2, rounding_mode="floor"), step.clamp_min(1),
                    rounding_mode="floor").clamp(max=255)
    out = torch.where(step > 0, lut.gather(1, levels), levels.to(lut.dtype)) / 255
    return rearrange(out, "(b c) (h w) -> b c h w", b=b, h=h).to(x.dtype)


def invert(x: torch.Tensor, _: torch.Tensor | None = None) -> torch.Tensor:
    """Negative: 1 - x."""
    return 1 - x


def identity(x: torch.Tensor, _: torch.Tensor | None = None) -> torch.Tensor:
    return x


OPS = {"Identity": identity, "ShearX": shear_x, "ShearY": shear_y, "TranslateX": translate_x,
       "TranslateY": translate_y, "Rotate": rotate, "Brightness": brightness, "Color": color,
       "Contrast": contrast, "Sharpness": sharpness, "Posterize": posterize, "Solarize": solarize,
       "AutoContrast": autocontrast, "Equalize": equalize, "Invert": invert}
ENHANCE = ("Brightness", "Color", "Contrast", "Sharpness")  # magnitude m means factor 1 ± m


def apply_ops(x: torch.Tensor, chosen: torch.Tensor, magnitude: torch.Tensor, names: list[str],
              options: dict[str, dict] | None = None) -> torch.Tensor:
    """Image i gets operation ``names[chosen[i]]`` with ``magnitude[i]`` (``chosen[i] = -1``: none).

    Every operation runs on the whole batch and ``torch.where`` keeps each image's own result:
    wasteful in arithmetic, but free of per-image Python and of the host-device synchronisation
    that picking out the images would need; on a GPU the batch is small work either way.
    ``options[name]`` are keyword arguments of one operation (fill, interpolation mode).
    """
    options = options or {}
    for k, name in enumerate(names):
        mine = _per_image(chosen == k)  # (b, 1, 1, 1)
        m = 1 + magnitude if name in ENHANCE else magnitude
        x = torch.where(mine, OPS[name](x, m, **options.get(name, {})), x)
    return x


def _signed(m: torch.Tensor, signed: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
    """Flip the sign of each magnitude with probability 1/2 where ``signed``."""
    flip_sign = signed & (torch.rand(m.shape, device=m.device, generator=generator) < 0.5)
    return torch.where(flip_sign, -m, m)


# --- RandAugment (torchvision's operations and magnitudes) --------------------------------------

RANDAUGMENT_OPS = ["Identity", "ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate", "Brightness",
                   "Color", "Contrast", "Sharpness", "Posterize", "Solarize", "AutoContrast", "Equalize"]
RANDAUGMENT_SIGNED = {"ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate"} | set(ENHANCE)


def randaugment_magnitudes(m: int, bins: int = 31, size: int = 32) -> dict[str, float]:
    """torchvision's magnitude of each operation at level ``m`` of ``bins`` (RandAugment's m):
    the fraction ``m / (bins - 1)`` of each op's range (shear 0.3, translate 150/331 of the
    image, rotate 30 degrees, enhance 0.9, solarize threshold from 255 down to 0, posterize from
    8 bits down to 4). Translations are whole pixels (truncated, as torchvision does)."""
    if not isinstance(m, int) or not 0 <= m < bins:
        raise ValueError(f"RandAugment: m={m!r} must be an int level in 0..{bins - 1}")
    f = m / (bins - 1)
    return {"Identity": 0.0, "ShearX": 0.3 * f, "ShearY": 0.3 * f,
            "TranslateX": float(math.trunc(150 / 331 * size * f)),
            "TranslateY": float(math.trunc(150 / 331 * size * f)),
            "Rotate": 30.0 * f, "Brightness": 0.9 * f, "Color": 0.9 * f, "Contrast": 0.9 * f,
            "Sharpness": 0.9 * f, "Posterize": float(8 - round(4 * f)), "Solarize": 255.0 * (1 - f),
            "AutoContrast": 0.0, "Equalize": 0.0}


@dataclass(frozen=True)
class RandAugment:
    """RandAugment(n, m) (Cubuk et al. 2020) as torchvision implements it: each image undergoes
    ``n`` operations in a row, each drawn uniformly from 14 (identity included), all at
    magnitude level ``m`` of ``bins``, with a random sign where the op has one. Geometric ops
    use nearest-neighbour sampling and black fill. See the module docstring for what differs."""

    n: int = 2
    m: int = 9
    bins: int = 31

    def __post_init__(self):
        if not isinstance(self.n, int) or self.n < 0:
            raise ValueError(f"RandAugment: n={self.n!r} must be an int >= 0 (operations per image)")
        randaugment_magnitudes(self.m, self.bins)  # checks m

    def __str__(self) -> str:
        return f"RandAugment(n={self.n}, m={self.m})"

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_images(x, "RandAugment")
        table = randaugment_magnitudes(self.m, self.bins, x.shape[-1])
        magnitude = torch.tensor([table[n] for n in RANDAUGMENT_OPS], device=x.device)
        signed = torch.tensor([n in RANDAUGMENT_SIGNED for n in RANDAUGMENT_OPS], device=x.device)
        for _ in range(self.n):
            chosen = torch.randint(len(RANDAUGMENT_OPS), (len(x),), device=x.device, generator=generator)
            m = _signed(magnitude[chosen], signed[chosen], generator)  # (b,)
            x = apply_ops(x, chosen, m, RANDAUGMENT_OPS)
        return x


# --- AutoAugment, CIFAR-10 policy (the PIL version of DeepVoltaire/AutoAugment) -----------------

# Cubuk et al. 2019, the 25 sub-policies found on reduced CIFAR-10: each is two operations
# (name, probability, magnitude level 0..9), applied in order, each with its own probability.
AUTOAUGMENT_CIFAR10 = (
    (("Invert", 0.1, 7), ("Contrast", 0.2, 6)), (("Rotate", 0.7, 2), ("TranslateX", 0.3, 9)),
    (("Sharpness", 0.8, 1), ("Sharpness", 0.9, 3)), (("ShearY", 0.5, 8), ("TranslateY", 0.7, 9)),
    (("AutoContrast", 0.5, 8), ("Equalize", 0.9, 2)), (("ShearY", 0.2, 7), ("Posterize", 0.3, 7)),
    (("Color", 0.4, 3), ("Brightness", 0.6, 7)), (("Sharpness", 0.3, 9), ("Brightness", 0.7, 9)),
    (("Equalize", 0.6, 5), ("Equalize", 0.5, 1)), (("Contrast", 0.6, 7), ("Sharpness", 0.6, 5)),
    (("Color", 0.7, 7), ("TranslateX", 0.5, 8)), (("Equalize", 0.3, 7), ("AutoContrast", 0.4, 8)),
    (("TranslateY", 0.4, 3), ("Sharpness", 0.2, 6)), (("Brightness", 0.9, 6), ("Color", 0.2, 8)),
    (("Solarize", 0.5, 2), ("Invert", 0.0, 3)), (("Equalize", 0.2, 0), ("AutoContrast", 0.6, 0)),
    (("Equalize", 0.2, 8), ("Equalize", 0.6, 4)), (("Color", 0.9, 9), ("Equalize", 0.6, 6)),
    (("AutoContrast", 0.8, 4), ("Solarize", 0.2, 8)), (("Brightness", 0.1, 3), ("Color", 0.7, 0)),
    (("Solarize", 0.4, 5), ("AutoContrast", 0.9, 3)), (("TranslateY", 0.9, 9), ("TranslateY", 0.7, 9)),
    (("AutoContrast", 0.9, 2), ("Solarize", 0.8, 3)), (("Equalize", 0.8, 8), ("Invert", 0.1, 3)),
    (("TranslateY", 0.7, 9), ("AutoContrast", 0.9, 1)),
)
AUTOAUGMENT_OPS = sorted({op for policy in AUTOAUGMENT_CIFAR10 for op, _, _ in policy})
AUTOAUGMENT_SIGNED = {"ShearX", "ShearY", "TranslateX", "TranslateY"} | set(ENHANCE)  # not Rotate


def autoaugment_magnitude(name: str, level: int, size: int = 32) -> float:
    """DeepVoltaire's magnitude of ``name`` at ``level`` of 10: a linear range from 0 at level 0
    (shear 0.3, translate 150/331 of the image, rotate 30 degrees, enhance 0.9; solarize from
    256 down to 0; posterize from 8 bits down to 4, rounded)."""
    f = level / 9
    ranges = {"ShearX": 0.3, "ShearY": 0.3, "TranslateX": 150 / 331 * size,
              "TranslateY": 150 / 331 * size, "Rotate": 30.0, "Color": 0.9, "Contrast": 0.9,
              "Sharpness": 0.9, "Brightness": 0.9}
    if name == "Posterize":
        return float(round(8 - 4 * f))
    if name == "Solarize":
        return 256 * (1 - f)
    return ranges.get(name, 0.0) * f


@dataclass(frozen=True)
class AutoAugment:
    """AutoAugment's CIFAR-10 policy (Cubuk et al. 2019) as the PIL code of the ViT and Mixer
    references runs it: each image draws one of the 25 sub-policies of
    :data:`AUTOAUGMENT_CIFAR10` and applies its two operations, each with its probability.
    Geometric ops fill with grey (level 128); shears are bicubic, the rest nearest."""

    fill: float = 128 / 255

    def __str__(self) -> str:
        return "AutoAugment(CIFAR-10 policy)"

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        _check_images(x, "AutoAugment")
        size = x.shape[-1]
        index = {name: k for k, name in enumerate(AUTOAUGMENT_OPS)}
        ops = torch.tensor([[index[op] for op, _, _ in p] for p in AUTOAUGMENT_CIFAR10], device=x.device)
        prob = torch.tensor([[q for _, q, _ in p] for p in AUTOAUGMENT_CIFAR10], device=x.device)
        mag = torch.tensor([[autoaugment_magnitude(op, lvl, size) for op, _, lvl in p]
                            for p in AUTOAUGMENT_CIFAR10], device=x.device)  # (25, 2)
        signed = torch.tensor([n in AUTOAUGMENT_SIGNED for n in AUTOAUGMENT_OPS], device=x.device)
        options = {name: {"fill": self.fill, "mode": "bicubic" if name.startswith("Shear") else "nearest"}
                   for name in ("ShearX", "ShearY", "TranslateX", "TranslateY", "Rotate")}
        policy = torch.randint(len(AUTOAUGMENT_CIFAR10), (len(x),), device=x.device, generator=generator)
        for slot in range(2):
            chosen = ops[policy, slot]  # (b,)
            applied = _uniform(len(x), x, generator) < prob[policy, slot]
            m = _signed(mag[policy, slot], signed[chosen], generator)
            x = apply_ops(x, torch.where(applied, chosen, -1), m, AUTOAUGMENT_OPS, options)
        return x


# --- steps a recipe lists -----------------------------------------------------------------------


@dataclass(frozen=True)
class Crop:
    """:func:`random_crop` as a recipe step."""

    padding: int = 4

    def __str__(self) -> str:
        return f"crop (pad {self.padding})"

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return random_crop(x, self.padding, generator)


@dataclass(frozen=True)
class Flip:
    """:func:`flip` as a recipe step."""

    p: float = 0.5

    def __str__(self) -> str:
        return "flip" if self.p == 0.5 else f"flip (p={self.p})"

    def __call__(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        return flip(x, self.p, generator)


def cutmix(x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None
           ) -> tuple[torch.Tensor, torch.Tensor, float]:
    """CutMix (Yun et al. 2019) for one batch, as the Mixer reference draws it: λ ~ Beta(1, 1)
    (uniform), a box of sides ``h·sqrt(1 - λ)`` by ``w·sqrt(1 - λ)`` (each halved, floored and
    doubled) about a uniform centre, clipped to the image; every image gets the box cut from
    image ``perm[i]`` of the same batch. Returns ``(x_mixed, y[perm], λ)`` with λ corrected to
    the unpasted fraction of pixels: the loss is ``λ·CE(y) + (1 - λ)·CE(y[perm])``.
    ``generator`` is a CPU generator: box corners are Python numbers (slicing needs them)."""
    _check_images(x, "cutmix")
    b, _, h, w = x.shape
    lam = torch.rand((), generator=generator).item()
    cut_h, cut_w = int(h * math.sqrt(1 - lam)), int(w * math.sqrt(1 - lam))
    cy, cx = (torch.randint(n, (), generator=generator).item() for n in (h, w))
    top, bottom = max(cy - cut_h // 2, 0), min(cy + cut_h // 2, h)
    left, right = max(cx - cut_w // 2, 0), min(cx + cut_w // 2, w)
    perm = torch.randperm(b, generator=generator).to(x.device)
    x = x.clone()
    x[:, :, top:bottom, left:right] = x[perm, :, top:bottom, left:right]
    return x, y[perm], 1 - (bottom - top) * (right - left) / (h * w)
