"""Chapter 10 quizzes: which rotations the book's blocks commute with, the scale of isotropic
tanh in a wide layer, and the affine divergence."""

from __future__ import annotations

import math

import torch

from isolearn.activations import scaled_isotropic_tanh
from isolearn.models import create
from isolearn.norm import affine_step
from isolearn.quizzes import choice, numeric, option
from isolearn.symmetry import symmetries


def _stream_change(preset: str, **options) -> float:
    torch.manual_seed(0)
    rows = symmetries(create(preset, depth=1, **options)).rows
    return next(error for where, _, error, _ in rows if where == "stream")


def _facts() -> list[dict]:
    vit = _stream_change("vit_digits", norm="rms")
    vit_layer = _stream_change("vit_digits")
    mixer = _stream_change("mixer_digits", patch_size=2, norm="rms", activation="iso_tanh_scaled")
    if not vit < 1e-12 < vit_layer:
        raise AssertionError(f"ch10 quiz: the facts changed (RMSNorm {vit}, LayerNorm {vit_layer})")
    width = 128
    huge = torch.full((width,), 1e6, dtype=torch.float64)
    length = scaled_isotropic_tanh(huge, math.sqrt(width)).norm().item()
    return [
        choice("A ViT with RMSNorm (no gain) and a GELU MLP: a random rotation of the residual "
               "stream, absorbed into the weights that read and write it. Does the network's "
               "function change?",
               option("No", f"Right: RMSNorm only divides by the length, which a rotation keeps, "
                            f"and GELU acts inside the MLP, after weights that absorb the "
                            f"rotation (relative change below 1e-12: rounding).", correct=True),
               option("Yes, because GELU is elementwise",
                      "GELU acts on the MLP's hidden units, not on the stream: the MLP's first "
                      "weights absorb the rotation."),
               option("Yes, because LayerNorm and RMSNorm both centre the tokens",
                      f"RMSNorm does not centre; LayerNorm does, and with it the same rotation "
                      f"changes the features by {vit_layer:.2f}.")),
        choice("A Mixer with RMSNorm and isotropic tanh everywhere: is its residual stream free "
               "of a privileged basis?",
               option("No", f"Right: the token MLP runs on each channel's column of tokens on its "
                            f"own, so each channel is a separate input to a nonlinear map "
                            f"(relative change {mixer:.2f}).", correct=True),
               option("Yes, as in the ViT with RMSNorm",
                      "The ViT mixes tokens with weights shared by all channels; the Mixer's "
                      "token MLP treats each channel separately."),
               option("Only in float64", "The change is far above rounding in any precision.")),
        numeric(f"`activation=\"iso_tanh_scaled\"` on a hidden layer of {width} units: how long "
                f"is its output for a huge input (two decimals)?",
                round(length, 2), f"Right: c · tanh(‖z‖/c) with c = √{width} ≈ {length:.2f}, the "
                                  f"length elementwise tanh reaches on {width} units.",
                "The scale c is the square root of the layer's width; tanh of a huge number is 1.",
                tolerance=0.01, mistakes={1: "That is plain isotropic tanh's ball: the scaled "
                                             "version multiplies it by c."}),
    ]


def _affine() -> list[dict]:
    x = torch.tensor([[1.0, 1.0, 1.0]], dtype=torch.float64)
    g = torch.tensor([[1.0, -2.0]], dtype=torch.float64)
    moved = affine_step(x, g, 0.1)[0, 0].item()
    forgot_bias = -0.1 * 3 * 1.0
    return [
        numeric("One SGD step at lr 0.1 on an affine layer z = Wx + b, one input x = (1, 1, 1) "
                "with ∂L/∂z = (1, −2). By how much does the first output z₁ move?",
                round(moved, 6), f"Right: Δz = −η(‖x‖² + 1)∂L/∂z = −0.1 · 4 · 1 = {moved:.1f}.",
                "Both W and b take a step; W's step moves z by −η‖x‖² ∂L/∂z, b's by −η ∂L/∂z.",
                tolerance=0.005,
                mistakes={round(forgot_bias, 6): "That is W's part alone: the bias steps too "
                                                 "(the +1)."}),
    ]


def quizzes() -> dict[str, list[dict]]:
    return {"facts": _facts(), "affine": _affine()}
