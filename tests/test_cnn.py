"""Pyramid CNNs: the presets have their papers' exact parameter counts (checked against formulas),
the residual block equals its from-scratch version, the size arithmetic is right, and inputs that
are too small fail up front with the minimum size."""

import pytest
import torch
import torch.nn as nn

from isolearn import conv, models
from isolearn.exercises.pyramids import _residual_block_reference
from isolearn.models import cnn
from isolearn.profile import count_flops, count_params


def conv_params(c_in, c_out, k, bias=True):
    return c_out * c_in * k * k + (c_out if bias else 0)


def linear_params(n_in, n_out):
    return n_in * n_out + n_out


def bn_params(c):
    return 2 * c  # scale and shift (the running statistics are buffers, not parameters)


def test_lenet5_count():
    expected = (conv_params(1, 6, 5) + conv_params(6, 16, 5) + linear_params(16 * 5 * 5, 120)
                + linear_params(120, 84) + linear_params(84, 10))
    assert expected == 61_706
    assert count_params(models.create("lenet5")) == expected


def cifar_resnet_params(depth, classes=10, shortcut="A"):
    """He et al. sec. 4.2: a 3x3 conv with 16 maps, then 3 stages of n = (depth - 2) / 6 basic blocks
    with 16, 32, 64 maps; global average pooling and a linear layer. Convs have no bias (BN follows)."""
    n = (depth - 2) // 6
    total = conv_params(3, 16, 3, bias=False) + bn_params(16)
    c_in = 16
    for width in (16, 32, 64):
        for j in range(n):
            first_in = c_in if j == 0 else width
            total += conv_params(first_in, width, 3, False) + conv_params(width, width, 3, False) + 2 * bn_params(width)
            if shortcut == "B" and j == 0 and first_in != width:
                total += conv_params(first_in, width, 1, False) + bn_params(width)
        c_in = width
    return total + linear_params(64, classes)


@pytest.mark.parametrize("depth, paper_millions", [(20, 0.27), (32, 0.46), (44, 0.66), (56, 0.85), (110, 1.7)])
def test_cifar_resnet_counts_match_the_paper(depth, paper_millions):
    model = models.create(f"resnet{depth}")
    assert count_params(model) == cifar_resnet_params(depth)
    assert round(count_params(model) / 1e6, 2 if depth < 110 else 1) == paper_millions  # Table 6
    plain = models.create(f"resnet{depth}", skip=False)
    assert count_params(plain) == count_params(model)  # option A adds no parameters (sec. 4.2)


def test_resnet20_exact_counts_and_options():
    assert count_params(models.create("resnet20")) == 269_722  # option A (identity + zero channels)
    assert count_params(models.create("resnet20", shortcut="B")) == cifar_resnet_params(20, shortcut="B") == 272_474
    assert count_params(models.create("resnet20", num_classes=100)) == 269_722 + 64 * 90 + 90
    model = models.create("resnet20")
    n_blocks = sum(isinstance(m, cnn.BasicBlock) for m in model.modules())
    n_layers = sum(isinstance(m, (nn.Conv2d, nn.Linear)) for m in model.modules())
    assert n_blocks == 9 and n_layers == 20  # 6n + 2 weighted layers


def vgg_params(depths, classes=1000):
    total, c_in = 0, 3
    for depth, width in zip(depths, (64, 128, 256, 512, 512)):
        for _ in range(depth):
            total += conv_params(c_in, width, 3)
            c_in = width
    return total + linear_params(512 * 7 * 7, 4096) + linear_params(4096, 4096) + linear_params(4096, classes)


@pytest.mark.parametrize("layers, depths, known", [(11, (1, 1, 2, 2, 2), 132_863_336), (13, (2, 2, 2, 2, 2), 133_047_848),
                                                   (16, (2, 2, 3, 3, 3), 138_357_544), (19, (2, 2, 4, 4, 4), 143_667_240)])
def test_vgg_counts(layers, depths, known):
    with torch.device("meta"):  # no memory: 138 M parameters are only shapes here
        model = models.create(f"vgg{layers}")
    assert count_params(model) == vgg_params(depths) == known
    table = cnn.stage_table(model, torch.zeros(1, 3, 224, 224, device="meta"))
    assert table.column("output shape")[1:6] == [(64, 112, 112), (128, 56, 56), (256, 28, 28),
                                                 (512, 14, 14), (512, 7, 7)]


def test_imagenet_resnet_counts():
    with torch.device("meta"):
        r18, r34 = models.create("resnet18"), models.create("resnet34")
        r18_cifar = models.create("resnet18", stem="cifar", num_classes=10, img_size=32)
    assert count_params(r18) == 11_689_512 and count_params(r34) == 21_797_672  # as torchvision's
    assert count_params(r18_cifar) == 11_173_962  # the common CIFAR variant: 3x3 stem, no max-pool
    table = cnn.stage_table(r18, torch.zeros(1, 3, 224, 224, device="meta"))
    assert table.column("output shape")[1:6] == [(64, 56, 56), (64, 56, 56), (128, 28, 28), (256, 14, 14), (512, 7, 7)]


def test_every_preset_builds_and_classifies_small_inputs():
    for name in ["lenet5", "resnet20", "resnet32", "resnet44", "resnet56", "resnet110"]:
        model = models.create(name).eval()
        side = model.img_size if model.flatten_head else 8  # global pooling takes any size >= min_size
        x = torch.rand(2, model.in_chans, side, side)
        assert model(x).shape == (2, model.head[-1].out_features)
    small_vgg = models.create("vgg11", in_chans=1, img_size=32, widths=(4, 4, 8, 8, 8), hidden=(16,), num_classes=3)
    assert small_vgg(torch.rand(2, 1, 32, 32)).shape == (2, 3)
    assert set(models.presets("resnet").column("name")) >= {"resnet20", "resnet56", "resnet110", "resnet18"}
    assert all(models.presets(n).column("description")[0] for n in ["lenet5", "vgg16", "resnet20"])


def test_stage_table_of_resnet20():
    model = models.create("resnet20")
    table = cnn.stage_table(model, torch.zeros(1, 3, 32, 32))
    assert table.column("stage") == ["input", "stem", "stage 1", "stage 2", "stage 3", "head"]
    assert table.column("output shape") == [(3, 32, 32), (16, 32, 32), (16, 32, 32), (32, 16, 16), (64, 8, 8), (10,)]
    assert table.column("values")[2:5] == [16384, 8192, 4096]  # the bottleneck: half the values per stage
    assert sum(table.column("params")) == count_params(model)
    assert sum(table.column("MACs")) == count_flops(model, torch.zeros(1, 3, 32, 32)) // 2
    assert table.column("receptive field")[1:5] == [3, 15, 37, 81]
    with pytest.raises(ValueError, match="one image"):
        cnn.stage_table(model, torch.zeros(2, 3, 32, 32))


def test_receptive_fields_equal_the_measured_ones():
    """On the main path of a linear copy (ReLUs off, so no path is switched off) the gradient of
    the centre output pixel reaches exactly as far as the formula says."""
    torch.manual_seed(0)
    for model, size in [(models.create("resnet20", in_chans=1, widths=(2, 2, 2)), 121),
                        (models.create("lenet5"), 41)]:
        linear = _linearised(nn.Sequential(model.stem, model.stages))
        assert conv.measured_receptive_field(linear, size) == (cnn.receptive_fields(model)[-1],) * 2


def _linearised(module):
    import copy

    clone = copy.deepcopy(module)
    for name, child in list(clone.named_modules()):
        for attr, sub in list(child.named_children()):
            if isinstance(sub, (nn.ReLU, nn.MaxPool2d)):
                replacement = nn.Identity() if isinstance(sub, nn.ReLU) else nn.AvgPool2d(sub.kernel_size, sub.stride)
                setattr(child, attr, replacement)
    return clone


def test_basic_block_equals_the_from_scratch_version():
    """With its batch norms taken out, a BasicBlock computes ReLU(conv(ReLU(conv(x))) + shortcut(x))."""
    torch.manual_seed(1)
    for c_in, c_out, stride in [(4, 4, 1), (4, 8, 2), (3, 6, 2)]:
        block = cnn.BasicBlock(c_in, c_out, stride)
        block.body[1], block.body[4] = nn.Identity(), nn.Identity()
        x = torch.randn(2, c_in, 7, 7)
        expected = _residual_block_reference(x, block.body[0].weight, block.body[3].weight, stride)
        torch.testing.assert_close(block(x), expected)


def test_option_a_shortcut_pads_zero_channels():
    x = torch.randn(2, 4, 6, 6)
    out = cnn.PadShortcut(4, 8, 2)(x)  # (2, 8, 3, 3)
    assert out.shape == (2, 8, 3, 3)
    torch.testing.assert_close(out[:, 2:6], x[:, :, ::2, ::2])
    assert out[:, :2].abs().sum() == 0 and out[:, 6:].abs().sum() == 0
    plain = cnn.BasicBlock(4, 8, 2, skip=False)
    assert plain.shortcut is None and isinstance(cnn.BasicBlock(4, 8, 2, "B").shortcut, nn.Sequential)


def test_plain_and_residual_differ_only_in_the_shortcut():
    torch.manual_seed(0)
    residual = models.create("resnet20", in_chans=1, widths=(4, 8, 16)).eval()
    plain = models.create("resnet20", in_chans=1, widths=(4, 8, 16), skip=False).eval()
    plain.load_state_dict(residual.state_dict())  # the same weights fit both
    x = torch.rand(3, 1, 16, 16)
    assert not torch.allclose(plain(x), residual(x))


# --- size arithmetic and bad input --------------------------------------------------------------


@pytest.mark.parametrize("name, minimum", [("lenet5", 16), ("resnet20", 3), ("vgg11", 32), ("resnet18", 17)])
def test_min_size_is_the_true_minimum(name, minimum):
    with torch.device("meta"):
        model = models.create(name)
    assert model.min_size == minimum
    layers = list(cnn.spatial_layers(nn.Sequential(model.stem, model.stages)))
    assert cnn.size_trace(layers, minimum) is not None and cnn.size_trace(layers, minimum - 1) is None


def test_size_trace_equals_pytorch():
    with torch.device("meta"):
        model = models.create("resnet18", num_classes=10, img_size=64).eval()
    layers = list(cnn.spatial_layers(nn.Sequential(model.stem, model.stages)))
    for n in [17, 32, 50, 64, 225]:
        maps = model.features(torch.zeros(1, 3, n, n, device="meta"))
        assert cnn.size_trace(layers, n)[-1] == maps[-1].shape[-1]


def test_too_small_image_fails_up_front_with_the_minimum():
    with pytest.raises(ValueError, match=r"img_size=8 is too small.*minimum is img_size=16"):
        models.create("lenet5", img_size=8)
    with pytest.raises(ValueError, match=r"img_size=16 is too small.*minimum is img_size=32"):
        models.create("vgg16", img_size=16)
    resnet = models.create("resnet20").eval()
    with pytest.raises(ValueError, match=r"2x2 pixels.*minimum size is 3x3"):
        resnet(torch.zeros(1, 3, 2, 2))
    assert resnet(torch.zeros(1, 3, 3, 3)).shape == (1, 10)  # 3 -> 3 -> 2 -> 1


def test_wrong_size_or_channels_name_the_fix():
    lenet = models.create("lenet5")
    with pytest.raises(ValueError, match=r"built for img_size=32.*got 28x28.*img_size=28"):
        lenet(torch.zeros(1, 1, 28, 28))
    assert models.create("lenet5", img_size=28)(torch.zeros(1, 1, 28, 28)).shape == (1, 10)
    with pytest.raises(ValueError, match=r"built for in_chans=3.*1 channels.*in_chans=1"):
        models.create("resnet20")(torch.zeros(1, 1, 32, 32))
    with pytest.raises(ValueError, match="x\\[None\\]"):
        models.create("resnet20")(torch.zeros(3, 32, 32))


@pytest.mark.parametrize("name, kwargs, word", [
    ("resnet20", dict(shortcut="C"), "shortcut"), ("resnet18", dict(stem="tiny"), "stem"),
    ("resnet20", dict(widths=(16, 32)), "one entry per stage"), ("vgg11", dict(widths=(64, 0, 1, 1, 1)), "widths"),
    ("lenet5", dict(num_classes=0), "num_classes"), ("vgg16", dict(depths=(2, 2)), "one entry per stage"),
])
def test_bad_configs_name_the_parameter(name, kwargs, word):
    with pytest.raises(ValueError, match=word):
        models.create(name, **kwargs)


# --- the figures -----------------------------------------------------------------------------------


def test_pyramid_figure_draws_one_box_per_map():
    import matplotlib.pyplot as plt

    from isolearn import viz

    tables = {"LeNet-5": cnn.stage_table(models.create("lenet5"), torch.zeros(1, 1, 32, 32)),
              "ResNet-20": cnn.stage_table(models.create("resnet20"), torch.zeros(1, 3, 32, 32))}
    fig = viz.pyramid_figure(tables)
    lenet_ax, resnet_ax = fig.axes
    assert [ax.get_title(loc="left") for ax in fig.axes] == ["LeNet-5", "ResNet-20"]
    assert len(lenet_ax.patches) == 3 * 3 and len(resnet_ax.patches) == 5 * 3  # 3 faces a box
    labels = [t.get_text() for t in resnet_ax.texts]
    assert "8×8×64" in labels and "stage 3" in labels and "stem" in labels
    plt.close(fig)


def test_feature_pyramid_shows_every_stage():
    import matplotlib.pyplot as plt

    from isolearn import viz

    model = models.create("resnet20", in_chans=1, widths=(4, 8, 8)).eval()
    image = torch.rand(1, 16, 16)
    with torch.no_grad():
        maps = model.features(image[None])
    fig = viz.feature_pyramid(maps, ["stem", "stage 1", "stage 2", "stage 3"], channels=3, image=image)
    assert len(fig.axes) == 4 * 4
    assert fig.axes[1].get_ylabel() == "stem\n4×16×16" and fig.axes[13].get_ylabel() == "stage 3\n8×4×4"
    assert fig.axes[0].images and not fig.axes[4].images  # the input, once, top left
    plt.close(fig)


# --- AlexNet, heads, blur-pooling, batch norm and zero-init options -------------------------------


def test_alexnet_count_and_macs_match_the_paper_layers():
    """Krizhevsky et al. 2012, fig. 2: conv2, conv4 and conv5 are split over two GPUs (groups=2),
    so each of their kernels sees half the channels of the layer before."""
    expected = (conv_params(3, 96, 11) + conv.conv2d_params(96, 256, 5, groups=2)
                + conv_params(256, 384, 3) + conv.conv2d_params(384, 384, 3, groups=2)
                + conv.conv2d_params(384, 256, 3, groups=2) + linear_params(256 * 6 * 6, 4096)
                + linear_params(4096, 4096) + linear_params(4096, 1000))
    assert expected == 60_965_224  # the paper: "60 million parameters"
    with torch.device("meta"):
        model = models.create("alexnet")
    assert count_params(model) == expected
    macs = (conv.conv2d_macs(3, 96, 11, 55) + conv.conv2d_macs(96, 256, 5, 27, groups=2)
            + conv.conv2d_macs(256, 384, 3, 13) + conv.conv2d_macs(384, 384, 3, 13, groups=2)
            + conv.conv2d_macs(384, 256, 3, 13, groups=2) + 9216 * 4096 + 4096 * 4096 + 4096 * 1000)
    assert count_flops(model, torch.zeros(1, 3, 227, 227, device="meta")) == 2 * macs
    small = models.create("alexnet", widths=(8, 8, 8, 8, 8), hidden=(16,), num_classes=3).eval()
    assert small(torch.rand(2, 3, 227, 227)).shape == (2, 3)
    with pytest.raises(ValueError, match="5 conv layers"):
        models.create("alexnet", widths=(96, 256))


def _small_vgg(**kwargs):
    return models.create("vgg11", in_chans=1, img_size=16, depths=(1, 1, 1), widths=(4, 8, 8), hidden=(),
                         num_classes=3, **kwargs)


def test_gap_head_averages_each_map_and_takes_any_size():
    model = _small_vgg(head="gap").eval()
    assert not model.flatten_head
    assert count_params(model.head) == linear_params(8, 3)  # one weight per channel, not per position
    x = torch.rand(2, 1, 16, 16)
    last = model.features(x)[-1]  # (2, 8, 2, 2)
    torch.testing.assert_close(model(x), model.head[1](last.mean((2, 3))))
    assert model(torch.rand(2, 1, 24, 24)).shape == (2, 3)  # any size from min_size
    with pytest.raises(ValueError, match=r"head='mean'.*'flatten', 'gap'"):
        _small_vgg(head="mean")


def test_blur_pool_is_a_max_then_a_strided_binomial_blur():
    blur = cnn.Blur2d()
    assert count_params(blur) == 0 and count_params(cnn.BlurPool2d()) == 0
    x = torch.rand(2, 3, 8, 8)
    taps = torch.tensor([1.0, 2.0, 1.0])
    kernel = (taps[:, None] * taps / 16).expand(3, 1, 3, 3)
    torch.testing.assert_close(blur(x), nn.functional.conv2d(x, kernel, stride=2, padding=1, groups=3))
    flat = torch.full((1, 1, 9, 9), 0.7)
    assert torch.allclose(blur(flat)[..., 1:-1, 1:-1], torch.tensor(0.7))  # a low-pass filter keeps constants
    pooled = cnn.BlurPool2d()(x)
    torch.testing.assert_close(pooled, blur(nn.functional.max_pool2d(x, 2, stride=1)))
    assert pooled.shape == nn.functional.max_pool2d(x, 2).shape  # a drop-in for MaxPool2d(2)
    model = _small_vgg(downsample="blur").eval()
    assert sum(isinstance(m, cnn.BlurPool2d) for m in model.modules()) == 3
    assert not any(type(m) is nn.MaxPool2d and m.stride == 2 for m in model.modules())
    layers = list(cnn.spatial_layers(nn.Sequential(model.stem, model.stages)))
    assert cnn.size_trace(layers, 16) == [16, 15, 8, 8, 7, 4, 4, 3, 2]
    assert model(torch.rand(2, 1, 16, 16)).shape == (2, 3)
    with pytest.raises(ValueError, match="downsample='avg'"):
        _small_vgg(downsample="avg")


def test_resnet_without_batch_norm_has_biases_instead():
    model = models.create("resnet20", in_chans=1, widths=(4, 8, 8), batch_norm=False)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert all(c.bias is not None and torch.all(c.bias == 0) for c in convs)
    with_bn = models.create("resnet20", in_chans=1, widths=(4, 8, 8))
    assert count_params(model) == count_params(with_bn) - sum(2 * c.out_channels for c in convs) \
        + sum(c.out_channels for c in convs)  # each BN's 2 per channel become 1 bias per channel
    assert model(torch.rand(2, 1, 8, 8)).shape == (2, 10)


def test_zero_init_residual_makes_every_block_the_identity_at_initialisation():
    model = models.create("resnet20", in_chans=1, widths=(4, 8, 16), zero_init_residual=True).train()
    blocks = [m for m in model.modules() if isinstance(m, cnn.BasicBlock)]
    x = torch.rand(4, 1, 8, 8)
    h = model.stem(x)
    for block in blocks:
        assert torch.all(block.body(h) == 0)  # the branch is switched off exactly
        shortcut = block.shortcut(h)
        torch.testing.assert_close(block(h), torch.relu(shortcut))
        h = block(h)
    assert all(torch.all(b.body[-1].weight == 0) and torch.all(b.body[1].weight == 1) for b in blocks)
    default = models.create("resnet20", in_chans=1, widths=(4, 8, 16))
    assert all(torch.all(b.body[-1].weight == 1) for b in default.modules() if isinstance(b, cnn.BasicBlock))
    with pytest.raises(ValueError, match="zero_init_residual.*batch_norm=False"):
        models.create("resnet20", batch_norm=False, zero_init_residual=True)
