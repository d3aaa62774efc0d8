"""Chapter 7 exercises: isotropic tanh safe at 0, a numerical equivariance test, isotropic ReLU."""

from __future__ import annotations

import torch

from isolearn.activations import isotropic_relu, isotropic_tanh, random_orthogonal, random_permutation
from isolearn.exercises import Case, exercise


def _iso_tanh_reference(x: torch.Tensor) -> torch.Tensor:
    return isotropic_tanh(x, dim=-1)


def _points(gen: torch.Generator) -> list[tuple[torch.Tensor, str]]:
    """Inputs over the last axis, with the cases a naive formula gets wrong: exact zeros, and
    vectors so short that their squared length underflows to 0 in float32."""
    mixed = torch.randn(6, 3, generator=gen)
    mixed[1] = 0.0
    mixed[4] = 1e-30
    return [(torch.randn(5, 2, generator=gen), "5 random points in the plane"),
            (3 * torch.randn(4, 7, generator=gen), "4 random vectors of length ~8 in 7-D"),
            (torch.zeros(3, 4), "3 zero vectors: f(0) must be 0, not NaN"),
            (mixed, "6 vectors in 3-D, row 1 all zeros, row 4 all 1e-30 (‖x‖² underflows)"),
            (1e-4 * torch.randn(2, 5, 3, generator=gen), "tokens (2, 5, 3) of length ~1e-4")]


# Values within 0.01 % of each entry (a relative tolerance: for vectors of length 1e-30 an absolute
# one could not tell x from 0), and gradients that are finite at 0 and equal the reference's.
@exercise("iso_tanh", "iso_tanh(x) -> tanh(‖x‖)·x/‖x‖ over the last axis, with f(0) = 0",
          _iso_tanh_reference, gradient="equal", rtol=1e-4, atol=1e-37,
          forbid=("isolearn.activations.isotropic_tanh", "isolearn.activations.tanh_gain",
                  "isolearn.activations.intrinsic_tanh", "isolearn.activations.IsoTanh.forward"))
def _iso_tanh_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(7)
    return [Case((x,), describe) for x, describe in _points(gen)]


def _gap_reference(f, g: torch.Tensor, x: torch.Tensor) -> float:
    return (f(x @ g.T) - f(x) @ g.T).norm(dim=1).max().item()


def _transposed(case, got) -> str | None:
    f, g, x = case.args
    if isinstance(got, float) and abs(got - _gap_reference(f, g.T, x)) < 1e-9 * max(1.0, abs(got)):
        return "your answer equals the gap for g transposed: row by row, g x is x @ g.T"
    return None


@exercise("equivariance_gap", "equivariance_gap(f, g, x) -> max over rows of ‖f(g x) − g f(x)‖",
          _gap_reference, hint=_transposed, forbid=("isolearn.activations.equivariance_error",))
def _equivariance_gap_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(3)
    cases = []
    for name, f in [("torch.tanh", torch.tanh), ("torch.relu", torch.relu),
                    ("isotropic tanh", isotropic_tanh)]:
        for group, g in [("a rotation", random_orthogonal(1, 4, gen)[0]),
                         ("a permutation", random_permutation(1, 4, gen)[0])]:
            x = 2 * torch.randn(16, 4, generator=gen, dtype=torch.float64)
            cases.append(Case((f, g, x), f"f = {name}, g = {group} of R^4, x: 16 points (16, 4), "
                                         "float64"))
    return cases


def _iso_relu_reference(x: torch.Tensor, b: float) -> torch.Tensor:
    return isotropic_relu(x, b, dim=-1)


@exercise("iso_relu", "iso_relu(x, b) -> max(‖x‖ − b, 0)·x/‖x‖ over the last axis, f(0) = 0",
          _iso_relu_reference, gradient="finite",
          forbid=("isolearn.activations.isotropic_relu", "isolearn.activations.IsoReLU.forward"))
def _iso_relu_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(5)
    cases = []
    for b in (0.5, 0.0, 2.0):
        for x, describe in _points(gen)[:4]:
            cases.append(Case((x, b), f"{describe}, b={b}"))
    return cases
