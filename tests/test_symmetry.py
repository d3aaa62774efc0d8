"""Chapter 10's exact facts, in float64: which rotations the book's isotropic architectures
commute with, the new activation and norm options, and the affine-divergence identity."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from isolearn import activations as act
from isolearn import models, neurons, symmetry
from isolearn.models.convmixer import convmixer_param_count
from isolearn.models.mixer import mixer_param_count
from isolearn.models.vit import vit_param_count
from isolearn.norm import RMSNorm, affine_step, rms_norm

EXACT, BROKEN = 1e-12, 1e-3
SMALL = {"vit_digits": dict(depth=2), "mixer_digits": dict(depth=2, patch_size=2),
         "convmixer_digits": dict(depth=2, dim=8)}


def jittered(model: nn.Module, seed: int = 0) -> nn.Module:
    """``model`` with every parameter and batch-norm statistic moved at random: no accidental
    symmetry (LayerNorm's γ = 1, a fresh BatchNorm's identity statistics) is left."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=gen))
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(m.running_var.shape, generator=gen))
    return model


def table(name: str, seed: int = 0, **options) -> dict[str, float]:
    model = jittered(models.create(name, **SMALL[name], **options), seed)
    return {row[0]: row[2] for row in symmetry.symmetries(model, seed=seed).rows}


# --- the options ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["vit_base_patch16_224", "mixer_b16_224", "convmixer_1536_20"])
def test_defaults_are_the_papers_models(name):
    model = models.create(name)
    assert model.config.activation == "gelu"
    assert model.config.norm == ("batch" if "convmixer" in name else "layer")
    assert any(isinstance(m, nn.GELU) for m in model.modules())
    assert not any(isinstance(m, (RMSNorm, act.ScaledIsoTanh)) for m in model.modules())


@pytest.mark.parametrize("name", list(SMALL))
@pytest.mark.parametrize("activation, norm", [("gelu", None), ("iso_tanh", None),
                                              ("iso_tanh_scaled", "rms")])
def test_options_build_and_the_formulas_count_their_parameters(name, activation, norm):
    options = dict(activation=activation, **({"norm": norm} if norm else {}))
    model = models.create(name, **SMALL[name], **options)
    count = {"vit_digits": vit_param_count, "mixer_digits": lambda c: mixer_param_count(c, head=True),
             "convmixer_digits": convmixer_param_count}[name](model.config)
    assert sum(p.numel() for p in model.parameters()) == count
    size = 16 if name == "convmixer_digits" else 8
    assert model(torch.randn(2, 1, size, size)).shape == (2, 10)
    isotropic = [m for m in model.modules() if isinstance(m, act.ScaledIsoTanh)]
    assert bool(isotropic) == activation.startswith("iso")


def test_the_scaled_activation_gets_the_square_root_of_its_width():
    vit = models.create("vit_digits", activation="iso_tanh_scaled")  # hidden 2 · 64 = 128
    assert vit.blocks[0].mlp[1].scale == pytest.approx(math.sqrt(128))
    cm = models.create("convmixer_digits", activation="iso_tanh_scaled")  # 48 channels
    assert cm.blocks[0].pointwise[1].scale == pytest.approx(math.sqrt(48))
    assert cm.blocks[0].pointwise[1].dim == 1  # over the channels of each pixel


@pytest.mark.parametrize("name, options, match", [
    ("vit_digits", dict(activation="swish"), "activation='swish' must be one of"),
    ("mixer_digits", dict(norm="batch"), "norm='batch' must be one of 'layer', 'rms'"),
    ("convmixer_digits", dict(norm="layer"), "norm='layer' must be one of 'batch', 'rms'"),
    ("convmixer_digits", dict(activation=1), "activation=1 must be one of")])
def test_bad_options_name_the_parameter(name, options, match):
    with pytest.raises(ValueError, match=match):
        models.create(name, **options)


# --- the activations and the norm -------------------------------------------------------------
def test_scaled_isotropic_tanh_is_isotropic_tanh_at_scale_one_and_vmap_safe():
    x = 3 * torch.randn(50, 16, dtype=torch.float64)
    x[0] = 0
    for scale in (1.0, 4.0):
        layer = act.ScaledIsoTanh(scale)
        expected = scale * act.isotropic_tanh(x / scale)
        assert torch.allclose(layer(x), expected, atol=1e-15, rtol=0)
        assert torch.allclose(act.scaled_isotropic_tanh(x, scale), expected, atol=1e-15, rtol=0)
        batched = torch.func.vmap(layer)(x.view(5, 10, 16)).reshape(50, 16)
        assert torch.allclose(batched, expected, atol=1e-15, rtol=0)
    assert act.equivariance_error(act.ScaledIsoTanh(4.0), dim=16) < EXACT
    long = act.ScaledIsoTanh(4.0)(1e3 * torch.ones(1, 16, dtype=torch.float64))
    assert long.norm().item() == pytest.approx(4.0)  # saturates at length c, not 1
    x.requires_grad_(True)
    assert torch.autograd.gradcheck(act.ScaledIsoTanh(2.0), (x[:5],))


def test_layernorm_commutes_only_with_rotations_that_fix_the_ones_vector():
    d = 16
    x = torch.randn(100, d, dtype=torch.float64)
    q = act.random_orthogonal(1, d, torch.Generator().manual_seed(0))[0]
    ones = torch.ones(d, dtype=torch.float64) / math.sqrt(d)
    basis = torch.linalg.qr(torch.cat([ones[:, None], torch.randn(d, d - 1, dtype=torch.float64)], 1))[0]
    inner = act.random_orthogonal(1, d - 1, torch.Generator().manual_seed(1))[0]
    q_fix = basis @ torch.block_diag(torch.ones(1, 1, dtype=torch.float64), inner) @ basis.T
    assert torch.allclose(q_fix @ ones, ones, atol=1e-14)
    ln = lambda v: F.layer_norm(v, (d,))  # noqa: E731
    assert (ln(x @ q.T) - ln(x) @ q.T).abs().max() > 0.1
    assert (ln(x @ q_fix.T) - ln(x) @ q_fix.T).abs().max() < EXACT
    assert (rms_norm(x @ q.T) - rms_norm(x) @ q.T).abs().max() < EXACT
    gain = 1 + torch.rand(d, dtype=torch.float64)
    assert ((rms_norm(x @ q.T) * gain) - (rms_norm(x) * gain) @ q.T).abs().max() > 0.1
    assert torch.allclose(rms_norm(x, eps=0), math.sqrt(d) * x / x.norm(dim=1, keepdim=True))
    assert torch.allclose(RMSNorm(dim=1)(x[:, :, None, None]), rms_norm(x)[:, :, None, None])


# --- the sites ----------------------------------------------------------------------------------
def test_rms_without_gain_frees_the_vit_stream_even_with_gelu():
    rms = table("vit_digits", norm="rms")
    assert rms["stream"] < EXACT
    assert table("vit_digits")["stream"] > BROKEN  # LayerNorm: centring and γ, β


def test_the_activation_frees_the_mlp_hidden_layer():
    for name, sites in (("vit_digits", ["block 0: mlp", "block 1: mlp"]),
                        ("mixer_digits", ["block 0: channel_mlp", "block 1: token_mlp"])):
        for activation in ("iso_tanh", "iso_tanh_scaled"):
            errors = table(name, activation=activation)
            assert max(errors[s] for s in sites) < EXACT
        gelu = table(name)
        assert min(gelu[s] for s in sites) > BROKEN


def test_attention_is_free_within_heads_only():
    errors = table("vit_digits", activation="iso_tanh", norm="rms")
    assert errors["block 0: queries-keys, within heads"] < EXACT
    assert errors["block 0: queries-keys, across heads"] > BROKEN


def test_the_mixer_token_mlp_ties_the_stream_to_its_channels():
    errors = table("mixer_digits", activation="iso_tanh", norm="rms")
    assert errors["stream"] > BROKEN
    # the cause: the token MLP runs once per channel, a nonlinear map of each column alone. Make
    # it linear (identity activation, no biases) and the stream rotates exactly
    model = jittered(models.create("mixer_digits", **SMALL["mixer_digits"], activation="iso_tanh",
                                   norm="rms"))
    for block in model.blocks:
        block.token_mlp[1] = nn.Identity()
        nn.init.zeros_(block.token_mlp[0].bias)
        nn.init.zeros_(block.token_mlp[2].bias)
    assert dict((r[0], r[2]) for r in symmetry.symmetries(model).rows)["stream"] < EXACT


def test_the_depthwise_convolution_ties_the_convmixer_to_its_channels():
    assert table("convmixer_digits", activation="iso_tanh", norm="rms")["stream"] > BROKEN
    # with one shared kernel, no depthwise bias, isotropic σ and RMSNorm it rotates exactly
    model = jittered(models.create("convmixer_digits", **SMALL["convmixer_digits"],
                                   activation="iso_tanh", norm="rms"))
    with torch.no_grad():
        for block in model.blocks:
            dw = block.depthwise[0]
            dw.weight.copy_(dw.weight[:1].expand_as(dw.weight))
            dw.bias.zero_()
    assert dict((r[0], r[2]) for r in symmetry.symmetries(model).rows)["stream"] < EXACT
    assert table("convmixer_digits", activation="iso_tanh")["stream"] > BROKEN  # BatchNorm


def test_channel_mlp_diagonalises_and_grows_exactly_with_isotropic_tanh():
    model = jittered(models.create("mixer_digits", **SMALL["mixer_digits"],
                                   activation="iso_tanh_scaled")).double()
    x = torch.randn(20, 1, 8, 8, dtype=torch.float64)
    before = symmetry.features(model, x)
    for block in model.blocks:
        block.channel_mlp = neurons.grow(block.channel_mlp, 0, 8)
    assert model.blocks[0].channel_mlp[0].out_features == 72
    assert (symmetry.features(model, x) - before).abs().max() < EXACT  # the scale stays √64
    gelu = jittered(models.create("mixer_digits", **SMALL["mixer_digits"])).double()
    before = symmetry.features(gelu, x)
    gelu.blocks[0].channel_mlp = neurons.diagonalise(gelu.blocks[0].channel_mlp, 0)
    assert (symmetry.features(gelu, x) - before).abs().max() > BROKEN


def test_symmetries_checks_its_arguments():
    with pytest.raises(TypeError, match="must be a ViT, an MLPMixer or a ConvMixer"):
        symmetry.symmetries(nn.Linear(2, 2))
    vit = models.create("vit_digits", depth=1)
    with pytest.raises(ValueError, match=r"q must be an orthogonal \(64, 64\)"):
        symmetry.rotate_stream(vit, torch.eye(3))
    with pytest.raises(ValueError, match="mlp='token_mlp' must be one of 'mlp'"):
        symmetry.rotate_mlp(vit, 0, torch.eye(128), "token_mlp")
    with pytest.raises(ValueError, match="block=3 must be an int from 0 to 0"):
        symmetry.rotate_queries_keys(vit, 3, torch.eye(64))


# --- the affine divergence ----------------------------------------------------------------------
def test_one_sgd_step_moves_an_affine_output_by_the_inputs_gram_matrix():
    gen = torch.Generator().manual_seed(0)
    layer = nn.Linear(6, 4).double()
    x = torch.randn(5, 6, generator=gen, dtype=torch.float64)
    target = torch.randn(5, 4, generator=gen, dtype=torch.float64)
    z = layer(x)
    loss = ((z - target) ** 2).sum() / 2
    grad_z, = torch.autograd.grad(loss, z, retain_graph=True)
    loss.backward()
    lr = 0.05
    with torch.no_grad():
        for p in layer.parameters():
            p -= lr * p.grad
        moved = layer(x) - z
    assert (moved - affine_step(x, grad_z, lr)).abs().max() < EXACT
    single = affine_step(x[:1], grad_z[:1], lr)
    assert torch.allclose(single, -lr * (x[0].square().sum() + 1) * grad_z[:1], atol=1e-15)
    with pytest.raises(ValueError, match="x has 5 samples and grad_z 4"):
        affine_step(x, grad_z[:4], lr)
