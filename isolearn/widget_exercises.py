"""Exercises done with a widget: move the controls until the verdict says ✅.

Each one is an :class:`~isolearn.widgets.Explorer` with a task. Live (Colab's ipywidgets 7.7,
JupyterLab's 8), its controls redraw a picture and a verdict at every change; the verdict is the
:class:`~isolearn.exercises.Verdict` that ``check()`` returns, with the same feedback style: it
never raises, and a wrong setting is told what is wrong with it, not only that it is. In the
built book (``ISOLEARN_STATIC=1``, no kernel) it draws its picture at the starting setting, and
the notebook's markdown gives the task and, in a dropdown, the solution.

A subclass lists its controls in ``controls()``, draws one setting in ``draw(fig, **setting)``
and judges one in ``judge(**setting)``; :meth:`WidgetExercise.verdict` wraps ``judge`` so that
nothing escapes it. Tests call ``verdict(**setting)`` directly, and drive the live widget too.
"""

from __future__ import annotations

import abc
import math
from typing import Any

import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from isolearn.conv import apply_kernel, receptive_field
from isolearn.exercises import Verdict
from isolearn.viz import _as_2d, annotate, show_map
from isolearn.widgets import Explorer, _draw_patches, letter_f, rotation


class WidgetExercise(Explorer, abc.ABC):
    """Base class: ``name`` names the exercise in its verdict, ``start`` is the setting the
    widget opens with (and the static page draws), a dict of the controls' values."""

    name = "widget exercise"
    start: dict[str, Any] = {}

    def __init__(self):
        self.setting = dict(self.start)

    # --- what a subclass writes ---
    @abc.abstractmethod
    def controls(self, w) -> dict[str, Any]:
        """{setting name: an ipywidgets control}, in display order; ``w`` is ipywidgets."""
        raise NotImplementedError

    @abc.abstractmethod
    def draw(self, fig: Figure, **setting) -> None:
        raise NotImplementedError

    @abc.abstractmethod
    def judge(self, **setting) -> Verdict:
        raise NotImplementedError

    # --- the machinery ---
    def passed(self, message: str, detail: str = "") -> Verdict:
        return Verdict(self.name, "passed", message, detail)

    def failed(self, message: str, detail: str = "") -> Verdict:
        return Verdict(self.name, "failed", message, detail)

    def verdict(self, **setting) -> Verdict:
        """Judge ``setting`` (the current one for names left out). Never raises: an unexpected
        error becomes an "error" verdict that says what went wrong."""
        merged = {**self.setting, **setting}
        unknown = sorted(set(merged) - set(self.start))
        if unknown:
            return Verdict(self.name, "error", f"unknown setting {unknown[0]!r}; this exercise's "
                                               f"settings are {sorted(self.start)}")
        try:
            return self.judge(**merged)
        except Exception as error:  # noqa: BLE001 (a verdict never raises)
            return Verdict(self.name, "error", f"could not judge this setting: "
                                               f"{type(error).__name__}: {error}")

    def figure(self) -> Figure:
        """The static picture: the starting setting."""
        fig = Figure(figsize=self.size, layout="constrained")
        self.draw(fig, **self.start)
        return fig

    size = (7.5, 2.6)

    def widget(self):
        import ipywidgets as w

        controls = self.controls(w)
        out = w.Output()
        verdict = w.HTML()

        def redraw(*_):
            self.setting = {name: control.value for name, control in controls.items()}
            fig = Figure(figsize=self.size, layout="constrained")
            try:
                self.draw(fig, **self.setting)
            except Exception as error:  # noqa: BLE001 (the verdict says what is wrong)
                fig = Figure(figsize=(4, 0.6))
                fig.text(0.02, 0.5, f"cannot draw this setting: {error}", va="center")
            verdict.value = self.verdict()._repr_html_()
            with out:
                out.clear_output(wait=True)
                self.show(fig)

        for control in controls.values():
            control.observe(redraw, names="value")
        redraw()
        return w.VBox([w.HBox(list(controls.values())), verdict, out])


# --- chapter 1: a kernel that finds vertical edges --------------------------------------------

def edge_images(n: int = 12, size: int = 16, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    """Held-out test images: ``n`` with one vertical step edge and ``n`` with one horizontal
    one, at random positions and contrasts, on random brightness: two tensors (n, size, size)."""
    g = torch.Generator().manual_seed(seed)
    where = torch.randint(4, size - 4, (2, n), generator=g)
    contrast = 0.5 + torch.rand(2, n, generator=g)  # 0.5 to 1.5
    base = torch.rand(2, n, generator=g)
    sign = torch.where(torch.rand(2, n, generator=g) < 0.5, -1.0, 1.0)
    steps = torch.arange(size)[None, :] >= where[..., None]  # (2, n, size)
    profile = base[..., None] + sign[..., None] * contrast[..., None] * steps  # (2, n, size)
    vertical = profile[0][:, None, :].expand(n, size, size)  # varies along the columns
    horizontal = profile[1][:, :, None].expand(n, size, size)  # varies along the rows
    return vertical.clone(), horizontal.clone()


class VerticalEdgeExercise(WidgetExercise):
    """Edit a 3x3 kernel until it finds vertical edges: on held-out images it must respond to a
    vertical edge at least 3 times as strongly as to a horizontal one, and give 0 on flat
    regions (its entries sum to 0)."""

    name = "vertical edges"
    start = {f"k{i}": 0.0 for i in range(9)}
    ratio = 3.0

    def __init__(self, image: torch.Tensor | None = None):
        super().__init__()
        vertical, horizontal = edge_images()
        self.vertical, self.horizontal = vertical, horizontal
        self.image = _as_2d(image) if image is not None else vertical[0] + horizontal[1] - 0.5

    @staticmethod
    def kernel(**setting) -> torch.Tensor:
        return torch.tensor([float(setting[f"k{i}"]) for i in range(9)]).reshape(3, 3)

    def controls(self, w):
        return {f"k{i}": w.FloatText(value=float(self.setting[f"k{i}"]), step=0.5,
                                     layout=w.Layout(width="70px")) for i in range(9)}

    def widget(self):
        import ipywidgets as w

        box = super().widget()  # (HBox of 9 cells, verdict, figure): lay the cells out 3 x 3
        cells = box.children[0].children
        grid = w.GridBox(list(cells), layout=w.Layout(grid_template_columns="repeat(3, 75px)"))
        return w.VBox([w.HTML("Type the 3x3 kernel: the verdict and the maps update as you go."),
                       grid, *box.children[1:]])

    @staticmethod
    def strength(kernel: torch.Tensor, images: torch.Tensor) -> float:
        """Mean |feature map| away from the border (where 'same' padding adds false edges)."""
        maps = torch.stack([apply_kernel(img, kernel) for img in images])  # (n, h, w)
        return maps[:, 2:-2, 2:-2].abs().mean().item()

    def draw(self, fig: Figure, **setting) -> None:
        kernel = self.kernel(**setting)
        axes = fig.subplots(1, 4, width_ratios=[1.4, 3, 3, 3])
        bound = kernel.abs().max().item() or 1.0
        axes[0].imshow(kernel.numpy(), cmap="RdBu_r", vmin=-bound, vmax=bound)
        annotate(axes[0], kernel)
        axes[0].set_title("your kernel", fontsize=10)
        axes[1].imshow(self.image.numpy(), cmap="gray")
        axes[1].set_title("a test image", fontsize=10)
        show_map(axes[2], apply_kernel(self.image, kernel))
        axes[2].set_title("its feature map", fontsize=10)
        v, h = self.strength(kernel, self.vertical), self.strength(kernel, self.horizontal)
        axes[3].bar(["vertical\nedges", "horizontal\nedges"], [v, h], color=["#0072b2", "#e69f00"])
        axes[3].set_title("mean response", fontsize=10)
        for ax in axes[:3]:
            ax.set_xticks([]), ax.set_yticks([])

    def judge(self, **setting) -> Verdict:
        kernel = self.kernel(**setting)
        if not torch.isfinite(kernel).all():
            return self.failed("the kernel has an entry that is not a number; type numbers only")
        if kernel.abs().max() == 0:
            return self.failed("the kernel is all zeros, so every feature map is 0: it finds "
                               "nothing. Give it negative weights on one side and positive on "
                               "the other")
        total = kernel.sum().item()
        if abs(total) > 1e-6 * kernel.abs().sum().item():
            return self.failed(f"the entries sum to {total:g}, not 0, so a flat region gives "
                               f"{total:g} × its brightness instead of 0: an edge detector "
                               f"responds to change only")
        v, h = self.strength(kernel, self.vertical), self.strength(kernel, self.horizontal)
        detail = (f"mean response on {len(self.vertical)} held-out images: vertical edges "
                  f"{v:.3f}, horizontal edges {h:.3f}")
        if v < self.ratio * h:
            which = ("it responds more to horizontal edges: you built a top-bottom detector; "
                     "turn it by 90°" if h >= self.ratio * v else
                     f"it responds to vertical edges only {v / h:.1f} times as strongly as to "
                     f"horizontal ones (at least {self.ratio:g} needed): compare the left "
                     f"column with the right, not the top row with the bottom")
            return self.failed(which, detail)
        how = ("and nothing to horizontal ones" if h < 1e-6 * v else
               f"{v / h:.3g} times as strongly as to horizontal ones")
        return self.passed(f"your kernel responds to vertical edges {how}, on held-out images",
                           detail)


# --- chapter 2: stages that see the whole digit ------------------------------------------------

class PyramidDepthExercise(WidgetExercise):
    """Stack stages of (k x k 'same' convolution, 2x2 max-pool) on a 32x32 input until one
    position of the last map sees the whole 28-pixel digit, while the map is still at least
    2 x 2."""

    name = "a pyramid that sees the digit"
    start = {"kernel": 3, "stages": 1}
    side, digit = 32, 28

    def controls(self, w):
        return {"kernel": w.Dropdown(options=[3, 5, 7], value=self.setting["kernel"],
                                     description="kernel"),
                "stages": w.IntSlider(value=self.setting["stages"], min=1, max=5,
                                      description="stages")}

    def measure(self, kernel: int, stages: int) -> tuple[int, int]:
        """(receptive field in pixels, side of the last map)."""
        layers = [(kernel, 1), (2, 2)] * stages
        return receptive_field(layers), self.side // 2 ** stages  # 'same' padding: pools halve

    size = (7.5, 3.0)

    def draw(self, fig: Figure, **setting) -> None:
        kernel, stages = int(setting["kernel"]), int(setting["stages"])
        field, side = self.measure(kernel, stages)
        ax = fig.subplots()
        ax.add_patch(Rectangle(
            (0, 0), self.side, self.side, fill=False, lw=1.5, color="0.4"))
        d0 = (self.side - self.digit) / 2
        ax.add_patch(Rectangle(
            (d0, d0), self.digit, self.digit, color="#e69f00", alpha=0.3, label="the digit"))
        c = self.side / 2
        ax.add_patch(Rectangle(
            (c - field / 2, c - field / 2), field, field, fill=False, lw=2.5, color="#0072b2",
            label=f"receptive field: {field} px"))
        ax.set(xlim=(-20, self.side + 20), ylim=(-20, self.side + 20), xticks=[], yticks=[])
        ax.set_aspect("equal")
        ax.legend(loc="upper left", fontsize=8)
        ax.set_title(f"{stages} × (conv {kernel}×{kernel}, pool 2×2): last map "
                     f"{max(side, 0)}×{max(side, 0)}", fontsize=10)

    def judge(self, kernel: int, stages: int) -> Verdict:
        field, side = self.measure(int(kernel), int(stages))
        detail = f"receptive field {field} pixels, last map {max(side, 0)}×{max(side, 0)}"
        if side < 2:
            return self.failed(f"the last map is {max(side, 0)}×{max(side, 0)}: the input ran out "
                               f"of pixels: every pool halves it. Use fewer stages", detail)
        if field < self.digit:
            return self.failed(f"one position sees {field}×{field} pixels, less than the "
                               f"{self.digit}-pixel digit: add a stage (each pool doubles how "
                               f"fast the field grows) or a larger kernel", detail)
        return self.passed(f"one position of the {side}×{side} map sees {field}×{field} pixels, "
                           f"the whole digit", detail)


# --- chapter 3: a patch size for a token budget -----------------------------------------------

class PatchBudgetExercise(WidgetExercise):
    """Choose the patch size for a 32x32 image: at most ``budget`` tokens (attention's n × n
    scores grow with their square), and within that the finest patches."""

    name = "a patch size for a budget"
    start = {"patch": 16}
    budget = 100

    def __init__(self, image: torch.Tensor | None = None):
        super().__init__()
        if image is None:  # a bundled digit, 8x8 -> 32x32 (each pixel a 4x4 block)
            from sklearn.datasets import load_digits

            image = torch.tensor(load_digits().images[0], dtype=torch.float32)
            image = image.repeat_interleave(4, 0).repeat_interleave(4, 1)
        self.image = _as_2d(image)
        self.sizes = [p for p in (1, 2, 4, 8, 16, 32) if self.image.shape[0] % p == 0]

    def controls(self, w):
        return {"patch": w.SelectionSlider(options=self.sizes, value=self.setting["patch"],
                                           description="patch size")}

    def tokens(self, patch: int) -> int:
        return (self.image.shape[0] // patch) ** 2

    def draw(self, fig: Figure, **setting) -> None:
        _draw_patches(fig, self.image, int(setting["patch"]))

    def judge(self, patch: int) -> Verdict:
        n = self.tokens(int(patch))
        detail = f"patch {patch}: n = {n} tokens, n² = {n * n:,} attention scores per head"
        if n > self.budget:
            return self.failed(f"{n} tokens is over the budget of {self.budget}, and attention "
                               f"would compute {n * n:,} scores per head: use bigger patches",
                               detail)
        finer = [p for p in self.sizes if p < patch and self.tokens(p) <= self.budget]
        if finer:
            return self.failed(f"{n} tokens fits the budget, but patch {max(finer)} fits too, "
                               f"with {self.tokens(max(finer))} tokens and finer detail: go "
                               f"smaller", detail)
        return self.passed(f"{n} tokens, the most that fit the budget of {self.budget}: "
                           f"{n * n:,} scores per head", detail)


# --- chapter 5: a corner patch that sees the whole image --------------------------------------

class CornerReachExercise(WidgetExercise):
    """Set ConvMixer's kernel size and depth (patch 4 on a 32x32 image: an 8x8 grid of patches)
    so that the corner patch's output depends on every pixel, with at most ``budget`` depthwise
    weights per channel (depth · k²). Checked by the gradient of a real ConvMixer."""

    name = "a corner that sees everything"
    start = {"kernel": 3, "depth": 2}
    side, patch, budget = 32, 4, 100

    def controls(self, w):
        return {"kernel": w.IntSlider(value=self.setting["kernel"], min=3, max=15, step=2,
                                      description="kernel"),
                "depth": w.IntSlider(value=self.setting["depth"], min=1, max=8,
                                     description="depth")}

    def reach(self, kernel: int, depth: int) -> torch.Tensor:
        """|∂ corner output / ∂ pixel| > 0 of a fresh ConvMixer (float64, eval): (side, side)."""
        from isolearn.models.convmixer import ConvMixer

        torch.manual_seed(0)
        model = ConvMixer(dim=4, depth=depth, kernel_size=kernel, patch_size=self.patch,
                          in_chans=1, num_classes=2).double().eval()
        x = torch.randn(1, 1, self.side, self.side, dtype=torch.float64, requires_grad=True)
        model.features(x)[0, :, 0, 0].sum().backward()
        return x.grad[0, 0].abs() > 0

    size = (6.0, 2.8)

    def draw(self, fig: Figure, **setting) -> None:
        kernel, depth = int(setting["kernel"]), int(setting["depth"])
        seen = self.reach(kernel, depth)
        ax = fig.subplots()
        ax.imshow(seen.numpy(), cmap="Blues", vmin=0, vmax=1.3)
        ax.add_patch(Rectangle(
            (-0.5, -0.5), self.patch, self.patch, fill=False, color="#e69f00", lw=2.5))
        ax.set_xticks([]), ax.set_yticks([])
        ax.set_title(f"k = {kernel}, depth {depth}: the corner patch (orange) sees "
                     f"{int(seen.sum())} of {seen.numel()} pixels (blue)", fontsize=9)

    def judge(self, kernel: int, depth: int) -> Verdict:
        kernel, depth = int(kernel), int(depth)
        if kernel % 2 == 0:
            return self.failed(f"kernel {kernel} is even; ConvMixer needs an odd kernel (chapter 5)")
        seen = self.reach(kernel, depth)
        weights = depth * kernel * kernel
        detail = (f"the corner sees {int(seen.sum())} of {seen.numel()} pixels; "
                  f"{depth} · {kernel}² = {weights} depthwise weights per channel")
        if not seen.all():
            grid = self.side // self.patch
            reach = depth * (kernel - 1) // 2
            return self.failed(f"the corner patch reaches {reach} patches across, but the "
                               f"grid is {grid} patches wide, so it needs {grid - 1}: each block "
                               f"adds (k − 1)/2 patches", detail)
        if weights > self.budget:
            return self.failed(f"it sees everything, but with {weights} depthwise weights per "
                               f"channel, over the budget of {self.budget}: depth is cheaper "
                               f"than kernel area (d·k² against a reach of d·(k − 1)/2)", detail)
        return self.passed(f"the corner patch sees all {seen.numel()} pixels with {weights} "
                           f"depthwise weights per channel", detail)


# --- chapter 7: the angles at which elementwise tanh commutes ----------------------------------

class TanhRotationExercise(WidgetExercise):
    """Find every rotation angle in (0°, 360°) at which elementwise tanh commutes with the
    rotation: f(Rx) = R f(x) on the letter F. The exercise remembers the angles found."""

    name = "rotations that commute with tanh"
    start = {"degrees": 30.0}
    answers = (90.0, 180.0, 270.0)
    tolerance = 1e-5

    def __init__(self):
        super().__init__()
        self.shape = letter_f()  # (3, points, 2)
        self.found: set[float] = set()

    def controls(self, w):
        return {"degrees": w.FloatSlider(value=self.setting["degrees"], min=0, max=360, step=5,
                                         description="rotate (°)")}

    def gap(self, degrees: float) -> float:
        r, x = rotation(degrees), self.shape.reshape(-1, 2)
        return (torch.tanh(x @ r.T) - torch.tanh(x) @ r.T).norm(dim=-1).max().item()

    size = (6.0, 3.0)

    def draw(self, fig: Figure, **setting) -> None:
        degrees = float(setting["degrees"])
        r, x = rotation(degrees), self.shape.reshape(-1, 2)
        a, b = torch.tanh(x @ r.T).reshape(self.shape.shape), (torch.tanh(x) @ r.T).reshape(self.shape.shape)
        ax = fig.subplots()
        for stroke in a:
            ax.plot(*stroke.T.numpy(), color="#0072b2", lw=3.2, solid_capstyle="round")
        for stroke in b:
            ax.plot(*stroke.T.numpy(), color="#e69f00", lw=1.6, ls=(0, (3, 2)))
        ax.set(xlim=(-1.45, 1.45), ylim=(-1.45, 1.45), xticks=[], yticks=[])  # ‖R tanh(x)‖ ≤ √2
        ax.set_aspect("equal")
        ax.set_title(f"{degrees:g}°: tanh(Rx) solid, R tanh(x) dashed, gap "
                     f"{self.gap(degrees):.2g}", fontsize=9)

    def judge(self, degrees: float) -> Verdict:
        degrees = float(degrees)
        if not math.isfinite(degrees):
            return self.failed(f"degrees={degrees!r} is not an angle")
        gap = self.gap(degrees)
        turn = degrees % 360
        detail = f"largest gap ‖tanh(Rx) − R tanh(x)‖ on the letter: {gap:.3g}"
        if gap > self.tolerance:
            return self.failed(f"at {degrees:g}° the two orders differ by up to {gap:.2g}: the "
                               f"rotation mixes the coordinates, then tanh squashes each on its "
                               f"own. Look for rotations that map the axes onto the axes", detail)
        if turn == 0:
            return self.failed("0° (or 360°) is the identity, which commutes with everything; "
                               "find the others", detail)
        self.found.add(turn)
        left = [a for a in self.answers if a not in self.found]
        if left:
            return self.failed(f"yes, {degrees:g}° commutes; {len(self.found)} of "
                               f"{len(self.answers)} found, {len(left)} to go", detail)
        return self.passed(f"all of {', '.join(f'{a:g}°' for a in self.answers)}: the rotations "
                           f"that permute the axes, with signs (tanh is odd)", detail)


# --- chapter 4: where the Mixer's token mixing is cheaper than attention ------------------------

class MixerCrossoverExercise(WidgetExercise):
    """A 64x64 image, width C = d = 64, token MLP width D_S = 256. Find the largest patch size at
    which the ViT's attention (2·S²·d multiply-adds per block) costs at least as much as the
    Mixer's token mixing (2·S·D_S·C): from there on, finer patches favour the Mixer."""

    name = "Mixer against attention"
    start = {"patch": 16}
    side, width, tokens_mlp = 64, 64, 256

    def controls(self, w):
        return {"patch": w.SelectionSlider(options=self.sizes(), value=self.setting["patch"],
                                           description="patch size")}

    def sizes(self) -> list[int]:
        return [p for p in (1, 2, 4, 8, 16, 32) if self.side % p == 0]

    def costs(self, patch: int) -> tuple[int, int, int]:
        """(tokens S, attention's 2·S²·d, token mixing's 2·S·D_S·C) for one block."""
        from isolearn.models.mixer import MixerConfig

        s = MixerConfig(img_size=self.side, patch_size=patch).num_tokens
        return s, 2 * s * s * self.width, 2 * s * self.tokens_mlp * self.width

    size = (6.5, 2.8)

    def draw(self, fig: Figure, **setting) -> None:
        patch = int(setting["patch"])
        sizes = self.sizes()
        attention = [self.costs(p)[1] for p in sizes]
        mixing = [self.costs(p)[2] for p in sizes]
        ax = fig.subplots()
        ax.plot(sizes, attention, "o-", color="#0072b2", label="ViT attention 2S²d")
        ax.plot(sizes, mixing, "s--", color="#e69f00", label="Mixer token MLP 2S·D_S·C")
        ax.axvline(patch, color="0.5", lw=1)
        ax.set(xscale="log", yscale="log", xlabel="patch size", ylabel="multiply-adds per block")
        ax.set_xticks(sizes, [str(p) for p in sizes])
        ax.legend(fontsize=8)
        ax.set_title(f"patch {patch}: S = {self.costs(patch)[0]} tokens", fontsize=10)

    def judge(self, patch: int) -> Verdict:
        patch = int(patch)
        s, attention, mixing = self.costs(patch)
        detail = f"S = {s}: attention {attention:,}, token MLP {mixing:,} multiply-adds"
        if attention < mixing:
            return self.failed(f"at patch {patch}, attention ({attention:,}) is still cheaper "
                               f"than the token MLP ({mixing:,}): S = {s} tokens is fewer than "
                               f"D_S = {self.tokens_mlp}. Use smaller patches", detail)
        larger = [p for p in self.sizes() if p > patch and self.costs(p)[1] >= self.costs(p)[2]]
        if larger:
            return self.failed(f"attention costs at least as much here, but it does at patch "
                               f"{max(larger)} too: find the largest such patch", detail)
        return self.passed(f"patch {patch}: S = {s} = D_S, where the two costs meet "
                           f"(2S²d = 2S·D_S·C when S = D_S, as d = C)", detail)


# --- chapter 6: when attention dominates a ViT block ------------------------------------------

class AttentionShareExercise(WidgetExercise):
    """Chapter 6's ViT (width d = 24, 4x4 patches, MLP ratio 4). Grow the image: find the
    smallest side (a multiple of 16) at which attention's 2n²d is more than half of a block's
    multiply-adds n(4d² + 2rd²) + 2n²d."""

    name = "when attention dominates"
    start = {"side": 16}
    width, patch, ratio = 24, 4, 4

    def controls(self, w):
        return {"side": w.IntSlider(value=self.setting["side"], min=16, max=224, step=16,
                                    description="image side")}

    def share(self, side: int) -> tuple[int, float]:
        """(tokens n, attention's share of one block's multiply-adds)."""
        from isolearn.models.vit import ViTConfig

        n = ViTConfig(img_size=side, patch_size=self.patch).num_patches
        d, r = self.width, self.ratio
        attention = 2 * n * n * d
        return n, attention / (n * (4 * d * d + 2 * r * d * d) + attention)

    size = (6.5, 2.8)

    def draw(self, fig: Figure, **setting) -> None:
        side = int(setting["side"])
        sides = list(range(16, 225, 16))
        ax = fig.subplots()
        ax.plot(sides, [self.share(s)[1] for s in sides], "o-", color="#0072b2")
        ax.axhline(0.5, color="#e69f00", ls="--", lw=1.5, label="half")
        ax.axvline(side, color="0.5", lw=1)
        ax.set(xlabel="image side (pixels)", ylabel="attention's share", ylim=(0, 1))
        ax.legend(fontsize=8)
        n, share = self.share(side)
        ax.set_title(f"{side} px: n = {n} tokens, attention {share:.0%} of a block", fontsize=10)

    def judge(self, side: int) -> Verdict:
        side = int(side)
        if side % 16:
            return self.failed(f"side={side} is not a multiple of 16")
        n, share = self.share(side)
        detail = f"{side} px: n = {n} tokens, attention {share:.1%} of the block's multiply-adds"
        if share <= 0.5:
            return self.failed(f"attention is {share:.1%} of the block at n = {n} tokens, not "
                               f"more than half: the linear layers still dominate (they cost 12d² = "
                               f"{12 * self.width ** 2} per token, attention 2nd). Grow the "
                               f"image", detail)
        smaller = side - 16
        if smaller >= 16 and self.share(smaller)[1] > 0.5:
            return self.failed(f"attention dominates here, and already at {smaller} px: find "
                               f"the smallest side", detail)
        return self.passed(f"from {side} px on attention is more than half: n = {n} > 6d = "
                           f"{6 * self.width}, where 2n²d passes 12nd²", detail)


# --- chapter 8: a spotlight for a wide layer -----------------------------------------------------

class SpotlightWidthExercise(WidgetExercise):
    """Bird's default ε = 0.9 leaves a width-8 layer's cone almost empty. Choose ε so that
    uniformly spread directions put between 0.5 % and 2 % of the points in the cone (the
    chapter's LEVEL is 1 %)."""

    name = "a spotlight for 8 dimensions"
    start = {"epsilon": 0.9}
    width, low, high = 8, 0.005, 0.02

    def controls(self, w):
        return {"epsilon": w.FloatSlider(value=self.setting["epsilon"], min=0.0, max=0.95,
                                         step=0.05, description="ε")}

    def baseline(self, epsilon: float) -> float:
        from isolearn.analysis import srm_isotropic_baseline

        return srm_isotropic_baseline(self.width, float(epsilon))

    size = (6.5, 2.8)

    def draw(self, fig: Figure, **setting) -> None:
        epsilon = float(setting["epsilon"])
        grid = torch.linspace(0, 0.95, 96).tolist()
        ax = fig.subplots()
        ax.plot(grid, [self.baseline(e) for e in grid], color="#0072b2")
        ax.axhspan(self.low, self.high, color="#e69f00", alpha=0.3, label="0.5 % to 2 %")
        ax.axvline(epsilon, color="0.5", lw=1)
        ax.set(yscale="log", xlabel="ε (cone half-angle arccos ε)",
               ylabel="share of uniform directions")
        ax.legend(fontsize=8)
        ax.set_title(f"d = {self.width}, ε = {epsilon:.2f}: {self.baseline(epsilon):.2%} in "
                     f"the cone", fontsize=10)

    def judge(self, epsilon: float) -> Verdict:
        epsilon = float(epsilon)
        if not 0 <= epsilon < 1:
            return self.failed(f"ε = {epsilon!r} must lie in [0, 1): the cone is x̂·s ≥ ε")
        share = self.baseline(epsilon)
        angle = math.degrees(math.acos(epsilon))
        detail = f"ε = {epsilon:.2f} (half-angle {angle:.0f}°): {share:.3%} of uniform directions"
        if share < self.low:
            return self.failed(f"only {share:.2%} of uniform directions fall in the cone: in 8 "
                               f"dimensions a {angle:.0f}° cone is tiny. Widen it: lower ε",
                               detail)
        if share > self.high:
            return self.failed(f"{share:.1%} of uniform directions fall in the cone: too wide to "
                               f"single out a direction. Raise ε", detail)
        return self.passed(f"ε = {epsilon:.2f} puts {share:.2%} of uniform directions in the "
                           f"cone", detail)


# --- chapter 9: prune as much as stays exact ----------------------------------------------------

class ExactPruningExercise(WidgetExercise):
    """An isotropic network [6, 16, 8, 2] (float64). Remove the ``k`` weakest units of its first
    hidden layer (after diagonalisation): find the largest ``k`` that keeps the function
    exactly (an output change below 1e-9)."""

    name = "exact pruning"
    start = {"k": 1}
    tolerance = 1e-9

    def __init__(self):
        super().__init__()
        from isolearn.neurons import IsotropicMLP

        torch.manual_seed(0)
        self.net = IsotropicMLP([6, 16, 8, 2], dtype=torch.float64)
        self.x = torch.randn(256, 6, dtype=torch.float64)
        self._changes: dict[int, float] = {}

    def controls(self, w):
        return {"k": w.IntSlider(value=self.setting["k"], min=0, max=15, description="prune k")}

    def change(self, k: int) -> float:
        from isolearn.neurons import output_change, prune

        if k not in self._changes:
            with torch.no_grad():
                self._changes[k] = 0.0 if k == 0 else output_change(
                    self.net, prune(self.net, 0, k), self.x)
        return self._changes[k]

    size = (6.5, 2.8)

    def draw(self, fig: Figure, **setting) -> None:
        from isolearn.neurons import singular_values

        k = int(setting["k"])
        s = singular_values(self.net, 0).detach()
        ax = fig.subplots()
        colours = ["#0072b2"] * (len(s) - k) + ["#cc3311"] * k
        ax.bar(range(len(s)), s.numpy(), color=colours)
        gone = list(range(len(s) - k, len(s)))  # σ = 0 has no bar: mark the pruned units
        ax.plot(gone, [0] * k, "x", color="#cc3311", ms=9, mew=2.5, clip_on=False)
        ax.set(xlabel="unit (after diagonalisation)", ylabel="singular value σ")
        ax.set_title(f"prune the {k} weakest (red): output change {self.change(k):.2g}",
                     fontsize=10)

    def judge(self, k: int) -> Verdict:
        k = int(k)
        if not 0 <= k <= 15:
            return self.failed(f"k = {k}: the layer has 16 units and at least one must stay")
        change = self.change(k)
        detail = f"k = {k}: largest output change over {len(self.x)} inputs {change:.3g}"
        if change > self.tolerance:
            return self.failed(f"removing {k} units changes the outputs by up to {change:.2g}: "
                               f"you removed a unit with σ > 0. Prune fewer", detail)
        if self.change(k + 1) <= self.tolerance if k < 15 else False:
            return self.failed(f"exact, but one more unit can go too: keep pruning", detail)
        return self.passed(f"{k} units removed exactly: the layer reads 6 inputs, so only 6 of "
                           f"its 16 singular values are non-zero", detail)


# --- chapter 10: a ViT with no privileged basis -------------------------------------------------

class RotationFreeViTExercise(WidgetExercise):
    """A one-block ViT (float64). Choose its normalisation and its MLP's activation so that
    neither the residual stream nor the MLP's hidden layer has a privileged basis: a random
    rotation of either, absorbed into the neighbouring weights, must leave the features entering
    the head unchanged (:func:`isolearn.symmetry.symmetries`, to rounding: below 1e-9)."""

    name = "a ViT with no privileged basis"
    start = {"norm": "layer", "activation": "gelu"}
    tolerance = 1e-9
    NORMS = ("layer", "rms")
    ACTIVATIONS = ("gelu", "relu", "iso_tanh", "iso_tanh_scaled")

    def __init__(self):
        super().__init__()
        self._errors: dict[tuple[str, str], tuple[float, float]] = {}

    def controls(self, w):
        return {"norm": w.Dropdown(options=list(self.NORMS), value=self.setting["norm"],
                                   description="norm"),
                "activation": w.Dropdown(options=list(self.ACTIVATIONS),
                                         value=self.setting["activation"],
                                         description="activation")}

    def errors(self, norm: str, activation: str) -> tuple[float, float]:
        """(residual stream, MLP hidden layer): the relative change a random rotation causes."""
        from isolearn.models import create
        from isolearn.symmetry import symmetries

        if (norm, activation) not in self._errors:
            torch.manual_seed(0)
            net = create("vit_digits", depth=1, norm=norm, activation=activation)
            rows = {where: error for where, _, error, _ in symmetries(net).rows}
            self._errors[norm, activation] = (rows["stream"], rows["block 0: mlp"])
        return self._errors[norm, activation]

    size = (6.5, 2.8)

    def draw(self, fig: Figure, **setting) -> None:
        stream, mlp = self.errors(setting["norm"], setting["activation"])
        ax = fig.subplots()
        values = [max(stream, 1e-17), max(mlp, 1e-17)]
        ax.bar(["residual stream", "MLP hidden layer"], values,
               color=["#0072b2" if v < self.tolerance else "#cc3311" for v in values])
        ax.axhline(self.tolerance, color="0.4", lw=1, ls="--")
        ax.set(yscale="log", ylim=(1e-17, 10), ylabel="change after a random rotation")
        ax.set_title(f"norm={setting['norm']!r}, activation={setting['activation']!r} "
                     f"(blue: no privileged basis)", fontsize=10)

    def judge(self, norm: str, activation: str) -> Verdict:
        if norm not in self.NORMS or activation not in self.ACTIVATIONS:
            return self.failed(f"choose norm from {self.NORMS} and activation from "
                               f"{self.ACTIVATIONS}")
        stream, mlp = self.errors(norm, activation)
        detail = f"residual stream {stream:.2g}, MLP hidden layer {mlp:.2g}"
        if stream > self.tolerance:
            return self.failed(f"a rotation of the residual stream changes the features by "
                               f"{stream:.2g}: LayerNorm subtracts each token's mean (the "
                               f"all-ones direction is special) and scales each channel by its "
                               f"own gain. Change the norm", detail)
        if mlp > self.tolerance:
            return self.failed(f"a rotation of the MLP's hidden layer changes the features by "
                               f"{mlp:.2g}: {activation} acts on each unit on its own. Change "
                               f"the activation", detail)
        return self.passed(f"RMSNorm without a gain and {activation} leave both spaces free: "
                           f"any orthonormal basis is as good as the standard one", detail)
