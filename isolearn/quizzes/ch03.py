"""Chapter 3 quizzes: patches and tokens, attention and positions, attention's cost, the ViT."""

from __future__ import annotations

from isolearn.models import create
from isolearn.models.vit import ViTConfig, vit_param_count
from isolearn.profile import count_params
from isolearn.quizzes import choice, numeric, option


def _tokens() -> list[dict]:
    b16 = ViTConfig()  # ViT-B/16 at 224 px
    n = b16.num_patches
    width = b16.patch_size ** 2 * b16.in_chans
    return [
        numeric("ViT-B/16 cuts a 224×224 RGB image into 16×16 patches. How many tokens does the "
                "first block see, with the class token?",
                n + 1, f"Right: (224/16)² = {n} patch tokens and one class token.",
                "Count the patches per side, square it, then add the class token.",
                mistakes={n: "Almost: the class token joins the sequence too.",
                          224 // 16 + 1: "That is one row of patches; the image has 14 rows."}),
        numeric("How many numbers does one flattened patch of that image hold, before the "
                "linear embedding?",
                width, f"Right: p² · c = 16 · 16 · 3 = {width}.",
                "A patch has p × p pixels, each with one number per colour channel.",
                mistakes={16 * 16: "That is one channel; an RGB patch has three."}),
    ]


def _attention() -> list[dict]:
    return [
        choice("Why are the scores q · k divided by √d before the softmax?",
               option("With unit-variance entries, q · k has variance d; dividing keeps the "
                      "softmax out of saturation",
                      "Right: large scores make the softmax nearly one-hot and its gradients "
                      "vanish.", correct=True),
               option("So that each row of weights sums to 1",
                      "The softmax does that on its own, whatever the scale."),
               option("To make attention permutation-equivariant",
                      "It is equivariant with or without the scale; the scale is about "
                      "variance.")),
        choice("You shuffle the patches of an image before a ViT without position embeddings. "
               "What happens to the class token's output?",
               option("Nothing: self-attention treats the tokens as a set",
                      "Right: permuting the tokens permutes the patch outputs the same way, and "
                      "the class token, which attends to all of them, does not change.",
                      correct=True),
               option("It changes, because attention compares neighbouring patches",
                      "Attention scores every pair of tokens by content alone; nothing in it "
                      "knows which patches are neighbours."),
               option("It is shuffled the same way",
                      "The class token has no position among the patches to be moved to.")),
    ]


def _cost() -> list[dict]:
    small, large = ViTConfig(), ViTConfig(img_size=448)
    quadratic = (large.num_patches / small.num_patches) ** 2
    linear = large.num_patches / small.num_patches
    return [
        numeric("Keep the patch size at 16 and double the image side, from 224 to 448 pixels. "
                "By what factor does the attention term 2n²d of a block's cost grow? (Ignore "
                "the class token.)",
                quadratic, f"Right: the number of tokens n grows {linear:g}-fold, and the term is "
                           f"quadratic in n: {linear:g}² = {quadratic:g}.",
                "First find how many times more tokens there are; then use that the term "
                "grows with n².",
                mistakes={linear: "That is the growth of n, and of the linear layers' cost; "
                                  "attention's term grows with n².",
                          2: "Doubling the side multiplies the number of patches by 4."}),
        choice("At 224 pixels, which part dominates ViT-B/16's multiply-adds?",
               option("The linear layers (queries, keys, values, output and the MLP)",
                      "Right: attention's n² term is a few percent at 197 tokens; it takes a "
                      "large share only at high resolution.", correct=True),
               option("The attention scores and the weighted sum of values",
                      "With n = 197 and d = 768, 2n²d is small next to n(4d² + 8d²)."),
               option("The patch embedding",
                      "It runs once, as one linear map per patch; the 12 blocks cost far more.")),
        _block(),
    ]


def _block() -> dict:
    digits = create("vit_digits")
    assert count_params(digits) == vit_param_count(digits.config)  # the formula and the module agree
    d = digits.config.embed_dim
    block = count_params(digits.blocks[0])
    return numeric(f"One pre-norm ViT block of width d = {d} with MLP ratio 4: how many parameters "
                   f"(weights, biases, and the two LayerNorms' scales and shifts)?",
                   block, f"Right: 12d² + 13d = {block}: qkv 3d² + 3d, the output projection "
                          f"d² + d, the MLP 8d² + 5d, the LayerNorms 4d.",
                   "Count qkv (3d² + 3d), the projection (d² + d), the MLP (d → 4d → d, with "
                   "biases) and 2 LayerNorms (2d each).",
                   mistakes={12 * d * d: "Almost: that leaves out every bias and the LayerNorms "
                                         "(13d)."})


def _vit() -> list[dict]:
    c = create("vit_digits").config
    n = c.num_patches
    return [
        numeric(f"The chapter's digits ViT reads {c.img_size}×{c.img_size} images in "
                f"{c.patch_size}×{c.patch_size} patches, with a class token. How many rows does "
                f"one head's attention map have?",
                n + 1, f"Right: one row per token, {n} patches and the class token: {n + 1}; "
                       f"the class token's row is the map the figures show.",
                "Each token, the class token included, has one row of weights over all tokens.",
                mistakes={n: "Almost: the class token has a row of its own."}),
        choice("The class token and mean pooling: what did the paper find (appendix D.3)?",
               option("Both work, but they want different learning rates",
                      "Right: at the class token's learning rate, mean pooling trailed; each "
                      "works at its own.", correct=True),
               option("Mean pooling cannot classify: it has no token to read",
                      "Averaging the output tokens gives a vector the head can read, as a "
                      "CNN's global average pooling does."),
               option("The class token needs no position embedding, so it is always better",
                      "It has a position embedding of its own; the comparison came out even "
                      "when each was tuned.")),
    ]


def quizzes() -> dict[str, list[dict]]:
    return {"tokens": _tokens(), "attention": _attention(), "cost": _cost(), "vit": _vit()}
