"""Chapter 4 quizzes: the patches × channels table, the Mixer's cost and its indifference to
pixel order, and what its token-mixing weights learn on digits."""

from __future__ import annotations

import torch

from isolearn.models.mixer import MixerBlock, MixerConfig
from isolearn.profile import count_flops, count_params
from isolearn.quizzes import choice, numeric, option


def _table() -> list[dict]:
    c = MixerConfig()  # Mixer-B/16
    s, ds = c.num_tokens, c.tokens_mlp_dim
    block = MixerBlock(s, c.hidden_dim, ds, c.channels_mlp_dim)
    token = count_params(block.token_mlp)
    return [
        choice("In a Mixer block, what does the token-mixing MLP see at once?",
               option("One channel's values at all S patches, with the same weights for every "
                      "channel",
                      "Right: it runs on each column of the S × C table.", correct=True),
               option("All C channels of one patch",
                      "That is channel mixing, on each row of the table."),
               option("A k × k neighbourhood of patches",
                      "That is a convolution; token mixing reaches all S patches at once.")),
        numeric(f"Mixer-B/16 has S = {s} tokens and a token MLP of hidden width D_S = {ds}. How "
                f"many parameters does one block's token-mixing MLP have (weights and biases)?",
                token, f"Right: S·D_S + D_S + D_S·S + S = {token}: two dense layers, "
                       f"S → D_S → S.",
                "Two dense layers, S → D_S and D_S → S, each with a bias per output.",
                mistakes={2 * s * ds: "Almost: add the biases, D_S + S.",
                          s * ds + ds: "That is the first layer only; the MLP maps back to S."}),
    ]


def _cost() -> list[dict]:
    def token_flops(tokens: int) -> int:
        block = MixerBlock(tokens, 32, 64, 64)
        return count_flops(block.token_mlp, torch.zeros(1, 32, tokens))  # x: (b, C, S)

    growth = token_flops(256) / token_flops(64)
    return [
        numeric("Keep the patch size and the MLP widths and double the image side, so that the "
                "number of tokens S grows 4-fold. By what factor does token mixing's cost "
                "2·S·D_S·C grow?",
                growth, f"Right: {growth:g}: for fixed widths, the cost is linear in S. The ViT's "
                        f"attention term would grow 16-fold.",
                "Which factor of 2·S·D_S·C changes?",
                mistakes={16: "That is attention's n² term; the Mixer's cost is linear in S."}),
        choice("Every image is shuffled with one fixed permutation of its patches and of the "
               "pixels inside each patch. What does that do to a Mixer trained on them?",
               option("Nothing: a Mixer with permuted weights computes the same function",
                      "Right: its MLPs have no notion of neighbourhood, so the shuffle only "
                      "relabels the rows of its weights.", correct=True),
               option("It loses most of its accuracy, as a CNN does",
                      "The CNN does; the Mixer has a twin, with permuted weights, that undoes "
                      "the shuffle exactly."),
               option("It helps, because the shuffle is an augmentation",
                      "One fixed permutation for every image adds no variety.")),
    ]


def _locality() -> list[dict]:
    return [
        choice("After training on digits, neighbouring pixels get similar changes in the "
               "Mixer's first token-mixing layer. Does that show the Mixer learnt locality?",
               option("No: random combinations of digits, and a plain MLP's first layer, are "
                      "as smooth",
                      "Right: every gradient step adds combinations of images, and "
                      "neighbouring pixels of a digit are correlated; the null shows it.",
                      correct=True),
               option("Yes: the smoothness is the locality the paper's figure 5 shows",
                      "Figure 5 comes from 300 M images. On digits, the null measurement is "
                      "as smooth."),
               option("No: the Mixer cannot learn anything local",
                      "It can; with much data its units become local blobs. On 1 347 digits "
                      "the measurement cannot tell.")),
    ]


def quizzes() -> dict[str, list[dict]]:
    return {"table": _table(), "cost": _cost(), "locality": _locality()}
