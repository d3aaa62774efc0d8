"""Chapter 9 quizzes: diagonalisation, pruning, compression, sparsification and optimisers."""

from __future__ import annotations

import torch

from isolearn.neurons import IsotropicMLP, compressed_widths, singular_values, sparsified_count
from isolearn.quizzes import choice, numeric, option


def _diagonalise() -> list[dict]:
    torch.manual_seed(0)
    net = IsotropicMLP([6, 16, 8, 2], dtype=torch.float64)
    zero = int((singular_values(net, 0) < 1e-9).sum().item()) + 16 - len(singular_values(net, 0))
    return [
        choice("Which changes of basis keep an elementwise-tanh layer's function?",
               option("Only signed permutations of its units",
                      "Right: an isotropic layer allows every orthogonal Q.", correct=True),
               option("Every orthogonal Q, as for isotropic tanh",
                      "A rotation mixes units before tanh squashes each: the function changes."),
               option("None at all",
                      "Reordering the units (and flipping signs, since tanh is odd) keeps it.")),
        numeric("A first layer of 16 isotropic units reads 6 inputs. After left "
                "diagonalisation, how many of its units have singular value σ = 0?",
                zero, f"Right: the weights are 16 × 6, so at most 6 singular values are "
                      f"non-zero: {zero} units read nothing.",
                "W is 16 × 6: its rank is at most 6.",
                mistakes={6: "That is the number of non-zero ones."}),
    ]


def _operations() -> list[dict]:
    widths = [2, 32, 32, 2]
    tiny = compressed_widths(widths)
    deep = [16] * 8
    zeros = sparsified_count(deep)
    hidden_weights = sum(a * b for a, b in zip(deep[1:-2], deep[2:-1]))
    return [
        numeric(f"A network {widths} (2 inputs, two hidden isotropic layers of 32, 2 outputs) "
                f"is compressed without loss. How many units does its second hidden layer need?",
                tiny[2], f"Right: {tiny}: r₀ = min(32, 2 + 1) = {tiny[1]}, then "
                         f"r₁ = min(32, {tiny[1]} + 1) = {tiny[2]}.",
                "Each layer needs at most one more unit than the layer before it uses.",
                mistakes={tiny[1]: "That is the first hidden layer; the second can use one "
                                   "more.",
                          32: "The 32 units never use more than a few dimensions."}),
        numeric(f"Sparsifying a network of widths {deep} makes every other hidden-to-hidden "
                f"matrix diagonal. How many weights become exactly 0?",
                zeros, f"Right: {zeros}: each diagonalised 16 × 16 matrix keeps its 16 "
                       f"diagonal entries, 240 zeros each.",
                "Which hidden-to-hidden matrices (l = 1, 3, 5, …) are turned diagonal, and how "
                "many off-diagonal entries does a 16 × 16 matrix have?",
                mistakes={hidden_weights: "That is every hidden-to-hidden weight; only "
                                          "every other matrix is diagonalised, and it keeps "
                                          "its diagonal."}),
        choice("Two copies of an isotropic network, one turned by an orthogonal Q, train side "
               "by side. Which optimiser keeps them the same function?",
               option("SGD, with or without momentum",
                      "Right: its step turns with the basis; Adam's per-coordinate step sizes "
                      "single out the axes.", correct=True),
               option("Adam",
                      "Adam scales each coordinate on its own: the two runs part from the first "
                      "step."),
               option("Both", "Adam's per-coordinate scaling breaks the symmetry.")),
    ]


def quizzes() -> dict[str, list[dict]]:
    return {"diagonalise": _diagonalise(), "operations": _operations()}
