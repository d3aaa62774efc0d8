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


# ---------------------------------------------------------------------------------------------
# RMS normalisation without a gain, and what it does to a gradient step (chapter 10)
# ---------------------------------------------------------------------------------------------
def rms_norm(x: torch.Tensor, dim: int = -1, eps: float = 1e-6) -> torch.Tensor:
    """x / √(mean(x²) + ε) over axis ``dim``: RMSNorm without a gain (Zhang & Sennrich 2019).

    mean(x²) = ‖x‖²/d, so (for ε = 0) this is √d · x/‖x‖: it keeps the direction and sets the
    length to √d. ‖Qx‖ = ‖x‖ for every orthogonal Q, so RMS(Qx) = Q·RMS(x): it commutes with
    every rotation of the axis (with ε > 0 too). LayerNorm subtracts the mean first, x − x̄1,
    which commutes only with the rotations that fix the all-ones vector 1; a per-channel gain γ
    breaks even those unless it is folded into the next layer's weights."""
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError(f"rms_norm: x must be a float tensor, got {getattr(x, 'dtype', type(x).__name__)}")
    if not isinstance(dim, int) or not -x.dim() <= dim < max(x.dim(), 1):
        raise ValueError(f"rms_norm: dim={dim!r} is not an axis of x with shape {tuple(x.shape)}; "
                         "use the feature axis, e.g. dim=-1 for tokens (b, n, d), 1 for maps (b, c, h, w)")
    return x * torch.rsqrt((x * x).mean(dim=dim, keepdim=True) + eps)


class RMSNorm(torch.nn.Module):
    """:func:`rms_norm` as a layer, over the axis ``dim`` (-1 for tokens, 1 for feature maps).
    No parameters: a gain would single out the coordinate axes again."""

    def __init__(self, dim: int = -1, eps: float = 1e-6):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise ValueError(f"RMSNorm: dim={dim!r} must be an int axis, e.g. -1 or 1")
        if not isinstance(eps, (int, float)) or isinstance(eps, bool) or not eps >= 0:
            raise ValueError(f"RMSNorm: eps={eps!r} must be a number >= 0, e.g. 1e-6")
        self.dim, self.eps = dim, float(eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return rms_norm(x, self.dim, self.eps)

    def extra_repr(self) -> str:
        return f"dim={self.dim}, eps={self.eps:g}"


def affine_step(x: torch.Tensor, grad_z: torch.Tensor, lr: float) -> torch.Tensor:
    """How one SGD step on an affine layer z = W x + b moves its outputs: ``(n, m)``.

    The step is W ← W − η Σₘ gₘ xₘᵀ, b ← b − η Σₘ gₘ (gₘ = ∂L/∂zₘ, the rows of ``grad_z``
    ``(n, m)``, for the inputs ``x`` ``(n, d)``), so sample n's output moves by

        Δzₙ = −η Σₘ (xₘ · xₙ + 1) gₘ,        and for one sample  Δz = −η (‖x‖² + 1) ∂L/∂z.

    The output does not move along −∂L/∂z at one rate: the rate is η(‖x‖² + 1), larger for
    longer inputs (Bird's "affine divergence"). Normalising the inputs to one length, as
    :func:`rms_norm` does (‖x‖² = d), gives every sample the same rate η(d + 1)."""
    for name, t in (("x", x), ("grad_z", grad_z)):
        if not isinstance(t, torch.Tensor) or t.dim() != 2:
            raise ValueError(f"affine_step: {name} must be a 2-d tensor (n, features), got "
                             f"{tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__}")
    if len(x) != len(grad_z):
        raise ValueError(f"affine_step: x has {len(x)} samples and grad_z {len(grad_z)}; pass one "
                         "gradient row per input row")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)):
        raise ValueError(f"affine_step: lr={lr!r} must be a number, e.g. 0.1")
    return -lr * (x @ x.T + 1) @ grad_z  # (n, n) @ (n, m)
