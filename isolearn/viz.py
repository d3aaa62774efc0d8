"""Plotting helpers shared by the chapters: image grids, kernels, and the sliding-kernel animation.

Functions that draw return the matplotlib Figure; in a notebook assign it (``fig = ...``) so the
inline backend shows it once.
"""

from __future__ import annotations

import math
from typing import Sequence

import matplotlib.pyplot as plt
import torch
from matplotlib.patches import Rectangle


def _as_2d(image: torch.Tensor) -> torch.Tensor:
    image = image.detach().cpu().float()
    while image.dim() > 2 and image.shape[0] == 1:
        image = image[0]
    if image.dim() != 2:
        raise ValueError(f"expected a single-channel image (h, w) or (1, h, w), got {tuple(image.shape)}")
    return image


def show_source(obj):
    """The source code of a function or class, syntax-highlighted in Jupyter: read what a notebook
    imports without leaving the page."""
    import inspect

    from IPython.display import Code

    return Code(inspect.getsource(obj), language="python")


def annotate(ax, matrix: torch.Tensor, fmt: str = "{:.2g}", fontsize: int = 9) -> None:
    """Write each entry of a small matrix (h, w) in its cell, white on the dark ends of a
    diverging colour map centred on 0 (|v| near the largest |entry|), black elsewhere."""
    m = _as_2d(matrix)
    bound = m.abs().max().item() or 1.0
    for i in range(m.shape[0]):
        for j in range(m.shape[1]):
            v = m[i, j].item()
            ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=fontsize,
                    color="white" if abs(v) > 0.6 * bound else "black")


def show_map(ax, image: torch.Tensor) -> None:
    """A feature map: gray if it is never negative, else blue < 0 < red centred on 0."""
    image = _as_2d(image)
    if image.min() >= 0:
        ax.imshow(image.numpy(), cmap="gray")
    else:
        bound = image.abs().max().item()
        ax.imshow(image.numpy(), cmap="RdBu_r", vmin=-bound, vmax=bound)


def image_grid(images: Sequence[torch.Tensor] | torch.Tensor, titles: Sequence[str] | None = None,
               ncols: int | None = None, cmap: str = "auto", size: float = 1.7,
               symmetric: bool = False, suptitle: str = "") -> plt.Figure:
    """Single-channel images in a grid. ``cmap="auto"`` draws each image like :func:`show_map`
    (gray if never negative, else blue < 0 < red); ``symmetric`` centres any other colour map on 0
    (use a diverging one such as 'RdBu_r' for kernels and gradients)."""
    images = [_as_2d(im) for im in images]
    n = len(images)
    ncols = ncols or min(n, 8)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows + 0.3 * bool(suptitle)),
                             squeeze=False, layout="constrained")
    for k, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if k >= n:
            continue
        image = images[k]
        if cmap == "auto":
            show_map(ax, image)
        elif symmetric:
            bound = image.abs().max().item() or 1.0
            ax.imshow(image.numpy(), cmap=cmap, vmin=-bound, vmax=bound)
        else:
            ax.imshow(image.numpy(), cmap=cmap)
        if titles is not None:
            ax.set_title(titles[k], fontsize=9)
    if suptitle:
        fig.suptitle(suptitle)
    return fig


def kernel_grid(weight: torch.Tensor, ncols: int = 8, suptitle: str = "", size: float = 1.2) -> plt.Figure:
    """Kernels of a conv layer ``(c_out, c_in, k_h, k_w)`` (first input channel), blue < 0 < red."""
    return image_grid(list(weight[:, 0]), [f"kernel {i}" for i in range(len(weight))], ncols=ncols,
                      cmap="RdBu_r", symmetric=True, suptitle=suptitle, size=size)


def sliding_kernel_animation(image: torch.Tensor, kernel: torch.Tensor, interval: int = 250,
                             dpi: int = 70):
    """An HTML/JS animation of the kernel sliding over ``image`` (h, w) with no padding: at each
    step the window is framed on the input and the dot product fills one output pixel."""
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    import torch.nn.functional as F

    image, kernel = _as_2d(image), _as_2d(kernel)
    k = kernel.shape[0]
    out = F.conv2d(image[None, None], kernel[None, None])[0, 0]  # (h - k + 1, w - k + 1)
    fig, (ax_in, ax_k, ax_out) = plt.subplots(1, 3, figsize=(8.4, 3.2), dpi=dpi,
                                              gridspec_kw={"width_ratios": [3, 1.4, 3]})
    ax_in.imshow(image.numpy(), cmap="gray")
    ax_in.set_title("input")
    kb = kernel.abs().max().item()
    ax_k.imshow(kernel.numpy(), cmap="RdBu_r", vmin=-kb, vmax=kb)
    annotate(ax_k, kernel, "{:g}")
    ax_k.set_title("kernel")
    bound = out.abs().max().item()
    shown = torch.full_like(out, float("nan"))
    canvas = ax_out.imshow(shown.numpy(), cmap="RdBu_r", vmin=-bound, vmax=bound)
    ax_out.set_title("feature map")
    for ax in (ax_in, ax_k, ax_out):
        ax.set_xticks([]), ax.set_yticks([])
    window = Rectangle((-0.5, -0.5), k, k, fill=False, ec="#e69f00", lw=3)
    pixel = Rectangle((-0.5, -0.5), 1, 1, fill=False, ec="#e69f00", lw=3)
    ax_in.add_patch(window), ax_out.add_patch(pixel)
    fig.tight_layout()
    positions = [(i, j) for i in range(out.shape[0]) for j in range(out.shape[1])]

    def step(t):
        i, j = positions[t]
        window.set_xy((j - 0.5, i - 0.5))
        pixel.set_xy((j - 0.5, i - 0.5))
        shown[i, j] = out[i, j]
        canvas.set_data(shown.numpy())
        return window, pixel, canvas

    animation = FuncAnimation(fig, step, frames=len(positions), interval=interval, blit=True)
    html = animation.to_jshtml(default_mode="loop")
    plt.close(fig)
    return HTML(html)
