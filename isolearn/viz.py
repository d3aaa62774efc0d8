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

from isolearn import validate


def _as_2d(image: torch.Tensor) -> torch.Tensor:
    if not isinstance(image, torch.Tensor):
        try:  # a NumPy array or a nested list of numbers
            image = torch.as_tensor(image)
        except (TypeError, ValueError, RuntimeError):
            raise validate.ArgumentTypeError(f"expected an image (h, w) as a tensor, got "
                                             f"{validate.describe(image)}") from None
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

    try:
        return Code(inspect.getsource(obj), language="python")
    except (TypeError, OSError):
        raise validate.ArgumentTypeError(
            f"show_source: {obj!r:.60} has no Python source to show (a builtin written in C, or not "
            "a function, class or module); pass the function itself, e.g. show_source(conv.conv2d_loops)"
        ) from None


def annotate(ax, matrix: torch.Tensor, fmt: str = "{:.2g}", fontsize: int = 9) -> None:
    """Write each entry of a small matrix (h, w) in its cell, white on the dark ends of a
    diverging colour map centred on 0 (|v| near the largest |entry|), black elsewhere."""
    m = _as_2d(matrix)
    try:
        [fmt.format(v) for v in m.flatten()[:1].tolist()]
    except (ValueError, TypeError, IndexError, KeyError, AttributeError) as error:
        raise ValueError(f"annotate: fmt={fmt!r} cannot format the entries ({error}); the entries are "
                         "floats, e.g. fmt='{:.2g}'") from None
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
    if n == 0:
        raise ValueError("image_grid: images is empty; pass at least one image (h, w)")
    if titles is not None and len(titles) != n:
        raise ValueError(f"image_grid: {len(titles)} titles for {n} images; give one title per image")
    if ncols is not None:
        validate.positive_int(ncols, "ncols", "image_grid", 8)
    if cmap != "auto" and cmap not in plt.colormaps():
        raise ValueError(f"image_grid: cmap={cmap!r} is not a matplotlib colour map; use 'auto', "
                         "'gray' or a diverging one such as 'RdBu_r'")
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
    if not isinstance(weight, torch.Tensor) or weight.dim() != 4:
        raise validate.ArgumentTypeError(f"kernel_grid: weight must be a conv layer's kernels "
                                         f"(c_out, c_in, k_h, k_w), got {validate.describe(weight)}; "
                                         "for a layer pass layer.weight")
    return image_grid(list(weight[:, 0]), [f"kernel {i}" for i in range(len(weight))], ncols=ncols,
                      cmap="RdBu_r", symmetric=True, suptitle=suptitle, size=size)


def sliding_kernel_animation(image: torch.Tensor, kernel: torch.Tensor, interval: int = 250,
                             dpi: int = 70, max_frames: int = 64):
    """An HTML/JS animation of the kernel sliding over ``image`` (h, w) with no padding: at each
    step the window is framed on the input and the dot product fills one output pixel.

    Each frame costs about 17 kB of page less what the palette saves (see :func:`_frame`); an
    image with more than ``max_frames`` window positions (a 28x28 digit has 676) is shown in at
    most ``max_frames`` frames, each moving the window several positions on and filling every
    output pixel it passed. :func:`animation_html` is the player."""
    from IPython.display import HTML

    import torch.nn.functional as F

    image, kernel = _as_2d(image), _as_2d(kernel)
    validate.positive_int(max_frames, "max_frames", "sliding_kernel_animation", 64)
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(f"sliding_kernel_animation: the kernel {tuple(kernel.shape)} is larger than "
                         f"the image {tuple(image.shape)}; it must fit inside (no padding here)")
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
    stride = math.ceil(len(positions) / max_frames)  # positions the window moves per frame
    frames = []
    for t in range(math.ceil(len(positions) / stride)):
        for i, j in positions[t * stride: (t + 1) * stride]:
            shown[i, j] = out[i, j]
        window.set_xy((j - 0.5, i - 0.5))
        pixel.set_xy((j - 0.5, i - 0.5))
        canvas.set_data(shown.numpy())
        frames.append(_frame(fig))
    plt.close(fig)
    (_, mime), frames = frames[0], [data for data, _ in frames]
    h, w = image.shape
    moves = "one pixel at a time" if stride == 1 else f"{stride} window positions a frame"
    alt = (f"Animation in {len(frames)} frames: a {k}x{k} kernel slides over the {h}x{w} input "
           f"{moves}, without padding. At each step an orange square frames the window on the "
           f"input, and the window's dot product with the kernel fills its pixel of the "
           f"{out.shape[0]}x{out.shape[1]} feature map, also framed in orange.")
    return HTML(animation_html(frames, mime, interval, alt, loop=True))


def _cuboid(ax, x: float, side: float, thickness: float, color, depth: float = 0.45) -> None:
    """A box seen from the front-right: ``thickness`` along x (channels), ``side`` tall and
    ``depth·side`` deep (both spatial axes); its front face is centred on y = 0."""
    from matplotlib.patches import Polygon

    dx, dy = depth * side * 0.8, depth * side * 0.6  # the oblique axis
    y0, y1, x1 = -side / 2, side / 2, x + thickness
    faces = [[(x, y0), (x1, y0), (x1, y1), (x, y1)],                       # front
             [(x, y1), (x1, y1), (x1 + dx, y1 + dy), (x + dx, y1 + dy)],   # top
             [(x1, y0), (x1 + dx, y0 + dy), (x1 + dx, y1 + dy), (x1, y1)]]  # right
    for face, shade in zip(faces, (1.0, 0.85, 0.7)):
        rgb = [min(1.0, v * shade) for v in color[:3]]
        ax.add_patch(Polygon(face, closed=True, fc=rgb, ec="0.25", lw=0.8))


def pyramid_figure(tables: dict, width: float = 11.0, row_height: float = 2.2) -> plt.Figure:
    """The classic pyramid picture, one row per network: every map ``(c, h, w)`` of a
    :func:`~isolearn.models.cnn.stage_table` (the input, then each stage) drawn as a box whose
    height and depth grow with the spatial size (side ∝ √h) and whose thickness grows with the
    channels (∝ √c), both relative to the network's largest; each box is labelled with its
    true shape ``h×w×c``."""
    if not isinstance(tables, dict) or not tables:
        raise ValueError("pyramid_figure: tables must be a non-empty dict {title: stage_table(...)}")
    rows = []
    for title, table in tables.items():
        maps = [(stage, shape) for stage, shape in zip(table.column("stage"), table.column("output shape"))
                if len(shape) == 3]
        h_max, c_max = max(s[1] for _, s in maps), max(s[0] for _, s in maps)
        boxes, x = [], 0.0
        for stage, (c, h, w) in maps:
            side, thickness = 2.4 * math.sqrt(h / h_max), 0.15 + 1.6 * math.sqrt(c / c_max)
            boxes.append((x, side, thickness, stage, (c, h, w)))
            x += thickness + 0.36 * side + 0.7
        rows.append((title, boxes, x))
    right = max(x for _, _, x in rows)
    width = min(width, row_height * (right + 0.2) / 4.25 + 0.2)  # no empty margin beside the boxes
    fig, axes = plt.subplots(len(rows), 1, figsize=(width, row_height * len(rows)),
                             squeeze=False, layout="constrained")
    cmap = plt.get_cmap("viridis")
    for ax, (title, boxes, _) in zip(axes[:, 0], rows):
        for i, (x, side, thickness, stage, (c, h, w)) in enumerate(boxes):
            color = [0.5 + 0.5 * v for v in cmap(0.2 + 0.7 * i / max(len(boxes) - 1, 1))[:3]]
            _cuboid(ax, x, side, thickness, color)
            centre = x + thickness / 2 + 0.18 * side
            ax.text(centre, -1.4, f"{h}×{w}×{c}", ha="center", va="top", fontsize=9)
            ax.text(centre, 1.9, stage, ha="center", va="bottom", fontsize=8.5, color="0.3")
        ax.set_xlim(-0.2, right)
        ax.set_ylim(-1.95, 2.3)
        ax.set_aspect("equal")
        ax.set_axis_off()
        ax.set_title(title, loc="left", fontsize=11)
    return fig


def feature_pyramid(maps: Sequence[torch.Tensor], names: Sequence[str], channels: int = 6,
                    image: torch.Tensor | None = None, size: float = 1.15) -> plt.Figure:
    """Feature maps of one image at every stage, one row per stage: the ``channels`` maps with
    the largest mean activation of each ``(c, h, w)`` map. Rows shrink in resolution as the
    pyramid goes down; ``image`` (optional) is drawn at the left of the first row."""
    if not len(maps):
        raise ValueError("feature_pyramid: maps is empty; pass the feature maps of one image, one per stage")
    if len(names) != len(maps):
        raise ValueError(f"feature_pyramid: {len(names)} names for {len(maps)} maps; give one name per map")
    validate.positive_int(channels, "channels", "feature_pyramid", 6)
    ncols = channels + (image is not None)
    fig, axes = plt.subplots(len(maps), ncols, figsize=(size * ncols + 0.8, size * len(maps)),
                             squeeze=False, layout="constrained")
    for row, (fmap, name) in enumerate(zip(maps, names)):
        fmap = fmap.detach().cpu().float()
        if fmap.dim() == 4:
            fmap = fmap[0]
        strongest = fmap.flatten(1).mean(1).argsort(descending=True)[:channels]
        cells = list(axes[row])
        if image is not None:
            first = cells.pop(0)
            first.set_axis_off()
            if row == 0:
                first.imshow(_as_2d(image).numpy(), cmap="gray")
                first.set_title("input", fontsize=9)
        for k, ax in enumerate(cells):
            ax.set_xticks([]), ax.set_yticks([])
            if k < len(strongest):
                show_map(ax, fmap[strongest[k]])
        h, w = fmap.shape[-2:]
        cells[0].set_ylabel(f"{name}\n{fmap.shape[0]}×{h}×{w}", fontsize=9)
    return fig


# --- chapter 7: activations as maps of the plane -----------------------------------------------

CLASS_COLORS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#f0e442",
                "#000000", "#999999", "#882255")  # Okabe-Ito, then two more: 10 classes


def _lines(ax, curves: torch.Tensor, **style):
    """Draw polylines ``(m, points, 2)`` as one LineCollection (fast, one artist to update)."""
    from matplotlib.collections import LineCollection

    collection = LineCollection(curves.detach().cpu().numpy(), **style)
    ax.add_collection(collection)
    return collection


def plane_maps(fns: dict, lim: float = 3.0, lines: int = 13, radii: Sequence[float] = (1, 2, 3),
               size: float = 2.9) -> plt.Figure:
    """What maps ``R² → R²`` do to the plane: a grid over [−lim, lim]² (gray) and the circles of
    the given ``radii`` (the first, the unit circle, in orange), drawn as they are (left) and as
    each function in ``fns`` ({title: f}, f acting on points ``(n, 2)``) maps them."""
    from isolearn.planar import circle, grid_lines

    if not len(radii):
        raise ValueError("plane_maps: radii is empty; give at least one circle, e.g. radii=(1, 2, 3)")
    grid = grid_lines(lim, lines)  # (2·lines, points, 2)
    circles = torch.stack([circle(r) for r in radii])  # (len(radii), points, 2)
    panels = {"input plane": lambda p: p, **fns}
    fig, axes = plt.subplots(1, len(panels), figsize=(size * len(panels), size + 0.25),
                             layout="constrained", squeeze=False)
    for ax, (title, fn) in zip(axes[0], panels.items()):
        with torch.no_grad():
            points = fn(grid.reshape(-1, 2))
            if not isinstance(points, torch.Tensor) or points.shape != (grid.numel() // 2, 2):
                plt.close(fig)
                raise ValueError(f"plane_maps: fns[{title!r}] must map points (n, 2) to points (n, 2), "
                                 f"got {validate.describe(points)} for n = {grid.numel() // 2}")
            mapped_grid = points.reshape(grid.shape)
            mapped_circles = fn(circles.reshape(-1, 2)).reshape(circles.shape)
        _lines(ax, mapped_grid, colors="0.6", linewidths=0.7)
        colors = ["#e69f00"] + ["#0072b2"] * (len(radii) - 1)
        _lines(ax, mapped_circles, colors=colors, linewidths=[2.0] + [1.2] * (len(radii) - 1))
        bound = mapped_grid.abs().max().item() * 1.08
        ax.set(xlim=(-bound, bound), ylim=(-bound, bound), title=title)
        ax.set_aspect("equal")
        ax.tick_params(labelsize=8)
    return fig


def _limits(clouds: Sequence[torch.Tensor]) -> tuple[float, float, float, float]:
    """Square axis limits that hold every cloud of points ``(n, 2)`` (1st–99th percentiles)."""
    points = torch.cat(list(clouds))
    lo, hi = torch.quantile(points, 0.01, dim=0), torch.quantile(points, 0.99, dim=0)
    centre, half = (lo + hi) / 2, (hi - lo).max().item() / 2 * 1.2 + 1e-3
    return (centre[0].item() - half, centre[0].item() + half,
            centre[1].item() - half, centre[1].item() + half)


WARP_FRAMES = 8  # the most frames warp_animation shows (chapter 7 shows three: its page stays under 3 MB)


def warp_animation(runs: dict, labels: torch.Tensor, grid_shape: tuple[int, int],
                   layers: Sequence[int] = (1, -1), member: int | str = "best",
                   interval: int = 300, dpi: int = 55, size: float = 2.3, regions: int = 60):
    """An HTML/JS animation of training: how each network's hidden layers warp the plane.

    ``runs`` maps a title to the snapshots of :func:`isolearn.planar.train_snapshots` (one
    column each), recorded with the probe ``[grid points; data points]``: the first
    ``lines × points`` probe points form ``grid_shape = (lines, points)`` polylines, the rest are
    the data, coloured by ``labels``. One row per hidden layer in ``layers`` (indices into
    ``Snapshot.states``); the last hidden layer also shows the read-out's class regions, shaded.
    Each frame zooms to the data. For a stack of networks, ``member`` is the index of the one
    to show, or ``"best"``: the one with the highest final training accuracy. It shows at most
    ``WARP_FRAMES`` of the snapshots, evenly spaced, as lossless palette images (see
    :func:`_frame`); :func:`animation_html` is the player.
    """
    from IPython.display import HTML
    from matplotlib.colors import ListedColormap

    lines, points = grid_shape
    n_grid = lines * points
    classes = int(labels.max()) + 1
    cmap = ListedColormap(CLASS_COLORS[:classes])
    colors = [CLASS_COLORS[int(c)] for c in labels]
    n_states = len(next(iter(runs.values()))[0].states)
    rows = [layer % n_states for layer in layers]
    fig, axes = plt.subplots(len(rows), len(runs), dpi=dpi, squeeze=False, layout="constrained",
                             figsize=(size * len(runs), size * len(rows) + 0.3))
    frames = min(len(snaps) for snaps in runs.values())
    update = []
    for col, (title, snaps) in enumerate(runs.items()):
        pick = member
        if pick == "best":
            final = snaps[-1].accuracy
            pick = int(final.argmax()) if final.dim() else 0
        for row, layer in enumerate(rows):
            ax = axes[row, col]
            states = [s.states[layer] for s in snaps]
            states = [h[pick] if h.dim() == 3 else h for h in states]  # (probe, 2) each
            ax.set(xticks=[], yticks=[])
            ax.set_aspect("equal")
            if col == 0:
                ax.set_ylabel(f"hidden layer {layer}", fontsize=9)
            shade = None
            if layer == n_states - 1:  # the read-out sees this layer: shade its decisions
                shade = ax.imshow(torch.zeros(regions, regions).numpy(), origin="lower",
                                  cmap=cmap, vmin=-0.5, vmax=classes - 0.5, alpha=0.18,
                                  interpolation="nearest", aspect="auto")
            grid = _lines(ax, states[0][:n_grid].reshape(lines, points, 2), colors="0.45",
                          linewidths=0.5)
            dots = ax.scatter(*states[0][n_grid:].T.numpy(), c=colors, s=4, linewidths=0)
            label = ax.set_title(title, fontsize=9) if row == 0 else None

            def draw(t, ax=ax, snaps=snaps, states=states, shade=shade, grid=grid, dots=dots,
                     label=label, title=title, pick=pick):
                snap, h = snaps[t], states[t]
                limits = _limits([h[n_grid:]])
                ax.set(xlim=limits[:2], ylim=limits[2:])
                if shade is not None:
                    u, v = torch.meshgrid(torch.linspace(*limits[:2], regions),
                                          torch.linspace(*limits[2:], regions), indexing="xy")
                    plane = torch.stack([u, v], dim=-1).reshape(-1, 2)  # (regions², 2)
                    with torch.no_grad():
                        logits = snap.head(plane)  # (regions², c) or (k, regions², c)
                    logits = logits[pick] if logits.dim() == 3 else logits
                    shade.set_data(logits.argmax(-1).reshape(regions, regions).numpy())
                    shade.set_extent(limits)
                grid.set_segments(h[:n_grid].reshape(lines, points, 2).numpy())
                dots.set_offsets(h[n_grid:].numpy())
                if label is not None:
                    acc = snap.accuracy[pick] if snap.accuracy.dim() else snap.accuracy
                    label.set_text(f"{title}\nstep {snap.step}, train acc {acc:.0%}")

            update.append(draw)
            draw(0)

    # Lay out once, then freeze: redoing the constrained layout for every frame would cost more
    # than drawing it.
    fig.canvas.draw()
    fig.set_layout_engine("none")
    # At most WARP_FRAMES frames, evenly spaced, the first and the last always in: a page with
    # two animations stays light, and training still unfolds step by step.
    stride = max(1, math.ceil((frames - 1) / (WARP_FRAMES - 1)))
    shown = sorted(set(range(0, frames, stride)) | {frames - 1})
    images = []
    for t in shown:
        for draw in update:
            draw(t)
        images.append(_frame(fig, colors=24))
    plt.close(fig)
    (_, mime), images = images[0], [data for data, _ in images]
    first, last = (next(iter(runs.values()))[t].step for t in (0, frames - 1))
    alt = (f"Animation in {len(shown)} frames, from training step {first} to {last}: for each "
           f"network ({', '.join(runs)}), what its hidden layers "
           f"{' and '.join(str(r) for r in rows)} do to the input plane. The plane's grid lines "
           f"bend and the training points, coloured by class, move as training goes on; the "
           f"last hidden layer also shades the region the read-out gives each class. Each "
           f"column's title gives the step and the training accuracy.")
    # interval * stride: training plays at the pace ``interval`` asks for, in bigger steps
    return HTML(animation_html(images, mime, interval * stride, alt, loop=False))


def class_scatter(points: dict, labels: torch.Tensor, names: Sequence[str] | None = None,
                  directions: dict | None = None, ncols: int | None = None, size: float = 2.6,
                  s: float = 5) -> plt.Figure:
    """Points in a 2-D activation space, one panel per entry of ``points`` ({title: (n, 2)}),
    coloured by class, ``ncols`` panels a row. ``directions`` ({title: (angles (K,), strengths
    (K,))}, see :func:`isolearn.planar.class_directions`) adds an arrow per class from the origin
    along its mean direction, as long as its strength times the panel's radius."""
    if not isinstance(points, dict) or not points:
        raise ValueError("class_scatter: points must be a non-empty dict {title: points (n, 2)}")
    labels = validate.tensor(labels, "labels", "class_scatter").cpu()
    for title, h in points.items():
        if not isinstance(h, torch.Tensor) or h.dim() != 2 or h.shape[1] != 2:
            raise ValueError(f"class_scatter: points[{title!r}] must be points (n, 2), got "
                             f"{validate.describe(h)}")
        validate.labels(labels, len(h), "class_scatter", name="labels")
    classes = int(labels.max()) + 1
    if names is not None and len(names) < classes:
        raise ValueError(f"class_scatter: {len(names)} names for {classes} classes; give one name per class")
    colors = _class_colors(classes)
    names = names or [str(c) for c in range(classes)]
    ncols = ncols or len(points)
    nrows = math.ceil(len(points) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols + 0.7, size * nrows + 0.1),
                             squeeze=False, layout="constrained")
    for ax, (title, h) in zip(axes.flat, points.items()):
        h = h.detach().cpu()
        for c in range(classes):
            ax.scatter(*h[labels == c].T.numpy(), s=s, color=colors[c], linewidths=0,
                       alpha=0.7, label=names[c])
        reach = torch.quantile(h.norm(dim=1), 0.95).item()
        if directions is not None and title in directions:
            angles, strengths = directions[title]
            for c, (a, r) in enumerate(zip(angles.tolist(), strengths.tolist())):
                ax.annotate("", xy=(reach * r * math.cos(a), reach * r * math.sin(a)),
                            xytext=(0, 0), arrowprops=dict(arrowstyle="-|>", lw=1.4,
                                                           color=colors[c]))
        ax.axhline(0, color="0.8", lw=0.6, zorder=0)
        ax.axvline(0, color="0.8", lw=0.6, zorder=0)
        ax.set_title(title, fontsize=10)
        ax.set_aspect("equal", adjustable="datalim")
        ax.tick_params(labelsize=7)
    for ax in list(axes.flat)[len(points):]:
        ax.set_axis_off()
    axes.flat[len(points) - 1].legend(loc="center left", bbox_to_anchor=(1.02, 0.5),
                                      frameon=False, markerscale=2.5, fontsize=8, title="class")
    return fig


def mixer_table_figure(tokens: int = 6, channels: int = 8) -> plt.Figure:
    """The Mixer's two mixings on the patches x channels table: token mixing reads a column
    (one channel across all patches), channel mixing a row (one patch across all channels)."""
    fig, axes = plt.subplots(1, 2, figsize=(8.5, 3.6), layout="constrained")
    for ax, kind in zip(axes, ("token", "channel")):
        ax.set_xlim(-0.5, channels - 0.5), ax.set_ylim(tokens - 0.5, -0.5)
        for i in range(tokens):
            for j in range(channels):
                hit = (j == 2) if kind == "token" else (i == 3)
                ax.add_patch(plt.Rectangle((j - 0.45, i - 0.45), 0.9, 0.9,
                                           color="#e69f00" if hit else "#d9e6f2"))
        ax.set_xticks(range(channels), [f"c{j + 1}" for j in range(channels)], fontsize=8)
        ax.set_yticks(range(tokens), [f"patch {i + 1}" for i in range(tokens)], fontsize=8)
        ax.tick_params(length=0)
        for side in ax.spines.values():
            side.set_visible(False)
        if kind == "token":
            ax.annotate("", xy=(2, tokens - 0.6), xytext=(2, -0.4),
                        arrowprops=dict(arrowstyle="->", lw=2, color="#0072b2"))
            ax.set_title("token mixing: one MLP (S -> D_S -> S)\nper channel, shared by all channels",
                         fontsize=10)
        else:
            ax.annotate("", xy=(channels - 0.6, 3), xytext=(-0.4, 3),
                        arrowprops=dict(arrowstyle="->", lw=2, color="#0072b2"))
            ax.set_title("channel mixing: one MLP (C -> D_C -> C)\nper patch, shared by all patches",
                         fontsize=10)
    return fig


def channel_sum_figure(x: torch.Tensor, weight: torch.Tensor, names: Sequence[str] | None = None,
                       cmaps: Sequence[str] | None = None, size: float = 1.6) -> plt.Figure:
    """How one kernel reads several input channels: for ``x: (c, h, w)`` and one kernel
    ``weight: (c, k, k)``, row ``i`` shows channel ``i`` (in colour map ``cmaps[i]``, gray by
    default), the kernel's slice for it and their 2-D cross-correlation (no padding); the right
    column is their sum, the one output map. All responses share one scale, blue < 0 < red."""
    import torch.nn.functional as F

    if x.dim() != 3 or weight.dim() != 3 or weight.shape[0] != x.shape[0]:
        raise ValueError(f"channel_sum_figure: expected x (c, h, w) and weight (c, k, k) with the "
                         f"same c, got {tuple(x.shape)} and {tuple(weight.shape)}")
    c = x.shape[0]
    names = list(names) if names is not None else [f"channel {i + 1}" for i in range(c)]
    cmaps = list(cmaps) if cmaps is not None else ["gray"] * c
    # a depthwise convolution: slice i on channel i alone -> (c, h', w')
    responses = F.conv2d(x[None], weight[:, None], groups=c)[0]
    total = responses.sum(0)  # (h', w'): the output map
    bound = max(responses.abs().max().item(), total.abs().max().item()) or 1.0
    style = dict(cmap="RdBu_r", vmin=-bound, vmax=bound)
    fig = plt.figure(figsize=(size * 4.6, size * c), layout="constrained")
    grid = fig.add_gridspec(c, 4, width_ratios=[1, 0.6, 1, 1.6])
    for i in range(c):
        ax_x, ax_w, ax_r = (fig.add_subplot(grid[i, j]) for j in range(3))
        ax_x.imshow(_as_2d(x[i]).numpy(), cmap=cmaps[i], vmin=0, vmax=max(x[i].max().item(), 1e-12))
        ax_x.set_title(names[i], fontsize=9)
        w_bound = weight[i].abs().max().item() or 1.0
        ax_w.imshow(_as_2d(weight[i]).numpy(), cmap="RdBu_r", vmin=-w_bound, vmax=w_bound)
        annotate(ax_w, weight[i] + 0.0, "{:g}", fontsize=7)  # + 0.0: no "-0"
        ax_w.set_title(f"kernel, slice {i + 1}", fontsize=9)
        ax_r.imshow(_as_2d(responses[i]).numpy(), **style)
        ax_r.set_title(f"slice {i + 1} * {names[i]}", fontsize=9)
        for ax in (ax_x, ax_w, ax_r):
            ax.set_xticks([]), ax.set_yticks([])
    ax_sum = fig.add_subplot(grid[:, 3])
    ax_sum.imshow(total.numpy(), **style)
    ax_sum.set_title("sum over channels:\nthe output map", fontsize=10)
    ax_sum.set_xticks([]), ax_sum.set_yticks([])
    return fig


def pareto_plot(ax, costs: Sequence[float], means: Sequence[float], lows: Sequence[float],
                highs: Sequence[float], names: Sequence[str], xlabel: str, logx: bool = False,
                floor: float | None = None) -> list[int]:
    """Accuracy against one cost: each contender a point with its interval (``lows``..``highs``),
    filled if it is on the Pareto front (the points nothing beats on both axes,
    :func:`isolearn.compare.pareto_front`), and the front joined by a staircase: the best accuracy
    each cost can buy. With ``floor``, the y axis starts there and a point below it is drawn on
    the floor as a downward triangle with its value, so that one weak contender does not squash
    the others. Returns the indices on the front."""
    from isolearn.compare import pareto_front

    front = pareto_front(costs, means)
    for i, (c, m, lo, hi, name) in enumerate(zip(costs, means, lows, highs, names)):
        face = f"C{i}" if i in front else "white"
        if floor is not None and m < floor:
            ax.plot([c], [floor], "v", color=f"C{i}", mfc=face, ms=8, label=name, clip_on=False)
            ax.annotate(f"{name}: {m:.2f}", (c, floor), textcoords="offset points",
                        xytext=(-6, 3), ha="right", fontsize=8, color=f"C{i}")
            continue
        ax.errorbar([c], [m], yerr=[[m - lo], [hi - m]], fmt="o", color=f"C{i}", capsize=3,
                    label=name, mfc=face)
    ax.step([costs[i] for i in front], [means[i] for i in front], where="post", color="gray",
            lw=1, ls="--", zorder=0)
    ax.set(xlabel=xlabel, xscale="log" if logx else "linear")
    if floor is not None:
        ax.set_ylim(bottom=floor)
    ax.grid(alpha=0.3, which="both")
    return front


def _class_colors(classes: int) -> list:
    """One colour per class: :data:`CLASS_COLORS` for up to 10, then evenly spaced hues."""
    if classes <= len(CLASS_COLORS):
        return list(CLASS_COLORS)
    cmap = plt.get_cmap("hsv")
    return [cmap(c / classes) for c in range(classes)]


def figure_image(fig, dpi: float | None = None):
    """The figure as a PNG ``IPython.display.Image``: display this, not the Figure itself.

    IPython draws a bare ``matplotlib.figure.Figure`` as PNG only once pyplot has picked its
    inline backend; before that (an explorer showing a notebook's first figure, in a fresh
    kernel) it falls back to the text ``<Figure size 800x720 with 6 Axes>``. Rendering the bytes
    ourselves works in every kernel, in an ``ipywidgets.Output`` too. The background is opaque
    (the figure's own, white by default), so the figure stays readable on a dark page."""
    import io

    from IPython.display import Image

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi or fig.dpi, bbox_inches="tight")
    return Image(data=buffer.getvalue(), format="png")


# --- animations: frames and a small, accessible player -------------------------------------------

def _frame(fig, kind: str = "webp", colors: int = 64, quality: int = 70) -> tuple[bytes, str]:
    """The figure as drawn now, encoded as one animation frame; returns (bytes, MIME type).

    ``"webp"`` and ``"png"`` first reduce the frame to a palette of at most ``colors`` colours
    (plots have few: no visible change, a fraction of the bytes, lines and text stay sharp);
    ``"webp"`` then stores it losslessly in about 15 % fewer bytes than ``"png"`` (every current
    browser reads WebP; it falls back to PNG where Pillow cannot write it). ``"jpeg"`` suits
    photographs."""
    import io

    import numpy as np
    from PIL import Image, features

    fig.canvas.draw()
    rgb = Image.fromarray(np.asarray(fig.canvas.buffer_rgba())[..., :3])
    buffer = io.BytesIO()
    if kind == "webp" and not features.check("webp"):
        kind = "png"
    if kind in ("png", "webp"):
        palette = rgb.quantize(colors=colors, dither=Image.Dither.NONE)
        if kind == "png":
            palette.save(buffer, format="PNG", optimize=True)
        else:
            # method 4, quality 50: about 0.01 s a frame, 5 % more bytes than method 6 at
            # quality 100, which takes 1.6 s a frame (chapter 7's animations took 150 s)
            palette.convert("RGB").save(buffer, format="WEBP", lossless=True, quality=50, method=4)
    elif kind == "jpeg":
        rgb.save(buffer, format="JPEG", quality=quality, optimize=True)
    else:
        raise ValueError(f"_frame: kind={kind!r}; use 'webp', 'png' or 'jpeg'")
    return buffer.getvalue(), f"image/{kind}"


_ICONS = {  # 16 x 16 SVG paths, filled with the button's text colour, as media players draw them
    "first": "M2 2h2v12H2zM9 2v12L4 8zM15 2v12l-5-6z",
    "previous": "M3 2h2v12H3zM13 2v12L6 8z",
    "play": "M4 2v12l10-6z",
    "pause": "M3 2h4v12H3zM9 2h4v12H9z",
    "next": "M3 2v12l7-6zM11 2h2v12h-2z",
    "last": "M1 2v12l5-6zM7 2v12l5-6zM12 2h2v12h-2z",
}

_PLAYER_CSS = (
    ".isolearn-anim{max-width:100%;margin:.5em 0}"
    ".isolearn-anim img{display:block;max-width:100%;height:auto;background:#fff}"
    ".isolearn-anim-controls{display:flex;flex-wrap:wrap;align-items:center;gap:.3em .5em;"
    "margin-top:.3em;font-size:.9em}"
    ".isolearn-anim-controls button{display:inline-flex;align-items:center;justify-content:center;"
    "min-width:2.2em;min-height:2.2em;padding:.2em;border:1px solid currentColor;"
    "border-radius:.3em;background:transparent;color:inherit;cursor:pointer}"
    ".isolearn-anim-controls svg{width:1em;height:1em;fill:currentColor}"
    ".isolearn-anim-controls input[type=range]{flex:1 1 8em;min-width:6em;max-width:24em}"
)

_PLAYER_JS = """(function () {
  var root = document.getElementById(%(uid)s), frames = %(urls)s;
  var img = root.querySelector("img"), slider = root.querySelector("input[type=range]");
  frames.unshift(img.src);  /* the first frame is the <img>'s own, not sent twice */
  var play = root.querySelector("[data-do=play]"), loop = root.querySelector("input[type=checkbox]");
  var counter = root.querySelector("output"), t = 0, timer = null;
  var icons = {play: play.innerHTML, pause: %(pause)s};
  function show(i) {
    t = Math.max(0, Math.min(frames.length - 1, i));
    img.src = frames[t]; slider.value = t; counter.textContent = (t + 1) + " / " + frames.length;
  }
  function label(name) { play.setAttribute("aria-label", name); play.title = name; }
  function stop() { clearInterval(timer); timer = null; play.innerHTML = icons.play; label("Play"); }
  function start() {
    if (t === frames.length - 1) show(0);
    play.innerHTML = icons.pause; label("Pause");
    timer = setInterval(function () {
      if (t < frames.length - 1) show(t + 1); else if (loop.checked) show(0); else stop();
    }, %(interval)d);
  }
  root.addEventListener("click", function (e) {
    var b = e.target.closest("button"); if (!b) return;
    var d = b.getAttribute("data-do");
    if (d === "play") { if (timer) stop(); else start(); return; }
    stop();
    show({first: 0, last: frames.length - 1, previous: t - 1, next: t + 1}[d]);
  });
  slider.addEventListener("input", function () { stop(); show(+slider.value); });
})();"""


def _icon(name: str) -> str:
    return (f'<svg viewBox="0 0 16 16" aria-hidden="true" focusable="false">'
            f'<path d="{_ICONS[name]}"/></svg>')


def animation_html(frames: Sequence[bytes], mime: str, interval: int, alt: str,
                   loop: bool = False) -> str:
    """A self-contained HTML player for encoded ``frames`` (``mime``: ``"image/png"``, ...),
    ``interval`` ms apart.

    The first frame is an ``<img>`` whose ``alt`` says what the animation shows (for readers who
    cannot see it), and it is there without JavaScript too. Labelled buttons (first, previous,
    play/pause, next, last), a labelled frame slider and a loop switch; the icons are inline SVG
    (no icon font, nothing fetched from another site); the player shrinks to the page's width.
    It plays only when asked to."""
    import base64
    import html
    import json
    import uuid

    if not frames:
        raise ValueError("animation_html: frames is empty; draw at least one frame")
    if not alt.strip():
        raise ValueError("animation_html: alt is empty; say in a sentence what the animation shows")
    urls = [f"data:{mime};base64," + base64.b64encode(f).decode("ascii") for f in frames]
    uid = "isolearn-anim-" + uuid.uuid4().hex[:12]
    n = len(urls)
    buttons = "".join(
        f'<button type="button" data-do="{action}" aria-label="{label}" title="{label}">'
        f"{_icon(action)}</button>"
        for action, label in [("first", "First frame"), ("previous", "Previous frame"),
                              ("play", "Play"), ("next", "Next frame"), ("last", "Last frame")])
    script = _PLAYER_JS % {"uid": json.dumps(uid), "urls": json.dumps(urls[1:]),
                           "interval": interval, "pause": json.dumps(_icon("pause"))}
    return (f"<style>{_PLAYER_CSS}</style>"
            f'<div class="isolearn-anim" id="{uid}" role="group" aria-label="Animation">'
            f'<img src="{urls[0]}" alt="{html.escape(alt)}">'
            f'<div class="isolearn-anim-controls">{buttons}'
            f'<input type="range" min="0" max="{n - 1}" value="0" step="1" '
            f'aria-label="Frame, 1 to {n}">'
            f"<output>1 / {n}</output>"
            f'<label><input type="checkbox"{" checked" if loop else ""}> loop</label>'
            f"</div></div><script>{script}</script>")


# --- chapters 3 and 4: position embeddings, attention distance, token-mixing matrices ----------

def position_similarity(pos_embed: torch.Tensor, grid: int, size: float = 0.75) -> plt.Figure:
    """The ViT paper's fig. 7 (centre): tile (r, c) shows the cosine similarity between the
    position embedding of patch (r, c) and those of all grid x grid patches, on one colour scale
    from -1 to 1. ``pos_embed`` (n, d) holds the patches' embeddings only (drop the class token's).
    Learned embeddings that encode the 2-D layout light up around each tile's own position."""
    pos = pos_embed.detach().cpu().float()
    if pos.dim() != 2 or pos.shape[0] != grid * grid:
        raise ValueError(f"position_similarity: pos_embed must be (grid², d) = ({grid * grid}, d), "
                         f"got {tuple(pos.shape)}; drop the class token's row first")
    unit = pos / pos.norm(dim=1, keepdim=True)
    similarity = (unit @ unit.T).reshape(grid * grid, grid, grid)  # (n, grid, grid)
    fig, axes = plt.subplots(grid, grid, figsize=(size * grid + 0.8, size * grid),
                             squeeze=False, layout="constrained")
    for k, ax in enumerate(axes.flat):
        image = ax.imshow(similarity[k].numpy(), cmap="RdBu_r", vmin=-1, vmax=1)
        ax.set_xticks([]), ax.set_yticks([])
    for r in range(grid):
        axes[r, 0].set_ylabel(f"row {r}", fontsize=8)
        axes[-1, r].set_xlabel(f"col {r}", fontsize=8)
    fig.colorbar(image, ax=axes, shrink=0.8, label="cosine similarity")
    return fig


def attention_distance_figure(distances: torch.Tensor, uniform: float, local: float | None = None,
                              labels: Sequence[str] | None = None) -> plt.Figure:
    """The ViT paper's fig. 7 (right): one dot per head, its mean attention distance in pixels
    against the layer; ``distances`` (L, heads) or (runs, L, heads), ``uniform`` the distance of
    attention spread evenly over all patches (dashed), ``local`` an optional second reference
    (e.g. a 3 x 3 convolution's window, dotted)."""
    d = distances.detach().cpu().float()
    d = d[None] if d.dim() == 2 else d  # (runs, L, heads)
    runs, layers, heads = d.shape
    fig, ax = plt.subplots(figsize=(5.2, 3.4), layout="constrained")
    for run in range(runs):
        offset = (run - (runs - 1) / 2) * 0.12
        xs = torch.arange(layers).repeat_interleave(heads) + offset
        ax.plot(xs.numpy(), d[run].flatten().numpy(), "o", alpha=0.8,
                label=labels[run] if labels else None)
    ax.axhline(uniform, ls="--", color="gray", label="uniform attention")
    if local is not None:
        ax.axhline(local, ls=":", color="black", label="3x3 convolution window")
    ax.set(xlabel="layer", ylabel="mean attention distance (pixels)", xticks=range(layers),
           ylim=(0, max(d.max().item(), uniform) * 1.15))
    ax.grid(alpha=0.3)
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return fig


def mixing_matrices(matrices: dict, size: float = 3.0) -> plt.Figure:
    """S x S token-mixing matrices side by side (see :mod:`isolearn.mixing`): entry (i, j) is how
    much output token i takes from input token j, each on its own scale with a colour bar: blue <
    0 < red for a matrix with negative entries, dark to bright for one without (attention)."""
    fig, axes = plt.subplots(1, len(matrices), figsize=(size * len(matrices), size + 0.4),
                             squeeze=False, layout="constrained")
    for ax, (name, matrix) in zip(axes[0], matrices.items()):
        m = matrix.detach().cpu().float()
        bound = m.abs().max().item() or 1.0
        image = (ax.imshow(m.numpy(), cmap="magma", vmin=0, vmax=bound) if m.min() >= 0 else
                 ax.imshow(m.numpy(), cmap="RdBu_r", vmin=-bound, vmax=bound))
        ax.set_title(name, fontsize=10)
        ax.set(xlabel="input token j", ylabel="output token i")
        fig.colorbar(image, ax=ax, shrink=0.75)
    return fig
