"""The Vision Transformer (Dosovitskiy et al. 2021): patches -> tokens -> a column of identical
Transformer blocks -> a class token (or the mean token) -> a linear head.

Every block maps (b, n, d) to (b, n, d): the architecture is *isotropic*, one shape from the
first block to the last. Equations of the paper (section 3.1):

    z0 = [x_class; x_p¹E; ...; x_pᴺE] + E_pos                     (1)
    z'_l = MSA(LN(z_{l-1})) + z_{l-1}                              (2)
    z_l = MLP(LN(z'_l)) + z'_l                                     (3)
    y = LN(z_L⁰)                                                   (4)
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn as nn

from isolearn import validate
from isolearn.attention import MultiHeadSelfAttention
from isolearn.models import choices, register_config
from isolearn.patches import PatchEmbed, check_patch_size


@dataclass
class ViTConfig:
    img_size: int = 224
    patch_size: int = 16
    in_chans: int = 3
    num_classes: int = 1000
    embed_dim: int = 768  # d: the width of every token
    depth: int = 12  # L: the number of blocks
    num_heads: int = 12
    mlp_ratio: float = 4.0  # the MLP's hidden width is mlp_ratio · d
    pool: str = "cls"  # "cls": the class token's output; "mean": the mean over tokens
    position_embedding: bool = True  # False: no E_pos, the tokens form a set (an ablation)
    activation: str = "gelu"  # of the MLP; "iso_tanh", "iso_tanh_scaled": over its hidden width
    norm: str = "layer"  # "layer" (LayerNorm, the paper's) or "rms" (RMSNorm without a gain)

    def __post_init__(self):
        if self.pool not in ("cls", "mean"):
            raise ValueError(f"ViTConfig: pool={self.pool!r} must be 'cls' or 'mean'")
        validate.fields(self, ("img_size", "patch_size", "in_chans", "num_classes", "embed_dim", "depth",
                               "num_heads"))
        validate.number(self.mlp_ratio, "mlp_ratio", "ViTConfig", minimum=0, strict=True, example=4.0)
        if int(self.embed_dim * self.mlp_ratio) < 1:
            raise ValueError(f"ViTConfig: mlp_ratio={self.mlp_ratio!r} gives an MLP of width "
                             f"int(embed_dim · mlp_ratio) = 0; use e.g. mlp_ratio=4.0")
        check_patch_size(self.img_size, self.img_size, self.patch_size, "ViTConfig")
        choices.check(self.activation, choices.ACTIVATIONS, "activation", "ViTConfig")
        choices.check(self.norm, ("layer", "rms"), "norm", "ViTConfig")

    @property
    def num_patches(self) -> int:
        return (self.img_size // self.patch_size) ** 2


class Block(nn.Module):
    """A pre-norm Transformer block, equations (2) and (3): (b, n, d) -> (b, n, d)."""

    def __init__(self, dim: int, num_heads: int, mlp_ratio: float = 4.0, activation: str = "gelu",
                 norm: str = "layer"):
        super().__init__()
        hidden = int(dim * mlp_ratio)
        self.norm1 = choices.norm_layer(norm, dim)
        self.attn = MultiHeadSelfAttention(dim, num_heads)
        self.norm2 = choices.norm_layer(norm, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, hidden), choices.activation_layer(activation, hidden),
                                 nn.Linear(hidden, dim))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x))  # (2): tokens exchange information
        return x + self.mlp(self.norm2(x))  # (3): each token is processed on its own


class ViT(nn.Module):
    """Vision Transformer: images (b, c, h, w) -> logits (b, num_classes)."""

    def __init__(self, config: ViTConfig | None = None, **overrides):
        super().__init__()
        self.config = c = config or ViTConfig(**overrides)
        self.patch_embed = PatchEmbed(c.img_size, c.patch_size, c.in_chans, c.embed_dim)
        n_tokens = c.num_patches + (c.pool == "cls")
        self.cls_token = nn.Parameter(torch.zeros(1, 1, c.embed_dim)) if c.pool == "cls" else None
        self.pos_embed = (nn.Parameter(torch.zeros(1, n_tokens, c.embed_dim)) if c.position_embedding
                          else None)  # (1, n [+ 1], d)
        self.blocks = nn.Sequential(*[Block(c.embed_dim, c.num_heads, c.mlp_ratio, c.activation, c.norm)
                                      for _ in range(c.depth)])
        self.norm = choices.norm_layer(c.norm, c.embed_dim)
        self.head = nn.Linear(c.embed_dim, c.num_classes)
        self.apply(self._init)
        if self.pos_embed is not None:
            nn.init.trunc_normal_(self.pos_embed, std=0.02)
        if self.cls_token is not None:
            nn.init.trunc_normal_(self.cls_token, std=0.02)

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.trunc_normal_(m.weight, std=0.02)
            nn.init.zeros_(m.bias)

    def tokens(self, x: torch.Tensor) -> torch.Tensor:
        """Equation (1): the token sequence entering the first block, (b, n [+ 1], d)."""
        c = self.config
        validate.images(x, "ViT", c.in_chans, (c.img_size, c.img_size), self)
        x = self.patch_embed(x)  # (b, n, d)
        if self.cls_token is not None:
            x = torch.cat([self.cls_token.expand(len(x), -1, -1), x], dim=1)  # (b, 1 + n, d)
        return x + self.pos_embed if self.pos_embed is not None else x

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.norm(self.blocks(self.tokens(x)))  # (b, n [+ 1], d), equation (4)'s LN
        x = x[:, 0] if self.cls_token is not None else x.mean(dim=1)  # (b, d)
        return self.head(x)  # (b, num_classes)

    def keep_attention(self, keep: bool = True) -> None:
        """Store each block's attention weights (b, h, n, n) in ``block.attn.weights``."""
        for block in self.blocks:
            block.attn.keep_weights = keep

    @torch.no_grad()
    def attention_maps(self, x: torch.Tensor) -> torch.Tensor:
        """Every block's attention weights for the images x (b, c, h, w), in eval mode:
        (L, b, heads, n, n), where n counts the class token first (when there is one).
        Row i of a map is how token i spreads its attention; each row sums to 1."""
        was_training = self.training
        self.eval()
        self.keep_attention(True)
        try:
            self(x)
            maps = torch.stack([block.attn.weights for block in self.blocks])  # (L, b, h, n, n)
        finally:
            self.keep_attention(False)
            self.train(was_training)
        return maps


def vit_param_count(c: ViTConfig) -> int:
    """Parameters of a ViT, by formula: patch embedding + tokens + L blocks + final norm + head.

    A block has 2 LayerNorms (2·2d), qkv (3d² + 3d), the output projection (d² + d) and the MLP
    (2·d·r·d + r·d + d): with r = 4 that is 12d² + 13d.
    """
    d, hidden = c.embed_dim, int(c.embed_dim * c.mlp_ratio)
    patch = (c.patch_size ** 2 * c.in_chans + 1) * d
    positions = (c.num_patches + (c.pool == "cls")) * d if c.position_embedding else 0
    tokens = positions + (d if c.pool == "cls" else 0)  # E_pos and the class token
    ln = 2 * d if c.norm == "layer" else 0  # a LayerNorm's γ, β; RMSNorm has none
    block = 2 * ln + (3 * d * d + 3 * d) + (d * d + d) + (d * hidden + hidden) + (hidden * d + d)
    return patch + tokens + c.depth * block + ln + (d + 1) * c.num_classes


def _vit_preset(name: str, description: str, **shape) -> None:
    """Register a ViT preset; every ViTConfig field remains an override."""
    register_config(name, description, ViT, ViTConfig, **shape)


_vit_preset("vit_tiny_patch16_224", "ViT-Ti/16 (DeiT): 12 blocks, d=192, 3 heads, 5.7 M params",
            embed_dim=192, depth=12, num_heads=3)
_vit_preset("vit_small_patch16_224", "ViT-S/16: 12 blocks, d=384, 6 heads, 22.1 M params",
            embed_dim=384, depth=12, num_heads=6)
_vit_preset("vit_base_patch16_224", "ViT-B/16: 12 blocks, d=768, 12 heads, 86.6 M params",
            embed_dim=768, depth=12, num_heads=12)
_vit_preset("vit_large_patch16_224", "ViT-L/16: 24 blocks, d=1024, 16 heads, 304 M params",
            embed_dim=1024, depth=24, num_heads=16)
_vit_preset("vit_huge_patch14_224", "ViT-H/14: 32 blocks, d=1280, 16 heads, 632 M params",
            patch_size=14, embed_dim=1280, depth=32, num_heads=16)
_vit_preset("vit_digits", "a small ViT for the 8x8 digits: patch 2 (16 tokens), 4 blocks, d=64",
            img_size=8, patch_size=2, in_chans=1, num_classes=10, embed_dim=64, depth=4,
            num_heads=4, mlp_ratio=2.0)
