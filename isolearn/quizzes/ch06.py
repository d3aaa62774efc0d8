"""Chapter 6 quizzes: the contenders and a fair race, scaling with resolution, where the compute
goes."""

from __future__ import annotations

from isolearn.conv import conv2d_macs
from isolearn.models.vit import ViTConfig
from isolearn.quizzes import choice, numeric, option


def _race() -> list[dict]:
    upsampled, native = conv2d_macs(8, 8, 3, 16), conv2d_macs(8, 8, 3, 8)
    ratio = upsampled / native
    return [
        numeric("The ResNet's first stage runs 3×3 convolutions with 8 channels on every pixel. "
                "How many times more multiply-adds does one such layer do on the 16×16 "
                "upsampled digits than on the native 8×8 ones?",
                ratio, f"Right: {ratio:g} times: the cost is proportional to the number of "
                       f"output positions, and 16² / 8² = {ratio:g}. The parameters are the same.",
                "MACs = C_out · h'w' · C_in · k²: only h'w' changes.",
                mistakes={2: "The side doubles, but the number of positions is its square."}),
        choice("What makes the chapter's race fair between families?",
               option("Every family gets the same tuning budget: the same grid of learning "
                      "rates, chosen on a validation split",
                      "Right: one shared learning rate would favour the family it happens to "
                      "suit.", correct=True),
               option("Every family trains with one and the same learning rate",
                      "That favours whichever family that rate suits; the chapter tunes each "
                      "on the same grid."),
               option("Every family has exactly the same number of parameters",
                      "They are within 10 % of each other; equal parameters say little about "
                      "the other costs."),
               option("Every family is scored on the test set after each epoch",
                      "Choosing by the test set would make its score optimistic; the choice "
                      "uses a validation split.")),
    ]


def _scaling() -> list[dict]:
    c = ViTConfig(img_size=224, patch_size=4)
    n = c.num_patches
    return [
        numeric("The sweep keeps 4×4 patches and grows the image to 224×224 pixels. How many "
                "patch tokens is that?",
                n, f"Right: (224 / 4)² = {n}.",
                "Count the patches per side and square it.",
                mistakes={224 // 4: "That is one row of patches.",
                          (224 // 16) ** 2: "That is the count for 16×16 patches."}),
        choice("As the image grows at a fixed patch size, whose token-mixing cost grows "
               "faster than the number of tokens?",
               option("The ViT's: attention costs 2n²d",
                      "Right: the Mixer's token MLP and ConvMixer's depthwise convolution grow "
                      "linearly in the number of tokens.", correct=True),
               option("ConvMixer's: its kernels grow with the image",
                      "The kernel size is fixed; the convolution just runs at more positions."),
               option("The Mixer's, as its token MLP grows with S",
                      "For fixed MLP widths its cost is linear in S (though the Mixer must be "
                      "rebuilt for each size)."),
               option("None: every family is linear",
                      "Attention compares every pair of tokens.")),
    ]


def _split() -> list[dict]:
    return [
        choice("`compute_split` puts a ResNet's 3×3 convolution in the part 'both at once'. Why?",
               option("One product combines neighbouring positions and all channels",
                      "Right: the columns split these into token mixing (e.g. a depthwise "
                      "convolution) and channel mixing (e.g. a 1×1 convolution).", correct=True),
               option("Because it runs in both the forward and the backward pass",
                      "Every layer does; the split counts one forward pass."),
               option("Because it belongs to the stem and the head",
                      "The stem and the head are parts of their own.")),
    ]


def quizzes() -> dict[str, list[dict]]:
    return {"race": _race(), "scaling": _scaling(), "split": _split()}
