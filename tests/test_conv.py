"""The from-scratch convolutions equal PyTorch's, the formulas equal measurements, and bad
settings fail with a message that names the parameter."""

import itertools

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from isolearn import conv

SETTINGS = [  # stride, padding, dilation (ints or (height, width) pairs)
    (1, 0, 1), (2, 0, 1), (1, 1, 1), (2, 1, 1), (1, 2, 2), (3, 1, 2), ((2, 1), (0, 1), (1, 2)), (1, (2, 0), (3, 1)),
]


@pytest.mark.parametrize("stride, padding, dilation", SETTINGS)
@pytest.mark.parametrize("kernel", [(1, 1), (3, 3), (2, 3), (5, 4)])
def test_scratch_convolutions_equal_f_conv2d(stride, padding, dilation, kernel):
    gen = torch.Generator().manual_seed(hash((kernel, str(stride))) % 2**31)
    x = torch.randn(2, 3, 11, 12, generator=gen, dtype=torch.float64)
    w = torch.randn(5, 3, *kernel, generator=gen, dtype=torch.float64)
    b = torch.randn(5, generator=gen, dtype=torch.float64)
    reference = F.conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation)
    for impl in (conv.conv2d_loops, conv.conv2d_unfold):
        out = impl(x, w, b, stride=stride, padding=padding, dilation=dilation)
        assert out.shape == reference.shape
        torch.testing.assert_close(out, reference)
    cols = conv.im2col(x, kernel, stride, padding, dilation)
    torch.testing.assert_close(cols, F.unfold(x, kernel, dilation=dilation, padding=padding, stride=stride))


def test_without_bias_and_gradients_flow():
    x = torch.randn(1, 2, 6, 6, requires_grad=True)
    w = torch.randn(3, 2, 3, 3, requires_grad=True)
    out = conv.conv2d_unfold(x, w, padding=1)
    torch.testing.assert_close(out, F.conv2d(x, w, padding=1))
    out.sum().backward()
    gx, gw = x.grad.clone(), w.grad.clone()
    x.grad = w.grad = None
    F.conv2d(x, w, padding=1).sum().backward()
    torch.testing.assert_close(gx, x.grad)
    torch.testing.assert_close(gw, w.grad)


def test_output_size_formula_matches_pytorch():
    checked = 0
    for n, k, s, p, d in itertools.product([1, 4, 7, 10], [1, 2, 3, 5], [1, 2, 3], [0, 1, 3], [1, 2, 3]):
        if d * (k - 1) + 1 > n + 2 * p:
            with pytest.raises(ValueError, match="padding"):
                conv.conv_output_size(n, k, s, p, d)
            continue
        out = F.conv2d(torch.zeros(1, 1, n, n), torch.zeros(1, 1, k, k), stride=s, padding=p, dilation=d)
        assert conv.conv_output_size(n, k, s, p, d) == out.shape[-1]
        checked += 1
    assert checked > 250


@pytest.mark.parametrize("kwargs, word", [
    (dict(n=0, kernel_size=3), "n"), (dict(n=5, kernel_size=0), "kernel_size"),
    (dict(n=5, kernel_size=3, stride=0), "stride"), (dict(n=5, kernel_size=3, padding=-1), "padding"),
    (dict(n=5, kernel_size=3, dilation=0), "dilation"), (dict(n=5, kernel_size=3.0), "kernel_size"),
])
def test_output_size_bad_input(kwargs, word):
    with pytest.raises(ValueError, match=word):
        conv.conv_output_size(**kwargs)


@pytest.mark.parametrize("impl", [conv.conv2d_loops, conv.conv2d_unfold])
@pytest.mark.parametrize("x_shape, w_shape, kwargs, words", [
    ((1, 3, 8, 8), (4, 2, 3, 3), {}, ["c_in=2", "c=3"]),                      # channel mismatch
    ((1, 1, 8, 8), (4, 1, 9, 3), {}, ["height", "padding >= 1"]),           # kernel too tall
    ((1, 1, 8, 8), (4, 1, 3, 3), dict(dilation=4), ["dilation=4", "span"]),   # dilated kernel too wide
    ((1, 1, 8, 8), (4, 1, 3, 3), dict(stride=0), ["stride=0"]),
    ((1, 1, 8, 8), (4, 1, 3, 3), dict(stride=(1, -2)), ["stride"]),
    ((1, 1, 8, 8), (4, 1, 3, 3), dict(padding=-1), ["padding=-1"]),
    ((1, 1, 8, 8), (4, 1, 3, 3), dict(stride=1.5), ["stride=1.5", "int"]),
    ((8, 8), (4, 1, 3, 3), {}, ["4-D", "x[None"]),                          # forgot the batch axes
    ((1, 1, 8, 8), (4, 3, 3), {}, ["weight must be 4-D"]),
])
def test_bad_settings_name_the_parameter(impl, x_shape, w_shape, kwargs, words):
    with pytest.raises(ValueError) as info:
        impl(torch.zeros(x_shape), torch.zeros(w_shape), **kwargs)
    for word in words:
        assert word in str(info.value)


def test_im2col_bad_kernel():
    with pytest.raises(ValueError, match="kernel_size"):
        conv.im2col(torch.zeros(1, 1, 4, 4), 0)


def test_macs_formula_matches_flop_counter():
    from isolearn.profile import count_flops

    for c_in, c_out, k, s, p, n, groups in [(1, 8, 3, 1, 1, 8, 1), (3, 64, 7, 2, 3, 32, 1),
                                            (16, 16, 5, 1, 2, 12, 16), (8, 12, 3, 2, 0, 9, 4)]:
        layer = nn.Conv2d(c_in, c_out, k, stride=s, padding=p, groups=groups)
        out = conv.conv_output_size(n, k, s, p)
        assert count_flops(layer, torch.zeros(2, c_in, n, n)) == 2 * 2 * conv.conv2d_macs(c_in, c_out, k, out, groups)
    with pytest.raises(ValueError, match="groups"):
        conv.conv2d_macs(6, 4, 3, 8, groups=4)


@pytest.mark.parametrize("layers, expected", [
    ([], 1), ([(3, 1)], 3), ([(3, 1)] * 4, 9), ([(3, 2)] * 3, 15), ([(5, 1), (2, 2), (3, 1)], 10),
    ([(3, 1, 2), (3, 1, 4)], 13), ([(7, 2), (3, 2), (3, 1), (3, 1)], 27),
])
def test_receptive_field_formula(layers, expected):
    assert conv.receptive_field(layers) == expected


def _stack(specs, in_ch=1):
    layers = []
    for k, s, d, kind in specs:
        if kind == "conv":
            layers.append(nn.Conv2d(in_ch, 2, k, stride=s, dilation=d)); in_ch = 2
        else:
            layers.append(nn.AvgPool2d(k, stride=s))
        layers.append(nn.Identity())
    return nn.Sequential(*layers)


@pytest.mark.parametrize("specs", [
    [(3, 1, 1, "conv")] * 3,
    [(3, 2, 1, "conv"), (3, 1, 2, "conv"), (5, 1, 1, "conv")],
    [(3, 1, 1, "conv"), (2, 2, 1, "pool"), (3, 1, 1, "conv"), (2, 2, 1, "pool"), (3, 1, 1, "conv")],
    [(1, 1, 1, "conv"), (4, 1, 3, "conv")],
])
def test_receptive_field_formula_equals_gradient_measurement(specs):
    torch.manual_seed(0)
    model = _stack(specs)
    r = conv.receptive_field(model)
    assert conv.layer_specs(model) == [(k, s, d) for k, s, d, _ in specs]
    assert conv.measured_receptive_field(model, size=2 * r + 9) == (r, r)


def test_receptive_field_measurement_errors():
    model = _stack([(3, 1, 1, "conv")] * 4)
    with pytest.raises(ValueError, match="larger size"):
        conv.measured_receptive_field(model, size=10)
    dead = nn.Sequential(nn.Conv2d(1, 1, 3))
    nn.init.zeros_(dead[0].weight)
    with pytest.raises(ValueError, match="zero everywhere"):
        conv.measured_receptive_field(dead, size=9)
    with pytest.raises(ValueError, match="kernel, stride"):
        conv.receptive_field([(3, 0)])
    before = dead[0].weight.dtype
    conv.input_gradient(model, 20)
    assert dead[0].weight.dtype == before and next(model.parameters()).dtype == torch.float32


def test_kernels_and_apply_kernel():
    flat = torch.full((10, 10), 0.3)
    for name, k in conv.KERNELS.items():
        total = k.sum().item()
        assert abs(total) < 1e-6 or abs(total - 1) < 1e-6, name
        out = conv.apply_kernel(flat, k)
        assert out.shape == (10, 10)
        torch.testing.assert_close(out, torch.full_like(out, 0.3 * total))  # replicate padding: no border edges
    ramp = torch.arange(8.0).repeat(8, 1)  # brightness grows to the right
    assert (conv.apply_kernel(ramp, conv.KERNELS["sobel x"])[:, 1:-1] == 8).all()
    assert (conv.apply_kernel(ramp, conv.KERNELS["sobel y"]) == 0).all()
    with pytest.raises(ValueError, match="odd"):
        conv.apply_kernel(flat, torch.ones(2, 2))
    with pytest.raises(ValueError, match="grayscale"):
        conv.apply_kernel(torch.zeros(3, 5, 5), conv.KERNELS["identity"])


# --- grouped, depthwise and 1x1 convolutions --------------------------------------------------

@pytest.mark.parametrize("c_in, c_out, groups", [(6, 4, 1), (6, 4, 2), (8, 12, 4), (6, 6, 6), (4, 8, 4)])
@pytest.mark.parametrize("stride, padding, dilation", SETTINGS[:4] + SETTINGS[-2:])
def test_grouped_convolution_equals_f_conv2d(c_in, c_out, groups, stride, padding, dilation):
    gen = torch.Generator().manual_seed(c_in * 100 + c_out * 10 + groups)
    x = torch.randn(2, c_in, 11, 10, generator=gen, dtype=torch.float64)
    w = torch.randn(c_out, c_in // groups, 3, 2, generator=gen, dtype=torch.float64)
    b = torch.randn(c_out, generator=gen, dtype=torch.float64)
    kwargs = dict(stride=stride, padding=padding, dilation=dilation)
    reference = F.conv2d(x, w, b, groups=groups, **kwargs)
    torch.testing.assert_close(conv.conv2d_grouped(x, w, b, groups=groups, **kwargs), reference)
    if groups == c_in:  # depthwise, with a channel multiplier of c_out / c_in
        torch.testing.assert_close(conv.depthwise_conv2d(x, w, b, **kwargs), reference)


def test_groups_one_is_the_ordinary_convolution_and_groups_split_the_channels():
    x, w = torch.randn(1, 4, 7, 7, dtype=torch.float64), torch.randn(6, 2, 3, 3, dtype=torch.float64)
    out = conv.conv2d_grouped(x, w, groups=2)
    # group g: kernels 3g..3g+2 on channels 2g..2g+1, an ordinary convolution each
    for g in range(2):
        torch.testing.assert_close(out[:, 3 * g: 3 * g + 3], conv.conv2d_unfold(x[:, 2 * g: 2 * g + 2], w[3 * g: 3 * g + 3]))
    w1 = torch.randn(5, 4, 3, 3, dtype=torch.float64)
    torch.testing.assert_close(conv.conv2d_grouped(x, w1), conv.conv2d_unfold(x, w1))


def test_pointwise_convolution_is_a_linear_layer_at_every_pixel():
    x = torch.randn(2, 5, 4, 3, dtype=torch.float64)
    linear = nn.Linear(5, 7).double()
    w4 = linear.weight[:, :, None, None]  # (7, 5, 1, 1)
    reference = F.conv2d(x, w4, linear.bias)
    for weight in (w4, linear.weight):
        torch.testing.assert_close(conv.pointwise_conv2d(x, weight, linear.bias), reference)
    channels_last = linear(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)  # (b, h, w, c) -> Linear
    torch.testing.assert_close(conv.pointwise_conv2d(x, linear.weight, linear.bias), channels_last)


@pytest.mark.parametrize("c_in, c_out, k, groups, bias", [
    (3, 64, 7, 1, True), (16, 32, 3, 4, True), (32, 32, 3, 32, False), (64, 128, 1, 1, True), (8, 16, (3, 5), 2, False)])
def test_params_formula_matches_pytorch(c_in, c_out, k, groups, bias):
    from isolearn.profile import count_params

    layer = nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias)
    assert conv.conv2d_params(c_in, c_out, k, groups, bias) == count_params(layer)


@pytest.mark.parametrize("call, words", [
    (lambda: conv.conv2d_grouped(torch.zeros(1, 6, 5, 5), torch.zeros(4, 3, 3, 3), groups=4), ["groups=4", "divide"]),
    (lambda: conv.conv2d_grouped(torch.zeros(1, 6, 5, 5), torch.zeros(4, 6, 3, 3), groups=2), ["(4, 3, k_h, k_w)"]),
    (lambda: conv.conv2d_grouped(torch.zeros(1, 6, 5, 5), torch.zeros(6, 1, 3, 3), groups=0), ["groups=0"]),
    (lambda: conv.conv2d_grouped(torch.zeros(6, 5, 5), torch.zeros(6, 1, 3, 3), groups=6), ["4-D"]),
    (lambda: conv.depthwise_conv2d(torch.zeros(1, 4, 5, 5), torch.zeros(4, 2, 3, 3)), ["(4, 1, k_h, k_w)"]),
    (lambda: conv.pointwise_conv2d(torch.zeros(1, 4, 5, 5), torch.zeros(3, 4, 3, 3)), ["not 1x1"]),
    (lambda: conv.pointwise_conv2d(torch.zeros(1, 4, 5, 5), torch.zeros(3, 5)), ["(c_out, c_in)"]),
    (lambda: conv.conv2d_params(6, 4, 3, groups=4), ["groups=4"]),
])
def test_grouped_bad_input_names_the_parameter(call, words):
    with pytest.raises(ValueError) as info:
        call()
    for word in words:
        assert word in str(info.value)
