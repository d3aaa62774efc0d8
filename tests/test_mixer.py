"""MLP-Mixer: the paper's Table 1 counts, the transposes, token mixing as a depthwise conv."""

import pytest
import torch
import torch.nn.functional as F
from einops import rearrange

from isolearn.models import create
from isolearn.models.mixer import MixerBlock, MixerConfig, mixer_param_count
from isolearn.profile import count_flops, count_params

# REFERENCE.md: the body (no head) in millions, as we count it, and the paper's rounded figure
TABLE1 = {"mixer_s32_224": (18.59, 19), "mixer_s16_224": (18.02, 18), "mixer_b32_224": (59.52, 60),
          "mixer_b16_224": (59.11, 59), "mixer_l32_224": (205.91, 206), "mixer_l16_224": (207.17, 207),
          "mixer_h14_224": (431.07, 431)}


@pytest.mark.parametrize("name", TABLE1)
def test_mixer_presets_have_the_papers_parameter_counts(name):
    with torch.device("meta"):
        model = create(name)
    body = count_params(model) - count_params(model.head)
    ours, paper = TABLE1[name]
    assert round(body / 1e6, 2) == ours and round(body / 1e6) == paper
    assert body == mixer_param_count(model.config)
    assert count_params(model) == mixer_param_count(model.config, head=True)


def test_small_mixer_runs_with_overrides_and_zero_head():
    model = create("mixer_digits", patch_size=2, depth=2, num_classes=3)
    assert model(torch.randn(4, 1, 8, 8)).shape == (4, 3)
    assert (model(torch.randn(4, 1, 8, 8)) == 0).all()  # the head starts at zero
    assert count_params(model) == mixer_param_count(model.config, head=True)
    with pytest.raises(ValueError, match="not divisible by patch_size=3"):
        create("mixer_digits", patch_size=3)


def _block(S=16, C=6, seed=0):
    torch.manual_seed(seed)
    return MixerBlock(num_tokens=S, hidden_dim=C, tokens_mlp_dim=8, channels_mlp_dim=12)


def test_block_equals_the_papers_equations_written_with_transposes():
    block, x = _block(), torch.randn(3, 16, 6)
    u = x + block.token_mlp(block.norm1(x).transpose(1, 2)).transpose(1, 2)
    y = u + block.channel_mlp(block.norm2(u))
    torch.testing.assert_close(block(x), y)


def test_token_mixing_is_a_depthwise_convolution_over_the_whole_image():
    """The first token-mixing layer = one single-channel conv with an image-sized kernel, the same
    for every channel (weights shared across channels)."""
    block, x = _block(), torch.randn(2, 16, 6)  # 4x4 tokens, 6 channels
    w1, b1 = block.token_mlp[0].weight, block.token_mlp[0].bias  # (D_S, S), (D_S,)
    by_mlp = block.token_mlp[0](x.transpose(1, 2))  # (b, C, D_S)
    images = rearrange(x, "b (h w) c -> (b c) 1 h w", h=4)  # each channel as a 1-channel image
    kernels = rearrange(w1, "k (h w) -> k 1 h w", h=4)  # D_S kernels as big as the image
    by_conv = rearrange(F.conv2d(images, kernels, b1), "(b c) k 1 1 -> b c k", b=2)
    torch.testing.assert_close(by_mlp, by_conv, atol=1e-5, rtol=1e-5)


def test_permuting_tokens_and_token_weights_together_changes_nothing():
    block, x = _block(), torch.randn(2, 16, 6)
    perm = torch.randperm(16)
    permuted = _block()
    with torch.no_grad():
        permuted.token_mlp[0].weight.copy_(block.token_mlp[0].weight[:, perm])  # inputs permuted
        permuted.token_mlp[2].weight.copy_(block.token_mlp[2].weight[perm])  # outputs permuted
        permuted.token_mlp[2].bias.copy_(block.token_mlp[2].bias[perm])
    torch.testing.assert_close(permuted(x[:, perm]), block(x)[:, perm], atol=1e-6, rtol=1e-5)


def test_mixer_flops_are_linear_in_tokens():
    """REFERENCE.md: a block costs 2·S·D_S·C + 2·S·C·D_C multiply-adds."""
    flops = []
    for img in (8, 16, 32):
        model = create("mixer_digits", img_size=img, depth=1)
        c = model.config
        S, C = c.num_tokens, c.hidden_dim
        parts = count_flops(model, torch.zeros(1, 1, img, img), by_module=True)
        assert parts["blocks.0"] == 2 * (2 * S * c.tokens_mlp_dim * C + 2 * S * C * c.channels_mlp_dim)
        flops.append(parts["blocks.0"])
    assert flops[1] == 4 * flops[0] and flops[2] == 4 * flops[1]  # 4x the tokens, 4x the cost


def test_config_property():
    assert MixerConfig(img_size=224, patch_size=14).num_tokens == 256


# --- chapter 4: the permutation twin and the token-mixing matrices -------------------------------

@pytest.mark.parametrize("patch, chans", [(1, 1), (2, 3), (4, 1)])
def test_permuted_twin_computes_on_shuffled_images_what_the_mixer_computes(patch, chans):
    from isolearn.models.mixer import permuted_twin
    from isolearn.patches import shuffle_patches

    torch.manual_seed(0)
    mixer = create("mixer_digits", patch_size=patch, in_chans=chans, depth=2).eval()
    with torch.no_grad():
        mixer.head.weight.normal_()  # the zero head would hide every difference
    S = mixer.config.num_tokens
    patch_perm, pixel_perm = torch.randperm(S), torch.randperm(patch * patch * chans)
    x = torch.randn(3, chans, 8, 8)
    shuffled = shuffle_patches(x, patch, patch_perm, pixel_perm)
    twin = permuted_twin(mixer, patch_perm, pixel_perm)
    with torch.no_grad():
        torch.testing.assert_close(twin(shuffled), mixer(x), atol=1e-5, rtol=1e-4)
        if patch > 1:  # the check can fail: a twin that ignores the pixel shuffle is wrong
            wrong = permuted_twin(mixer, patch_perm)
            assert (wrong(shuffled) - mixer(x)).abs().max() > 1e-3
    assert mixer.blocks[0].token_mlp[0].weight.data_ptr() != twin.blocks[0].token_mlp[0].weight.data_ptr()


@pytest.mark.parametrize("grid, k", [(4, 3), (5, 3), (6, 5)])
def test_conv_matrix_is_the_convolution(grid, k):
    from isolearn.mixing import conv_matrix

    torch.manual_seed(grid)
    kernel, x = torch.randn(k, k), torch.randn(1, 1, grid, grid)
    matrix = conv_matrix(kernel, grid)
    by_conv = F.conv2d(x, kernel[None, None], padding=k // 2).flatten()
    torch.testing.assert_close(matrix @ x.flatten(), by_conv, atol=1e-5, rtol=1e-5)
    # Toeplitz: an interior pixel's row is its neighbour's row shifted by one
    centre = (grid // 2) * grid + grid // 2
    torch.testing.assert_close(matrix[centre, 1:], matrix[centre - 1, :-1])
    with pytest.raises(ValueError, match="k odd"):
        conv_matrix(torch.randn(2, 2), grid)


def test_local_share():
    from isolearn.mixing import conv_matrix, local_share

    assert local_share(conv_matrix(torch.randn(3, 3), 8), 8) == pytest.approx(1.0)
    uniform = local_share(torch.ones(64, 64), 8)
    assert uniform == pytest.approx((8 * 8 * 9 - 4 * 8 * 3 + 4) / 64 ** 2)  # neighbour pairs / all pairs
    assert local_share(torch.eye(64), 8) == 1.0


def test_mixing_matrices_figure():
    from isolearn import viz

    fig = viz.mixing_matrices({"a": torch.randn(16, 16), "b": torch.zeros(16, 16)})
    assert [ax.get_title() for ax in fig.axes[:2]] == ["a", "b"]
