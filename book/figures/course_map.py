"""Draw the course map of the book: its parts, chapters and reading path.

Run from the repository root::

    python book/figures/course_map.py              # writes book/figures/course_map.svg
    python book/figures/course_map.py --png x.png  # also writes a PNG preview

The SVG is deterministic (fixed hash salt, no date), so re-running the script without
changes leaves the committed file untouched. Colours are the Okabe-Ito palette, which stays
distinguishable under the common forms of colour blindness; every part is also named in
text, so no information is carried by colour alone.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.patches import Circle, FancyBboxPatch, Rectangle  # noqa: E402

OUT = Path(__file__).with_suffix(".svg")

# --- look ----------------------------------------------------------------------------------
# The map is drawn in pixel coordinates on a 1200 px wide canvas (dpi 100). The book shows it at
# roughly 60 % of that width, so the type is set large enough to stay readable there.
W = 1200
DPI = 100
INK, MUTED, LIGHT = "#1b1b1b", "#505050", "#8a8a8a"
BLUE, VERMILLION, GREEN, GREY = "#0072B2", "#D55E00", "#009E73", "#6E6E6E"  # Okabe-Ito
FONT = "DejaVu Sans"  # ships with matplotlib, so the figure looks the same everywhere

PT = dict(label=11.5, head=16.5, head_sub=12, caption=11, title=13.5, sub=11.5, note=12)
MARGIN, GAP = 14, 26  # outer margin; gap between columns
PART_W = 302  # width of a part's column; the appendix takes what is left
BOX_GAP = 30  # vertical gap between chapter boxes (room for an arrow)
PAD = 10  # horizontal padding inside a chapter box
VPAD = 13  # vertical padding inside a chapter box
BADGE_R = 15  # radius of the number badge
TEXT_X = 2 * BADGE_R + 2 * PAD  # where the text starts inside a box
INSET = 9  # chapter boxes sit this far inside their part's panel
HPAD = 16  # left padding of a panel's header
ICON_H = 78  # height of the pictogram band


def tint(color: str, amount: float) -> tuple[float, float, float]:
    """Mix `color` with white: amount=0 is white, amount=1 is the colour itself."""
    r, g, b = to_rgb(color)
    return (1 - amount + amount * r, 1 - amount + amount * g, 1 - amount + amount * b)


def line_height(pt: float) -> float:
    return pt * DPI / 72 * 1.3


# --- content -------------------------------------------------------------------------------
@dataclass
class Chapter:
    badge: str
    title: str
    sub: str = ""


@dataclass
class Column:
    label: str
    title: str
    sub: str
    color: str
    width: int
    chapters: list[Chapter]
    icon: str
    caption: str
    layout: dict = field(default_factory=dict)


COLUMNS = [
    Column("PART I", "Pyramids", "convolution and downsampling", BLUE, PART_W, [
        Chapter("1", "Convolution from scratch", "loops, unfold, receptive fields"),
        Chapter("2", "Pyramid CNNs", "LeNet \u2192 VGG \u2192 ResNet"),
    ], "pyramid", "resolution shrinks, channels grow"),
    Column("PART II", "Patches", "isotropic architectures", VERMILLION, PART_W, [
        Chapter("3", "Attention and the Vision Transformer"),
        Chapter("4", "MLP-Mixer", "token mixing and channel mixing"),
        Chapter("5", "ConvMixer", "\u201cpatches are all you need?\u201d"),
        Chapter("6", "Isotropic vs pyramid", "measured side by side"),
    ], "column", "patchify, then keep one shape"),
    Column("PART III", "Isotropic activations", "no privileged directions", GREEN, PART_W, [
        Chapter("7", "Isotropic activation functions"),
        Chapter("8", "What activations do to representations",
                "bottlenecks, spotlight resonance, quantisation"),
        Chapter("9", "Deindividuated neurons", "SVD diagonalisation, neurogenesis, pruning"),
        Chapter("10", "Isotropy meets isotropy",
                "isotropic activations inside isotropic architectures"),
    ], "sphere", "elementwise \u2192 isotropic"),
    Column("ANY TIME", "Appendix", "GPU, solutions", GREY,
           W - 2 * MARGIN - 3 * GAP - 3 * PART_W, [
        Chapter("A", "Scaling up on a GPU"),
        Chapter("B", "Exercise solutions"),
    ], "gpu", "scale up on Colab"),
]

ARC = ["why", "from scratch", "fast version", "experiment", "summary", "exercises"]


# --- text measurement and wrapping ---------------------------------------------------------
_MEASURE_FIG = plt.figure(figsize=(4, 4), dpi=DPI)
_RENDERER = _MEASURE_FIG.canvas.get_renderer()


def text_width(s: str, pt: float, weight: str = "normal") -> float:
    t = _MEASURE_FIG.text(0, 0, s, fontsize=pt, fontweight=weight, family=FONT)
    w = t.get_window_extent(renderer=_RENDERER).width
    t.remove()
    return w


def wrap(s: str, pt: float, max_w: float, weight: str = "normal") -> list[str]:
    """Greedy word wrap by measured width, so no line ever leaves its box."""
    lines: list[str] = []
    for word in s.split():
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(trial, pt, weight) <= max_w:
            lines[-1] = trial
        else:
            if text_width(word, pt, weight) > max_w:
                raise ValueError(f"word {word!r} is wider than its box ({max_w}px)")
            lines.append(word)
    return lines


# --- layout --------------------------------------------------------------------------------
def layout() -> float:
    """Place every column, header and chapter box; return the figure height in pixels."""
    x = MARGIN
    for col in COLUMNS:
        col.layout["x"] = x
        x += col.width + GAP
    assert abs(x - GAP + MARGIN - W) < 1e-6, "the columns must fill the width"

    # Headers: label, title and subtitle, wrapped to the column; all columns share one height.
    head_h = 0.0
    for col in COLUMNS:
        inner = col.width - 2 * HPAD
        col.layout["head"] = wrap(col.title, PT["head"], inner, "bold")
        col.layout["head_sub"] = wrap(col.sub, PT["head_sub"], inner)
        h = (line_height(PT["label"]) + len(col.layout["head"]) * line_height(PT["head"])
             + len(col.layout["head_sub"]) * line_height(PT["head_sub"]))
        head_h = max(head_h, h)
    global ICON_TOP, FIRST_ROW
    ICON_TOP = MARGIN + 16 + head_h + 10
    FIRST_ROW = ICON_TOP + ICON_H + 12 + line_height(PT["caption"]) + 14

    # Chapter boxes: wrap every box's text, then give each row the height of its tallest box.
    n_rows = max(len(c.chapters) for c in COLUMNS)
    row_h = [0.0] * n_rows
    for col in COLUMNS:
        inner = col.width - 2 * INSET - TEXT_X - PAD
        col.layout["lines"] = []
        for i, ch in enumerate(col.chapters):
            t = wrap(ch.title, PT["title"], inner, "bold")
            sub = wrap(ch.sub, PT["sub"], inner) if ch.sub else []
            col.layout["lines"].append((t, sub))
            h = 2 * VPAD + len(t) * line_height(PT["title"]) + len(sub) * line_height(PT["sub"])
            row_h[i] = max(row_h[i], h, 2 * BADGE_R + 2 * VPAD)
    y = FIRST_ROW
    rows = []
    for h in row_h:
        rows.append((y, h))
        y += h + BOX_GAP
    for col in COLUMNS:
        col.layout["rows"] = rows[: len(col.chapters)]
        last_y, last_h = col.layout["rows"][-1]
        col.layout["bottom"] = last_y + last_h + 16
    # The notes under Parts I and the appendix must fit above the bottom of the tallest panel.
    notes = 50 + 22 + line_height(PT["note"]) * (len(ARC) + 1)
    bottom = max(max(c.layout["bottom"] for c in COLUMNS),
                 COLUMNS[0].layout["bottom"] + notes)
    return bottom + MARGIN


# --- drawing helpers -----------------------------------------------------------------------
def arrow(ax, xy_from, xy_to, color, lw=1.8, style="-|>", ls="-", scale=15):
    ax.annotate("", xy=xy_to, xytext=xy_from, arrowprops=dict(
        arrowstyle=style, color=color, lw=lw, ls=ls, shrinkA=0, shrinkB=0,
        mutation_scale=scale))


def rounded(ax, x, y, w, h, face, edge, lw=1.3, r=9, ls="-", z=1):
    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle=f"round,pad=0,rounding_size={r}",
                                fc=face, ec=edge, lw=lw, ls=ls, zorder=z))


def text(ax, x, y, s, pt, color=INK, weight="normal", ha="left", va="top", z=5, **kw):
    ax.text(x, y, s, fontsize=pt, color=color, fontweight=weight, ha=ha, va=va,
            family=FONT, zorder=z, **kw)


def icon_pyramid(ax, cx, cy, color):
    """Feature maps of a pyramid CNN: height = resolution, width = channels."""
    heights = [72, 54, 38, 27, 18]
    widths = [8, 14, 22, 32, 46]
    gap = 13
    x = cx - (sum(widths) + gap * (len(widths) - 1)) / 2
    for i, (w, h) in enumerate(zip(widths, heights)):
        ax.add_patch(Rectangle((x, cy - h / 2), w, h, fc=tint(color, 0.25 + 0.15 * i),
                               ec=color, lw=1.2, zorder=3))
        x += w + gap


def icon_column(ax, cx, cy, color):
    """An image cut into patches, then blocks that all keep one shape."""
    s = 57
    x0 = cx - 118
    ax.add_patch(Rectangle((x0, cy - s / 2), s, s, fc=tint(color, 0.18), ec=color, lw=1.2,
                           zorder=3))
    for k in (1, 2):
        ax.plot([x0 + k * s / 3] * 2, [cy - s / 2, cy + s / 2], color=color, lw=1.0, zorder=4)
        ax.plot([x0, x0 + s], [cy - s / 2 + k * s / 3] * 2, color=color, lw=1.0, zorder=4)
    arrow(ax, (x0 + s + 7, cy), (x0 + s + 34, cy), color, lw=1.5, scale=12)
    bx = x0 + s + 43
    for i in range(5):
        ax.add_patch(Rectangle((bx + i * 27, cy - 25), 17, 50, fc=tint(color, 0.55),
                               ec=color, lw=1.2, zorder=3))


def icon_sphere(ax, cx, cy, color):
    """Elementwise: the axes are special (a square). Isotropic: no direction is (a circle)."""
    r = 28
    lx, rx = cx - 66, cx + 66
    ax.add_patch(Rectangle((lx - r, cy - r), 2 * r, 2 * r, fc=tint(color, 0.15), ec=LIGHT,
                           lw=1.2, zorder=3))
    for dx, dy in [(1, 0), (-1, 0), (0, 1), (0, -1)]:
        arrow(ax, (lx, cy), (lx + dx * (r + 10), cy + dy * (r + 10)), MUTED, lw=1.4, scale=11)
    arrow(ax, (cx - 18, cy), (cx + 18, cy), color, lw=1.5, scale=12)
    ax.add_patch(Circle((rx, cy), r, fc=tint(color, 0.25), ec=color, lw=1.4, zorder=3))
    for k in range(8):
        a = k * math.pi / 4
        arrow(ax, (rx, cy), (rx + (r + 10) * math.cos(a), cy + (r + 10) * math.sin(a)), color,
              lw=1.4, scale=11)


def icon_gpu(ax, cx, cy, color):
    s = 50
    ax.add_patch(FancyBboxPatch((cx - s / 2, cy - s / 2), s, s,
                                boxstyle="round,pad=0,rounding_size=6", fc=tint(color, 0.2),
                                ec=color, lw=1.4, zorder=3))
    for k in range(4):
        o = -s / 2 + (k + 0.5) * s / 4
        for (x1, y1, x2, y2) in [(cx + o, cy - s / 2, cx + o, cy - s / 2 - 8),
                                 (cx + o, cy + s / 2, cx + o, cy + s / 2 + 8),
                                 (cx - s / 2, cy + o, cx - s / 2 - 8, cy + o),
                                 (cx + s / 2, cy + o, cx + s / 2 + 8, cy + o)]:
            ax.plot([x1, x2], [y1, y2], color=color, lw=1.6, zorder=2, solid_capstyle="butt")
    text(ax, cx, cy, "GPU", 10.5, color=color, weight="bold", ha="center",
         va="center_baseline", z=6)


ICONS = {"pyramid": icon_pyramid, "column": icon_column, "sphere": icon_sphere,
         "gpu": icon_gpu}


# --- the figure ----------------------------------------------------------------------------
def draw() -> plt.Figure:
    H = layout()
    fig = plt.figure(figsize=(W / DPI, H / DPI), dpi=DPI)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, W)
    ax.set_ylim(H, 0)
    ax.axis("off")

    for col in COLUMNS:
        x, w = col.layout["x"], col.width
        rows = col.layout["rows"]
        dashed = col.title == "Appendix"
        rounded(ax, x, MARGIN, w, col.layout["bottom"] - MARGIN, tint(col.color, 0.09),
                tint(col.color, 0.55), lw=1.2, r=14, ls=(0, (5, 3)) if dashed else "-", z=0)

        # Header: label, title, subtitle.
        y = MARGIN + 16
        text(ax, x + HPAD, y, col.label, PT["label"], color=col.color, weight="bold")
        y += line_height(PT["label"])
        for ln in col.layout["head"]:
            text(ax, x + HPAD, y, ln, PT["head"], weight="bold")
            y += line_height(PT["head"])
        for ln in col.layout["head_sub"]:
            text(ax, x + HPAD, y, ln, PT["head_sub"], color=MUTED)
            y += line_height(PT["head_sub"])

        # Pictogram and its caption.
        ICONS[col.icon](ax, x + w / 2, ICON_TOP + ICON_H / 2, col.color)
        text(ax, x + w / 2, ICON_TOP + ICON_H + 12, col.caption, PT["caption"], color=MUTED,
             ha="center", style="italic")

        # Chapter boxes.
        for ch, (y, h), (tl, sl) in zip(col.chapters, rows, col.layout["lines"]):
            bx, bw = x + INSET, w - 2 * INSET
            rounded(ax, bx, y, bw, h, "white", col.color, lw=1.5, r=9, z=2)
            ax.add_patch(Circle((bx + PAD + BADGE_R, y + h / 2), BADGE_R, fc=col.color,
                                ec="none", zorder=3))
            text(ax, bx + PAD + BADGE_R, y + h / 2, ch.badge, 12 if len(ch.badge) < 2 else 10.5,
                 color="white", weight="bold", ha="center", va="center_baseline")
            block = len(tl) * line_height(PT["title"]) + len(sl) * line_height(PT["sub"])
            ty = y + (h - block) / 2
            for ln in tl:
                text(ax, bx + TEXT_X, ty, ln, PT["title"], weight="bold")
                ty += line_height(PT["title"])
            for ln in sl:
                text(ax, bx + TEXT_X, ty + 1, ln, PT["sub"], color=MUTED)
                ty += line_height(PT["sub"])
        # Reading path inside the part.
        for (y0, h0), (y1, _) in zip(rows, rows[1:]):
            arrow(ax, (x + w / 2, y0 + h0 + 3), (x + w / 2, y1 - 3), col.color, lw=2.0)

    # Reading path between the parts: header to header.
    for a, b in zip(COLUMNS[:2], COLUMNS[1:3]):
        y = MARGIN + 16 + line_height(PT["label"]) + line_height(PT["head"]) / 2
        arrow(ax, (a.layout["x"] + a.width + 4, y), (b.layout["x"] - 4, y), INK, lw=2.0)

    # Chapter 10 brings Parts II and III together.
    c2, c3 = COLUMNS[1], COLUMNS[2]
    (y6, h6), (y10, h10) = c2.layout["rows"][3], c3.layout["rows"][3]
    assert y6 == y10 and h6 == h10
    arrow(ax, (c2.layout["x"] + c2.width - INSET + 3, y6 + h6 / 2),
          (c3.layout["x"] + INSET - 3, y10 + h10 / 2), INK, lw=1.8, ls=(0, (2, 2)))

    # Under Part I: the arc that every chapter follows.
    c1 = COLUMNS[0]
    x1 = c1.layout["x"]
    y = c1.layout["bottom"] + 34
    text(ax, x1 + HPAD, y, "EVERY CHAPTER", PT["label"], color=INK, weight="bold")
    y += 34
    lx, step = x1 + HPAD + 8, line_height(PT["note"]) + 5
    end = y + step * (len(ARC) - 1)
    ax.plot([lx, lx], [y, end], color=LIGHT, lw=1.6, zorder=2)
    for i, step_name in enumerate(ARC):
        ax.add_patch(Circle((lx, y + i * step), 6.5, fc="white", ec=INK, lw=1.5, zorder=3))
        text(ax, lx + 18, y + i * step, step_name, PT["note"], color=INK, va="center_baseline")
    arrow(ax, (lx, end + 7), (lx, end + 24), LIGHT, lw=1.6, scale=11)

    # Under the appendix: the legend.
    c4 = COLUMNS[3]
    x4 = c4.layout["x"]
    y = c4.layout["bottom"] + 34
    text(ax, x4 + 8, y, "HOW TO READ", PT["label"], color=INK, weight="bold")
    y += 34
    key_w, tx = 34, x4 + 8 + 34 + 10
    inner = c4.width - (tx - x4) + GAP - 4
    entries = [("solid", "reading path"), ("dotted", "chapter 10 joins Parts II and III"),
               ("box", "read any time")]
    for kind, label in entries:
        lines = wrap(label, PT["note"] - 1, inner)
        mid = y + line_height(PT["note"] - 1) / 2 - 2
        if kind == "solid":
            arrow(ax, (x4 + 8, mid), (x4 + 8 + key_w, mid), INK, lw=2.0)
        elif kind == "dotted":
            arrow(ax, (x4 + 8, mid), (x4 + 8 + key_w, mid), INK, lw=1.8, ls=(0, (2, 2)))
        else:
            rounded(ax, x4 + 8, mid - 10, key_w, 20, "white", GREY, lw=1.2, r=5,
                    ls=(0, (4, 2)), z=2)
        for ln in lines:
            text(ax, tx, y, ln, PT["note"] - 1, color=MUTED)
            y += line_height(PT["note"] - 1)
        y += 14
    return fig


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--png", type=Path, help="also write a PNG preview here")
    args = parser.parse_args()
    plt.rcParams["svg.hashsalt"] = "isolearn-course-map"
    fig = draw()
    fig.savefig(OUT, format="svg", metadata={"Date": None})
    if args.png:
        fig.savefig(args.png, dpi=DPI)
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
