"""Chapter 1 quizzes: output sizes, equivariance and pooling, receptive fields, groups."""

from __future__ import annotations

from isolearn.conv import conv2d_macs, conv2d_params, conv_output_size, receptive_field
from isolearn.quizzes import choice, numeric, option

FORMULA = "n' = ⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1"
RF = "r = 1 + Σ (k − 1) · jump, where the jump is the product of the earlier strides"


def _output_size() -> list[dict]:
    n, k, s, p = 224, 7, 2, 3
    stem = conv_output_size(n, k, s, p)
    overlapping = conv_output_size(32, 4, 1, 0)
    same = conv_output_size(32, 3, 1, 1)
    big = conv_output_size(32, 8, 8, 0)
    return [
        numeric(f"A ResNet's first layer is a {k}×{k} convolution with stride {s} and padding {p} "
                f"on a {n}×{n} image. How many pixels wide is its output?",
                stem, f"Right: ⌊({n} + {2 * p} − {k - 1} − 1) / {s}⌋ + 1 = {stem}.",
                f"Use {FORMULA} with n = {n}, k = {k}, s = {s}, p = {p}, d = 1.",
                mistakes={conv_output_size(n, k, s, 0): "That forgets the padding of 3 pixels "
                                                        "on each side.",
                          stem - 1: "Almost: the kernel's first position counts too (the + 1).",
                          conv_output_size(n, k, 1, p): "That is the size with stride 1: a "
                                                        "stride of 2 keeps every other position."}),
        choice("Which layer cuts a 32×32 image into non-overlapping 4×4 patches?",
               option("kernel 4, stride 4, no padding",
                      f"Right: each window starts where the last one ended, "
                      f"{conv_output_size(32, 4, 4, 0)} positions per side.", correct=True),
               option("kernel 4, stride 1, no padding",
                      f"Stride 1 moves the window one pixel at a time: {overlapping} overlapping "
                      f"windows per side."),
               option("kernel 3, stride 1, padding 1",
                      f"That is 'same' padding: the output keeps all {same} pixels, and every "
                      f"window overlaps its neighbours."),
               option("kernel 8, stride 8, no padding",
                      f"Non-overlapping, but 8×8 patches: {big} per side.")),
    ]


def _equivariance() -> list[dict]:
    side = conv_output_size(8, 2, 2)
    return [
        numeric("An 8×8 feature map is max-pooled in 2×2 blocks with stride 2. How many values "
                "are left?",
                side * side, f"Right: {side} × {side} = {side * side}: a quarter of the values.",
                "Each 2×2 block of the map becomes one value; count the blocks per side.",
                mistakes={8 * 8 // 2: "Pooling halves both sides, so it keeps a quarter, not a "
                                      "half.",
                          side: "That is one side; the map has two."}),
        choice("Which of these is exactly invariant to a shift that keeps the whole digit inside "
               "the frame?",
               option("Global max-pooling of the feature maps",
                      "Right: the largest response anywhere does not depend on where it is.",
                      correct=True),
               option("2×2 max-pooling of the feature maps",
                      "Only partly: a one-pixel shift moves many maxima into a neighbouring "
                      "block."),
               option("A stride-1 convolution",
                      "It is equivariant, not invariant: its map moves with the digit."),
               option("A 2×2 average-pooling",
                      "A shift changes which pixels each block averages, so most pooled values "
                      "change.")),
    ]


def _receptive_field() -> list[dict]:
    plain = [(3, 1)] * 5
    strided = [(3, 2)] * 3
    r_plain, r_strided = receptive_field(plain), receptive_field(strided)
    return [
        choice("A digit sits on a large empty canvas and moves one pixel to the right. What does "
               "the output of a stride-2 convolution do?",
               option("It is not a shift of the old output: the layer samples different windows",
                      "Right: a stride-2 layer is equivariant only to shifts by multiples of 2.",
                      correct=True),
               option("It moves one position to the right",
                      "That is what a stride-1 convolution does; a stride-2 output has one "
                      "position per two pixels."),
               option("It moves half a position to the right",
                      "There is no half position: the output lives on a grid twice as coarse, "
                      "and the layer now sees other windows."),
               option("It does not change: the stride makes the layer invariant",
                      "A stride throws positions away; it does not make the others ignore "
                      "the shift.")),
        numeric("Five 3×3 convolutions with stride 1 are stacked. How many pixels wide is the "
                "receptive field of one output pixel?",
                r_plain, f"Right: each layer adds k − 1 = 2 pixels to the 1 pixel you start "
                         f"from: 1 + 5 · 2 = {r_plain}.", f"Use {RF}.",
                mistakes={5 * 3: "Kernels do not add up whole: neighbouring windows overlap, so "
                                 "each layer widens the field by k − 1, not k.",
                          r_plain - 1: "Almost: start from the 1 pixel an empty stack sees."}),
        numeric("Three 3×3 convolutions with stride 2 are stacked. How many pixels wide is the "
                "receptive field of one output pixel?",
                r_strided, f"Right: 1 + 2·1 + 2·2 + 2·4 = {r_strided}: every stride doubles the "
                           f"jump between the positions a later layer combines.", f"Use {RF}.",
                mistakes={receptive_field([(3, 1)] * 3): "That ignores the strides: after a "
                                                         "stride-2 layer, neighbouring positions "
                                                         "are 2 pixels apart."}),
    ]


def _groups() -> list[dict]:
    c, k, n, wide = 64, 3, 28, 128
    depthwise = conv2d_params(c, c, k, groups=c)
    ordinary = conv2d_macs(wide, wide, k, n)
    separable = conv2d_macs(wide, wide, k, n, groups=wide) + conv2d_macs(wide, wide, 1, n)
    ratio = separable / ordinary
    pointwise_only = conv2d_macs(wide, wide, 1, n) / ordinary
    return [
        numeric(f"How many parameters (weights and biases) does a depthwise {k}×{k} convolution "
                f"on {c} channels have?",
                depthwise, f"Right: one {k}×{k} kernel per channel and one bias each: "
                           f"{c} · {k * k} + {c} = {depthwise}.",
                "Depthwise means groups = channels: each output channel has a kernel with one "
                "slice, for its own input channel.",
                mistakes={conv2d_params(c, c, k, groups=c, bias=False): "Almost: add one bias per "
                                                                       "channel.",
                          conv2d_params(c, c, k): "That is an ordinary convolution, where every "
                                                  "kernel has a slice for all 64 input channels."}),
        numeric(f"A depthwise-separable convolution ({k}×{k} depthwise, then 1×1) maps {wide} "
                f"channels to {wide} on a {n}×{n} map. What fraction of an ordinary {k}×{k} "
                f"convolution's multiply-adds does it do? (A decimal, to two places.)",
                round(ratio, 4), f"Right: 1/{wide} + 1/{k * k} ≈ {ratio:.3f}; almost all of it "
                                 f"is the 1×1 part.",
                "Count both parts with MACs = C_out · h'w' · (C_in / g) · k², and divide by "
                "the ordinary convolution's.", tolerance=0.003,
                mistakes={round(pointwise_only, 4): "That is the 1×1 part alone; add the "
                                                    "depthwise part, 1/128."}),
    ]


def quizzes() -> dict[str, list[dict]]:
    return {"output-size": _output_size(), "equivariance": _equivariance(),
            "receptive-field": _receptive_field(), "groups": _groups()}
