"""Chapter 3 exercises: scaled dot-product attention, patchify with a reshape, ViT parameters."""

from __future__ import annotations

import torch

from isolearn.attention import attention
from isolearn.exercises import Case, exercise
from isolearn.models.vit import ViTConfig, vit_param_count
from isolearn.patches import patchify


@exercise("scaled_dot_product_attention", "scaled_dot_product_attention(q, k, v) -> (..., n, d_v)",
          lambda q, k, v: attention(q, k, v),
          forbid=("torch.nn.functional.scaled_dot_product_attention", "torch._C._nn.scaled_dot_product_attention",
                  "torch.nn.functional.multi_head_attention_forward", "isolearn.attention.attention",
                  "isolearn.attention.MultiHeadSelfAttention.forward"))
def _attention_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(3)
    cases = []
    for lead, n, m, d, dv in [((), 3, 3, 2, 2), ((2,), 5, 5, 4, 4), ((2, 3), 6, 4, 8, 5), ((1,), 1, 7, 16, 3)]:
        q = torch.randn(*lead, n, d, generator=gen)
        k = torch.randn(*lead, m, d, generator=gen)
        v = torch.randn(*lead, m, dv, generator=gen)
        cases.append(Case((q, k, v), f"q: {tuple(q.shape)}, k: {tuple(k.shape)}, v: {tuple(v.shape)}"))
    # large scores: without the 1/√d scaling (or with √d misplaced) the answer differs clearly
    q = 3 * torch.randn(2, 4, 64, generator=gen)
    # k is an equal copy, not q itself: an answer that scales q in place must not scale k too
    cases.append(Case((q, q.clone(), torch.randn(2, 4, 3, generator=gen)), "q = k: (2, 4, 64), v: (2, 4, 3)"))
    return cases


@exercise("patchify", "patchify(x, p) -> (b, n, p·p·c)", patchify,
          forbid=("isolearn.patches.patchify", "einops.rearrange", "einops.einops.rearrange",
                  "torch.nn.functional.unfold"))
def _patchify_cases() -> list[Case]:
    gen = torch.Generator().manual_seed(4)
    cases = []
    for b, c, h, w, p in [(1, 1, 4, 4, 2), (2, 3, 8, 8, 4), (2, 3, 6, 9, 3), (1, 2, 8, 4, 1), (1, 3, 4, 4, 4)]:
        x = torch.randn(b, c, h, w, generator=gen)
        cases.append(Case((x, p), f"x: {tuple(x.shape)}, p={p}"))
    return cases


def _vit_params_reference(img_size, patch_size, in_chans, num_classes, embed_dim, depth, mlp_ratio=4.0):
    return vit_param_count(ViTConfig(img_size=img_size, patch_size=patch_size, in_chans=in_chans,
                                     num_classes=num_classes, embed_dim=embed_dim, depth=depth,
                                     num_heads=1, mlp_ratio=mlp_ratio))


@exercise("vit_params", "vit_params(img_size, patch_size, in_chans, num_classes, embed_dim, depth, "
          "mlp_ratio) -> int", _vit_params_reference,
          forbid=("isolearn.models.vit.vit_param_count", "isolearn.models.vit.ViT.__init__",
                  "isolearn.profile.count_params", "isolearn.models.create"))
def _vit_params_cases() -> list[Case]:  # smallest first: the difference is easiest to read there
    configs = [(16, 16, 1, 2, 8, 1, 1.0), (8, 2, 1, 10, 64, 4, 2.0), (32, 4, 3, 10, 128, 6, 4.0),
               (224, 16, 3, 1000, 192, 12, 4.0), (224, 16, 3, 1000, 768, 12, 4.0), (224, 14, 3, 1000, 1280, 32, 4.0)]
    names = "img_size, patch_size, in_chans, num_classes, embed_dim, depth, mlp_ratio".split(", ")
    return [Case(cfg, ", ".join(f"{k}={v}" for k, v in zip(names, cfg))) for cfg in configs]


# --- multi-head attention: the split into heads and the merge back -------------------------------

def _multi_head_reference(x, qkv, proj, num_heads):
    from isolearn.attention import MultiHeadSelfAttention

    mhsa = MultiHeadSelfAttention(x.shape[-1], num_heads)
    mhsa.qkv, mhsa.proj, mhsa.fast = qkv, proj, False  # the given layers, the from-scratch path
    with torch.no_grad():
        return mhsa(x)


def _linear(d_in: int, d_out: int, gen: torch.Generator) -> torch.nn.Linear:
    """A Linear with weights drawn from ``gen`` (not the global RNG), entries of variance 1/d_in."""
    layer = torch.nn.Linear(d_in, d_out)
    with torch.no_grad():
        layer.weight.copy_(torch.randn(d_out, d_in, generator=gen) / d_in ** 0.5)
        layer.bias.copy_(0.1 * torch.randn(d_out, generator=gen))
    return layer


@exercise("multi_head_attention", "multi_head_attention(x, qkv, proj, num_heads) -> (b, n, d), with "
          "qkv's 3d outputs laid out as (three, heads, e)", _multi_head_reference,
          forbid=("isolearn.attention.MultiHeadSelfAttention.forward", "torch.nn.MultiheadAttention.forward",
                  "torch.nn.functional.multi_head_attention_forward"))
def _multi_head_cases() -> list[Case]:
    cases = []
    # one head first (no split to get wrong), then more heads; d != n so a swapped axis shows
    for number, (b, n, d, h) in enumerate([(1, 3, 4, 1), (2, 5, 6, 2), (2, 7, 12, 3), (1, 4, 16, 4)]):
        gen = torch.Generator().manual_seed(30 + number)
        x = torch.randn(b, n, d, generator=gen)
        qkv, proj = _linear(d, 3 * d, gen), _linear(d, d, gen)
        cases.append(Case((x, qkv, proj, h), f"x: {tuple(x.shape)}, qkv = Linear({d}, {3 * d}), "
                                             f"proj = Linear({d}, {d}), num_heads={h}"))
    return cases
