"""Which rotations does a network commute with? A numerical check, site by site.

A *site* is a vector space inside the network: the residual stream (the d channels every token
carries from block to block), the hidden layer of an MLP, the query-key space of the attention
heads. A rotation Q of a site is a change of basis: write every vector v there as Qv, and undo
it in the weights that read the site (W → W Qᵀ) and write to it (W → Q W, b → Q b). If the
layers in between commute with Q, the new network computes exactly what the old one did, and
the site has **no privileged basis**: any orthonormal basis is as good as the standard one. If
a layer in between does not commute (an elementwise activation, LayerNorm's centring or its
per-channel gain, a depthwise convolution, a per-channel BatchNorm), the function changes, and
that layer singles out the standard basis.

:func:`symmetries` does this for the book's ViT, MLP-Mixer and ConvMixer: for each site it draws
one Haar-random Q, absorbs it into the neighbouring weights (and nowhere else), and reports the
relative change of the features that enter the classification head, in float64,

    error = max |f_Q(x) − Q' f(x)| / max |f(x)|

(Q' = Q for the residual stream, whose rotation reaches the features, the identity elsewhere).
Rounding error (about 1e-15) means the network commutes with the rotations of that site.

What the checks find is the subject of chapter 10: a normaliser frees the residual stream only
if it is RMSNorm without a gain; an activation frees an MLP's hidden layer only if it is
isotropic; a ConvMixer's depthwise convolution ties its channels to the standard basis whatever
the activation; attention is free only within each head.
"""

from __future__ import annotations

import copy
from typing import Callable

import torch
import torch.nn as nn
from einops import einsum

from isolearn import neurons
from isolearn.activations import random_orthogonal
from isolearn.models.convmixer import ConvMixer
from isolearn.models.mixer import MLPMixer
from isolearn.models.vit import ViT
from isolearn.table import Table

TOLERANCE = 1e-9  # relative, in float64: above it, the rotation changed the function

_KINDS = (ViT, MLPMixer, ConvMixer)


def _check_model(model, fn: str) -> None:
    if not isinstance(model, _KINDS):
        raise TypeError(f"{fn}: model must be a ViT, an MLPMixer or a ConvMixer (isolearn.models), "
                        f"got {type(model).__name__}")


def features(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """What enters the classification head: ``(b, d)`` for images ``x`` ``(b, c, h, w)``."""
    _check_model(model, "features")
    if isinstance(model, ViT):
        z = model.norm(model.blocks(model.tokens(x)))  # (b, n [+ 1], d)
        return z[:, 0] if model.cls_token is not None else z.mean(dim=1)
    if isinstance(model, MLPMixer):
        return model.norm(model.blocks(model.stem(x))).mean(dim=1)  # (b, C)
    return model.features(x).mean(dim=(2, 3))  # (b, h)


# ---------------------------------------------------------------------------------------------
# Absorbing a rotation into the weights
# ---------------------------------------------------------------------------------------------
@torch.no_grad()
def _write(linear: nn.Linear | nn.Conv2d, q: torch.Tensor) -> None:
    """The layer writes to the rotated site: its outputs become Q·out (W → Q W, b → Q b)."""
    linear.weight.copy_(einsum(q, linear.weight, "i j, j ... -> i ..."))
    if linear.bias is not None:
        linear.bias.copy_(q @ linear.bias)


@torch.no_grad()
def _read(linear: nn.Linear | nn.Conv2d, q: torch.Tensor) -> None:
    """The layer reads the rotated site: W → W Qᵀ on its input axis."""
    linear.weight.copy_(einsum(linear.weight, q, "o j ..., i j -> o i ..."))


def _check_q(q: torch.Tensor, n: int, fn: str) -> torch.Tensor:
    if not isinstance(q, torch.Tensor) or q.shape != (n, n):
        raise ValueError(f"{fn}: q must be an orthogonal ({n}, {n}) tensor for a site of width "
                         f"{n}, got {getattr(q, 'shape', type(q).__name__)}; e.g. "
                         f"isolearn.activations.random_orthogonal(1, {n})[0]")
    return q


def width(model: nn.Module) -> int:
    """The width of the residual stream (d, C or h)."""
    _check_model(model, "width")
    c = model.config
    return c.embed_dim if isinstance(model, ViT) else c.hidden_dim if isinstance(model, MLPMixer) else c.dim


def rotate_stream(model: nn.Module, q: torch.Tensor) -> nn.Module:
    """A copy of ``model`` whose residual stream is written in the basis v → Q v, with Q
    absorbed into the layers that write to the stream (patch embedding, class token, position
    embedding, attention output, MLP output, the ConvMixer's stem and pointwise convolutions) and
    that read it (queries-keys-values, MLP input, pointwise input). Normalisers, activations,
    the Mixer's token MLP and the ConvMixer's depthwise convolutions are left as they are: the
    copy computes Q·features(x) only if they all commute with Q."""
    _check_model(model, "rotate_stream")
    new = copy.deepcopy(model)
    q = _check_q(q, width(model), "rotate_stream").to(next(model.parameters()).dtype)
    if isinstance(new, ViT):
        _write(new.patch_embed.proj, q)
        with torch.no_grad():
            for token in (new.cls_token, new.pos_embed):
                if token is not None:
                    token.copy_(token @ q.T)  # (1, n, d): every token is a stream vector
        for block in new.blocks:
            _read(block.attn.qkv, q)
            _write(block.attn.proj, q)
            _read(block.mlp[0], q)
            _write(block.mlp[2], q)
    elif isinstance(new, MLPMixer):
        _write(new.stem.proj, q)
        for block in new.blocks:  # the token MLP mixes tokens, one channel at a time: untouched
            _read(block.channel_mlp[0], q)
            _write(block.channel_mlp[2], q)
    else:
        _write(new.stem[0], q)
        for block in new.blocks:  # the depthwise convolution cannot absorb Q: untouched
            _read(block.pointwise[0], q)
            _write(block.pointwise[0], q)
    return new


def rotate_mlp(model: nn.Module, block: int, q: torch.Tensor, mlp: str = "mlp") -> nn.Module:
    """A copy of ``model`` with the hidden layer of block ``block``'s MLP written in the basis
    z → Q z (:func:`isolearn.neurons.rotate`). ``mlp``: ``"mlp"`` for the ViT, ``"channel_mlp"``
    or ``"token_mlp"`` for the Mixer."""
    _check_model(model, "rotate_mlp")
    if isinstance(model, ConvMixer):
        raise ValueError("rotate_mlp: a ConvMixer has no MLP hidden layer (its pointwise "
                         "convolution writes straight to the stream); use rotate_stream")
    allowed = ("mlp",) if isinstance(model, ViT) else ("channel_mlp", "token_mlp")
    if mlp not in allowed:
        raise ValueError(f"rotate_mlp: mlp={mlp!r} must be one of {', '.join(map(repr, allowed))} "
                         f"for a {type(model).__name__}")
    if isinstance(block, bool) or not isinstance(block, int) or not 0 <= block < len(model.blocks):
        raise ValueError(f"rotate_mlp: block={block!r} must be an int from 0 to {len(model.blocks) - 1}")
    new = copy.deepcopy(model)
    net = getattr(new.blocks[block], mlp)
    _check_q(q, net[0].out_features, "rotate_mlp")
    setattr(new.blocks[block], mlp, neurons.rotate(net, 0, q.to(net[0].weight.dtype)))
    return new


def rotate_queries_keys(model: ViT, block: int, q: torch.Tensor) -> nn.Module:
    """A copy of the ViT ``model`` whose block ``block`` computes its queries and keys in the
    basis Q: W_q → Q W_q, W_k → Q W_k (and their biases). The scores q·k of a head are unchanged
    if Q only turns each head's own coordinates (a block-diagonal Q); a Q that mixes heads
    changes them."""
    if not isinstance(model, ViT):
        raise TypeError(f"rotate_queries_keys: model must be a ViT, got {type(model).__name__}")
    if isinstance(block, bool) or not isinstance(block, int) or not 0 <= block < len(model.blocks):
        raise ValueError(f"rotate_queries_keys: block={block!r} must be an int from 0 to "
                         f"{len(model.blocks) - 1}")
    new = copy.deepcopy(model)
    qkv, d = new.blocks[block].attn.qkv, model.config.embed_dim
    q = _check_q(q, d, "rotate_queries_keys").to(qkv.weight.dtype)
    with torch.no_grad():
        for part in (slice(0, d), slice(d, 2 * d)):  # rows of W_q, then of W_k
            qkv.weight[part] = q @ qkv.weight[part]
            if qkv.bias is not None:
                qkv.bias[part] = q @ qkv.bias[part]
    return new


def within_heads(d: int, heads: int, generator: torch.Generator | None = None) -> torch.Tensor:
    """A random block-diagonal rotation ``(d, d)``: one rotation of width d/heads per head."""
    e = d // heads
    return torch.block_diag(*random_orthogonal(heads, e, generator))


# ---------------------------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------------------------
def change(model: nn.Module, rotated: nn.Module, x: torch.Tensor,
           q: torch.Tensor | None = None) -> float:
    """max |features(rotated, x) − features(model, x) Qᵀ| / max |features(model, x)| (Q = I if
    None): 0 up to rounding when the rotation left the function as it was."""
    with torch.no_grad():
        before, after = features(model, x), features(rotated, x)  # (b, d)
        if q is not None:
            before = before @ q.T
        return ((after - before).abs().max() / before.abs().max()).item()


def _default_images(model: nn.Module, n: int, generator: torch.Generator) -> torch.Tensor:
    c = model.config
    size = c.img_size if not isinstance(model, ConvMixer) else 4 * c.patch_size
    return torch.randn(n, c.in_chans, size, size, generator=generator, dtype=torch.float64)


def symmetries(model: nn.Module, x: torch.Tensor | None = None, seed: int = 0) -> Table:
    """For each site of ``model`` (a ViT, MLPMixer or ConvMixer), whether a random rotation of it,
    absorbed into the neighbouring weights, leaves the function unchanged.

    Runs on a float64 copy in evaluation mode (batch norms use their running statistics), on
    the images ``x`` (default: 32 Gaussian images of the model's shape). Returns a table
    ``where | width | error | commutes``: the relative change of the head's input
    (:func:`change`) and whether it is below :data:`TOLERANCE`. Rows: the residual stream
    (``"stream"``), then every block's MLP hidden layers (``"block 0: mlp"``, or
    ``"block 0: token_mlp"`` and ``"block 0: channel_mlp"``) and, for a ViT, its queries and keys
    turned within each head and across heads.
    """
    _check_model(model, "symmetries")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"symmetries: seed={seed!r} must be an int, e.g. 0")
    gen = torch.Generator().manual_seed(seed)
    net = copy.deepcopy(model).double().eval()
    x = _default_images(model, 32, gen) if x is None else x.detach().to(torch.float64)
    rows = []

    def add(where: str, n: int, build: Callable[[torch.Tensor], nn.Module], q: torch.Tensor,
            stream: bool = False) -> None:
        error = change(net, build(q), x, q if stream else None)
        rows.append([where, n, error, error < TOLERANCE])

    d = width(net)
    add("stream", d, lambda q: rotate_stream(net, q), random_orthogonal(1, d, gen)[0], stream=True)
    mlps = {ViT: ("mlp",), MLPMixer: ("token_mlp", "channel_mlp"), ConvMixer: ()}[type(net)]
    for i, block in enumerate(net.blocks):
        for name in mlps:
            n = getattr(block, name)[0].out_features
            add(f"block {i}: {name}", n, lambda q, i=i, name=name: rotate_mlp(net, i, q, name),
                random_orthogonal(1, n, gen)[0])
        if isinstance(net, ViT):
            heads = block.attn.num_heads
            add(f"block {i}: queries-keys, within heads", d,
                lambda q, i=i: rotate_queries_keys(net, i, q), within_heads(d, heads, gen))
            if heads > 1:
                add(f"block {i}: queries-keys, across heads", d,
                    lambda q, i=i: rotate_queries_keys(net, i, q), random_orthogonal(1, d, gen)[0])
    return Table(["where", "width", "error", "commutes"], rows,
                 title=f"rotations of a {type(model).__name__}, float64")
