"""Chapter 9 exercises: Bird's ψ correction for pruning, the compressed widths of a radial
network, and the weights that alternating diagonalisation zeroes."""

from __future__ import annotations

import torch

from isolearn import neurons
from isolearn.exercises import Case, exercise


def _psi_correction_reference(w1: torch.Tensor, b1: torch.Tensor, w2: torch.Tensor,
                              k: int) -> torch.Tensor:
    u, _, _ = torch.linalg.svd(w1)  # (m, m)
    weakest = u[:, w1.shape[0] - k:]  # (m, k): the k weakest output directions
    return (w2 @ weakest) @ (weakest.T @ b1)  # Σ W* b*, (n_out,)


@exercise("psi_correction", "psi_correction(w1, b1, w2, k) -> Σ W* b* over the k weakest "
          "directions of w1, a tensor (n_out,)", _psi_correction_reference,
          forbid=("isolearn.neurons.prune",))
def _psi_correction_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(9)
    cases = []
    for m, n, out, k in [(4, 4, 3, 1), (5, 7, 2, 2), (6, 6, 4, 3), (3, 8, 5, 3)]:
        w1 = torch.randn(m, n, generator=gen, dtype=torch.float64)
        b1 = torch.randn(m, generator=gen, dtype=torch.float64)
        w2 = torch.randn(out, m, generator=gen, dtype=torch.float64)
        cases.append(Case((w1, b1, w2, k), f"w1: ({m}, {n}), b1: ({m},), w2: ({out}, {m}), "
                                           f"k={k}, float64"))
    return cases


@exercise("compressed_widths", "compressed_widths(widths) -> the list of widths after lossless "
          "QR compression (no ψ)", neurons.compressed_widths,
          forbid=("isolearn.neurons.compressed_widths", "isolearn.neurons.compress"))
def _compressed_widths_cases() -> list[Case]:
    return [Case((w,), f"widths={w}") for w in
            ([2, 16, 16, 2], [1, 8, 16, 8, 1], [64, 100, 100, 10], [2, 2, 16, 3],
             [3, 50, 2, 50, 50, 4], [10, 5, 5, 5, 5, 10], [784, 10])]


@exercise("sparsified_count", "sparsified_count(widths) -> the number of weights that full "
          "diagonalisation of layers 1, 3, 5, ... sets to 0, an int", neurons.sparsified_count,
          forbid=("isolearn.neurons.sparsified_count", "isolearn.neurons.sparsify"))
def _sparsified_count_cases() -> list[Case]:
    return [Case((w,), f"widths={w}") for w in
            ([3072, 1000, 1000, 10], [64, 100, 10], [5, 7, 7, 7, 3], [4, 6, 9, 5, 8, 3],
             [64, 128, 128, 128, 128, 10], [2, 3, 4, 5, 6, 7, 8])]
