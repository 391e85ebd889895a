"""Draw the teaching diagrams in docs/teaching/ (SVG): blocks, shortcut options, im2col.

    python scripts/make_diagrams.py

Plain matplotlib boxes and arrows, so anyone can change a diagram by editing this file.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle

OUT = Path(__file__).resolve().parents[1] / "docs" / "teaching"
LAYER, JOIN, NOTE = "#e8f1fb", "#fde9c9", "#555555"


def box(ax, x: float, y: float, text: str, w: float = 2.6, h: float = 0.55, colour: str = LAYER) -> None:  # noqa: ANN001
    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0.05", fc=colour, ec="#333333"))
    ax.text(x, y, text, ha="center", va="center", fontsize=9)


def arrow(ax, start: tuple[float, float], end: tuple[float, float], text: str = "", bend: float = 0.0) -> None:  # noqa: ANN001
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, color="#333333",
                                 connectionstyle=f"arc3,rad={bend}"))
    if text:
        ax.text((start[0] + end[0]) / 2 + 0.15, (start[1] + end[1]) / 2, text, fontsize=7, color=NOTE, va="center")


def block_figure(layers: list[str], shortcut: str, title: str) -> Figure:
    """A residual block: the layers in a column, the shortcut around them, the addition, the ReLU."""
    fig = Figure(figsize=(4.2, 1.2 + 0.85 * (len(layers) + 2)))
    ax = fig.add_axes((0, 0, 1, 1))
    top = len(layers) + 2
    box(ax, 0, top, "x", w=0.8, colour="white")
    y = top
    for layer in layers:
        arrow(ax, (0, y - 0.3), (0, y - 0.7))
        y -= 1
        box(ax, 0, y, layer)
    arrow(ax, (0, y - 0.3), (0, y - 0.75))
    y -= 1
    box(ax, 0, y, "+", w=0.6, colour=JOIN)
    arrow(ax, (0.45, top - 0.1), (0.32, y + 0.1), bend=-0.55)
    ax.text(2.0, (top + y) / 2, shortcut, fontsize=8, color=NOTE, ha="left", va="center")
    arrow(ax, (0, y - 0.3), (0, y - 0.7))
    box(ax, 0, y - 1, "ReLU", w=1.2)
    ax.set_xlim(-2.2, 4.6)
    ax.set_ylim(y - 1.6, top + 0.8)
    ax.set_title(title, fontsize=10, y=0.97)
    ax.axis("off")
    return fig


def shortcuts_figure() -> Figure:
    """Options A, B, C side by side for a block that halves the resolution and doubles the channels."""
    fig = Figure(figsize=(9, 3))
    options = [
        ("A: no parameters", ["x[:, :, ::2, ::2]", "append zero channels"]),
        ("B: projection where the shape changes", ["1×1 conv, stride 2", "BatchNorm"]),
        ("C: projection on every shortcut", ["1×1 conv (all blocks)", "BatchNorm"]),
    ]
    for i, (title, steps) in enumerate(options):
        ax = fig.add_axes((i / 3, 0, 1 / 3, 1))
        box(ax, 0, 3, "x: 16 × 32×32", colour="white")
        arrow(ax, (0, 2.7), (0, 2.3))
        box(ax, 0, 2, steps[0])
        arrow(ax, (0, 1.7), (0, 1.3))
        box(ax, 0, 1, steps[1])
        arrow(ax, (0, 0.7), (0, 0.3))
        box(ax, 0, 0, "32 × 16×16, added to F(x)", w=3.0, colour=JOIN)
        ax.set_title(title, fontsize=9)
        ax.set_xlim(-1.8, 1.8)
        ax.set_ylim(-0.5, 3.5)
        ax.axis("off")
    return fig


def im2col_figure() -> Figure:
    """A 4×4 image, its 3×3 windows (stride 1, no padding), and the columns they become."""
    fig = Figure(figsize=(8, 3.2))
    left = fig.add_axes((0.02, 0.1, 0.3, 0.8))
    image = np.arange(16).reshape(4, 4)
    for (r, c), v in np.ndenumerate(image):
        left.add_patch(Rectangle((c, 3 - r), 1, 1, fc="white", ec="#333333"))
        left.text(c + 0.5, 3.5 - r, str(v), ha="center", va="center", fontsize=9)
    colours = ["#e69f00", "#56b4e9", "#009e73", "#d55e00"]
    for k, (r, c) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        left.add_patch(Rectangle((c + 0.06 * k, 1 - r + 0.06 * k), 3, 3, fill=False, ec=colours[k], lw=2))
    left.set_xlim(-0.2, 4.6)
    left.set_ylim(-0.2, 4.6)
    left.set_title("image (1 channel, 4×4), four 3×3 windows", fontsize=9)
    left.axis("off")
    right = fig.add_axes((0.4, 0.1, 0.58, 0.8))
    for k, (r, c) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        column = image[r:r + 3, c:c + 3].ravel()
        for i, v in enumerate(column):
            right.add_patch(Rectangle((k, 8 - i), 1, 1, fc="white", ec=colours[k]))
            right.text(k + 0.5, 8.5 - i, str(v), ha="center", va="center", fontsize=8)
    right.text(5.0, 4.5, "cols: (C·kh·kw, N·OH·OW) = (9, 4)\n\nW (F, 9) @ cols = output (F, 4):\n"
               "the whole convolution is one\nmatrix product", fontsize=9, va="center")
    right.set_xlim(-0.2, 11)
    right.set_ylim(-0.2, 9.4)
    right.set_title("im2col: one column per window", fontsize=9)
    right.axis("off")
    return fig


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    figures = {
        "basic-block": block_figure(["3×3 conv, BN, ReLU", "3×3 conv, BN"], "shortcut:\nidentity, or\noption A/B/C",
                                    "basic block (ResNet-18/34, CIFAR nets)"),
        "bottleneck-block": block_figure(["1×1 conv, BN, ReLU  (reduce)", "3×3 conv, BN, ReLU",
                                          "1×1 conv ×4, BN  (expand)"], "shortcut:\nidentity, or\nprojection",
                                         "bottleneck block (ResNet-50/101/152)"),
        "shortcut-options": shortcuts_figure(),
        "im2col": im2col_figure(),
    }
    for name, fig in figures.items():
        fig.savefig(OUT / f"{name}.svg", bbox_inches="tight")
        print("wrote", OUT / f"{name}.svg")


if __name__ == "__main__":
    main()
