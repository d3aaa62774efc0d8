"""Token mixing as a matrix: how much output token i depends on input token j.

Every isotropic architecture alternates a *token-mixing* step (tokens exchange information) with
a per-token step. On one channel of a grid x grid image the token-mixing step maps the S = grid²
values to S values; for a linear step that map is an S x S matrix M, with y = M x:

- a k x k **convolution**: M is banded and *doubly block Toeplitz* (entry (i, j) depends only on
  the offset between pixels i and j, and is zero unless they are neighbours): local and shared;
- the **MLP-Mixer**'s token MLP: dense and position-specific (its Jacobian, since the MLP is not
  linear, depends on the input only through the GELU);
- **attention**: dense and computed from the input, a new matrix for every image.
"""

from __future__ import annotations

import torch

from isolearn.attention import patch_distances


def conv_matrix(kernel: torch.Tensor, grid: int) -> torch.Tensor:
    """The S x S matrix of a single-channel k x k convolution with zero 'same' padding on a
    grid x grid image (odd k, S = grid²): ``M @ x.flatten() == F.conv2d(x, kernel,
    padding=k // 2).flatten()``. Built from the definition: output pixel (r, c) takes
    ``kernel[u, v]`` times input pixel (r + u - k//2, c + v - k//2) when that pixel exists."""
    k = kernel.shape[-1]
    if kernel.dim() != 2 or kernel.shape[0] != k or k % 2 == 0:
        raise ValueError(f"conv_matrix: kernel must be (k, k) with k odd, got {tuple(kernel.shape)}")
    half = k // 2
    matrix = torch.zeros(grid * grid, grid * grid, dtype=kernel.dtype)
    for r in range(grid):
        for c in range(grid):
            for u in range(k):
                for v in range(k):
                    rr, cc = r + u - half, c + v - half
                    if 0 <= rr < grid and 0 <= cc < grid:
                        matrix[r * grid + c, rr * grid + cc] = kernel[u, v]
    return matrix


def local_share(matrix: torch.Tensor, grid: int, radius: float = 1.5) -> float:
    """The share of a mixing matrix's total |weight| that links tokens at most ``radius`` patches
    apart (1.5: the 3 x 3 neighbourhood, diagonals included). A 3 x 3 convolution has 1; a matrix
    that spreads its weight uniformly has the share of neighbour pairs among all pairs
    (``local_share(torch.ones(S, S), grid)``)."""
    near = patch_distances(grid) <= radius  # (S, S)
    weight = matrix.detach().abs().float()
    return (weight[..., near].sum() / weight.sum()).item()
