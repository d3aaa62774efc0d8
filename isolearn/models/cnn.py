"""Pyramid CNNs: LeNet-5, VGG and ResNet, built from one pyramid.

Every classic CNN has the same plan: a **stem** reads the image, a sequence of **stages** each
halves the resolution and widens the channels, and a **head** turns the last, small and deep map
into class scores::

    x: (b, c, h, w) -> stem -> stage 1 -> stage 2 -> ... -> head -> logits: (b, classes)
                             (c1, h/2)  (c2, h/4)  ...        (channels up, pixels down)

:class:`Pyramid` is that plan; the families differ only in what fills a stage and the head:

- LeNet-5 (LeCun et al. 1998): a stage is conv 5x5 (no padding) -> ReLU -> max-pool 2;
  the head is a multi-layer perceptron on the flattened map.
- VGG (Simonyan & Zisserman 2015): a stage is n x (conv 3x3 -> ReLU) -> max-pool 2; an MLP head.
- ResNet (He et al. 2016): a stage is n residual blocks, the first with stride 2,
  ``y = ReLU(F(x) + shortcut(x))`` (the paper's eq. 1), and the head is global average pooling
  and one linear layer.

Presets reproduce the papers' configurations and parameter counts (tests check each count
against a formula); keyword overrides adapt them to small experiments, e.g.
``create("resnet20", in_chans=1, widths=(8, 16, 32))``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F

from isolearn.conv import conv_output_size
from isolearn.models import register

# --- the size arithmetic of a pyramid -----------------------------------------------------------


def spatial_layers(module: nn.Module) -> Iterator[nn.Module]:
    """The layers that change the image size (Conv2d, MaxPool2d, AvgPool2d), in forward order,
    along the *main path*: a residual block contributes its body (its shortcut runs beside it
    and ends at the same size)."""
    if isinstance(module, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, Blur2d)):
        yield module
    elif isinstance(module, BasicBlock):
        yield from spatial_layers(module.body)
    else:
        for child in module.children():
            yield from spatial_layers(child)


def _spec(layer: nn.Module) -> tuple[int, int, int, int]:
    """(kernel, stride, padding, dilation) along the height axis."""
    first = lambda v: v[0] if isinstance(v, tuple) else v  # noqa: E731
    dilation = getattr(layer, "dilation", 1)
    return (first(layer.kernel_size), first(layer.stride), first(layer.padding), first(dilation))


def size_trace(layers: Sequence[nn.Module], n: int) -> list[int] | None:
    """The side of the map after each of ``layers`` for an ``n x n`` input, by the output-size
    formula of chapter 1: ``n' = floor((n + 2p - d(k-1) - 1) / s) + 1``.

    Returns ``None`` in place of the trace when the input is too small: some layer would output
    less than one pixel, or a layer of stride ``s`` would see fewer than ``s`` pixels (its output
    would then be computed from padding, not from the image).
    """
    sizes = []
    for layer in layers:
        k, s, p, d = _spec(layer)
        if n < s or d * (k - 1) + 1 > n + 2 * p:
            return None
        n = conv_output_size(n, k, s, p, d)
        sizes.append(n)
    return sizes


def min_input_size(layers: Sequence[nn.Module], limit: int = 4096) -> int:
    """The smallest side ``n`` of an ``n x n`` image that ``layers`` can take (see size_trace)."""
    layers = list(layers)
    for n in range(1, limit + 1):
        if size_trace(layers, n) is not None:
            return n
    raise ValueError(f"min_input_size: no input up to {limit} pixels fits these layers")


# --- the pyramid --------------------------------------------------------------------------------


class Pyramid(nn.Module):
    """stem -> stages -> head, with the input size checked before the first layer runs.

    ``stages[i]`` is one resolution level. ``flatten_head=True`` means the head reads the
    flattened last map (LeNet, VGG), so the model takes exactly ``img_size`` pixels; otherwise
    the head pools globally and any size from ``min_size`` up works.
    """

    def __init__(self, name: str, stem: nn.Module, stages: Sequence[nn.Module], head: nn.Module,
                 in_chans: int, img_size: int, flatten_head: bool):
        super().__init__()
        self.name, self.in_chans, self.img_size, self.flatten_head = name, in_chans, img_size, flatten_head
        self.stem = stem
        self.stages = nn.Sequential(*stages)
        self.head = head
        self.min_size = min_input_size(spatial_layers(nn.Sequential(stem, self.stages)))

    def features(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The map after the stem and after every stage: [(b, c0, h0, w0), (b, c1, h1, w1), ...]."""
        self.check_input(x)
        maps = [self.stem(x)]
        for stage in self.stages:
            maps.append(stage(maps[-1]))
        return maps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)  # x: (b, c, h, w)
        x = self.stages(self.stem(x))  # (b, c_last, h_last, w_last)
        return self.head(x)  # (b, num_classes)

    def check_input(self, x: torch.Tensor) -> None:
        """Fail before the first layer, with a message that names the size the pyramid needs."""
        if x.dim() != 4:
            raise ValueError(f"{self.name}: expected a batch of images (b, {self.in_chans}, h, w), "
                             f"got shape {tuple(x.shape)}; for one image (c, h, w) use x[None]")
        if x.shape[1] != self.in_chans:
            raise ValueError(f"{self.name}: was built for in_chans={self.in_chans} but the images "
                             f"(b, c, h, w) = {tuple(x.shape)} have {x.shape[1]} channels; build it "
                             f"with in_chans={x.shape[1]}, e.g. create({self.name!r}, "
                             f"in_chans={x.shape[1]})")
        h, w = x.shape[-2:]
        m = self.min_size
        if min(h, w) < m:
            raise ValueError(
                f"{self.name}: the input is {h}x{w} pixels, but this pyramid shrinks the image "
                f"below 1x1 on inputs smaller than {m}x{m}; the minimum size is {m}x{m}: upsample "
                f"the images (e.g. digits(size={max(m, 16)})) or use fewer stages")
        if self.flatten_head and (h, w) != (self.img_size, self.img_size):
            raise ValueError(
                f"{self.name}: was built for img_size={self.img_size} (its head reads the "
                f"flattened {self.img_size}x{self.img_size} pyramid) but got {h}x{w}; build it "
                f"with img_size={h} or resize the images")


def _feature_side(name: str, stem: nn.Module, stages: Sequence[nn.Module], img_size: int) -> int:
    """Side of the last map for an img_size input; a ValueError naming the minimum if too small."""
    layers = list(spatial_layers(nn.Sequential(stem, *stages)))
    trace = size_trace(layers, img_size)
    if trace is None:
        m = min_input_size(layers)
        raise ValueError(f"{name}: img_size={img_size} is too small: the pyramid would shrink it "
                         f"below 1x1; the minimum is img_size={m} (or use fewer stages)")
    return trace[-1] if trace else img_size


def _mlp_head(in_features: int, hidden: Sequence[int], num_classes: int, dropout: float) -> nn.Sequential:
    """Flatten, then Linear -> ReLU (-> Dropout) for each hidden width, then the classifier."""
    layers: list[nn.Module] = [nn.Flatten()]  # (b, c, h, w) -> (b, c·h·w)
    for width in hidden:
        layers += [nn.Linear(in_features, width), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
        in_features = width
    layers.append(nn.Linear(in_features, num_classes))
    return nn.Sequential(*layers)


def _check_config(name: str, **values) -> None:
    """Every value a positive int; tuples (one entry per stage or layer) of positive ints."""
    for key, value in values.items():
        if isinstance(value, tuple):
            if not all(isinstance(v, int) and v >= 1 for v in value):
                raise ValueError(f"{name}: {key}={value!r} must hold positive ints, e.g. (16, 32, 64)")
        elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{name}: {key}={value!r} must be a positive int")
    for key in ("widths", "depths"):
        if key in values and not values[key]:
            raise ValueError(f"{name}: {key}=() is empty; a pyramid needs at least one stage")


# --- LeNet-5 ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeNetConfig:
    widths: tuple[int, ...] = (6, 16)  # feature maps of C1 and C3
    hidden: tuple[int, ...] = (120, 84)  # C5 (a 5x5 conv on a 5x5 map: a dense layer) and F6
    num_classes: int = 10
    in_chans: int = 1
    img_size: int = 32  # the paper pads MNIST's 28x28 digits to 32x32


def lenet(c: LeNetConfig, name: str = "lenet") -> Pyramid:
    """LeNet-5, modernised: ReLU instead of scaled tanh, max-pooling instead
    of trainable sub-sampling, every C3 map connected to every S2 map, and a
    linear output instead of the RBF units.
    Each stage: conv 5x5 (no padding) -> ReLU -> max-pool 2x2."""
    _check_config(name, widths=c.widths, hidden=c.hidden, img_size=c.img_size,
                  num_classes=c.num_classes, in_chans=c.in_chans)
    stages, c_in = [], c.in_chans
    for width in c.widths:  # 32 -> 28 -> 14 -> 10 -> 5 pixels
        stages.append(nn.Sequential(
            nn.Conv2d(c_in, width, 5), nn.ReLU(), nn.MaxPool2d(2)))
        c_in = width
    stem = nn.Identity()
    side = _feature_side(name, stem, stages, c.img_size)  # 5 for 32 px
    head = _mlp_head(c_in * side * side, c.hidden, c.num_classes, dropout=0)
    return Pyramid(name, stem, stages, head, c.in_chans, c.img_size,
                   flatten_head=True)


@register("lenet5", "LeNet-5 (LeCun et al. 1998), modernised (ReLU, max-pool): 32 px, 61,706 params")
def lenet5(num_classes: int = 10, in_chans: int = 1, img_size: int = 32,
           widths: tuple[int, ...] = (6, 16), hidden: tuple[int, ...] = (120, 84)) -> Pyramid:
    return lenet(LeNetConfig(tuple(widths), tuple(hidden), num_classes, in_chans, img_size), "lenet5")


# --- AlexNet ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlexNetConfig:
    widths: tuple[int, ...] = (96, 256, 384, 384, 256)  # the five conv layers
    groups: tuple[int, ...] = (1, 2, 1, 2, 2)  # 2: the layer is split over the paper's two GPUs
    hidden: tuple[int, ...] = (4096, 4096)
    num_classes: int = 1000
    in_chans: int = 3
    img_size: int = 227  # the paper says 224, but 11x11 kernels with stride 4 need 227 for 55x55
    dropout: float = 0.5


def alexnet(c: AlexNetConfig, name: str = "alexnet") -> Pyramid:
    """AlexNet (Krizhevsky et al. 2012) as in the paper: conv 11x11/4 -> ReLU -> local response
    normalisation -> max-pool 3x3/2; conv 5x5 (the same); three conv 3x3; max-pool 3x3/2; an MLP
    head with dropout. The paper trained on two GPUs and connected some layers only within a GPU:
    ``groups=2`` there (a grouped convolution, chapter 1)."""
    _check_config(name, widths=c.widths, groups=c.groups, hidden=c.hidden, num_classes=c.num_classes,
                  in_chans=c.in_chans, img_size=c.img_size)
    if len(c.widths) != 5 or len(c.groups) != 5:
        raise ValueError(f"{name}: widths={c.widths} and groups={c.groups} need one entry for each "
                         "of the 5 conv layers")
    (w1, w2, w3, w4, w5), (g1, g2, g3, g4, g5) = c.widths, c.groups
    norm = lambda: nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)  # noqa: E731  (sec. 3.3)
    stages = [
        nn.Sequential(nn.Conv2d(c.in_chans, w1, 11, stride=4, groups=g1), nn.ReLU(), norm(),
                      nn.MaxPool2d(3, stride=2)),  # 227 -> 55 -> 27
        nn.Sequential(nn.Conv2d(w1, w2, 5, padding=2, groups=g2), nn.ReLU(), norm(),
                      nn.MaxPool2d(3, stride=2)),  # 27 -> 13
        nn.Sequential(nn.Conv2d(w2, w3, 3, padding=1, groups=g3), nn.ReLU(),
                      nn.Conv2d(w3, w4, 3, padding=1, groups=g4), nn.ReLU(),
                      nn.Conv2d(w4, w5, 3, padding=1, groups=g5), nn.ReLU(),
                      nn.MaxPool2d(3, stride=2)),  # 13 -> 6
    ]
    stem = nn.Identity()
    side = _feature_side(name, stem, stages, c.img_size)
    head = _mlp_head(w5 * side * side, c.hidden, c.num_classes, c.dropout)
    return Pyramid(name, stem, stages, head, c.in_chans, c.img_size, flatten_head=True)


@register("alexnet", "AlexNet (Krizhevsky et al. 2012), with its two-GPU groups: 227 px, 60,965,224 params")
def alexnet_paper(num_classes: int = 1000, in_chans: int = 3, img_size: int = 227,
                  widths: tuple[int, ...] = (96, 256, 384, 384, 256),
                  groups: tuple[int, ...] = (1, 2, 1, 2, 2), hidden: tuple[int, ...] = (4096, 4096),
                  dropout: float = 0.5) -> Pyramid:
    return alexnet(AlexNetConfig(tuple(widths), tuple(groups), tuple(hidden), num_classes, in_chans,
                                 img_size, dropout), "alexnet")


# --- VGG ----------------------------------------------------------------------------------------


def _check_choice(name: str, **options: tuple[object, tuple[str, ...]]) -> None:
    """Each option's value is one of its choices; a ValueError that lists them otherwise."""
    for key, (value, choices) in options.items():
        if value not in choices:
            raise ValueError(f"{name}: {key}={value!r} must be one of {', '.join(map(repr, choices))}")


class Blur2d(nn.Module):
    """A fixed 3x3 binomial low-pass filter ``[1, 2, 1]ᵀ[1, 2, 1] / 16`` applied to every channel
    on its own (a depthwise convolution, chapter 1), then subsampled with ``stride``. Blurring
    before subsampling removes the fine detail that a stride would alias (Zhang 2019). It has no
    parameters."""

    kernel_size, stride, padding, dilation = 3, 2, 1, 1  # read by the size arithmetic

    def __init__(self, stride: int = 2):
        super().__init__()
        self.stride = stride
        taps = torch.tensor([1.0, 2.0, 1.0])
        self.register_buffer("kernel", (taps[:, None] * taps[None, :] / 16)[None, None], persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, c, h, w)
        c = x.shape[1]
        kernel = self.kernel.to(x.dtype).expand(c, 1, 3, 3)  # (c, 1, 3, 3): one per channel
        return F.conv2d(x, kernel, stride=self.stride, padding=1, groups=c)  # (b, c, h/s, w/s)


class BlurPool2d(nn.Sequential):
    """Zhang's (2019) *MaxBlurPool*, a drop-in for ``nn.MaxPool2d(2)``: the max over each 2x2
    window at every position (stride 1, no subsampling yet), then :class:`Blur2d` with stride 2.
    ``(b, c, h, w) -> (b, c, h/2, w/2)`` for even h, w, like the max-pool it replaces."""

    def __init__(self):
        super().__init__(nn.MaxPool2d(2, stride=1), Blur2d(stride=2))



@dataclass(frozen=True)
class VGGConfig:
    depths: tuple[int, ...] = (1, 1, 2, 2, 2)  # conv layers per stage (configuration A: VGG-11)
    widths: tuple[int, ...] = (64, 128, 256, 512, 512)
    hidden: tuple[int, ...] = (4096, 4096)
    num_classes: int = 1000
    in_chans: int = 3
    img_size: int = 224
    batch_norm: bool = False  # the paper has none; BN came a year later (Ioffe & Szegedy 2015)
    dropout: float = 0.5  # in the two hidden layers of the head, as in the paper
    pool: bool = True  # False drops the max-pools: a flat stack (for experiments, not a VGG)
    head: str = "flatten"  # "gap": global average pooling before the MLP (as NiN and ResNet)
    downsample: str = "max"  # "blur": max-pool 2x2 with stride 1, then a stride-2 blur (Zhang 2019)


def vgg(c: VGGConfig, name: str = "vgg") -> Pyramid:
    """VGG: stages of 3x3 convolutions (padding 1 keeps the size) that end in a 2x2 max-pool,
    which halves the size; the widths double up to 512. Head: flatten -> MLP."""
    _check_config(name, depths=c.depths, widths=c.widths, num_classes=c.num_classes,
                  in_chans=c.in_chans, img_size=c.img_size)
    if len(c.depths) != len(c.widths):
        raise ValueError(f"{name}: depths={c.depths} and widths={c.widths} need one entry per stage")
    _check_choice(name, head=(c.head, ("flatten", "gap")), downsample=(c.downsample, ("max", "blur")))
    stages, c_in = [], c.in_chans
    for depth, width in zip(c.depths, c.widths):
        layers: list[nn.Module] = []
        for _ in range(depth):
            layers.append(nn.Conv2d(c_in, width, 3, padding=1))
            layers += [nn.BatchNorm2d(width)] if c.batch_norm else []
            layers.append(nn.ReLU())
            c_in = width
        if c.pool:  # (b, c, h, w) -> (b, c, h/2, w/2)
            layers += [nn.MaxPool2d(2)] if c.downsample == "max" else [BlurPool2d()]
        stages.append(nn.Sequential(*layers))
    stem = nn.Identity()
    side = _feature_side(name, stem, stages, c.img_size)
    if c.head == "flatten":  # one weight per position of the last map
        head = _mlp_head(c_in * side * side, c.hidden, c.num_classes, c.dropout)
    else:  # the average of each map, wherever the feature fired: (b, c, h, w) -> (b, c, 1, 1)
        head = nn.Sequential(nn.AdaptiveAvgPool2d(1), _mlp_head(c_in, c.hidden, c.num_classes, c.dropout))
    model = Pyramid(name, stem, stages, head, c.in_chans, c.img_size,
                    flatten_head=c.head == "flatten")
    for m in model.modules():  # He initialisation for the convolutions (the paper predates it)
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            nn.init.zeros_(m.bias)
    return model


_VGG_DEPTHS = {11: (1, 1, 2, 2, 2), 13: (2, 2, 2, 2, 2), 16: (2, 2, 3, 3, 3), 19: (2, 2, 4, 4, 4)}
_VGG_LETTER = {11: "A", 13: "B", 16: "D", 19: "E"}
_VGG_PARAMS = {11: "132.9", 13: "133.0", 16: "138.4", 19: "143.7"}


def _register_vgg(layers: int) -> None:
    @register(f"vgg{layers}", f"VGG-{layers} (configuration {_VGG_LETTER[layers]} of Simonyan & "
                              f"Zisserman 2015): 224 px, {_VGG_PARAMS[layers]} M params")
    def build(num_classes: int = 1000, in_chans: int = 3, img_size: int = 224,
              widths: tuple[int, ...] = (64, 128, 256, 512, 512),
              depths: tuple[int, ...] = _VGG_DEPTHS[layers], hidden: tuple[int, ...] = (4096, 4096),
              batch_norm: bool = False, dropout: float = 0.5, pool: bool = True,
              head: str = "flatten", downsample: str = "max") -> Pyramid:
        config = VGGConfig(tuple(depths), tuple(widths), tuple(hidden), num_classes, in_chans,
                           img_size, batch_norm, dropout, pool, head, downsample)
        return vgg(config, f"vgg{layers}")


for _layers in _VGG_DEPTHS:
    _register_vgg(_layers)


# --- ResNet -------------------------------------------------------------------------------------


class PadShortcut(nn.Module):
    """Option A of He et al.: the identity, subsampled by the stride, with zero channels padded
    on (half before, half after) when the block widens. It has no parameters."""

    def __init__(self, c_in: int, c_out: int, stride: int):
        super().__init__()
        self.stride, self.before, self.after = stride, (c_out - c_in) // 2, c_out - c_in - (c_out - c_in) // 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, c_in, h, w)
        x = x[:, :, ::self.stride, ::self.stride]  # (b, c_in, h/s, w/s)
        return F.pad(x, (0, 0, 0, 0, self.before, self.after))  # (b, c_out, h/s, w/s)


class BasicBlock(nn.Module):
    """The residual block of He et al. 2016 (eq. 1 and 2):
    ``y = ReLU(F(x) + shortcut(x))``, ``F = conv3x3-BN-ReLU-conv3x3-BN``.

    When the block halves the size (``stride=2``) and widens the channels,
    the shortcut must change shape too: option ``"A"`` subsamples and pads
    zero channels (no parameters; the paper's CIFAR networks), option ``"B"``
    is a strided 1x1 convolution + BN (a projection; the ImageNet networks).
    ``skip=False`` removes the shortcut: the *plain* network of the same
    depth that the paper compares against.
    """

    def __init__(self, c_in: int, c_out: int, stride: int = 1,
                 shortcut: str = "A", skip: bool = True, batch_norm: bool = True):
        super().__init__()
        if shortcut not in ("A", "B"):
            raise ValueError(f"BasicBlock: shortcut={shortcut!r} must be 'A' "
                             "(zero-padded identity) or 'B' (1x1 projection)")
        norm = nn.BatchNorm2d if batch_norm else lambda c: nn.Identity()  # noqa: E731
        self.body = nn.Sequential(  # (b, c_in, h, w) -> (b, c_out, h/s, w/s)
            nn.Conv2d(c_in, c_out, 3, stride, padding=1, bias=not batch_norm),
            norm(c_out), nn.ReLU(),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=not batch_norm),
            norm(c_out))
        if not skip:
            self.shortcut = None
        elif stride == 1 and c_in == c_out:
            self.shortcut = nn.Identity()
        elif shortcut == "A":
            self.shortcut = PadShortcut(c_in, c_out, stride)
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(c_in, c_out, 1, stride, bias=not batch_norm),
                norm(c_out))
        self.act = nn.ReLU()

    def zero_init_(self) -> None:
        """Set the last BN's scale γ to 0 (Goyal et al. 2017): the residual branch then outputs
        exactly 0 at initialisation, and the block starts as ``ReLU(shortcut(x))``, the identity
        on the non-negative maps it receives."""
        last = self.body[-1]
        if not isinstance(last, nn.BatchNorm2d):
            raise ValueError("BasicBlock.zero_init_: the block has no batch norm to zero "
                             "(built with batch_norm=False)")
        nn.init.zeros_(last.weight)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (b, c_in, h, w)
        out = self.body(x)  # F(x): (b, c_out, h/s, w/s)
        if self.shortcut is not None:
            out = out + self.shortcut(x)  # the layers learn only the residual
        return self.act(out)


@dataclass(frozen=True)
class ResNetConfig:
    depths: tuple[int, ...] = (3, 3, 3)  # residual blocks per stage: ResNet-(6n+2) has n, n, n
    widths: tuple[int, ...] = (16, 32, 64)
    stem: str = "cifar"  # "cifar": conv 3x3 -> BN -> ReLU; "imagenet": conv 7x7/2 ... -> max-pool 3x3/2
    shortcut: str = "A"
    skip: bool = True
    num_classes: int = 10
    in_chans: int = 3
    img_size: int = 32
    batch_norm: bool = True  # False: no BN anywhere (and biases in the convolutions instead)
    zero_init_residual: bool = False  # True: each block's last BN starts at γ = 0 (Goyal et al. 2017)


def resnet(c: ResNetConfig, name: str = "resnet") -> Pyramid:
    """ResNet with basic blocks: a stem, then stages of residual blocks; every stage after the
    first starts with a stride-2 block (half the size, twice the width); global average pooling
    and one linear layer. The stem's width is the first stage's."""
    _check_config(name, depths=c.depths, widths=c.widths, num_classes=c.num_classes,
                  in_chans=c.in_chans, img_size=c.img_size)
    if len(c.depths) != len(c.widths):
        raise ValueError(f"{name}: depths={c.depths} and widths={c.widths} need one entry per stage")
    if c.stem not in ("cifar", "imagenet"):
        raise ValueError(f"{name}: stem={c.stem!r} must be 'cifar' or 'imagenet'")
    if c.zero_init_residual and not c.batch_norm:
        raise ValueError(f"{name}: zero_init_residual=True zeroes each block's last batch-norm "
                         "scale, but batch_norm=False has none; use one of the two")
    w0 = c.widths[0]
    bn, bias = (nn.BatchNorm2d(w0), False) if c.batch_norm else (nn.Identity(), True)
    if c.stem == "cifar":
        stem = nn.Sequential(nn.Conv2d(c.in_chans, w0, 3, padding=1, bias=bias), bn, nn.ReLU())
    else:  # (b, c, 224, 224) -> (b, 64, 112, 112) -> (b, 64, 56, 56)
        stem = nn.Sequential(nn.Conv2d(c.in_chans, w0, 7, stride=2, padding=3, bias=bias),
                             bn, nn.ReLU(), nn.MaxPool2d(3, stride=2, padding=1))
    stages, c_in = [], w0
    for i, (depth, width) in enumerate(zip(c.depths, c.widths)):
        blocks = [BasicBlock(c_in if j == 0 else width, width, 2 if i > 0 and j == 0 else 1,
                             c.shortcut, c.skip, c.batch_norm) for j in range(depth)]
        stages.append(nn.Sequential(*blocks))
        c_in = width
    _feature_side(name, stem, stages, c.img_size)
    head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(),  # (b, c, h, w) -> (b, c)
                         nn.Linear(c_in, c.num_classes))
    model = Pyramid(name, stem, stages, head, c.in_chans, c.img_size, flatten_head=False)
    for m in model.modules():  # He et al.'s initialisation ("as in [13]": Kaiming normal)
        if isinstance(m, nn.Conv2d):
            nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        if c.zero_init_residual and isinstance(m, BasicBlock):
            m.zero_init_()
    return model


def _register_cifar_resnet(depth: int, params: str) -> None:
    n = (depth - 2) // 6

    @register(f"resnet{depth}", f"ResNet-{depth} for CIFAR-10 (He et al. 2016, sec. 4.2): "
                                f"3 stages x {n} blocks, 16-32-64 channels, option A, {params} M params")
    def build(num_classes: int = 10, in_chans: int = 3, img_size: int = 32,
              widths: tuple[int, ...] = (16, 32, 64), shortcut: str = "A", skip: bool = True,
              batch_norm: bool = True, zero_init_residual: bool = False) -> Pyramid:
        config = ResNetConfig((n, n, n), tuple(widths), "cifar", shortcut, skip, num_classes,
                              in_chans, img_size, batch_norm, zero_init_residual)
        return resnet(config, f"resnet{depth}")


for _depth, _params in [(20, "0.27"), (32, "0.46"), (44, "0.66"), (56, "0.85"), (110, "1.7")]:
    _register_cifar_resnet(_depth, _params)


def _register_imagenet_resnet(depth: int, depths: tuple[int, ...], params: str) -> None:
    @register(f"resnet{depth}", f"ResNet-{depth} for ImageNet (He et al. 2016, Table 1): 224 px, "
                                f"option B, {params} M params")
    def build(num_classes: int = 1000, in_chans: int = 3, img_size: int = 224,
              widths: tuple[int, ...] = (64, 128, 256, 512), stem: str = "imagenet",
              shortcut: str = "B", skip: bool = True, batch_norm: bool = True,
              zero_init_residual: bool = False) -> Pyramid:
        config = ResNetConfig(depths, tuple(widths), stem, shortcut, skip, num_classes, in_chans, img_size,
                              batch_norm, zero_init_residual)
        return resnet(config, f"resnet{depth}")


for _depth, _blocks, _params in [(18, (2, 2, 2, 2), "11.7"), (34, (3, 4, 6, 3), "21.8")]:
    _register_imagenet_resnet(_depth, _blocks, _params)


# --- measuring a pyramid, stage by stage --------------------------------------------------------


def stage_names(model: Pyramid) -> list[str]:
    """Module names of the stem (when it does anything) and of every stage, in order."""
    names = [] if isinstance(model.stem, nn.Identity) else ["stem"]
    return names + [f"stages.{i}" for i in range(len(model.stages))]


def _display(name: str) -> str:
    """"stages.0" -> "stage 1": stages count from 1 in the text and figures."""
    return f"stage {int(name.split('.')[1]) + 1}" if name.startswith("stages.") else name


def receptive_fields(model: Pyramid) -> list[int]:
    """The receptive field (pixels of the input one position sees) at the end of the stem and
    of every stage, by the formula of chapter 1 along the main path."""
    from isolearn.conv import receptive_field

    fields, layers = [], []
    parts = ([] if isinstance(model.stem, nn.Identity) else [model.stem]) + list(model.stages)
    for part in parts:
        layers += [(k, s, d) for k, s, _, d in map(_spec, spatial_layers(part))]
        fields.append(receptive_field(layers))
    return fields


def stage_table(model: Pyramid, x: torch.Tensor) -> "Table":
    """One row per stage of ``model`` on input ``x`` (one image, ``(1, c, h, w)``): input, stem,
    stage 1, stage 2, ..., head, with the output shape read by
    :func:`~isolearn.profile.trace_shapes`, the values per image ``c·h·w``, the parameters, the
    multiply-adds (FLOPs / 2, counted) and the receptive field. Works on the ``meta`` device
    (no memory, no compute)."""
    from isolearn.profile import count_flops, count_params, trace_shapes
    from isolearn.table import Table

    if x.shape[0] != 1:
        raise ValueError(f"stage_table: give one image (1, c, h, w), got {tuple(x.shape)}; use x[:1]")
    shapes = {row[0]: row[2] for row in trace_shapes(model, x, leaves_only=False).rows}
    flops = count_flops(model, x, by_module=True)
    names = stage_names(model)
    fields = dict(zip(names, receptive_fields(model)))
    rows = [["input", shapes["input"][1:], x[0].numel(), 0, 0, 1]]
    for name in names + ["head"]:
        shape = shapes[name][1:]
        module = model.get_submodule(name)
        rows.append([_display(name), shape, int(torch.Size(shape).numel()), count_params(module),
                     flops.get(name, 0) // 2, fields.get(name, "")])
    return Table(["stage", "output shape", "values", "params", "MACs", "receptive field"], rows)
