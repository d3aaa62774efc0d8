"""Chapter 7 quizzes: isotropic activations and their symmetries, what bias-free and one-layer
isotropic networks can compute."""

from __future__ import annotations

import torch

from isolearn.activations import isotropic_tanh
from isolearn.neurons import compressed_widths
from isolearn.quizzes import choice, numeric, option


def _definitions() -> list[dict]:
    x = torch.tensor([3.0, 4.0])
    length = isotropic_tanh(x).norm().item()
    elementwise = torch.tanh(x).norm().item()
    return [
        numeric("Isotropic tanh maps x to tanh(‖x‖) · x/‖x‖. How long is its output for "
                "x = (3, 4)? (Three decimals.)",
                round(length, 4), f"Right: ‖x‖ = 5 and tanh 5 ≈ {length:.4f}; the direction "
                                  f"(0.6, 0.8) is kept.",
                "Find ‖x‖ first; the output has length tanh(‖x‖).", tolerance=0.0005,
                mistakes={round(elementwise, 4): "That is elementwise tanh, (tanh 3, tanh 4): "
                                                 "it squashes each coordinate on its own."}),
        choice("Why does isotropic ReLU need a threshold?",
               option("ReLU of a length is the length itself, so without a threshold the "
                      "activation is the identity",
                      "Right: max(‖x‖, 0) = ‖x‖; the threshold b makes it max(‖x‖ − b, 0).",
                      correct=True),
               option("Without one, it divides by zero at the origin",
                      "The origin needs care in every isotropic activation; the threshold "
                      "is about the identity."),
               option("To keep it from growing without bound",
                      "Elementwise ReLU is unbounded too; the trouble is that ReLU(‖x‖) = ‖x‖.")),
    ]


def _symmetries() -> list[dict]:
    return [
        choice("Elementwise tanh commutes with which of these transformations of the plane?",
               option("Swapping the two coordinates, and flipping the sign of one",
                      "Right: permutations and sign flips map the axes onto the axes; tanh is "
                      "odd and acts on each axis alike.", correct=True),
               option("Every rotation",
                      "Only the rotations by multiples of 90°; a 30° rotation mixes the "
                      "coordinates before tanh squashes them."),
               option("No transformation except the identity",
                      "A 90° rotation is a permutation with a sign flip, and it commutes.")),
        choice("Isotropic tanh commutes with...",
               option("every rotation and reflection (every orthogonal map)",
                      "Right: it changes only the length of x, and an orthogonal map keeps "
                      "lengths.", correct=True),
               option("the permutations only",
                      "Those too, but every orthogonal map keeps lengths and angles."),
               option("the rotations by multiples of 90° only",
                      "That is elementwise tanh's symmetry.")),
    ]


def _capacity() -> list[dict]:
    widths = compressed_widths([2, 64, 3])
    return [
        choice("A network with isotropic activations and no biases decides between classes...",
               option("exactly as one linear map does: it is a positive multiple of W_L ⋯ W_1 x",
                      "Right: every isotropic layer multiplies by a positive scalar gain, and "
                      "the gains do not change the argmax.", correct=True),
               option("with a curved boundary, as deep as it is",
                      "The gains multiply; without biases the boundary stays straight."),
               option("like a ReLU network of the same width",
                      "Elementwise ReLU bends each coordinate; isotropic layers only rescale.")),
        numeric("An isotropic layer with biases reads d = 2 numbers and has 64 units. How many of "
                "them could compute the same function?",
                widths[1], f"Right: d + 1 = {widths[1]}: a wide isotropic layer is a single "
                           f"nonlinear factor times a linear map of its input.",
                "The layer's output lies in the span of the input and the bias: d + 1 "
                "dimensions.",
                mistakes={2: "Almost: the bias adds one direction, d + 1.",
                          64: "Widening beyond d + 1 units adds nothing."}),
    ]


def quizzes() -> dict[str, list[dict]]:
    return {"definitions": _definitions(), "symmetries": _symmetries(), "capacity": _capacity()}
