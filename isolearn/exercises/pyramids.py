"""Chapter 2 exercises: parameters of a conv layer, the shapes through a stack, a residual block."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from isolearn.exercises import Case, exercise
from isolearn.models.cnn import PadShortcut
from isolearn.profile import count_params


def _conv_params_reference(c_in: int, c_out: int, kernel_size: int, bias: bool = True, groups: int = 1) -> int:
    return count_params(nn.Conv2d(c_in, c_out, kernel_size, bias=bias, groups=groups))


@exercise("conv_params", "conv_params(c_in, c_out, kernel_size, bias=True, groups=1) -> int",
          _conv_params_reference, forbid=("torch.nn.Conv2d.__init__", "isolearn.profile.count_params"))
def _conv_params_cases() -> list[Case]:  # smallest first: a wrong formula shows on a small count
    settings = [(1, 6, 5, True, 1), (8, 12, 3, True, 4), (6, 16, 5, True, 1), (16, 32, 1, False, 1),
                (3, 64, 3, True, 1), (32, 32, 3, True, 32), (3, 64, 7, False, 1), (64, 64, 3, False, 1),
                (512, 512, 3, True, 1)]
    return [Case((c_in, c_out, k), f"c_in={c_in}, c_out={c_out}, kernel_size={k}, bias={b}, groups={g}",
                 dict(bias=b, groups=g)) for c_in, c_out, k, b, g in settings]


def _build(layers: list[tuple], c_in: int) -> nn.Sequential:
    modules = []
    for spec in layers:
        if spec[0] == "conv":
            _, c_out, k, s, p = spec
            modules.append(nn.Conv2d(c_in, c_out, k, stride=s, padding=p))
            c_in = c_out
        else:
            _, k, s = spec
            modules.append(nn.MaxPool2d(k, stride=s))
    return nn.Sequential(*modules)


def _stack_shapes_reference(layers: list[tuple], shape: tuple[int, int, int]) -> list[tuple[int, int, int]]:
    x = torch.zeros(1, *shape)
    shapes = []
    with torch.no_grad():
        for module in _build(layers, shape[0]):
            x = module(x)
            shapes.append(tuple(x.shape[1:]))
    return shapes


@exercise("stack_shapes", "stack_shapes(layers, shape=(c, h, w)) -> [(c, h, w) after each layer]",
          _stack_shapes_reference)
def _stack_shapes_cases() -> list[Case]:
    stacks = [
        ([("conv", 6, 5, 1, 0), ("pool", 2, 2), ("conv", 16, 5, 1, 0), ("pool", 2, 2)], (1, 32, 32)),
        ([("conv", 64, 3, 1, 1), ("conv", 64, 3, 1, 1), ("pool", 2, 2)], (3, 32, 32)),
        ([("conv", 16, 3, 1, 1), ("conv", 32, 3, 2, 1), ("conv", 64, 3, 2, 1)], (1, 16, 16)),
        ([("conv", 64, 7, 2, 3), ("pool", 3, 2), ("conv", 64, 3, 1, 1)], (3, 64, 64)),
        ([("conv", 8, 3, 2, 0), ("pool", 2, 2)], (2, 15, 15)),
        ([("conv", 4, 16, 16, 0)], (3, 224, 224)),
    ]
    return [Case((layers, shape), f"layers={layers}, shape={shape}") for layers, shape in stacks]


def _residual_block_reference(x: torch.Tensor, w1: torch.Tensor, w2: torch.Tensor, stride: int = 1) -> torch.Tensor:
    out = _conv2d(_relu(_conv2d(x, w1, stride=stride, padding=1)), w2, padding=1)
    if stride == 1 and w1.shape[0] == x.shape[1]:
        shortcut = x
    else:
        shortcut = PadShortcut(x.shape[1], w1.shape[0], stride)(x)
    return _relu(out + shortcut)


_conv2d, _relu = F.conv2d, F.relu  # the checker's own references


@exercise("residual_block", "residual_block(x, w1, w2, stride=1) -> ReLU(F(x) + shortcut(x))",
          _residual_block_reference,
          forbid=("isolearn.models.cnn.BasicBlock.forward", "isolearn.models.cnn.PadShortcut.forward"))
def _residual_block_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(2)
    cases = []
    for b, c_in, c_out, size, stride in [(1, 1, 1, 5, 1), (2, 4, 4, 8, 1), (2, 3, 3, 6, 1),
                                         (2, 4, 8, 8, 2), (1, 16, 32, 6, 2), (2, 2, 6, 7, 2)]:
        x = torch.randn(b, c_in, size, size, generator=gen)
        w1 = torch.randn(c_out, c_in, 3, 3, generator=gen) / 3
        w2 = torch.randn(c_out, c_out, 3, 3, generator=gen) / 3
        cases.append(Case((x, w1, w2), f"x: {tuple(x.shape)}, w1: {tuple(w1.shape)}, "
                                       f"w2: {tuple(w2.shape)}, stride={stride}", dict(stride=stride)))
    return cases
