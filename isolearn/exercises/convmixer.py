"""Chapter 5 exercises: a ConvMixer block, the depthwise parameter count, the receptive field."""

from __future__ import annotations

import torch

from isolearn.exercises import Case, exercise
from isolearn.models.convmixer import ConvMixerBlock


def _block(dim: int, kernel_size: int, activation: str, seed: int) -> ConvMixerBlock:
    torch.manual_seed(seed)
    block = ConvMixerBlock(dim, kernel_size, activation)
    with torch.no_grad():  # non-trivial batch-norm statistics, so that forgetting one shows
        for norm in (block.depthwise[2], block.pointwise[2]):
            norm.weight.uniform_(0.5, 1.5)
            norm.bias.uniform_(-0.5, 0.5)
            norm.running_mean.uniform_(-0.3, 0.3)
            norm.running_var.uniform_(0.5, 2.0)
    return block.eval()


@exercise("convmixer_block", "convmixer_block(z, block) -> (b, h, H, W), using block.depthwise "
          "and block.pointwise (each is conv, activation, batch norm)", lambda z, block: block(z), sealed=(1,),
          forbid=("isolearn.models.convmixer.ConvMixerBlock.forward",))
def _convmixer_block_cases() -> list[Case]:
    cases = []
    for n, (b, h, side, k, act) in enumerate([(1, 2, 5, 3, "gelu"), (2, 4, 8, 5, "gelu"),
                                              (2, 3, 7, 7, "relu"), (1, 6, 4, 1, "gelu")]):
        z = torch.randn(b, h, side, side, generator=torch.Generator().manual_seed(n))
        cases.append(Case((z, _block(h, k, act, n)),
                          f"z: {tuple(z.shape)}, a ConvMixerBlock(dim={h}, kernel_size={k}, {act})"))
    return cases


@exercise("depthwise_params", "depthwise_params(dim, kernel_size) -> int: weights and biases of "
          "one depthwise k x k convolution on dim channels", lambda dim, k: dim * k * k + dim,
          forbid=("torch.nn.Conv2d.__init__", "isolearn.profile.count_params",
                  "isolearn.models.convmixer.convmixer_param_count"))
def _depthwise_params_cases() -> list[Case]:  # smallest first
    rows = [(1, 1), (3, 4), (48, 15), (256, 5), (768, 7), (1536, 9)]
    return [Case(r, f"dim={r[0]}, kernel_size={r[1]}") for r in rows]


@exercise("convmixer_receptive_field", "convmixer_receptive_field(depth, kernel_size, patch_size) "
          "-> int: side, in input pixels, of what one output patch sees",
          lambda d, k, p: p * (1 + d * (k - 1)), hint=lambda case, got: (
              "your answer is the side in patches; one patch is patch_size pixels wide"
              if got == 1 + case.args[0] * (case.args[1] - 1) else None))
def _receptive_field_cases() -> list[Case]:
    rows = [(1, 3, 1), (20, 9, 7), (32, 7, 7), (8, 5, 2), (0, 9, 7), (4, 1, 2), (3, 15, 14)]
    return [Case(r, f"depth={r[0]}, kernel_size={r[1]}, patch_size={r[2]}") for r in rows]
