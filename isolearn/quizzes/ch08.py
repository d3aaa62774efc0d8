"""Chapter 8 quizzes: the Spotlight Resonance Method, trained networks, quantisation."""

from __future__ import annotations

from isolearn.analysis import planes, srm_isotropic_baseline
from isolearn.quizzes import choice, numeric, option


def _srm() -> list[dict]:
    d = 8
    count = len(planes(d))
    base = srm_isotropic_baseline(2, 0.9)
    return [
        numeric(f"SRM sweeps its spotlight through every ordered plane (i, j), i ≠ j, of a "
                f"basis. How many planes does a layer of {d} units have?",
                count, f"Right: d(d − 1) = {count} ordered pairs.",
                "Count the ordered pairs of distinct basis vectors.",
                mistakes={count // 2: "That counts unordered pairs; SRM sweeps (i, j) and "
                                      "(j, i) separately."}),
        numeric("In the plane (d = 2), what fraction of uniformly spread directions lies in a "
                "spotlight cone with ε = 0.9, i.e. within arccos 0.9 of its axis? (Two "
                "decimals.)",
                round(base, 4), f"Right: arccos(0.9)/π ≈ {base:.3f}: the cone covers "
                                f"2·arccos(0.9) of the circle's 2π.",
                "The cone is an arc of width 2·arccos(0.9) radians out of 2π.",
                tolerance=0.005),
        choice("Why does an isotropic activation leave SRM exactly unchanged?",
               option("SRM depends only on directions, and f(x) is a positive multiple of x",
                      "Right: bit for bit, for every basis, plane and angle.", correct=True),
               option("Because isotropic layers are linear",
                      "They are not: the gain depends on the length. But they keep "
                      "directions."),
               option("Because the trained weights are orthogonal",
                      "The theorem is about the activation alone, whatever the weights.")),
    ]


def _trained() -> list[dict]:
    return [
        choice("Trained with Adam instead of gradient descent, an isotropic-tanh layer's SRM "
               "may depart from the isotropic value. Where can that come from?",
               option("From the optimiser or the initialisation, not the activation",
                      "Right: Adam's per-coordinate step sizes privilege the axes; the "
                      "activation changes no direction.", correct=True),
               option("From the activation, which Adam makes elementwise",
                      "The activation is the same function whatever trains it."),
               option("It cannot: the theorem forbids any departure",
                      "The theorem is about the activation; the optimiser is outside it.")),
    ]


def _quantisation() -> list[dict]:
    return [
        choice("In the small autoencoders, what shape do the bottleneck's PPPM points take?",
               option("Elementwise: a rounded square, crowding into corners; isotropic: a ring",
                      "Right: the spread of max(|c₁|, |c₂|) against that of ‖c‖ tells the two "
                      "apart.", correct=True),
               option("Both a ring",
                      "The elementwise network's points lie on a square; its activation "
                      "squashes each coordinate."),
               option("Elementwise: a ring; isotropic: a square",
                      "The other way round: isotropic tanh squashes the length, into a "
                      "disc.")),
    ]


def quizzes() -> dict[str, list[dict]]:
    return {"srm": _srm(), "trained": _trained(), "quantisation": _quantisation()}
