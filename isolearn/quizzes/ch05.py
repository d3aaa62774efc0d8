"""Chapter 5 quizzes: the ConvMixer block, where its parameters and compute go, its theoretical
and effective receptive fields."""

from __future__ import annotations

from isolearn.conv import receptive_field
from isolearn.models.convmixer import ConvMixerBlock, ConvMixerConfig, convmixer_macs
from isolearn.profile import count_params
from isolearn.quizzes import choice, numeric, option


def _block() -> list[dict]:
    h, k = 256, 9
    block = count_params(ConvMixerBlock(h, k))
    depthwise = (k * k + 1) * h
    return [
        numeric(f"How many parameters does one ConvMixer block with h = {h} channels and a "
                f"{k}×{k} depthwise kernel have (weights, biases, and the BN scales and shifts)?",
                block, f"Right: depthwise (k² + 1)·h = {depthwise}, pointwise (h + 1)·h = "
                       f"{(h + 1) * h}, and 2h for each of the two BNs.",
                "Count the depthwise convolution (one k × k kernel and a bias per channel), "
                "the pointwise one (a dense h × h matrix with biases) and two BNs.",
                mistakes={block - 4 * h: "Almost: each BN has a scale and a shift per channel.",
                          (k * k * h + 1) * h + (h + 1) * h + 4 * h: "That is an ordinary "
                          "k × k convolution; depthwise means one kernel per channel."}),
        choice("Why does the course's ConvMixer refuse an even kernel size?",
               option("An even kernel has no centre pixel, so 'same' padding is lopsided and "
                      "the field drifts to one side",
                      "Right: after 20 blocks the depthwise branch would reach 10 patches "
                      "further to one side.", correct=True),
               option("PyTorch cannot pad an even kernel",
                      "It can: padding='same' pads one more pixel on the right."),
               option("An even kernel has more parameters than the next odd one",
                      "It has fewer than the next larger odd one; the trouble is the centre.")),
    ]


def _cost() -> list[dict]:
    c = ConvMixerConfig()  # ConvMixer-1536/20, k = 9, p = 7
    macs = convmixer_macs(c, 224)
    ratio = macs["pointwise"] / macs["depthwise"]
    field = receptive_field([(c.patch_size, c.patch_size)] + [(c.kernel_size, 1)] * c.depth)
    return [
        numeric(f"In ConvMixer-{c.dim}/{c.depth} (k = {c.kernel_size}), how many times more "
                f"multiply-adds do the pointwise convolutions do than the depthwise ones? "
                f"(To the nearest whole number.)",
                round(ratio), f"Right: h / k² = {c.dim} / {c.kernel_size ** 2} ≈ {ratio:.1f}: "
                              f"at this width, almost all the compute is pointwise.",
                "Per patch and block: depthwise h·k², pointwise h². Divide.", tolerance=0.5,
                mistakes={round(c.dim / c.kernel_size): "Divide by k², the kernel's area, "
                                                        "not by k."}),
        numeric(f"Same model: the stem cuts {c.patch_size}×{c.patch_size} patches, then "
                f"{c.depth} blocks with {c.kernel_size}×{c.kernel_size} depthwise kernels. How "
                f"many pixels wide is the theoretical receptive field of one output position?",
                field, f"Right: 1 + (p − 1) + d·(k − 1)·p = {field}: after the stem, every "
                       f"block widens the field by k − 1 patches of p pixels.",
                "Use r = 1 + Σ (k − 1)·jump: the stem is a layer with kernel p and stride p; "
                "after it the jump is p.",
                mistakes={receptive_field([(c.kernel_size, 1)] * c.depth): "That counts in "
                          "patches, not pixels: after the stem, neighbouring positions are p "
                          "pixels apart."}),
    ]


def _erf() -> list[dict]:
    return [
        choice("Four times as many blocks: what happens to the effective receptive field (the "
               "radius of the gradient's bump), measured on fresh ConvMixers?",
               option("It grows by less than 2, roughly like √d",
                      "Right: the gradient piles up near the centre; the theoretical field "
                      "grows about 4-fold, the effective one much less.", correct=True),
               option("It grows 4-fold, like the theoretical field",
                      "The theoretical field counts every pixel with a non-zero gradient; "
                      "most of the gradient stays near the centre."),
               option("It does not change: only the kernel size sets it",
                      "Depth does buy reach, slowly; a large kernel buys it at once.")),
    ]


def quizzes() -> dict[str, list[dict]]:
    return {"block": _block(), "cost": _cost(), "erf": _erf()}
