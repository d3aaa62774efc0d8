"""Chapter 8 exercises: SRM of one plane, the isotropic baseline by Monte Carlo, a signed SRM."""

from __future__ import annotations

import math

import torch

from isolearn.activations import random_orthogonal
from isolearn.analysis import srm
from isolearn.exercises import Case, exercise

_QUARTERS = torch.arange(8, dtype=torch.float64) * (math.pi / 4)  # 0, π/4, ..., 7π/4


def _plane_srm(x: torch.Tensor, b_i: torch.Tensor, b_j: torch.Tensor, epsilon: float,
               angles: torch.Tensor, signed: bool) -> torch.Tensor:
    """Row (i, j) of :func:`isolearn.analysis.srm` with the two-vector basis [b_i; b_j]."""
    return srm(x, torch.stack([b_i, b_j]), epsilon, angles=angles, signed=signed)[1][0]


def _activations(gen: torch.Generator) -> list[tuple[torch.Tensor, str]]:
    gauss = torch.randn(400, 6, generator=gen, dtype=torch.float64)
    with_zeros = torch.relu(torch.randn(300, 6, generator=gen, dtype=torch.float64))
    with_zeros[::5] = 0.0
    return [(gauss, "400 Gaussian points in 6-D"),
            (torch.relu(gauss), "ReLU of those points (never negative)"),
            (with_zeros, "300 ReLU points in 6-D, every 5th row all zeros (no direction: x̂ = 0)")]


def _srm_plane_reference(x, u, v, epsilon, angles):
    return _plane_srm(x, u, v, epsilon, angles, signed=False)


@exercise("srm_plane", "srm_plane(x, u, v, epsilon, angles) -> (a,): the fraction of rows of x "
          "whose direction x̂ has x̂·(cos θ u − sin θ v) ≥ epsilon, for each θ in angles",
          _srm_plane_reference, forbid=("isolearn.analysis.srm", "isolearn.analysis.srm_loop"))
def _srm_plane_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(8)
    e = torch.eye(6, dtype=torch.float64)
    q = random_orthogonal(1, 6, gen)[0]
    angles = torch.linspace(0, 2 * math.pi, 25, dtype=torch.float64)
    cases = []
    for x, describe in _activations(gen):
        cases.append(Case((x, e[0], e[3], 0.6, _QUARTERS),
                          f"{describe}; u = e_0, v = e_3, epsilon = 0.6, angles k·π/4"))
        cases.append(Case((x, q[0], q[1], 0.5, angles),
                          f"{describe}; u, v a random orthonormal pair, epsilon = 0.5, "
                          "25 angles from 0 to 2π"))
    x, describe = _activations(gen)[2]
    cases.append(Case((x, e[1], e[2], -0.2, _QUARTERS),
                      f"{describe}; u = e_1, v = e_2, epsilon = -0.2 (zero rows count: 0 ≥ -0.2)"))
    return cases


def _mc_baseline_reference(d: int, epsilon: float, n: int, seed: int) -> float:
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen, dtype=torch.float64)
    x_hat = x / x.norm(dim=1, keepdim=True)
    return (x_hat[:, 0] >= epsilon).double().mean().item()


@exercise("mc_baseline", "mc_baseline(d, epsilon, n, seed) -> float: the fraction of n random "
          "directions (torch.randn(n, d, generator=torch.Generator().manual_seed(seed), "
          "dtype=torch.float64), each row normalised) whose first coordinate is >= epsilon",
          _mc_baseline_reference, forbid=("isolearn.analysis.srm_isotropic_baseline",))
def _mc_baseline_cases() -> list[Case]:
    return [Case((d, eps, n, s), f"d = {d}, epsilon = {eps}, n = {n}, seed = {s}")
            for d, eps, n, s in [(2, 0.5, 10_000, 0), (8, 0.75, 50_000, 1), (16, 0.4, 50_000, 2),
                                 (3, -0.5, 20_000, 3)]]


def _signed_srm_plane_reference(x, b_i, b_j, epsilon, angles):
    return _plane_srm(x, b_i, b_j, epsilon, angles, signed=True)


@exercise("signed_srm_plane", "signed_srm_plane(x, b_i, b_j, epsilon, angles) -> (a,): for the "
          "spotlight s = cos θ û − sin θ v̂⊥ of the plane of b_i, b_j (û = b_i/‖b_i‖, v̂⊥ = "
          "b_j minus its û-part, normalised), the fraction with x̂·s ≥ ε minus the fraction "
          "with x̂·s ≤ −ε",
          _signed_srm_plane_reference, forbid=("isolearn.analysis.srm", "isolearn.analysis.srm_loop"))
def _signed_srm_plane_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(9)
    e = torch.eye(6, dtype=torch.float64)
    tilted = 2 * e[0] + e[1]  # neither unit length nor orthogonal to e_1
    angles = torch.linspace(0, 2 * math.pi, 25, dtype=torch.float64)
    cases = []
    for x, describe in _activations(gen):
        cases.append(Case((x, e[2], e[4], 0.6, _QUARTERS),
                          f"{describe}; b_i = e_2, b_j = e_4, epsilon = 0.6, angles k·π/4"))
        cases.append(Case((x, e[1], tilted, 0.5, angles),
                          f"{describe}; b_i = e_1, b_j = 2·e_0 + e_1 (not orthogonal to b_i), "
                          "epsilon = 0.5, 25 angles"))
    return cases
