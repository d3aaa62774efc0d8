"""Batch normalisation from scratch (Ioffe & Szegedy 2015), as ``nn.BatchNorm2d`` computes it.

For feature maps ``x: (b, c, h, w)``, each channel is normalised with the mean and variance of
*its* values over the batch and every position, then scaled and shifted by two learned numbers
per channel, γ (``weight``) and β (``bias``):

    μ_c = mean_{b,i,j} x[b, c, i, j],     σ²_c = mean_{b,i,j} (x[b, c, i, j] − μ_c)²,
    y[b, c, i, j] = γ_c · (x[b, c, i, j] − μ_c) / √(σ²_c + ε) + β_c.

In **training** mode the statistics come from the batch, so an image's output depends on the
other images in its batch, and running averages are kept on the side,

    running_mean ← (1 − m)·running_mean + m·μ,   running_var ← (1 − m)·running_var + m·σ²·n/(n − 1)

(momentum ``m = 0.1``; the variance is stored unbiased, ``n = b·h·w``). In **evaluation** mode
(``model.eval()``) the running averages replace the batch statistics: every image is treated the
same, whatever else is in the batch, and the layer is a fixed per-channel affine map.
"""

from __future__ import annotations

import torch


def batch_norm2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor,
                 running_mean: torch.Tensor, running_var: torch.Tensor, training: bool,
                 momentum: float = 0.1, eps: float = 1e-5) -> torch.Tensor:
    """Batch normalisation of ``x: (b, c, h, w)`` with per-channel ``weight`` γ and ``bias`` β
    ``(c,)``. In training mode it uses the batch's statistics and updates ``running_mean`` and
    ``running_var`` ``(c,)`` **in place** (as the layer's buffers are); in evaluation mode it uses
    them and changes nothing. Equals ``F.batch_norm`` and ``nn.BatchNorm2d`` (the tests compare)."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"batch_norm2d: x must be feature maps (b, c, h, w), got {shape}")
    c = x.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t.shape != (c,):
            raise ValueError(f"batch_norm2d: {name} must have one entry per channel, shape ({c},), "
                             f"got {tuple(t.shape)}")
    if training:
        n = x.numel() // c  # values per channel: b·h·w
        if n < 2:
            raise ValueError(f"batch_norm2d: training mode needs more than one value per channel "
                             f"to estimate a variance, got x {tuple(x.shape)}; use a larger batch "
                             "or evaluation mode (model.eval())")
        mean = x.mean(dim=(0, 2, 3))  # (c,)
        var = x.var(dim=(0, 2, 3), unbiased=False)  # (c,): the biased variance normalises
        with torch.no_grad():  # the running averages are statistics, not part of the graph
            running_mean.mul_(1 - momentum).add_(momentum * mean)
            running_var.mul_(1 - momentum).add_(momentum * var * n / (n - 1))
    else:
        mean, var = running_mean, running_var
    x_hat = (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + eps)
    return weight[None, :, None, None] * x_hat + bias[None, :, None, None]  # (b, c, h, w)
