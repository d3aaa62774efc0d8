"""From pixels to tokens: cut an image into patches, and embed each patch as a vector.

"An image is worth 16x16 words" (Dosovitskiy et al.): a ViT, an MLP-Mixer or a ConvMixer first
cuts the image into non-overlapping p x p patches, then maps each flattened patch linearly to a
d-dimensional token. The linear map applied to every patch is exactly a convolution with
kernel = stride = p, which is how it is implemented (``PatchEmbed``).
"""

from __future__ import annotations

import torch
import torch.nn as nn
from einops import rearrange

from isolearn import validate


def _divisors_near(n: int, p: int) -> str:
    lower, upper = n - n % p, n - n % p + p
    return f"{lower} or {upper}" if lower > 0 else f"{upper}"


def check_patch_size(height: int, width: int, patch_size: int, fn: str) -> None:
    """Raise a ValueError that names both sizes if ``patch_size`` does not tile the image."""
    if not isinstance(patch_size, int) or patch_size < 1:
        raise ValueError(f"{fn}: patch_size={patch_size!r} must be a positive int, e.g. 4 or 16")
    for side, n in (("height", height), ("width", width)):
        if n % patch_size:
            divisors = ", ".join(str(q) for q in range(2, n + 1) if n % q == 0)
            raise ValueError(
                f"{fn}: the image {side} {n} is not divisible by patch_size={patch_size}; resize "
                f"the image to {_divisors_near(n, patch_size)} pixels, or choose a patch size that "
                f"divides {n} ({divisors})")


def patchify(x: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Images to sequences of flattened patches: (b, c, h, w) -> (b, n, p·p·c), n = (h/p)·(w/p).

    Patches are read row by row (left to right, top to bottom); within a patch the values are
    ordered (row, column, channel), the layout of the ViT paper's reference code.
    """
    if validate.tensor(x, "x", "patchify").dim() != 4:
        raise ValueError(f"patchify: x must be (b, c, h, w), got shape {tuple(x.shape)}")
    check_patch_size(x.shape[2], x.shape[3], patch_size, "patchify")
    return rearrange(x, "b c (h p1) (w p2) -> b (h w) (p1 p2 c)", p1=patch_size, p2=patch_size)


def unpatchify(tokens: torch.Tensor, patch_size: int, height: int, channels: int) -> torch.Tensor:
    """The inverse of :func:`patchify`: (b, n, p·p·c) -> (b, c, h, w); ``height`` in pixels."""
    p = validate.positive_int(patch_size, "patch_size", "unpatchify", 4)
    height = validate.positive_int(height, "height", "unpatchify", 32)
    channels = validate.positive_int(channels, "channels", "unpatchify", 3)
    if validate.tensor(tokens, "tokens", "unpatchify").dim() != 3:
        raise ValueError(f"unpatchify: tokens must be (b, n, p·p·c), got shape {tuple(tokens.shape)}; "
                         "for one image (n, p·p·c) use tokens[None]")
    if height % p or tokens.shape[-1] != p * p * channels or tokens.shape[1] % (height // p):
        raise ValueError(f"unpatchify: tokens {tuple(tokens.shape)} do not hold {p}x{p} patches of "
                         f"{channels} channels of an image height={height} pixels high (rows of "
                         f"height / patch_size = {height // p} patches, of {p * p * channels} values)")
    return rearrange(tokens, "b (h w) (p1 p2 c) -> b c (h p1) (w p2)", h=height // p, p1=p, p2=p,
                     c=channels)


class PatchEmbed(nn.Module):
    """Cut into p x p patches and map each linearly to a d-dim token: (b, c, h, w) -> (b, n, d).

    A Conv2d with kernel = stride = p computes, at each patch, the dot product of each of its d
    kernels with that patch: the same Linear(p·p·c, d) applied to every patch (tests prove it).
    """

    def __init__(self, img_size: int = 224, patch_size: int = 16, in_chans: int = 3,
                 embed_dim: int = 768):
        super().__init__()
        for name, value in (("img_size", img_size), ("in_chans", in_chans), ("embed_dim", embed_dim)):
            validate.positive_int(value, name, "PatchEmbed")
        check_patch_size(img_size, img_size, patch_size, "PatchEmbed")
        self.img_size, self.patch_size, self.in_chans = img_size, patch_size, in_chans
        self.num_patches = (img_size // patch_size) ** 2
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, c, h, w = validate.images(x, "PatchEmbed", model=self).shape
        if c != self.in_chans or (h, w) != (self.img_size, self.img_size):
            raise ValueError(
                f"PatchEmbed: expected images (b, {self.in_chans}, {self.img_size}, {self.img_size}), "
                f"got {tuple(x.shape)}; resize the images or build the model with "
                f"in_chans={c}, img_size={h}")
        x = self.proj(x)  # (b, d, h/p, w/p)
        return rearrange(x, "b d h w -> b (h w) d")

    def as_linear(self) -> nn.Linear:
        """The equivalent Linear(p·p·c, d) acting on :func:`patchify`'s flattened patches."""
        d = self.proj.out_channels
        linear = nn.Linear(self.patch_size ** 2 * self.in_chans, d)
        with torch.no_grad():
            linear.weight.copy_(rearrange(self.proj.weight, "d c p1 p2 -> d (p1 p2 c)"))
            linear.bias.copy_(self.proj.bias)
        return linear


def shuffle_patches(x: torch.Tensor, patch_size: int, patch_perm: torch.Tensor,
                    pixel_perm: torch.Tensor | None = None) -> torch.Tensor:
    """The MLP-Mixer paper's "patch + pixel" shuffle (Tolstikhin et al. 2021, fig. 4): move the
    p x p patches of every image with one permutation of the n patches, and the p·p·c values inside
    every patch with one permutation of those (the same for all patches and all images).
    x: (b, c, h, w) -> (b, c, h, w). Each patch keeps its content, only scrambled: a model that
    reads a patch with one dense layer and mixes patches with position-specific weights (a Mixer)
    can undo it exactly (:func:`isolearn.models.mixer.permuted_twin`); a convolution cannot."""
    b, c, h, w = x.shape
    tokens = patchify(x, patch_size)  # (b, n, p·p·c)
    n, values = tokens.shape[1:]
    if sorted(patch_perm.tolist()) != list(range(n)):
        raise ValueError(f"shuffle_patches: patch_perm must be a permutation of the {n} patches, "
                         f"e.g. torch.randperm({n})")
    tokens = tokens[:, patch_perm]
    if pixel_perm is not None:
        if sorted(pixel_perm.tolist()) != list(range(values)):
            raise ValueError(f"shuffle_patches: pixel_perm must be a permutation of the {values} values "
                             f"of a patch (p·p·c), e.g. torch.randperm({values})")
        tokens = tokens[..., pixel_perm]
    return unpatchify(tokens, patch_size, height=h, channels=c)


def shuffle_pixels(x: torch.Tensor, perm: torch.Tensor) -> torch.Tensor:
    """The paper's "global" shuffle: move the h·w pixels of every image with one permutation
    (the same for every channel and image). x: (b, c, h, w) -> (b, c, h, w). Patches now hold
    pixels from all over the image, so neither a CNN nor a Mixer sees the original patches."""
    b, c, h, w = x.shape
    if sorted(perm.tolist()) != list(range(h * w)):
        raise ValueError(f"shuffle_pixels: perm must be a permutation of the {h * w} pixels, "
                         f"e.g. torch.randperm({h * w})")
    return x.flatten(2)[..., perm].reshape(b, c, h, w)
