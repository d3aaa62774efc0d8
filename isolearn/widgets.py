"""Interactive explorers: live ipywidgets controls in a notebook, a static figure elsewhere.

Every explorer implements ``figure()`` (the static fallback: a gallery of representative
settings, what the website shows) and ``widget()`` (the live controls). Displaying an explorer
picks one: the figure in the book build and in tests (``ISOLEARN_STATIC=1``, see
:func:`isolearn.runtime.static`) or when ipywidgets is missing, the widget otherwise.
"""

from __future__ import annotations

import math
from typing import Callable, Sequence

import torch
from matplotlib.figure import Figure

from isolearn import validate
from isolearn.conv import KERNELS, apply_kernel
from isolearn.runtime import static
from isolearn.viz import _as_2d, annotate, figure_image, show_map


class Explorer:
    """Base class: subclasses draw with ``matplotlib.figure.Figure`` (not pyplot), so a figure
    appears only where it is displayed, and show it with :meth:`show`, which renders its PNG
    (a bare Figure can reach the page as the text ``<Figure size ...>``, see
    :func:`isolearn.viz.figure_image`)."""

    def figure(self) -> Figure:
        raise NotImplementedError

    def widget(self):
        raise NotImplementedError

    @staticmethod
    def show(fig: Figure) -> None:
        """Display ``fig`` as PNG: in the cell's output, or in the ``ipywidgets.Output`` it is
        called inside."""
        from IPython.display import display

        display(figure_image(fig))

    def _ipython_display_(self) -> None:
        from IPython.display import display

        try:
            import ipywidgets  # noqa: F401
        except ImportError:
            self.show(self.figure())
            return
        if static():
            self.show(self.figure())
        else:
            display(self.widget())


def _show_kernel(ax, kernel: torch.Tensor, name: str) -> None:
    bound = kernel.abs().max().item() or 1.0
    ax.imshow(_as_2d(kernel).numpy(), cmap="RdBu_r", vmin=-bound, vmax=bound)
    annotate(ax, kernel)
    ax.set_title(name, fontsize=10)


def _draw_kernel(fig: Figure, image: torch.Tensor, kernel: torch.Tensor, name: str) -> None:
    axes = fig.subplots(1, 3, width_ratios=[3, 1.6, 3])
    axes[0].imshow(_as_2d(image).numpy(), cmap="gray")
    axes[0].set_title("input")
    _show_kernel(axes[1], kernel, name)
    show_map(axes[2], apply_kernel(image, kernel))
    axes[2].set_title("feature map")
    for ax in axes:
        ax.set_xticks([]), ax.set_yticks([])


class KernelExplorer(Explorer):
    """Pick a classic 3x3 kernel or type your own; see the feature map it makes of ``image``."""

    def __init__(self, image: torch.Tensor, kernels: dict[str, torch.Tensor] | None = None):
        self.image = _as_2d(image)
        self.kernels = {name: _as_2d(k) for name, k in dict(kernels or KERNELS).items()}  # float (k, k)
        if not self.kernels:
            raise ValueError("KernelExplorer: kernels is empty; pass {name: a (k, k) kernel}, or None "
                             "for the classic ones")
        self.name = next(iter(self.kernels))
        self.kernel = self.kernels[self.name].clone()

    @property
    def feature_map(self) -> torch.Tensor:
        """The current kernel applied to the image, 'same' size: (h, w)."""
        return apply_kernel(self.image, self.kernel)

    def figure(self) -> Figure:
        """Static gallery: the input, then every kernel (top) above its feature map (bottom)."""
        n = len(self.kernels)
        fig = Figure(figsize=(1.6 * (n + 1), 3.5), layout="constrained")
        axes = fig.subplots(2, n + 1)
        axes[0, 0].imshow(self.image.numpy(), cmap="gray")
        axes[0, 0].set_title("input", fontsize=10)
        for (name, kernel), top, bottom in zip(self.kernels.items(), axes[0, 1:], axes[1, 1:]):
            _show_kernel(top, kernel, name)
            show_map(bottom, apply_kernel(self.image, kernel))
        for ax in axes.flat:
            ax.set_xticks([]), ax.set_yticks([])
        axes[1, 0].set_axis_off()
        axes[1, 0].text(0.5, 0.5, "feature\nmaps →", ha="center", va="center", fontsize=11)
        return fig

    def widget(self):
        import ipywidgets as w

        choose = w.Dropdown(options=list(self.kernels), value=self.name, description="kernel")
        cells = [w.FloatText(value=float(v), layout=w.Layout(width="70px"), step=0.5)
                 for v in self.kernel.flatten()]
        grid = w.GridBox(cells, layout=w.Layout(grid_template_columns="repeat(3, 75px)"))
        out = w.Output()
        syncing = False  # True while the dropdown writes the cells: redraw once, not nine times

        def redraw(*_):
            if syncing:
                return
            self.kernel = torch.tensor([c.value for c in cells]).reshape(3, 3)
            fig = Figure(figsize=(7.5, 2.6), layout="constrained")
            _draw_kernel(fig, self.image, self.kernel, self.name)
            with out:
                out.clear_output(wait=True)
                self.show(fig)

        def pick(change):
            nonlocal syncing
            self.name = change["new"]
            syncing = True
            for cell, v in zip(cells, self.kernels[self.name].flatten()):
                cell.value = float(v)
            syncing = False
            redraw()

        choose.observe(pick, names="value")
        for cell in cells:
            cell.observe(redraw, names="value")
        redraw()
        hint = w.HTML("Edit the 3x3 kernel: the feature map updates as you type.")
        return w.VBox([w.HBox([choose, hint]), grid, out])


# --- chapter 3: patches and attention maps ----------------------------------------------------

def _draw_patches(fig: Figure, image: torch.Tensor, patch_size: int) -> None:
    """The image with its p x p patch grid (left) and the token sequence it becomes (right)."""
    from isolearn.patches import patchify

    image = _as_2d(image)
    n_side = image.shape[0] // patch_size
    left, right = fig.subplots(1, 2, width_ratios=[1, 2.2])
    left.imshow(image.numpy(), cmap="gray")
    for k in range(1, n_side):
        left.axhline(k * patch_size - 0.5, color="#e69f00", lw=1.5)
        left.axvline(k * patch_size - 0.5, color="#e69f00", lw=1.5)
    left.set_title(f"patch {patch_size}: {n_side}x{n_side} = {n_side ** 2} tokens", fontsize=10)
    tokens = patchify(image[None, None], patch_size)[0]  # (n, p·p)
    shown = min(len(tokens), 16)
    p = patch_size
    strip = torch.full((p, shown * (p + 1) - 1), float("nan"))  # tiles with 1-pixel gaps
    for t in range(shown):
        strip[:, t * (p + 1): t * (p + 1) + p] = tokens[t].reshape(p, p)
    right.imshow(strip.numpy(), cmap="gray", vmin=0, vmax=float(image.max()))
    more = f"the first {shown} of {len(tokens)} tokens" if shown < len(tokens) else f"all {shown} tokens"
    right.set_title(f"as a sequence: {more}", fontsize=10)
    right.set_axis_off()
    left.set_xticks([]), left.set_yticks([])


class PatchExplorer(Explorer):
    """Choose a patch size and see the image cut into tokens: fewer, bigger patches or many small."""

    def __init__(self, image: torch.Tensor, sizes: list[int] | None = None):
        self.image = _as_2d(image)
        n = self.image.shape[0]
        if self.image.shape[0] != self.image.shape[1]:
            raise ValueError(f"PatchExplorer: the image must be square, got {tuple(self.image.shape)}; "
                             f"crop it, e.g. image[..., :{min(self.image.shape)}, :{min(self.image.shape)}]")
        divisors = [p for p in range(1, n + 1) if n % p == 0]
        self.sizes = sizes or [p for p in divisors if 1 < p < n] or divisors  # a prime side: 1 and n
        if isinstance(self.sizes, int) or any(p not in divisors for p in self.sizes):
            raise ValueError(f"PatchExplorer: sizes={sizes!r} must be patch sizes that divide the side "
                             f"{n}, chosen among {divisors}")

    def figure(self) -> Figure:
        fig = Figure(figsize=(8, 2.4 * len(self.sizes)), layout="constrained")
        for sub, p in zip(fig.subfigures(len(self.sizes), 1, squeeze=False)[:, 0], self.sizes):
            _draw_patches(sub, self.image, p)
        return fig

    def widget(self):
        import ipywidgets as w

        out = w.Output()
        slider = w.SelectionSlider(options=self.sizes, value=self.sizes[len(self.sizes) // 2],
                                   description="patch size")

        def redraw(*_):
            fig = Figure(figsize=(8, 2.6), layout="constrained")
            _draw_patches(fig, self.image, slider.value)
            with out:
                out.clear_output(wait=True)
                self.show(fig)

        slider.observe(redraw, names="value")
        redraw()
        return w.VBox([slider, out])


class AttentionExplorer(Explorer):
    """Where does the class token look? Its attention to every patch, per image, layer and head.

    ``model`` is a ViT with a class token; ``images`` (k, c, h, w). Maps are (h/p, w/p) grids.
    """

    def __init__(self, model, images: torch.Tensor):
        import copy

        from einops import rearrange

        from isolearn.models.vit import ViT

        if not isinstance(model, ViT) or model.cls_token is None:
            raise validate.ArgumentTypeError(
                f"AttentionExplorer: model must be a ViT with a class token (pool='cls'), got "
                f"{type(model).__name__}" + (" with pool='mean'" if isinstance(model, ViT) else ""))
        c = model.config
        self.images = validate.images(images, "AttentionExplorer", c.in_chans, (c.img_size, c.img_size),
                                      name="images").detach().cpu()
        model = copy.deepcopy(model).eval().cpu()  # the caller's model stays where and as it was
        self.images = self.images.to(next(model.parameters()).dtype)
        model.keep_attention(True)
        with torch.no_grad():
            model(self.images)
        model.keep_attention(False)
        side = model.config.img_size // model.config.patch_size
        weights = torch.stack([b.attn.weights for b in model.blocks])  # (L, k, h, 1 + n, 1 + n)
        cls = weights[..., 0, 1:]  # (L, k, heads, n): the class token's attention to the patches
        self.maps = rearrange(cls, "l k h (y x) -> k l h y x", y=side)  # (k, L, heads, side, side)

    def _draw(self, fig: Figure, image: int, layer: int, head: int | None) -> None:
        axes = fig.subplots(1, 2)
        axes[0].imshow(_as_2d(self.images[image].mean(0)).numpy(), cmap="gray")
        attn = self.maps[image, layer]
        attn = attn.mean(0) if head is None else attn[head]
        axes[1].imshow(attn.numpy(), cmap="magma")
        axes[1].set_title(f"layer {layer}, {'mean of heads' if head is None else f'head {head}'}",
                          fontsize=10)
        for ax in axes:
            ax.set_xticks([]), ax.set_yticks([])

    def figure(self) -> Figure:
        """Static grid: rows are images, columns the image then each layer (mean over heads)."""
        k, layers = self.maps.shape[:2]
        fig = Figure(figsize=(1.5 * (layers + 1), 1.55 * k), layout="constrained")
        axes = fig.subplots(k, layers + 1, squeeze=False)
        for i in range(k):
            axes[i, 0].imshow(_as_2d(self.images[i].mean(0)).numpy(), cmap="gray")
            for layer in range(layers):
                axes[i, layer + 1].imshow(self.maps[i, layer].mean(0).numpy(), cmap="magma")
                if i == 0:
                    axes[i, layer + 1].set_title(f"layer {layer}", fontsize=10)
        axes[0, 0].set_title("image", fontsize=10)
        for ax in axes.flat:
            ax.set_xticks([]), ax.set_yticks([])
        return fig

    def widget(self):
        import ipywidgets as w

        k, layers, heads = self.maps.shape[:3]
        image = w.IntSlider(0, 0, k - 1, description="image")
        layer = w.IntSlider(0, 0, layers - 1, description="layer")
        head = w.Dropdown(options=[("mean", None)] + [(str(h), h) for h in range(heads)],
                          value=None, description="head")
        out = w.Output()

        def redraw(*_):
            fig = Figure(figsize=(5, 2.6), layout="constrained")
            self._draw(fig, image.value, layer.value, head.value)
            with out:
                out.clear_output(wait=True)
                self.show(fig)

        for control in (image, layer, head):
            control.observe(redraw, names="value")
        redraw()
        return w.VBox([w.HBox([image, layer, head]), out])


# --- chapter 7: rotate the input, compare the activations --------------------------------------

def letter_f(points: int = 40) -> torch.Tensor:
    """The letter F as polylines ``(3, points, 2)``, 3 units tall: a shape whose rotations and
    reflections are all different, so a picture shows at once whether two maps agree."""
    strokes = torch.tensor([[[-0.6, -1.5], [-0.6, 1.5]], [[-0.6, 1.5], [0.9, 1.5]],
                            [[-0.6, 0.2], [0.5, 0.2]]])  # (3, 2 ends, 2)
    t = torch.linspace(0, 1, points)[None, :, None]  # (1, points, 1)
    return strokes[:, :1] + t * (strokes[:, 1:] - strokes[:, :1])  # (3, points, 2)


def rotation(degrees: float) -> torch.Tensor:
    """The 2x2 matrix that rotates the plane by ``degrees`` counter-clockwise."""
    a = math.radians(degrees)
    return torch.tensor([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])


class RotationExplorer(Explorer):
    """Rotate the letter F by an angle θ and compare, for each activation f, the two ways round:
    f(Rx), rotate then activate (solid), and R f(x), activate then rotate (dashed). Where they
    coincide, f commutes with that rotation; the panel titles give the largest gap."""

    def __init__(self, fns: dict[str, Callable] | None = None,
                 angles: Sequence[float] = (0, 30, 90)):
        from isolearn.activations import isotropic_relu, isotropic_tanh

        self.fns = dict(fns or {"tanh": torch.tanh, "ReLU": torch.relu,
                                "isotropic tanh": isotropic_tanh,
                                "isotropic ReLU": lambda x: isotropic_relu(x, 0.5)})
        for name, f in self.fns.items():
            validate.function(f, f"fns[{name!r}]", "RotationExplorer")
        self.angles = [validate.number(a, "angles", "RotationExplorer", example=[0, 30, 90]) for a in angles]
        if not self.angles:
            raise ValueError("RotationExplorer: angles is empty; give at least one angle in degrees, "
                             "e.g. angles=(0, 30, 90)")
        self.degrees = 30.0  # the live widget's current angle
        self.shape = letter_f()  # (3, points, 2)

    def outputs(self, name: str, degrees: float) -> tuple[torch.Tensor, torch.Tensor]:
        """(f(Rx), R f(x)) for the activation ``name``, each ``(3, points, 2)``."""
        f, r = self.fns[name], rotation(degrees)
        x = self.shape.reshape(-1, 2)  # (m, 2)
        with torch.no_grad():
            rotate_first = f(x @ r.T)
            activate_first = f(x) @ r.T
        return rotate_first.reshape(self.shape.shape), activate_first.reshape(self.shape.shape)

    def gap(self, name: str, degrees: float) -> float:
        """max ‖f(Rx) − R f(x)‖ over the points of the letter."""
        a, b = self.outputs(name, degrees)
        return (a - b).norm(dim=-1).max().item()

    def _draw(self, ax, name: str, degrees: float, title: str) -> None:
        rotate_first, activate_first = self.outputs(name, degrees)
        for stroke in rotate_first:
            ax.plot(*stroke.T.numpy(), color="#0072b2", lw=3.2, solid_capstyle="round")
        for stroke in activate_first:
            ax.plot(*stroke.T.numpy(), color="#e69f00", lw=1.6, ls=(0, (3, 2)))
        bound = 1.05 * max(rotate_first.abs().max().item(), activate_first.abs().max().item(), 1)
        ax.set(xlim=(-bound, bound), ylim=(-bound, bound), xticks=[], yticks=[])
        ax.set_aspect("equal")
        ax.set_title(f"{title}gap {self.gap(name, degrees):.2g}", fontsize=9)

    def figure(self) -> Figure:
        """Static gallery: one row per angle, one column per activation."""
        names = list(self.fns)
        fig = Figure(figsize=(2.1 * len(names), 2.15 * len(self.angles) + 0.4),
                     layout="constrained")
        axes = fig.subplots(len(self.angles), len(names), squeeze=False)
        for row, degrees in enumerate(self.angles):
            for col, name in enumerate(names):
                self._draw(axes[row, col], name, degrees, f"{name}\n" if row == 0 else "")
            axes[row, 0].set_ylabel(f"rotate {degrees:g}°", fontsize=10)
        fig.suptitle("solid: f(Rx), rotate then activate   dashed: R f(x), activate then rotate",
                     fontsize=10)
        return fig

    def widget(self):
        import ipywidgets as w

        slider = w.FloatSlider(value=self.degrees, min=0, max=360, step=5,
                               description="rotate (°)", continuous_update=True)
        out = w.Output()

        def redraw(*_):
            self.degrees = slider.value
            fig = Figure(figsize=(2.2 * len(self.fns), 2.6), layout="constrained")
            for ax, name in zip(fig.subplots(1, len(self.fns), squeeze=False)[0], self.fns):
                self._draw(ax, name, self.degrees, f"{name}\n")
            with out:
                out.clear_output(wait=True)
                self.show(fig)

        slider.observe(redraw, names="value")
        redraw()
        hint = w.HTML("Solid: f(Rx). Dashed: R f(x). Isotropic activations keep them together "
                      "at every angle.")
        return w.VBox([w.HBox([slider, hint]), out])
