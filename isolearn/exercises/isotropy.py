"""Chapter 10 exercises: RMSNorm without a gain, isotropic tanh at the scale of a wide layer,
and how one SGD step moves the outputs of an affine layer (the affine divergence)."""

from __future__ import annotations

import torch

from isolearn.activations import scaled_isotropic_tanh
from isolearn.exercises import Case, exercise
from isolearn.norm import affine_step, rms_norm


def _rms_norm_reference(x: torch.Tensor) -> torch.Tensor:
    return rms_norm(x, -1, 1e-6)


@exercise("rms_norm", "rms_norm(x) -> x / sqrt(mean(x², last axis) + 1e-6), the shape of x",
          _rms_norm_reference, forbid=("torch.nn.functional.rms_norm", "isolearn.norm.rms_norm",
                                        "isolearn.norm.RMSNorm.forward"), gradient="equal")
def _rms_norm_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(10)
    cases = []
    for shape in [(4, 8), (2, 5, 16), (3, 1), (2, 3, 4, 6)]:
        x = 3 * torch.randn(*shape, generator=gen, dtype=torch.float64)
        cases.append(Case((x,), f"x: {shape}, float64"))
    return cases


@exercise("scaled_iso_tanh", "scaled_iso_tanh(x, scale) -> scale · tanh(‖x‖/scale) x/‖x‖ over the "
          "last axis, the shape of x", scaled_isotropic_tanh, gradient="finite",
          forbid=("isolearn.activations.scaled_isotropic_tanh", "isolearn.activations.ScaledIsoTanh.forward"))
def _scaled_iso_tanh_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(11)
    cases = []
    for shape, scale in [((5, 8), 1.0), ((5, 64), 8.0), ((2, 3, 16), 4.0), ((4, 128), 11.3)]:
        x = 5 * torch.randn(*shape, generator=gen, dtype=torch.float64)
        cases.append(Case((x, scale), f"x: {shape}, scale={scale}, float64"))
    return cases


@exercise("affine_step", "affine_step(x, grad_z, lr) -> how one SGD step on (W, b) moves the "
          "outputs z = W x + b of the n inputs, a tensor (n, m)", affine_step,
          forbid=("isolearn.norm.affine_step",))
def _affine_step_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(12)
    cases = []
    for n, d, m, lr in [(1, 4, 3, 0.1), (5, 6, 4, 0.05), (8, 2, 10, 1.0), (3, 64, 10, 1e-3)]:
        x = torch.randn(n, d, generator=gen, dtype=torch.float64)
        g = torch.randn(n, m, generator=gen, dtype=torch.float64)
        cases.append(Case((x, g, lr), f"x: ({n}, {d}), grad_z: ({n}, {m}), lr={lr}, float64"))
    return cases
