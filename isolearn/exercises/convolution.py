"""Chapter 1 exercises: output size, convolution via unfold, receptive field of a stack."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from isolearn.conv import conv_output_size, receptive_field
from isolearn.exercises import Case, exercise


@exercise("output_size", "output_size(n, kernel_size, stride, padding, dilation) -> int",
          conv_output_size)
def _output_size_cases() -> list[Case]:
    settings = [(8, 3, 1, 0, 1), (8, 3, 1, 1, 1), (7, 3, 2, 1, 1), (28, 5, 1, 2, 1), (32, 3, 2, 0, 1),
                (9, 3, 1, 0, 2), (10, 4, 3, 1, 1), (224, 16, 16, 0, 1), (15, 5, 2, 3, 2), (5, 5, 1, 0, 1)]
    return [Case(s, "n={}, kernel_size={}, stride={}, padding={}, dilation={}".format(*s)) for s in settings]


def _conv2d_reference(x: torch.Tensor, weight: torch.Tensor, stride: int = 1, padding: int = 0):
    return F.conv2d(x, weight, stride=stride, padding=padding)


@exercise("conv2d_unfold", "conv2d_unfold(x, weight, stride, padding) -> (b, c_out, h', w')",
          _conv2d_reference)
def _conv2d_unfold_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(1)
    cases = []
    for b, c_in, c_out, h, w, k, s, p in [(1, 1, 1, 5, 5, 3, 1, 0), (2, 3, 4, 7, 7, 3, 1, 1),
                                          (2, 3, 2, 9, 8, 3, 2, 1), (1, 2, 5, 6, 10, 5, 1, 2),
                                          (3, 4, 3, 8, 8, 1, 2, 0)]:
        x = torch.randn(b, c_in, h, w, generator=gen)
        weight = torch.randn(c_out, c_in, k, k, generator=gen)
        cases.append(Case((x, weight, s, p), f"x: {tuple(x.shape)}, weight: {tuple(weight.shape)}, "
                                             f"stride={s}, padding={p}"))
    return cases


@exercise("receptive_field", "receptive_field(layers: list of (kernel, stride)) -> int", receptive_field)
def _receptive_field_cases() -> list[Case]:
    stacks = [[(3, 1)], [(3, 1), (3, 1)], [(3, 1)] * 5, [(5, 1), (2, 2)], [(3, 1), (2, 2), (3, 1)],
              [(3, 2), (3, 2), (3, 2)], [(7, 2), (3, 2), (3, 1), (3, 1)], [(1, 1), (1, 1)], []]
    return [Case((stack,), f"layers={stack}") for stack in stacks]


def _grouped_conv2d_reference(x: torch.Tensor, weight: torch.Tensor, groups: int) -> torch.Tensor:
    return F.conv2d(x, weight, groups=groups)


@exercise("grouped_conv2d", "grouped_conv2d(x, weight, groups) -> (b, c_out, h', w')",
          _grouped_conv2d_reference)
def _grouped_conv2d_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(2)
    cases = []
    for b, c_in, c_out, size, k, groups in [(1, 2, 2, 5, 3, 1), (2, 4, 6, 6, 3, 2), (1, 6, 6, 5, 3, 6),
                                            (2, 4, 8, 7, 3, 4), (1, 6, 9, 6, 1, 3)]:
        x = torch.randn(b, c_in, size, size, generator=gen)
        weight = torch.randn(c_out, c_in // groups, k, k, generator=gen)
        cases.append(Case((x, weight, groups), f"x: {tuple(x.shape)}, weight: {tuple(weight.shape)}, "
                                               f"groups={groups}"))
    return cases
