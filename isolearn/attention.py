"""Attention: every token looks at every other token, weighted by similarity.

Scaled dot-product attention (Vaswani et al. 2017, eq. 1):

    Attention(Q, K, V) = softmax(Q Kᵀ / √d) V

For n tokens, ``Q Kᵀ`` holds n² scores, so the cost grows with the square of the number of
tokens. Multi-head self-attention projects the tokens into h heads of width d/h, attends in each,
and mixes the heads back with a linear map.
"""

from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from isolearn import validate


def _check_mask(mask: torch.Tensor, scores: tuple[int, ...], fn: str) -> None:
    """A mask as ``F.scaled_dot_product_attention`` takes it: bool (True = may attend) or float
    (added to the scores), broadcastable to the scores' shape (..., n, m)."""
    validate.tensor(mask, "mask", fn)
    if mask.dtype != torch.bool and not mask.is_floating_point():
        raise validate.ArgumentTypeError(
            f"{fn}: mask is {str(mask.dtype).replace('torch.', '')}, but a mask is bool (True where "
            "attention is allowed) or float (added to the scores), as in "
            "F.scaled_dot_product_attention; for a 0/1 mask use mask.bool()")
    try:
        torch.broadcast_shapes(mask.shape, scores)
    except RuntimeError:
        raise ValueError(f"{fn}: mask of shape {tuple(mask.shape)} does not broadcast to the "
                         f"scores (..., n, m) = {tuple(scores)}") from None


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
              mask: torch.Tensor | None = None, return_weights: bool = False):
    """softmax(Q Kᵀ / √d) V from scratch. q: (..., n, d), k: (..., m, d), v: (..., m, d_v).

    ``mask`` follows ``F.scaled_dot_product_attention``: a bool tensor broadcastable to
    (..., n, m) with True where attention is allowed, or a float tensor added to the scores (an
    integer 0/1 mask is refused, as there). A query whose row of the mask allows nothing gets
    weights 0 and output 0, as PyTorch's kernels return (the softmax of a row of −∞ alone would
    be 0/0 = NaN).
    Returns (..., n, d_v), and the weights (..., n, m) too if ``return_weights``.
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        if validate.tensor(t, name, "attention").dim() < 2 or not t.is_floating_point():
            raise ValueError(f"attention: {name} must be a float tensor (..., n, d), got "
                             f"{str(t.dtype).replace('torch.', '')} of shape {tuple(t.shape)}"
                             + ("; convert with .float()" if not t.is_floating_point() else ""))
    if not q.dtype == k.dtype == v.dtype:
        raise ValueError(f"attention: q, k and v must share one dtype, got {q.dtype}, {k.dtype} and "
                         f"{v.dtype}; convert them with .float() (or all with .double())")
    if q.shape[-1] == 0:
        raise ValueError(f"attention: q and k have d=0 features {tuple(q.shape)}; there is nothing "
                         "to compare")
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"attention: q {tuple(q.shape)}, k {tuple(k.shape)} and v {tuple(v.shape)} "
                         "must be (..., n, d), (..., m, d) and (..., m, d_v)")
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., n, m)
    if mask is not None:
        _check_mask(mask, scores.shape, "attention")
        allowed = mask if mask.dtype == torch.bool else ~torch.isneginf(mask)
        scores = scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool else scores + mask
    weights = scores.softmax(dim=-1)  # each row sums to 1
    if mask is not None:  # a row that may attend to nothing: weights 0, as PyTorch's kernels
        weights = weights.masked_fill(~allowed.any(-1, keepdim=True), 0.0)
    out = weights @ v  # (..., n, d_v)
    return (out, weights) if return_weights else out


class MultiHeadSelfAttention(nn.Module):
    """Multi-head self-attention on tokens (b, n, d) -> (b, n, d), with h heads of width d/h.

    One Linear makes queries, keys and values for all heads at once (as in the ViT reference
    code); ``F.scaled_dot_product_attention`` runs the fused kernel. ``fast=False`` runs
    :func:`attention` instead (the tests prove the two agree), and ``keep_weights=True`` stores
    the last attention weights (b, h, n, n) in ``self.weights`` for plotting.
    """

    def __init__(self, dim: int, num_heads: int = 8, qkv_bias: bool = True):
        super().__init__()
        validate.positive_int(dim, "dim", "MultiHeadSelfAttention", 64)
        validate.positive_int(num_heads, "num_heads", "MultiHeadSelfAttention", 4)
        if dim % num_heads:
            raise ValueError(f"MultiHeadSelfAttention: dim={dim} is not divisible by num_heads="
                             f"{num_heads}; choose num_heads among "
                             f"{[h for h in range(1, min(dim, 16) + 1) if dim % h == 0]}")
        self.num_heads = num_heads
        self.qkv = nn.Linear(dim, 3 * dim, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)
        self.fast, self.keep_weights, self.weights = True, False, None

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        d = self.proj.in_features
        if validate.tensor(x, "x", "MultiHeadSelfAttention").dim() != 3 or x.shape[-1] != d:
            raise ValueError(f"MultiHeadSelfAttention: expected tokens (b, n, {d}), got shape "
                             f"{tuple(x.shape)}; for one sequence (n, {d}) use x[None]")
        if x.dtype != self.proj.weight.dtype:
            raise validate.ArgumentTypeError(
                f"MultiHeadSelfAttention: the tokens are {str(x.dtype).replace('torch.', '')} but the "
                f"layer computes in {str(self.proj.weight.dtype).replace('torch.', '')}; convert with "
                f"x.to({self.proj.weight.dtype}) (or the layer, e.g. with .double())")
        if mask is not None:
            _check_mask(mask, (x.shape[0], self.num_heads, x.shape[1], x.shape[1]), "MultiHeadSelfAttention")
        # "b n (three h e) -> three b h n e": the 3d outputs are q, k, v, each h heads of width e.
        # unflatten + permute build the same views as einops.rearrange, minus its few µs of
        # Python per call (2-9 % of vit_digits' forward on a CPU; see bench/RESULTS.md).
        qkv = self.qkv(x).unflatten(-1, (3, self.num_heads, -1))  # (b, n, three, h, e)
        q, k, v = qkv.permute(2, 0, 3, 1, 4).unbind(0)  # each (b, h, n, e), e = d/h
        if self.keep_weights or not self.fast:
            out, self.weights = attention(q, k, v, mask, return_weights=True)
            self.weights = self.weights.detach() if self.keep_weights else None
        else:
            out = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)  # (b, h, n, e)
        return self.proj(out.transpose(1, 2).flatten(2))  # "b h n e -> b n (h e)": (b, n, d)


def patch_distances(grid: int, patch_size: int = 1) -> torch.Tensor:
    """Distances in pixels between the centres of the patches of a grid x grid layout, read row
    by row as :func:`isolearn.patches.patchify` does: (grid², grid²)."""
    rows, cols = torch.meshgrid(torch.arange(grid), torch.arange(grid), indexing="ij")
    centres = torch.stack([rows.flatten(), cols.flatten()], dim=-1).float() * patch_size  # (n, 2)
    return torch.cdist(centres, centres)


def mean_attention_distance(weights: torch.Tensor, grid: int, patch_size: int = 1,
                            skip: int = 0) -> torch.Tensor:
    """How far attention reaches, in pixels (Dosovitskiy et al. 2021, fig. 7): for each query
    patch, the distance to every key patch weighted by the attention it pays, averaged over the
    queries. ``weights`` (..., n, n) are attention maps whose first ``skip`` tokens are not patches
    (1 for the class token); those rows and columns are dropped and each row renormalised over the
    patches. Returns (...): one distance per map. Uniform attention gives
    ``patch_distances(grid, patch_size).mean()``; attention that stays on its own patch gives 0.
    """
    n = grid * grid
    if weights.shape[-1] != weights.shape[-2] or weights.shape[-1] != n + skip:
        raise ValueError(f"mean_attention_distance: weights {tuple(weights.shape)} must be (..., n, n) "
                         f"with n = grid² + skip = {n + skip} (grid={grid}, skip={skip})")
    patches = weights[..., skip:, skip:]  # (..., n, n): patch queries, patch keys
    patches = patches / patches.sum(-1, keepdim=True)  # each query's weights over the patches
    distances = patch_distances(grid, patch_size).to(weights)  # (n, n)
    return (patches * distances).sum(-1).mean(-1)  # (...,)
