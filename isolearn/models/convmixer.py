"""ConvMixer (Trockman & Kolter, "Patches Are All You Need?"): a Mixer built from plain convolutions.

A patch embedding turns the image into an h-channel map of (H/p) x (W/p) patches; then d blocks,
each a depthwise convolution (mixing space, one channel at a time, with a residual connection)
followed by a pointwise 1x1 convolution (mixing channels, one position at a time). With σ the
activation (GELU, or ReLU for ConvMixer-768/32) and BN batch normalisation, block l = 1..d maps
z_{l-1} to z_l (the paper writes z_{l+1} in the last line, an index slip; the computation is
the same):

    z_0   = BN(σ(Conv_{c_in -> h, kernel p, stride p}(X)))       (patch embedding)
    z'_l  = BN(σ(DepthwiseConv_{kernel k}(z_{l-1}))) + z_{l-1}   (spatial mixing)
    z_l   = BN(σ(PointwiseConv(z'_l)))                           (channel mixing)

then global average pooling and a linear classifier. Every block keeps the resolution and the
width: the network is isotropic, like the ViT and the Mixer, but all its mixing is local and
shared across positions, like a CNN's. Names read ConvMixer-h/d.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn
from einops import reduce

from isolearn import validate
from isolearn.models import choices, register_config

ACTIVATIONS = choices.ACTIVATIONS  # "iso_tanh", "iso_tanh_scaled": over the channels of each pixel


@dataclass
class ConvMixerConfig:
    dim: int = 1536  # h: channels of every patch, the same in every block
    depth: int = 20  # d: the number of ConvMixer blocks
    kernel_size: int = 9  # k: the depthwise kernel (k x k)
    patch_size: int = 7  # p: the stem's kernel and stride
    in_chans: int = 3
    num_classes: int = 1000
    activation: str = "gelu"  # "gelu" or "relu" (ConvMixer-768/32), or an isotropic one (chapter 10)
    norm: str = "batch"  # "batch" (BatchNorm, the paper's) or "rms" (RMSNorm over the channels)

    def __post_init__(self) -> None:
        validate.fields(self, ("dim", "depth", "kernel_size", "patch_size", "in_chans", "num_classes"))
        if self.kernel_size % 2 == 0:
            k = self.kernel_size
            raise ValueError(
                f"ConvMixerConfig: kernel_size={k} is even, and an even kernel has no centre pixel: "
                f"'same' padding would need {k // 2} pixels on one side and {k // 2 - 1} on the "
                f"other, which shifts the map half a patch per block; use an odd kernel_size such "
                f"as {k - 1} or {k + 1}")
        choices.check(self.activation, ACTIVATIONS, "activation", "ConvMixerConfig")
        choices.check(self.norm, ("batch", "rms"), "norm", "ConvMixerConfig")


def conv_act_norm(conv: nn.Conv2d, activation: str, norm: str = "batch") -> nn.Sequential:
    """BN(σ(conv(x))): the paper's unit, in its order (activation before the norm). An isotropic
    σ and ``norm="rms"`` act on the channel vector of each pixel (axis 1)."""
    h = conv.out_channels
    return nn.Sequential(conv, choices.activation_layer(activation, h, dim=1),
                         choices.norm_layer(norm, h, dim=1))


class ConvMixerBlock(nn.Module):
    """One block on an h-channel map of patches: (b, h, H/p, W/p) -> the same shape."""

    def __init__(self, dim: int, kernel_size: int, activation: str = "gelu", norm: str = "batch"):
        super().__init__()
        # groups=dim: each channel has its own k x k kernel and sees only itself (depthwise)
        self.depthwise = conv_act_norm(nn.Conv2d(dim, dim, kernel_size, groups=dim,
                                                 padding=kernel_size // 2), activation, norm)
        self.pointwise = conv_act_norm(nn.Conv2d(dim, dim, kernel_size=1), activation, norm)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        z = z + self.depthwise(z)  # z'_l: mix space, channel by channel (b, h, n_h, n_w)
        return self.pointwise(z)  # z_l: mix channels, position by position


class ConvMixer(nn.Module):
    """Images (b, c, H, W) -> logits (b, num_classes): patch stem, d blocks, mean, head.

    Unlike the Mixer, nothing depends on the image size: any H, W >= p works (a border narrower
    than p is dropped by the stride-p stem, as in the paper's code).
    """

    def __init__(self, config: ConvMixerConfig | None = None, **overrides):
        super().__init__()
        self.config = c = config or ConvMixerConfig(**overrides)
        self.stem = conv_act_norm(nn.Conv2d(c.in_chans, c.dim, c.patch_size, stride=c.patch_size),
                                  c.activation, c.norm)  # z_0
        self.blocks = nn.Sequential(*[ConvMixerBlock(c.dim, c.kernel_size, c.activation, c.norm)
                                      for _ in range(c.depth)])
        self.head = nn.Linear(c.dim, c.num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The map after the last block: (b, c, H, W) -> (b, h, H/p, W/p)."""
        validate.images(x, "ConvMixer", model=self)
        if x.dim() != 4 or x.shape[1] != self.config.in_chans:
            raise ValueError(f"ConvMixer: expected images (b, {self.config.in_chans}, H, W), got "
                             f"{tuple(x.shape)}; pass 4-d images, or build the model with "
                             f"in_chans equal to their channels")
        p = self.config.patch_size
        if min(x.shape[-2:]) < p:
            raise ValueError(f"ConvMixer: images {tuple(x.shape[-2:])} are smaller than one patch "
                             f"(patch_size={p}); use larger images or a smaller patch_size")
        return self.blocks(self.stem(x))  # (b, h, H/p, W/p)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = reduce(self.features(x), "b h nh nw -> b h", "mean")  # global average pooling
        return self.head(z)  # (b, num_classes)


def convmixer_param_count(c: ConvMixerConfig, head: bool = True) -> int:
    """Parameters by formula (weights + biases + BN's scale and shift; the paper counts the head).

    stem: (p²·c_in + 1)·h + 2h;  block: depthwise (k² + 1)·h + 2h, pointwise (h + 1)·h + 2h;
    head: (h + 1)·classes.
    """
    h, k, p = c.dim, c.kernel_size, c.patch_size
    bn = 2 * h if c.norm == "batch" else 0  # BatchNorm's γ, β; RMSNorm has none
    stem = (p * p * c.in_chans + 1) * h + bn
    block = (k * k + 1) * h + bn + (h + 1) * h + bn
    return stem + c.depth * block + ((h + 1) * c.num_classes if head else 0)


def convmixer_macs(c: ConvMixerConfig, img_size: int) -> dict[str, int]:
    """Multiply-adds of one forward pass on an img_size² image, by part.

    With T = (img_size // p)² patches: stem T·h·p²·c_in, per block depthwise T·h·k² and pointwise
    T·h², head h·classes. Depthwise grows with k², pointwise with h²: at ImageNet widths the
    pointwise part dominates, which is why a count that forgets the depthwise convolutions is
    only a few percent low.
    """
    t = (img_size // c.patch_size) ** 2
    h, k = c.dim, c.kernel_size
    return {"stem": t * h * c.patch_size ** 2 * c.in_chans, "depthwise": c.depth * t * h * k * k,
            "pointwise": c.depth * t * h * h, "head": h * c.num_classes}


def _convmixer_preset(name: str, description: str, **shape) -> None:
    """Register a ConvMixer preset; every ConvMixerConfig field remains an override."""
    register_config(name, description, ConvMixer, ConvMixerConfig, **shape)


# The paper's Table 1 models (ImageNet, 224 px, 1000 classes) and the CIFAR-10 reference model.
_convmixer_preset("convmixer_1536_20", "ConvMixer-1536/20: k=9, p=7, GELU, 51.6 M params",
                  dim=1536, depth=20, kernel_size=9, patch_size=7)
_convmixer_preset("convmixer_768_32", "ConvMixer-768/32: k=7, p=7, ReLU, 21.1 M params",
                  dim=768, depth=32, kernel_size=7, patch_size=7, activation="relu")
_convmixer_preset("convmixer_1024_20_ks9_p14", "ConvMixer-1024/20: k=9, p=14, GELU, 24.4 M params",
                  dim=1024, depth=20, kernel_size=9, patch_size=14)
_convmixer_preset("convmixer_256_8", "ConvMixer-256/8 for CIFAR-10: k=5, p=2, GELU, 0.59 M params",
                  dim=256, depth=8, kernel_size=5, patch_size=2, num_classes=10)
_convmixer_preset("convmixer_digits", "a small ConvMixer for 16x16 digits: h=48, d=4, k=5, p=2",
                  dim=48, depth=4, kernel_size=5, patch_size=2, in_chans=1, num_classes=10)
