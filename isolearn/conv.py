"""Convolution from scratch: the sliding kernel by loops, then as im2col + one matrix product.

Deep-learning "convolution" is a cross-correlation (the kernel is not flipped), exactly what
``torch.nn.functional.conv2d`` computes. For input ``x: (b, c_in, h, w)`` and kernel
``weight: (c_out, c_in, k_h, k_w)``, output pixel ``(i, j)`` of map ``o`` is

    out[b, o, i, j] = bias[o] + Σ_{c, u, v} weight[o, c, u, v] · x_pad[b, c, i·s + u·d, j·s + v·d]

with stride ``s``, dilation ``d`` and ``x_pad`` the input with ``padding`` zeros on every side.
Each output pixel sees a window of the input: its *receptive field*.
"""

from __future__ import annotations

from typing import Iterable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from einops import rearrange

Pair = int | tuple[int, int]


def _pair(value: Pair, name: str, minimum: int, fn: str, example: str) -> tuple[int, int]:
    """``value`` as ``(height, width)``; a ValueError naming ``name`` if an entry is < minimum."""
    pair = (value, value) if isinstance(value, int) else tuple(value) if isinstance(value, (tuple, list)) else ()
    if len(pair) != 2 or not all(isinstance(v, int) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"{fn}: {name}={value!r} must be an int or a pair of ints, e.g. {example}")
    if min(pair) < minimum:
        raise ValueError(f"{fn}: {name}={value!r} must be >= {minimum}, e.g. {example}")
    return pair  # type: ignore[return-value]


def conv_output_size(n: int, kernel_size: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """Length of a convolution's output along one axis of length ``n``:

    ``floor((n + 2·padding − dilation·(kernel_size − 1) − 1) / stride) + 1``.

    The dilated kernel spans ``dilation·(k − 1) + 1`` pixels; it fits into the padded input at
    ``n + 2p − span`` offsets beyond the first, and the stride keeps every ``s``-th of them.
    """
    fn = "conv_output_size"
    for name, value, minimum in (("n", n, 1), ("kernel_size", kernel_size, 1),
                                 ("stride", stride, 1), ("dilation", dilation, 1), ("padding", padding, 0)):
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise ValueError(f"{fn}: {name}={value!r} must be an int >= {minimum}")
    span = dilation * (kernel_size - 1) + 1
    if span > n + 2 * padding:
        raise ValueError(
            f"{fn}: the kernel spans {span} pixels (kernel_size={kernel_size}, dilation={dilation}) "
            f"but the padded input has only n + 2·padding = {n + 2 * padding}; use a smaller kernel "
            f"or dilation, or padding >= {(span - n + 1) // 2}")
    return (n + 2 * padding - span) // stride + 1


def _check(fn: str, x: torch.Tensor, kernel: tuple[int, int], stride: Pair, padding: Pair,
           dilation: Pair, weight: torch.Tensor | None = None) -> tuple[tuple[int, int], ...]:
    """Validate a convolution's arguments; return (stride, padding, dilation, out_size) as pairs."""
    if not isinstance(x, torch.Tensor) or x.dim() != 4:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"{fn}: x must be a 4-D tensor (b, c, h, w), got {shape}; "
                         "for a single image use x[None] (or x[None, None] for a 2-D one)")
    if weight is not None:
        if weight.dim() != 4:
            raise ValueError(f"{fn}: weight must be 4-D (c_out, c_in, k_h, k_w), got {tuple(weight.shape)}")
        if weight.shape[1] != x.shape[1]:
            raise ValueError(
                f"{fn}: weight expects c_in={weight.shape[1]} input channels but x has "
                f"c={x.shape[1]} (x: {tuple(x.shape)}, weight: {tuple(weight.shape)}); make the "
                f"kernel's second dimension {x.shape[1]}, or give x {weight.shape[1]} channels")
    example = "1 or (2, 1)"
    stride = _pair(stride, "stride", 1, fn, example)
    padding = _pair(padding, "padding", 0, fn, "0 or (1, 1)")
    dilation = _pair(dilation, "dilation", 1, fn, example)
    out = []
    for axis, (n, k, s, p, d) in enumerate(zip(x.shape[2:], kernel, stride, padding, dilation)):
        span = d * (k - 1) + 1
        if span > n + 2 * p:
            side = ("height", "width")[axis]
            raise ValueError(
                f"{fn}: along the {side} the kernel spans {span} pixels (k={k}, dilation={d}) but "
                f"the padded input has {n + 2 * p} (size {n} + 2·padding {p}); use a smaller "
                f"kernel or dilation, or padding >= {(span - n + 1) // 2}")
        out.append((n + 2 * p - span) // s + 1)
    return stride, padding, dilation, tuple(out)


def conv2d_loops(x: torch.Tensor, weight: torch.Tensor,
                 bias: torch.Tensor | None = None, stride: Pair = 1,
                 padding: Pair = 0, dilation: Pair = 1) -> torch.Tensor:
    """2-D convolution as the sliding kernel: one loop step per output pixel.

    x: (b, c_in, h, w), weight: (c_out, c_in, k_h, k_w), bias: (c_out,)
    -> (b, c_out, h', w'). Slow on purpose: it reads like the definition,
    and the tests prove it equals ``F.conv2d``.
    """
    (s_h, s_w), (p_h, p_w), (d_h, d_w), (out_h, out_w) = _check(
        "conv2d_loops", x, weight.shape[2:], stride, padding, dilation, weight)
    k_h, k_w = weight.shape[2:]
    x = F.pad(x, (p_w, p_w, p_h, p_h))  # zeros on every side
    out = x.new_zeros(x.shape[0], weight.shape[0], out_h, out_w)
    for i in range(out_h):
        for j in range(out_w):
            top, left = i * s_h, j * s_w  # the window's corner
            window = x[:, :, top: top + d_h * (k_h - 1) + 1: d_h,
                             left: left + d_w * (k_w - 1) + 1: d_w]
            # window: (b, c_in, k_h, k_w); one dot product per kernel
            out[:, :, i, j] = torch.einsum("bcuv,ocuv->bo", window, weight)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out  # (b, c_out, h', w')


def im2col(x: torch.Tensor, kernel_size: Pair, stride: Pair = 1, padding: Pair = 0,
           dilation: Pair = 1) -> torch.Tensor:
    """Every receptive-field window of ``x`` as a column: (b, c, h, w) -> (b, c·k_h·k_w, h'·w').

    Instead of looping over the h'·w' output pixels, loop over the k_h·k_w kernel offsets: the
    pixels that offset ``(u, v)`` touches, over all windows at once, are one strided slice of the
    padded input. Rows are ordered (c, u, v), like ``F.unfold`` (which the tests compare against).
    """
    kernel = _pair(kernel_size, "kernel_size", 1, "im2col", "3 or (3, 3)")
    (s_h, s_w), (p_h, p_w), (d_h, d_w), (out_h, out_w) = _check(
        "im2col", x, kernel, stride, padding, dilation)
    x = F.pad(x, (p_w, p_w, p_h, p_h))
    slices = [x[:, :, u * d_h: u * d_h + s_h * (out_h - 1) + 1: s_h,
                      v * d_w: v * d_w + s_w * (out_w - 1) + 1: s_w]  # (b, c, h', w')
              for u in range(kernel[0]) for v in range(kernel[1])]
    cols = torch.stack(slices, dim=2)  # (b, c, k_h·k_w, h', w')
    return rearrange(cols, "b c k h w -> b (c k) (h w)")


def conv2d_unfold(x: torch.Tensor, weight: torch.Tensor,
                  bias: torch.Tensor | None = None, stride: Pair = 1,
                  padding: Pair = 0, dilation: Pair = 1) -> torch.Tensor:
    """2-D convolution as im2col + one matrix product (how fast libraries
    lower it to a GEMM).

    x: (b, c_in, h, w), weight: (c_out, c_in, k_h, k_w) -> (b, c_out, h', w').
    Each output pixel is the dot product of a flattened kernel with the
    column of its window.
    """
    kernel = tuple(weight.shape[2:])
    _, _, _, (out_h, out_w) = _check("conv2d_unfold", x, kernel, stride,
                                     padding, dilation, weight)
    cols = im2col(x, kernel, stride, padding, dilation)  # (b, c_in·k_h·k_w, L)
    rows = rearrange(weight, "o c u v -> o (c u v)")     # (c_out, c_in·k_h·k_w)
    out = rows @ cols                                    # (b, c_out, L = h'·w')
    if bias is not None:
        out = out + bias[None, :, None]
    return rearrange(out, "b o (h w) -> b o h w", h=out_h, w=out_w)


def conv2d_macs(c_in: int, c_out: int, kernel_size: Pair, out_size: Pair, groups: int = 1) -> int:
    """Multiply-adds of one conv layer (per image): every one of the c_out·h'·w' outputs is a dot
    product of length (c_in / groups)·k_h·k_w. Bias adds are not counted (as is customary)."""
    k_h, k_w = _pair(kernel_size, "kernel_size", 1, "conv2d_macs", "3")
    h, w = _pair(out_size, "out_size", 1, "conv2d_macs", "(8, 8)")
    _check_groups("conv2d_macs", c_in, c_out, groups)
    return c_out * h * w * (c_in // groups) * k_h * k_w


def conv2d_params(c_in: int, c_out: int, kernel_size: Pair, groups: int = 1, bias: bool = True) -> int:
    """Parameters of ``nn.Conv2d(c_in, c_out, kernel_size, groups=groups, bias=bias)``: each of the
    c_out kernels has one k_h x k_w slice per input channel of its group (c_in / groups of them),
    plus one bias: ``c_out·(c_in / groups)·k_h·k_w + c_out``."""
    k_h, k_w = _pair(kernel_size, "kernel_size", 1, "conv2d_params", "3")
    _check_groups("conv2d_params", c_in, c_out, groups)
    return c_out * (c_in // groups) * k_h * k_w + (c_out if bias else 0)


# --- groups: grouped, depthwise and 1x1 convolutions --------------------------------------------


def _check_groups(fn: str, c_in: int, c_out: int, groups: int) -> None:
    if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{fn}: groups={groups!r} must be a positive int, e.g. 1 (ordinary) or "
                         f"c_in={c_in} (depthwise)")
    if c_in % groups or c_out % groups:
        raise ValueError(f"{fn}: groups={groups} must divide both c_in={c_in} and c_out={c_out}; "
                         f"e.g. groups=1 or a common divisor of {c_in} and {c_out}")


def conv2d_grouped(x: torch.Tensor, weight: torch.Tensor,
                   bias: torch.Tensor | None = None, stride: Pair = 1,
                   padding: Pair = 0, dilation: Pair = 1,
                   groups: int = 1) -> torch.Tensor:
    """Grouped convolution from scratch: the c_in input channels and the
    c_out kernels are cut into ``groups`` equal groups, and kernel group g
    sees only input group g. Each group is an ordinary convolution, so all
    of them are one batched matrix product on im2col's columns.

    x: (b, c_in, h, w), weight: (c_out, c_in / groups, k_h, k_w) (the
    layout of ``nn.Conv2d``), bias: (c_out,) -> (b, c_out, h', w').
    ``groups=1`` is the ordinary convolution, ``groups=c_in`` the
    depthwise one. Equals ``F.conv2d(..., groups=groups)`` (tested).
    """
    fn = "conv2d_grouped"
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4:
        raise ValueError(f"{fn}: weight must be a 4-D tensor "
                         "(c_out, c_in / groups, k_h, k_w)")
    c_out, c_group = weight.shape[:2]
    is_maps = isinstance(x, torch.Tensor) and x.dim() == 4
    c_in = x.shape[1] if is_maps else c_group * groups
    _check_groups(fn, c_in, c_out, groups)
    if c_group * groups != c_in:
        raise ValueError(
            f"{fn}: with groups={groups} each kernel sees c_in / groups = "
            f"{c_in // groups} channels, but weight {tuple(weight.shape)} has "
            f"{c_group} in its second dimension; give weight the shape "
            f"({c_out}, {c_in // groups}, k_h, k_w)")
    kernel = tuple(weight.shape[2:])
    _, _, _, (out_h, out_w) = _check(fn, x, kernel, stride, padding, dilation)
    cols = im2col(x, kernel, stride, padding, dilation)  # (b, c_in·k·k, L)
    # rows are ordered (c, u, v), so each group's rows are contiguous
    cols = rearrange(cols, "b (g r) l -> b g r l", g=groups)
    rows = rearrange(weight, "(g o) c u v -> g o (c u v)", g=groups)
    # cols: (b, g, (c_in/g)·k·k, L), rows: (g, c_out/g, (c_in/g)·k·k)
    out = torch.einsum("gor,bgrl->bgol", rows, cols)  # one GEMM per group
    out = rearrange(out, "b g o (h w) -> b (g o) h w", h=out_h, w=out_w)
    if bias is not None:
        out = out + bias[None, :, None, None]
    return out  # (b, c_out, h', w')


def depthwise_conv2d(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None = None,
                     stride: Pair = 1, padding: Pair = 0, dilation: Pair = 1) -> torch.Tensor:
    """Depthwise convolution: every channel is filtered by its own k x k kernel, and channels
    never mix. x: (b, c, h, w), weight: (c·m, 1, k_h, k_w) -> (b, c·m, h', w'), with m kernels per
    channel (the *channel multiplier*, usually 1). It is the grouped convolution with
    ``groups = c``: c·m·k_h·k_w weights instead of c·(c·m)·k_h·k_w."""
    return conv2d_grouped(x, weight, bias, stride, padding, dilation, groups=x.shape[1])


def pointwise_conv2d(x: torch.Tensor, weight: torch.Tensor,
                     bias: torch.Tensor | None = None) -> torch.Tensor:
    """A 1x1 convolution: one linear map of the channel vector, applied at every pixel
    (it mixes channels and never pixels). x: (b, c_in, h, w), weight: (c_out, c_in, 1, 1) or
    (c_out, c_in) -> (b, c_out, h, w): ``out[b, o, i, j] = bias[o] + Σ_c weight[o, c]·x[b, c, i, j]``.
    """
    if weight.dim() == 4:
        if weight.shape[2:] != (1, 1):
            raise ValueError(f"pointwise_conv2d: weight {tuple(weight.shape)} is not 1x1; give "
                             "(c_out, c_in, 1, 1) or (c_out, c_in)")
        weight = weight[:, :, 0, 0]  # (c_out, c_in)
    if not isinstance(x, torch.Tensor) or x.dim() != 4 or weight.dim() != 2 or weight.shape[1] != x.shape[1]:
        shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"pointwise_conv2d: x must be (b, c_in, h, w) and weight (c_out, c_in); got x "
                         f"{shape} and weight {tuple(weight.shape)}")
    out = torch.einsum("oc,bchw->bohw", weight, x)  # (b, c_out, h, w)
    return out if bias is None else out + bias[None, :, None, None]


# --- receptive fields -------------------------------------------------------------------------

Layer = tuple[int, int] | tuple[int, int, int]  # (kernel, stride) or (kernel, stride, dilation)


def layer_specs(model: nn.Module | Iterable[nn.Module]) -> list[tuple[int, int, int]]:
    """The (kernel, stride, dilation) of each spatial layer (Conv2d, MaxPool2d, AvgPool2d) in
    order; layers that act pixel by pixel (ReLU, BatchNorm, ...) do not change receptive fields.
    Uses the height axis (the course's kernels are square)."""
    modules = model.modules() if isinstance(model, nn.Module) else iter(model)
    specs = []
    for m in modules:
        if isinstance(m, (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d)):
            first = lambda v: v[0] if isinstance(v, tuple) else v  # noqa: E731
            k, s = first(m.kernel_size), first(m.stride)
            d = first(getattr(m, "dilation", 1))
            specs.append((k, s, d))
    return specs


def receptive_field(layers: Sequence[Layer] | nn.Module) -> int:
    """Side of the receptive field of one output pixel after a stack of layers.

    With ``jump`` the distance in input pixels between neighbouring outputs so far (the product of
    the earlier strides), each layer widens the field by ``(k − 1)·d·jump``:

        r = 1 + Σ_l (k_l − 1)·d_l·∏_{i<l} s_i
    """
    specs = layer_specs(layers) if isinstance(layers, nn.Module) else list(layers)
    r, jump = 1, 1
    for n, spec in enumerate(specs):
        if len(spec) not in (2, 3) or not all(isinstance(v, int) and v >= 1 for v in spec):
            raise ValueError(f"receptive_field: layer {n} is {spec!r}; give (kernel, stride) or "
                             "(kernel, stride, dilation) with positive ints, e.g. (3, 1)")
        k, s, d = (*spec, 1) if len(spec) == 2 else spec
        r += (k - 1) * d * jump
        jump *= s
    return r


def input_gradient(model: nn.Module, size: int, in_channels: int = 1) -> torch.Tensor:
    """|∂ out[centre pixel] / ∂ x| for a random input ``(1, in_channels, size, size)`` -> (size, size).

    The non-zero region is where the centre output pixel looks: the *measured* receptive field.
    Runs a float64 copy of the model in eval mode; the model itself is left untouched. ReLU and
    max-pooling can zero some paths, so measure linear stacks to see the full (theoretical) field.
    """
    import copy

    probe = copy.deepcopy(model).double().eval()
    x = torch.randn(1, in_channels, size, size, dtype=torch.float64, requires_grad=True)
    out = probe(x)  # (1, c, h', w')
    if out.dim() != 4:
        raise ValueError(f"input_gradient: the model must output (b, c, h, w) maps, got {tuple(out.shape)}")
    out[0, :, out.shape[2] // 2, out.shape[3] // 2].sum().backward()
    return x.grad[0].abs().sum(0)  # (size, size)


def measured_receptive_field(model: nn.Module, size: int, in_channels: int = 1) -> tuple[int, int]:
    """Height and width of the input region that the centre output pixel depends on, measured
    with :func:`input_gradient`. ``size`` must exceed the field, or the measurement is clipped."""
    grad = input_gradient(model, size, in_channels)
    rows = torch.nonzero(grad.sum(1)).flatten()
    cols = torch.nonzero(grad.sum(0)).flatten()
    if len(rows) == 0:
        raise ValueError("measured_receptive_field: the gradient is zero everywhere; is the model "
                         "constant, or did every ReLU switch off? Measure a linear stack")
    h, w = int(rows[-1] - rows[0] + 1), int(cols[-1] - cols[0] + 1)
    if rows[0] == 0 or cols[0] == 0 or rows[-1] == size - 1 or cols[-1] == size - 1:
        raise ValueError(f"measured_receptive_field: the field reaches the border of the {size}x{size} "
                         f"input, so it is clipped; measure with a larger size (> {2 * max(h, w)})")
    return h, w


# --- hand-crafted kernels: the features of computer vision before deep learning ----------------

KERNELS: dict[str, torch.Tensor] = {
    "identity": torch.tensor([[0., 0, 0], [0, 1, 0], [0, 0, 0]]),
    "box blur": torch.full((3, 3), 1 / 9),
    "gaussian blur": torch.tensor([[1., 2, 1], [2, 4, 2], [1, 2, 1]]) / 16,
    "sharpen": torch.tensor([[0., -1, 0], [-1, 5, -1], [0, -1, 0]]),
    "sobel x": torch.tensor([[-1., 0, 1], [-2, 0, 2], [-1, 0, 1]]),
    "sobel y": torch.tensor([[-1., -2, -1], [0, 0, 0], [1, 2, 1]]),
    "laplacian": torch.tensor([[0., 1, 0], [1, -4, 1], [0, 1, 0]]),
}
"""Classic 3x3 kernels (k_h, k_w). Blurs average (their entries sum to 1). Edge detectors
respond to change and their entries sum to 0, so a flat region maps to 0: Sobel x to left-right
change (vertical edges), Sobel y to top-bottom change (horizontal edges), the Laplacian to both."""


def apply_kernel(image: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """One kernel on one grayscale image: (1, h, w) or (h, w) with (k, k) -> (h, w), 'same' size.

    The border is padded by repeating the edge pixels (not zeros), so that a photo's frame does
    not light up as an 'edge' and drown the edges inside the picture."""
    if kernel.dim() != 2 or kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0:
        raise ValueError(f"apply_kernel: kernel must be square and odd-sized (k, k), got "
                         f"{tuple(kernel.shape)}; e.g. a 3x3 kernel")
    if image.dim() == 3 and image.shape[0] != 1:
        raise ValueError(f"apply_kernel: expected a grayscale image (1, h, w) or (h, w), got "
                         f"{tuple(image.shape)}; average the channels first, e.g. image.mean(0)")
    x = image.reshape(1, 1, *image.shape[-2:]).to(kernel.dtype)
    p = kernel.shape[0] // 2
    return F.conv2d(F.pad(x, (p, p, p, p), mode="replicate"), kernel[None, None])[0, 0]
