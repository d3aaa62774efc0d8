"""ConvMixer: the paper's parameter counts, the block's equations, compute, receptive fields."""

import pytest
import torch
import torch.nn as nn

from isolearn.conv import measured_receptive_field, receptive_field
from isolearn.exercises import check
from isolearn.models import create
from isolearn.models.convmixer import (ConvMixerBlock, ConvMixerConfig, convmixer_macs,
                                       convmixer_param_count)
from isolearn.profile import count_flops, count_params

# REFERENCE.md: parameters in millions (1000-class heads, except the CIFAR-10 model's 10)
PAPER = {"convmixer_1536_20": (51_625_960, 51.6), "convmixer_768_32": (21_110_248, 21.1),
         "convmixer_1024_20_ks9_p14": (24_383_464, 24.4), "convmixer_256_8": (594_186, 0.59)}


@pytest.mark.parametrize("name", PAPER)
def test_presets_have_the_papers_parameter_counts(name):
    with torch.device("meta"):
        model = create(name)
    exact, paper = PAPER[name]
    n = count_params(model)
    assert n == exact == convmixer_param_count(model.config)
    assert round(n / 1e6, 2 if paper < 1 else 1) == paper


def test_activation_follows_the_paper():
    with torch.device("meta"):
        relu, gelu = create("convmixer_768_32"), create("convmixer_1536_20")
    assert isinstance(relu.stem[1], nn.ReLU) and isinstance(relu.blocks[0].depthwise[1], nn.ReLU)
    assert not any(isinstance(m, nn.GELU) for m in relu.modules())
    assert not any(isinstance(m, nn.ReLU) for m in gelu.modules())


def test_overrides_and_any_image_size():
    model = create("convmixer_digits", depth=2, num_classes=3).eval()
    for side in (16, 17, 32):  # no position embedding and no token MLP: any size works
        assert model(torch.randn(2, 1, side, side)).shape == (2, 3)
    assert model.features(torch.randn(1, 1, 16, 16)).shape == (1, 48, 8, 8)
    with pytest.raises(ValueError, match="in_chans"):
        model(torch.randn(1, 3, 16, 16))
    with pytest.raises(ValueError, match="smaller than one patch"):
        model(torch.randn(1, 1, 1, 1))


@pytest.mark.parametrize("k", [2, 4, 8])
def test_even_kernels_are_refused_with_the_fix(k):
    with pytest.raises(ValueError, match=f"kernel_size={k} is even.*{k - 1} or {k + 1}"):
        create("convmixer_digits", kernel_size=k)


def test_bad_config_values_name_the_parameter():
    with pytest.raises(ValueError, match="depth=0"):
        ConvMixerConfig(depth=0)
    with pytest.raises(ValueError, match="activation='tanh'"):
        ConvMixerConfig(activation="tanh")


@pytest.mark.parametrize("k", [1, 3, 5, 9])
def test_block_keeps_the_shape_and_equals_the_equations(k):
    torch.manual_seed(k)
    block = ConvMixerBlock(dim=6, kernel_size=k).eval()
    z = torch.randn(2, 6, 7, 7)
    dw, pw = block.depthwise, block.pointwise
    z_mid = dw[2](dw[1](dw[0](z))) + z  # z'_l = BN(σ(DepthwiseConv(z))) + z
    out = pw[2](pw[1](pw[0](z_mid)))  # z_{l+1} = BN(σ(PointwiseConv(z'_l)))
    torch.testing.assert_close(block(z), out)
    assert out.shape == z.shape
    assert dw[0].groups == 6 and dw[0].weight.shape == (6, 1, k, k)


def test_depthwise_conv_mixes_no_channels():
    block = ConvMixerBlock(dim=4, kernel_size=3)
    z = torch.zeros(1, 4, 5, 5)
    z[0, 1] = torch.randn(5, 5)  # only channel 1 is non-zero
    conv = block.depthwise[0]
    out = conv(z) - conv.bias[None, :, None, None]
    assert out[0, [0, 2, 3]].abs().max() == 0 and out[0, 1].abs().max() > 0


def test_macs_formula_matches_the_counter():
    config = ConvMixerConfig(dim=32, depth=3, kernel_size=5, patch_size=2, in_chans=1, num_classes=10)
    model = create("convmixer_digits", dim=32, depth=3)
    parts = convmixer_macs(config, 16)
    assert 2 * sum(parts.values()) == count_flops(model, torch.randn(1, 1, 16, 16))
    by_module = count_flops(model, torch.randn(1, 1, 16, 16), by_module=True)
    assert 2 * parts["depthwise"] == sum(by_module[f"blocks.{i}.depthwise"] for i in range(3))


@pytest.mark.parametrize("depth,k,p", [(1, 3, 1), (2, 5, 2), (3, 3, 3)])
def test_receptive_field_formula_equals_measurement(depth, k, p):
    torch.manual_seed(0)
    model = create("convmixer_digits", depth=depth, kernel_size=k, patch_size=p, dim=4)
    body = nn.Sequential(model.stem, model.blocks)
    r = p * (1 + depth * (k - 1))
    assert receptive_field(body) == r
    size = p * (2 * r // p + 3)
    assert measured_receptive_field(body, size) == (r, r)


def test_exercise_references_pass():
    assert check("convmixer_block", lambda z, block: block.pointwise(z + block.depthwise(z))).passed
    assert check("convmixer_block", lambda z, block: block(z)).status == "forbidden"  # the shortcut
    assert check("depthwise_params", lambda dim, k: dim * k * k + dim).passed
    assert check("convmixer_receptive_field", lambda d, k, p: p * (1 + d * (k - 1))).passed
    assert not check("depthwise_params", lambda dim, k: dim * k * k).passed
    assert not check("convmixer_receptive_field", lambda d, k, p: 1 + d * (k - 1)).passed
