"""The activations and normalisers that the isotropic architectures can be built with.

The papers' models use elementwise GELU (or ReLU) and LayerNorm (BatchNorm in the ConvMixer);
chapter 10 swaps in *isotropic* ones, which treat a whole vector alike in every direction:

- ``activation="iso_tanh"``: tanh(‖z‖) z/‖z‖ over the hidden width (chapter 7), which maps the
  layer into the unit ball;
- ``activation="iso_tanh_scaled"``: √D·tanh(‖z‖/√D) z/‖z‖ for a layer of width D, which
  saturates at the length elementwise tanh can reach, √D
  (:class:`isolearn.activations.ScaledIsoTanh`);
- ``norm="rms"``: RMSNorm without a gain (:class:`isolearn.norm.RMSNorm`), in place of LayerNorm
  (or BatchNorm).

The vector an isotropic layer acts on: the hidden units of each token (ViT, Mixer: the last
axis), the channels at each pixel (ConvMixer: axis 1).
"""

from __future__ import annotations

import math

import torch.nn as nn

from isolearn.activations import ScaledIsoTanh
from isolearn.norm import RMSNorm

ACTIVATIONS = ("gelu", "relu", "iso_tanh", "iso_tanh_scaled")
ISOTROPIC = ("iso_tanh", "iso_tanh_scaled")


def check(value: str, allowed: tuple[str, ...], name: str, where: str) -> None:
    """A clear error for an activation or norm that is not one of ``allowed``."""
    if not isinstance(value, str) or value not in allowed:
        raise ValueError(f"{where}: {name}={value!r} must be one of {', '.join(map(repr, allowed))}"
                         f", e.g. {name}={allowed[0]!r} (the paper's)")


def activation_layer(name: str, width: int, dim: int = -1) -> nn.Module:
    """A fresh activation ``name`` for a layer of ``width`` units along axis ``dim``."""
    check(name, ACTIVATIONS, "activation", "activation_layer")
    if name == "gelu":
        return nn.GELU()
    if name == "relu":
        return nn.ReLU()
    if name == "iso_tanh":  # scale 1 is isotropic_tanh itself, in a form vmap can batch
        return ScaledIsoTanh(1.0, dim)
    return ScaledIsoTanh(math.sqrt(width), dim)


def norm_layer(name: str, width: int, dim: int = -1) -> nn.Module:
    """A fresh normaliser: ``"layer"`` (LayerNorm with γ, β, eps 1e-6, as the ViT and Mixer
    papers' code), ``"batch"`` (BatchNorm2d, the ConvMixer's) or ``"rms"`` (no parameters)."""
    check(name, ("layer", "batch", "rms"), "norm", "norm_layer")
    if name == "layer":
        return nn.LayerNorm(width, eps=1e-6)
    if name == "batch":
        return nn.BatchNorm2d(width)
    return RMSNorm(dim)
