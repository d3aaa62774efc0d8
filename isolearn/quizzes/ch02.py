"""Chapter 2 quizzes: LeNet's shapes and parameters, batch norm and the residual block, what
downsampling buys and what depth needs."""

from __future__ import annotations

from isolearn.conv import conv2d_params, conv_output_size, receptive_field
from isolearn.models import create
from isolearn.models.cnn import BasicBlock
from isolearn.profile import count_params
from isolearn.quizzes import choice, numeric, option


def _lenet() -> list[dict]:
    c1 = conv_output_size(32, 5)
    s4 = conv_output_size(c1 // 2, 5) // 2
    params = count_params(create("lenet5"))
    c1_params = conv2d_params(1, 6, 5)
    return [
        numeric("LeNet-5 reads a 32×32 digit: 5×5 convolution (no padding), 2×2 max-pool, 5×5 "
                "convolution, 2×2 max-pool. How many pixels wide is the map after the second "
                "pool?",
                s4, f"Right: 32 → {c1} → {c1 // 2} → {conv_output_size(c1 // 2, 5)} → {s4}.",
                "Each 5×5 convolution without padding removes 4 pixels; each pool halves.",
                mistakes={conv_output_size(32 // 2, 5) // 2: "That pools before the first "
                                                             "convolution; LeNet convolves first.",
                          32 // 4: "That forgets that a convolution without padding shrinks "
                                   "the map by k − 1 = 4 pixels."}),
        numeric("How many parameters (weights and biases) does LeNet-5's first layer, six 5×5 "
                "filters on a one-channel digit, have?",
                c1_params, f"Right: 6 · (5 · 5 · 1) + 6 = {c1_params}.",
                "Each filter has one weight per pixel of its 5×5 window and one bias.",
                mistakes={conv2d_params(1, 6, 5, bias=False): "Almost: add one bias per filter.",
                          5 * 5: "That is one filter; the layer has six."}),
        choice(f"The modernised LeNet-5 has {params:,} parameters. Where are most of them?",
               option("In the dense layers after the convolutions",
                      "Right: the 16·5·5 = 400 values of the last map feed 120 units, then 84: "
                      "the convolutions share their few weights across positions.", correct=True),
               option("In the first convolution",
                      f"It has only {c1_params} parameters: six small shared filters."),
               option("In the second convolution",
                      f"It has {conv2d_params(6, 16, 5):,}, a small share of the total."),
               option("Spread evenly over the layers",
                      "Count them: a dense layer has one weight per pair of input and output "
                      "units, a convolution one per kernel entry.")),
    ]


def _blocks() -> list[dict]:
    block = count_params(BasicBlock(16, 16))
    convs = 2 * conv2d_params(16, 16, 3, bias=False)
    pad = count_params(BasicBlock(16, 32, stride=2, shortcut="A")) - count_params(
        BasicBlock(16, 32, stride=2, shortcut="A", skip=False))
    return [
        choice("A network with batch norm is in training mode. Does one image's output depend "
               "on the other images in its batch?",
               option("Yes: the mean and variance come from the whole batch",
                      "Right: in evaluation mode BN uses its running statistics instead, and "
                      "then an image's output is its own.", correct=True),
               option("No: BN normalises each image on its own",
                      "That is layer or instance norm. BN takes the b · h · w values of each "
                      "channel across the batch."),
               option("Only through the learned scale γ and shift β",
                      "γ and β are learned numbers, the same for every batch; the batch enters "
                      "through μ and σ².")),
        numeric("How many parameters does a residual block (two 3×3 convolutions without bias, "
                "each followed by BN) with 16 channels in and out have?",
                block, f"Right: 2 · 16 · 16 · 9 = {convs} convolution weights and, per BN, a "
                       f"scale and a shift for each of the 16 channels: {block - convs}.",
                "Count both convolutions, then γ and β of both batch norms; the identity "
                "shortcut has none.",
                mistakes={convs: "Almost: each BN learns a scale γ and a shift β per channel.",
                          convs // 2 + 32: "That counts one convolution; the block has two."}),
        numeric("A block halves the size and goes from 16 to 32 channels with the paper's "
                "option A shortcut (subsample, pad zero channels). How many parameters does "
                "that shortcut add?",
                pad, "Right: none. Option A subsamples and pads with zeros; option B's 1×1 "
                     "projection would add weights.",
                "The shortcut only subsamples the input and appends channels of zeros.",
                mistakes={conv2d_params(16, 32, 1, bias=False): "That is option B's 1×1 "
                                                                "projection (without its BN)."}),
    ]


def _downsampling() -> list[dict]:
    stage = [(3, 1), (2, 2)]
    pyramid = receptive_field(stage * 3)
    flat = receptive_field([(3, 1)] * 3)
    return [
        numeric("Three 3×3 convolutions, each followed by a 2×2 max-pool (the chapter's small "
                "pyramid). How many pixels wide is the receptive field of one position of the "
                "last map?",
                pyramid, f"Right: every pool doubles the jump, so the later convolutions widen "
                         f"the field faster: {pyramid} pixels, against {flat} without the pools.",
                "Use r = 1 + Σ (k − 1) · jump; a pool is a layer with k = 2, s = 2.",
                mistakes={flat: "That is the flat stack: the pools count too, as layers with "
                                "k = 2 and s = 2."}),
        choice("Why does a classifier on the flattened last map of a pyramid tend to lose "
               "accuracy when the digit shifts, more than one on a global average of each map?",
               option("It has one weight per position, so a shifted feature meets other weights",
                      "Right: averaging each map over its positions before the classifier makes "
                      "the head invariant to where a feature is.", correct=True),
               option("Its convolutions are not equivariant",
                      "The convolutions are equivariant in both; the heads differ."),
               option("It has fewer parameters",
                      "It has more: one weight per position and channel, against one per "
                      "channel.")),
    ]


def _depth() -> list[dict]:
    return [
        choice("He et al. found a 56-layer plain network worse than a 20-layer one. On which "
               "data?",
               option("On its own training data too: an optimisation failure",
                      "Right: the degradation problem. Overfitting would show a low training "
                      "error; here the training error itself is higher.", correct=True),
               option("Only on the test data: overfitting",
                      "Overfitting means a good fit of the training data; the deeper plain "
                      "network fits its training data worse."),
               option("Only on images larger than those it was trained on",
                      "They compared on CIFAR-10 at its one size.")),
        choice("What does zero-initialising the last BN scale γ of every residual block do?",
               option("Each block starts as ReLU(shortcut(x)): its branch outputs exactly zero",
                      "Right: and on the non-negative maps it receives, that is the identity.",
                      correct=True),
               option("It makes the block's gradients zero, so the block never trains",
                      "γ's own gradient is not zero: the branch switches on as γ learns."),
               option("Nothing: BN renormalises whatever γ is",
                      "BN multiplies by γ after normalising; with γ = 0 the branch is zero.")),
    ]


def quizzes() -> dict[str, list[dict]]:
    return {"lenet": _lenet(), "blocks": _blocks(), "downsampling": _downsampling(),
            "depth": _depth()}
