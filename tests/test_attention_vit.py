"""Patches, attention and the ViT: from-scratch equals fast, exact parameter counts, FLOPs."""

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from isolearn.attention import MultiHeadSelfAttention, attention
from isolearn.models import create
from isolearn.models.vit import ViT, ViTConfig, vit_param_count
from isolearn.patches import PatchEmbed, patchify, unpatchify
from isolearn.profile import count_flops, count_params


# --- patches ----------------------------------------------------------------------------------

@pytest.mark.parametrize("c, size, p", [(1, 8, 2), (3, 32, 4), (3, 12, 12), (2, 6, 1)])
def test_patchify_round_trip_and_layout(c, size, p):
    x = torch.randn(2, c, size, size)
    tokens = patchify(x, p)
    assert tokens.shape == (2, (size // p) ** 2, p * p * c)
    assert torch.equal(unpatchify(tokens, p, size, c), x)
    # token 1 is the second patch of the first row; its first value is pixel (0, p) of channel 0
    if size // p > 1:
        assert tokens[0, 1, 0] == x[0, 0, 0, p]


def test_patch_embed_is_a_linear_map_on_flattened_patches():
    torch.manual_seed(0)
    embed = PatchEmbed(img_size=16, patch_size=4, in_chans=3, embed_dim=10)
    x = torch.randn(5, 3, 16, 16)
    torch.testing.assert_close(embed(x), embed.as_linear()(patchify(x, 4)), atol=1e-5, rtol=1e-5)
    assert embed.num_patches == 16


@pytest.mark.parametrize("size, p, words", [(30, 16, ["30", "patch_size=16", "16 or 32", "15"]),
                                            (8, 3, ["8", "patch_size=3", "6 or 9"]),
                                            (8, 0, ["patch_size=0"])])
def test_bad_patch_size_names_both_and_suggests(size, p, words):
    for make in (lambda: patchify(torch.zeros(1, 1, size, size), p),
                 lambda: PatchEmbed(img_size=size, patch_size=p)):
        with pytest.raises(ValueError) as info:
            make()
        for word in words:
            assert word in str(info.value)


def test_patch_embed_rejects_wrong_images():
    embed = PatchEmbed(img_size=8, patch_size=2, in_chans=1, embed_dim=4)
    with pytest.raises(ValueError, match="in_chans=3, img_size=8"):
        embed(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="img_size=16"):
        embed(torch.zeros(1, 1, 16, 16))


# --- attention --------------------------------------------------------------------------------

def _masks(n):
    causal = torch.ones(n, n, dtype=torch.bool).tril()
    padding = torch.ones(n, n, dtype=torch.bool)
    padding[:, -2:] = False  # the last two keys are padding
    additive = torch.randn(n, n)
    return [None, causal, padding, additive]


@pytest.mark.parametrize("mask_index", range(4))
def test_attention_from_scratch_equals_sdpa(mask_index):
    torch.manual_seed(mask_index)
    q, k, v = (torch.randn(2, 3, 7, 8, dtype=torch.float64) for _ in range(3))
    mask = _masks(7)[mask_index]
    mask = mask.double() if mask is not None and mask.dtype != torch.bool else mask
    ours, weights = attention(q, k, v, mask, return_weights=True)
    torch.testing.assert_close(ours, F.scaled_dot_product_attention(q, k, v, attn_mask=mask))
    torch.testing.assert_close(weights.sum(-1), torch.ones(2, 3, 7, dtype=torch.float64))
    if mask is not None and mask.dtype == torch.bool:
        assert (weights[..., ~mask] == 0).all()


def test_attention_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="must be"):
        attention(torch.zeros(2, 4, 8), torch.zeros(2, 4, 6), torch.zeros(2, 4, 8))


@pytest.mark.parametrize("with_mask", [False, True])
def test_multi_head_attention_fast_equals_scratch(with_mask):
    torch.manual_seed(0)
    mha = MultiHeadSelfAttention(dim=12, num_heads=3)
    x = torch.randn(4, 9, 12)
    mask = torch.ones(9, 9, dtype=torch.bool).tril() if with_mask else None
    fast = mha(x, mask)
    mha.fast = False
    torch.testing.assert_close(mha(x, mask), fast, atol=1e-6, rtol=1e-5)
    mha.fast, mha.keep_weights = True, True
    torch.testing.assert_close(mha(x, mask), fast, atol=1e-6, rtol=1e-5)
    assert mha.weights.shape == (4, 3, 9, 9)


def test_self_attention_is_permutation_equivariant():
    torch.manual_seed(0)
    mha = MultiHeadSelfAttention(dim=8, num_heads=2)
    x, perm = torch.randn(2, 10, 8), torch.randperm(10)
    torch.testing.assert_close(mha(x[:, perm]), mha(x)[:, perm], atol=1e-6, rtol=1e-5)


def test_heads_must_divide_dim():
    with pytest.raises(ValueError, match="num_heads=5"):
        MultiHeadSelfAttention(dim=12, num_heads=5)


def test_self_attention_names_the_expected_shape():
    mha = MultiHeadSelfAttention(dim=8, num_heads=2)
    with pytest.raises(ValueError, match=r"\(b, n, 8\), got shape \(10, 8\); .* x\[None\]"):
        mha(torch.randn(10, 8))
    with pytest.raises(ValueError, match="got shape"):
        mha(torch.randn(2, 10, 6))


def test_attention_flops_are_counted_on_cpu():
    """4·b·h·n²·d: Q Kᵀ and AV, each b·h·n·n·d multiply-adds (the stock counter says 0 on CPU)."""
    class Core(nn.Module):
        def forward(self, q):
            return F.scaled_dot_product_attention(q, q, q)

    for b, h, n, d in [(1, 1, 4, 2), (2, 3, 16, 8), (3, 4, 50, 16)]:
        assert count_flops(Core(), torch.randn(b, h, n, d)) == 4 * b * h * n * n * d


def test_multi_head_attention_flops_formula():
    b, n, d, h = 2, 10, 12, 3
    mha = MultiHeadSelfAttention(dim=d, num_heads=h)
    linear = 2 * b * n * (d * 3 * d + d * d)  # qkv and the output projection
    assert count_flops(mha, torch.randn(b, n, d)) == linear + 4 * b * h * n * n * (d // h)


# --- the ViT ----------------------------------------------------------------------------------

# timm's counts for the same models (1000-class head, class token, learned position embedding)
REFERENCE = {"vit_tiny_patch16_224": 5_717_416, "vit_small_patch16_224": 22_050_664,
             "vit_base_patch16_224": 86_567_656, "vit_large_patch16_224": 304_326_632,
             "vit_huge_patch14_224": 632_045_800}


@pytest.mark.parametrize("name", REFERENCE)
def test_vit_presets_have_the_papers_parameter_counts(name):
    with torch.device("meta"):  # shapes only: no memory, no time
        model = create(name)
    assert count_params(model) == REFERENCE[name] == vit_param_count(model.config)
    rounded = {"vit_tiny_patch16_224": 5.7, "vit_small_patch16_224": 22.1, "vit_base_patch16_224": 86.6,
               "vit_large_patch16_224": 304, "vit_huge_patch14_224": 632}[name]  # REFERENCE.md
    assert round(count_params(model) / 1e6, 1 if rounded < 100 else 0) == rounded


@pytest.mark.parametrize("overrides", [dict(), dict(pool="mean"), dict(mlp_ratio=2.0, depth=2),
                                       dict(img_size=12, patch_size=3, in_chans=3, num_classes=4)])
def test_vit_small_configs_run_and_match_the_formula(overrides):
    model = create("vit_digits", **overrides)
    c = model.config
    x = torch.randn(3, c.in_chans, c.img_size, c.img_size)
    assert model(x).shape == (3, c.num_classes)
    assert count_params(model) == vit_param_count(c)


def test_vit_blocks_keep_one_shape_and_attention_can_be_kept():
    model = create("vit_digits").eval()
    model.keep_attention()
    tokens = model.tokens(torch.randn(2, 1, 8, 8))
    assert tokens.shape == (2, 17, 64)
    for block in model.blocks:
        assert block(tokens).shape == tokens.shape
    model(torch.randn(2, 1, 8, 8))
    assert all(b.attn.weights.shape == (2, 4, 17, 17) for b in model.blocks)


def test_vit_config_and_input_errors():
    with pytest.raises(ValueError, match="pool='max'"):
        ViTConfig(pool="max")
    with pytest.raises(ValueError, match="depth=0"):
        ViT(depth=0)
    with pytest.raises(ValueError, match="img_size=16"):
        create("vit_digits")(torch.zeros(1, 1, 16, 16))
    with pytest.raises(ValueError, match="no option 'width'"):
        create("vit_digits", width=3)


def test_vit_base_flops_match_the_per_block_formula():
    """REFERENCE.md: a block costs N(4D² + 2rD²) + 2N²D multiply-adds."""
    model = create("vit_digits", depth=1, mlp_ratio=4.0)
    c = model.config
    n, d = c.num_patches + 1, c.embed_dim
    block_macs = n * (4 * d * d + 2 * 4 * d * d) + 2 * n * n * d
    parts = count_flops(model, torch.zeros(1, 1, 8, 8), by_module=True)
    assert parts["blocks.0"] == 2 * block_macs


# --- chapter 3's ablations and attention measurements -------------------------------------------

@pytest.mark.parametrize("pool", ["cls", "mean"])
def test_without_position_embedding_the_vit_cannot_see_patch_order(pool):
    """The theorem, for the whole model: no E_pos means the class token (or the mean) sees a set."""
    torch.manual_seed(0)
    x = torch.randn(3, 1, 8, 8)
    shuffled = unpatchify(patchify(x, 2)[:, torch.randperm(16)], 2, height=8, channels=1)
    blind = create("vit_digits", pool=pool, position_embedding=False).eval()
    seeing = create("vit_digits", pool=pool).eval()
    with torch.no_grad():
        torch.testing.assert_close(blind(shuffled), blind(x), atol=1e-5, rtol=1e-4)
        for p in seeing.parameters():  # a larger random init, so that the positions matter clearly
            p.normal_(0, 0.2)
        assert (seeing(shuffled) - seeing(x)).abs().max() > 1e-3
    assert blind.pos_embed is None and count_params(blind) == vit_param_count(blind.config)
    assert count_params(seeing) - count_params(blind) == seeing.pos_embed.numel()


def test_default_config_keeps_the_papers_model():
    assert ViTConfig().position_embedding and ViTConfig().pool == "cls"


def test_attention_maps_are_row_stochastic_and_restore_the_mode():
    model = create("vit_digits", depth=3).train()
    maps = model.attention_maps(torch.rand(5, 1, 8, 8))
    assert maps.shape == (3, 5, 4, 17, 17)  # (L, b, heads, 1 + n, 1 + n)
    torch.testing.assert_close(maps.sum(-1), torch.ones(3, 5, 4, 17))
    assert model.training and not any(b.attn.keep_weights for b in model.blocks)


def test_patch_distances_and_mean_attention_distance():
    from isolearn.attention import mean_attention_distance, patch_distances

    d = patch_distances(3, patch_size=2)
    assert d.shape == (9, 9) and d[0, 8] == pytest.approx(math.hypot(4, 4)) and d[4, 5] == 2
    n = 16
    uniform = torch.full((2, n + 1, n + 1), 1 / (n + 1))
    expected = patch_distances(4, 2).mean()
    torch.testing.assert_close(mean_attention_distance(uniform, 4, 2, skip=1), expected.expand(2))
    own = torch.eye(n + 1)[None]  # every token attends to itself only
    assert mean_attention_distance(own, 4, 2, skip=1).item() == 0
    # the class token's share is dropped and the rest renormalised: half on the class token,
    # half spread evenly over the patches is still uniform over the patches
    half = torch.cat([torch.full((n + 1, 1), 0.5), torch.full((n + 1, n), 0.5 / n)], dim=1)
    torch.testing.assert_close(mean_attention_distance(half, 4, 2, skip=1), expected)
    with pytest.raises(ValueError, match="grid=4, skip=0"):
        mean_attention_distance(uniform, 4, 2)


def test_shuffles_move_pixels_and_keep_their_values():
    from isolearn.patches import shuffle_patches, shuffle_pixels

    x = torch.arange(2 * 3 * 4 * 4, dtype=torch.float32).reshape(2, 3, 4, 4)
    patch_perm, pixel_perm = torch.tensor([3, 0, 2, 1]), torch.randperm(12)
    y = shuffle_patches(x, 2, patch_perm, pixel_perm)
    assert y.shape == x.shape and torch.equal(y.flatten().sort().values, x.flatten().sort().values)
    # patch 0 of y holds patch 3 of x (bottom right), its values permuted
    assert torch.equal(patchify(y, 2)[:, 0], patchify(x, 2)[:, 3][:, pixel_perm])
    g = shuffle_pixels(x, torch.arange(16).flip(0))  # reversing the pixel order = rotating 180°
    assert torch.equal(g, x.flip(-1, -2))
    with pytest.raises(ValueError, match="permutation of the 4 patches"):
        shuffle_patches(x, 2, torch.tensor([0, 0, 1, 2]))
    with pytest.raises(ValueError, match="permutation of the 16 pixels"):
        shuffle_pixels(x, torch.arange(15))


def test_chapter3_figures_draw():
    from isolearn import viz

    fig = viz.position_similarity(torch.randn(16, 8), grid=4)
    assert len(fig.axes) == 16 + 1  # the tiles and the colour bar
    with pytest.raises(ValueError, match="drop the class token"):
        viz.position_similarity(torch.randn(17, 8), grid=4)
    fig = viz.attention_distance_figure(torch.rand(2, 4, 3), uniform=4.0, local=1.5, labels=["a", "b"])
    assert len(fig.axes[0].lines) == 2 + 2


def test_cpu_seconds_counts_work_not_waiting():
    import time

    from isolearn.timing import cpu_seconds

    assert cpu_seconds(lambda: time.sleep(0.05), repeats=2) < 0.02  # sleeping is not work
    x = torch.randn(256, 256)
    y = torch.randn(1024, 1024)
    small, large = cpu_seconds(lambda: x @ x), cpu_seconds(lambda: y @ y)
    assert 0 < small < large
    before = torch.get_num_threads()
    cpu_seconds(lambda: None)
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="repeats=0"):
        cpu_seconds(lambda: None, repeats=0)
