"""The paper's figures drawn with matplotlib (PNG and SVG), readable at notebook width.

Conventions follow the paper: error (%) against iterations, training error
dashed and thin, test error solid and bold; one colour per depth.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib import rc_context
from matplotlib.figure import Figure  # a bare Figure needs no GUI backend and leaves pyplot's alone

from minires.errors import InputError
from minires.train.curves import PALETTE, draw_runs  # a run's curves: drawn by the live plot too

__all__ = ["PALETTE", "depth_colours", "depth_of", "save", "draw_runs", "plot_runs", "plot_degradation",
           "plot_responses"]


def depth_colours(depths: list[int]) -> dict[int, str]:
    """One colour per depth, by rank among the depths in this figure (shallowest first)."""
    return {d: PALETTE[i % len(PALETTE)] for i, d in enumerate(sorted(set(depths)))}


def depth_of(name: str) -> int:
    return int("".join(ch for ch in name if ch.isdigit()) or 0)


def save(fig: Any, path: str | Path) -> list[Path]:
    """Write ``path`` as .png and .svg; returns both paths."""
    path = Path(path)
    for taken in (path, path.with_suffix(".png"), path.with_suffix(".svg")):
        if taken.exists() and not taken.is_file():  # a folder, or a device such as /dev/null
            kind = "a folder" if taken.is_dir() else "a device or other special file"
            raise InputError(f"figure {path}: expected a file name to write {path.with_suffix('.png').name} and "
                             f"{path.with_suffix('.svg').name} under, but {taken} is {kind}")
    path.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix in (".png", ".svg"):
        target = path.with_suffix(suffix)
        tmp = target.with_name(f".{target.name}.tmp{suffix}")
        with rc_context({"svg.hashsalt": "minires"}):  # no date, fixed ids: the same figure, the same bytes
            fig.savefig(tmp, dpi=150, bbox_inches="tight", metadata={"Date": None} if suffix == ".svg" else None)
        tmp.replace(target)  # atomic: never half a figure
        written.append(target)
    return written


def plot_runs(runs: dict[str, list[dict[str, Any]]], path: str | Path, title: str | None = None,
              milestones: Sequence[int] = ()) -> list[Path]:
    """``draw_runs`` into ``path`` as .png and .svg; returns both paths."""
    fig = Figure(figsize=(11, 4.2))
    draw_runs(fig, runs, title, milestones)
    return save(fig, path)


def plot_degradation(curves: dict[str, dict[str, Any]], path: str | Path, eval_name: str = "test") -> list[Path]:
    """Fig. 6: plain nets left, ResNets right.

    Args:
        curves: name -> {"depth", "plain", "iterations", "train_error", "eval_error"} (errors as fractions,
            already averaged over seeds).
        path: output file stem.
    """
    fig = Figure(figsize=(11, 4.2))
    axes = fig.subplots(1, 2, sharey=True)
    colours = depth_colours([c["depth"] for c in curves.values()])
    for ax, plain, title in ((axes[0], True, "plain networks"), (axes[1], False, "ResNets")):
        for c in sorted(curves.values(), key=lambda c: c["depth"]):
            if c["plain"] != plain:
                continue
            its = c["iterations"]
            ax.plot(its, [100 * e for e in c["train_error"]], "--", lw=1.2, color=colours[c["depth"]])
            ax.plot(its, [100 * e for e in c["eval_error"]], "-", lw=2.4, color=colours[c["depth"]],
                    label=f"{'plain' if plain else 'ResNet'}-{c['depth']}")
        ax.set_title(title)
        ax.set_xlabel("iterations")
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper right")
        else:
            ax.text(0.5, 0.5, f"no {title} in this experiment", ha="center", transform=ax.transAxes, color="gray")
    axes[0].set_ylabel(f"error (%)   dashed: training, bold: {eval_name}")
    fig.tight_layout()
    return save(fig, path)


def plot_responses(stds: dict[str, Sequence[float]], path: str | Path, ylabel: str = "std",
                   styles: dict[str, tuple[str, str]] | None = None) -> list[Path]:
    """Fig. 7: response std per 3×3 layer, in layer order (top) and sorted descending (bottom).

    Each line is coloured by its network's depth, dashed for a plain net; ``styles`` gives a label
    its own (colour, line style) instead, for labels that are not network names.
    """
    fig = Figure(figsize=(9, 6.5))
    axes = fig.subplots(2, 1)
    colours = depth_colours([depth_of(name) for name in stds])
    for name, values in stds.items():
        colour, style = (styles or {}).get(name) or (colours[depth_of(name)], "--" if name.startswith("plain") else "-")
        axes[0].plot(range(1, len(values) + 1), values, style, color=colour, label=name, lw=1.6)
        axes[1].plot(range(1, len(values) + 1), sorted(values, reverse=True), style, color=colour,
                     label=name, lw=1.6)
    axes[0].set_xlabel("layer index (original order)")
    axes[1].set_xlabel("layer index (sorted by magnitude)")
    for ax in axes:
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(ncol=3, fontsize=9)
    fig.tight_layout()
    return save(fig, path)
