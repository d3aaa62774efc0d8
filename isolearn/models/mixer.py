"""MLP-Mixer (Tolstikhin et al. 2021): only MLPs, applied alternately across tokens and channels.

The image becomes a table X of S patches (rows) by C channels (columns). Each block mixes the
table twice, with residual connections (the paper's equation 1):

    U_{*,i} = X_{*,i} + W₂ σ(W₁ LayerNorm(X)_{*,i}),  for i = 1..C   (token mixing: per column)
    Y_{j,*} = U_{j,*} + W₄ σ(W₃ LayerNorm(U)_{j,*}),  for j = 1..S   (channel mixing: per row)

Token mixing shares one MLP (S -> D_S -> S) across all channels; channel mixing shares one MLP
(C -> D_C -> C) across all tokens. No attention, no position embedding: the token-mixing MLP
sees the patch positions through its weights.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import torch
import torch.nn as nn
from einops import rearrange

from isolearn import validate
from isolearn.models import choices, register_config
from isolearn.patches import PatchEmbed, check_patch_size


@dataclass
class MixerConfig:
    img_size: int = 224
    patch_size: int = 16
    in_chans: int = 3
    num_classes: int = 1000
    hidden_dim: int = 768  # C: channels per token
    depth: int = 12  # the number of Mixer blocks
    tokens_mlp_dim: int = 384  # D_S: hidden width of the token-mixing MLP
    channels_mlp_dim: int = 3072  # D_C: hidden width of the channel-mixing MLP
    activation: str = "gelu"  # of both MLPs; "iso_tanh", "iso_tanh_scaled": over the hidden width
    norm: str = "layer"  # "layer" (LayerNorm, the paper's) or "rms" (RMSNorm without a gain)

    def __post_init__(self) -> None:
        validate.fields(self, ("img_size", "patch_size", "in_chans", "num_classes", "hidden_dim", "depth",
                               "tokens_mlp_dim", "channels_mlp_dim"))
        check_patch_size(self.img_size, self.img_size, self.patch_size, "MixerConfig")
        choices.check(self.activation, choices.ACTIVATIONS, "activation", "MixerConfig")
        choices.check(self.norm, ("layer", "rms"), "norm", "MixerConfig")

    @property
    def num_tokens(self) -> int:  # S
        return (self.img_size // self.patch_size) ** 2


def mlp(dim: int, hidden: int, activation: str = "gelu") -> nn.Sequential:
    """The MLP of both mixings: Dense(dim -> hidden), GELU, Dense(hidden -> dim); an isotropic
    ``activation`` acts on the whole hidden vector (:mod:`isolearn.models.choices`)."""
    return nn.Sequential(nn.Linear(dim, hidden), choices.activation_layer(activation, hidden),
                         nn.Linear(hidden, dim))


class MixerBlock(nn.Module):
    """One Mixer block on the patches x channels table: (b, S, C) -> (b, S, C)."""

    def __init__(self, num_tokens: int, hidden_dim: int, tokens_mlp_dim: int, channels_mlp_dim: int,
                 activation: str = "gelu", norm: str = "layer"):
        super().__init__()
        self.norm1 = choices.norm_layer(norm, hidden_dim)
        self.token_mlp = mlp(num_tokens, tokens_mlp_dim, activation)
        self.norm2 = choices.norm_layer(norm, hidden_dim)
        self.channel_mlp = mlp(hidden_dim, channels_mlp_dim, activation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = rearrange(self.norm1(x), "b s c -> b c s")  # each channel's column becomes a row
        x = x + rearrange(self.token_mlp(y), "b c s -> b s c")  # token mixing, shared over c
        return x + self.channel_mlp(self.norm2(x))  # channel mixing, shared over s


class MLPMixer(nn.Module):
    """Images (b, c, h, w) -> logits (b, num_classes): stem, blocks, LayerNorm, mean, head."""

    def __init__(self, config: MixerConfig | None = None, **overrides):
        super().__init__()
        self.config = c = config or MixerConfig(**overrides)
        self.stem = PatchEmbed(c.img_size, c.patch_size, c.in_chans, c.hidden_dim)  # (b, S, C)
        self.blocks = nn.Sequential(*[MixerBlock(c.num_tokens, c.hidden_dim, c.tokens_mlp_dim,
                                                 c.channels_mlp_dim, c.activation, c.norm)
                                      for _ in range(c.depth)])
        self.norm = choices.norm_layer(c.norm, c.hidden_dim)
        self.head = nn.Linear(c.hidden_dim, c.num_classes)
        nn.init.zeros_(self.head.weight)  # as in the reference code
        nn.init.zeros_(self.head.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        c = self.config
        validate.images(x, "MLPMixer", c.in_chans, (c.img_size, c.img_size), self)
        x = self.norm(self.blocks(self.stem(x)))  # (b, S, C)
        return self.head(x.mean(dim=1))  # mean over tokens: (b, C) -> (b, num_classes)


def mixer_param_count(c: MixerConfig, head: bool = False) -> int:
    """Parameters by formula. The paper's Table 1 counts the body only (``head=False``)."""
    S, C, DS, DC = c.num_tokens, c.hidden_dim, c.tokens_mlp_dim, c.channels_mlp_dim
    stem = (c.patch_size ** 2 * c.in_chans + 1) * C
    ln = 2 * C if c.norm == "layer" else 0  # a LayerNorm's γ, β; RMSNorm has none
    block = 2 * ln + (S * DS + DS + DS * S + S) + (C * DC + DC + DC * C + C)
    body = stem + c.depth * block + ln
    return body + ((C + 1) * c.num_classes if head else 0)


def _mixer_preset(name: str, description: str, **shape) -> None:
    """Register a MLPMixer preset; every MixerConfig field remains an override."""
    register_config(name, description, MLPMixer, MixerConfig, **shape)


# Table 1 of the paper: (blocks, patch, C, D_S, D_C) and the body's parameters in millions.
_TABLE1 = {"s32": (8, 32, 512, 256, 2048, 19), "s16": (8, 16, 512, 256, 2048, 18),
           "b32": (12, 32, 768, 384, 3072, 60), "b16": (12, 16, 768, 384, 3072, 59),
           "l32": (24, 32, 1024, 512, 4096, 206), "l16": (24, 16, 1024, 512, 4096, 207),
           "h14": (32, 14, 1280, 640, 5120, 431)}
for _key, (_depth, _patch, _c, _ds, _dc, _m) in _TABLE1.items():
    _mixer_preset(f"mixer_{_key}_224", f"Mixer-{_key[0].upper()}/{_patch}: {_depth} blocks, C={_c}, "
                  f"D_S={_ds}, D_C={_dc}, {_m} M params (body)", patch_size=_patch, hidden_dim=_c,
                  depth=_depth, tokens_mlp_dim=_ds, channels_mlp_dim=_dc)
_mixer_preset("mixer_digits", "a small Mixer for the 8x8 digits: patch 1 (64 tokens), 4 blocks, C=32",
              img_size=8, patch_size=1, in_chans=1, num_classes=10, hidden_dim=32, depth=4,
              tokens_mlp_dim=64, channels_mlp_dim=64)


def permuted_twin(mixer: MLPMixer, patch_perm: torch.Tensor,
                  pixel_perm: torch.Tensor | None = None) -> MLPMixer:
    """A copy of ``mixer`` that computes on shuffled images what ``mixer`` computes on the
    originals: ``twin(shuffle_patches(x, p, patch_perm, pixel_perm)) == mixer(x)``.

    The stem is one dense layer on each patch, so permuting a patch's values is undone by
    permuting the stem's input weights the same way; token mixing has one weight per position,
    so moving the patches is undone by permuting W₁'s inputs and W₂'s outputs. Channel mixing and
    the final mean over tokens do not see the order at all. A CNN has no such twin: its kernels
    are shared across positions and see only neighbours.
    """
    twin = copy.deepcopy(mixer)
    with torch.no_grad():
        if pixel_perm is not None:  # the stem as Linear(p·p·c, C): permute its inputs
            w = rearrange(mixer.stem.proj.weight, "d c p1 p2 -> d (p1 p2 c)")
            p, c = mixer.config.patch_size, mixer.config.in_chans
            twin.stem.proj.weight.copy_(rearrange(w[:, pixel_perm], "d (p1 p2 c) -> d c p1 p2",
                                                  p1=p, p2=p, c=c))
        for block, twin_block in zip(mixer.blocks, twin.blocks):
            twin_block.token_mlp[0].weight.copy_(block.token_mlp[0].weight[:, patch_perm])  # W₁: (D_S, S)
            twin_block.token_mlp[2].weight.copy_(block.token_mlp[2].weight[patch_perm])  # W₂: (S, D_S)
            twin_block.token_mlp[2].bias.copy_(block.token_mlp[2].bias[patch_perm])
    return twin
