"""Interactive explorers: live ipywidgets controls in a notebook, a static figure elsewhere.

Every explorer implements ``figure()`` (the static fallback: a gallery of representative
settings, what the website shows) and ``widget()`` (the live controls). Displaying an explorer
picks one: the figure in the book build and in tests (``ISOLEARN_STATIC=1``, see
:func:`isolearn.runtime.static`) or when ipywidgets is missing, the widget otherwise.
"""

from __future__ import annotations

import torch
from matplotlib.figure import Figure

from isolearn.conv import KERNELS, apply_kernel
from isolearn.runtime import static
from isolearn.viz import _as_2d, annotate, show_map


class Explorer:
    """Base class: subclasses draw with ``matplotlib.figure.Figure`` (not pyplot), so a figure
    appears only where it is displayed."""

    def figure(self) -> Figure:
        raise NotImplementedError

    def widget(self):
        raise NotImplementedError

    def _ipython_display_(self) -> None:
        from IPython.display import display

        try:
            import ipywidgets  # noqa: F401
        except ImportError:
            display(self.figure())
            return
        display(self.figure() if static() else self.widget())


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
        self.kernels = dict(kernels or KERNELS)
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
        from IPython.display import display

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
                display(fig)

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
