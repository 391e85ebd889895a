"""A training run's curves: error and loss against iterations, for one run or several.

``draw_runs`` draws the rows of ``metrics.jsonl`` on a matplotlib figure.  The
live plot (``callbacks.LivePlot``) redraws it after each evaluation, and the
experiments' figures (``minires.experiments.plots.plot_runs``) save it; it lives
here, with the loop that writes those rows, so that the loop needs no experiment.

Conventions follow the paper: training error dashed and thin, test error solid
and bold.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["PALETTE", "draw_runs"]

PALETTE = ["#e69f00", "#56b4e9", "#009e73", "#d55e00", "#000000", "#cc79a7", "#0072b2", "#f0e442"]


def draw_runs(fig: Any, runs: dict[str, list[dict[str, Any]]], title: str | None = None,
              milestones: Sequence[int] = ()) -> None:
    """Error (left) and loss (right) against iterations for one or more runs, on ``fig``.

    Args:
        runs: name -> the rows of its ``metrics.jsonl`` (iteration, train_error, test_error or
            val_error, train_loss, test_loss or val_loss, lr).
        title: above the figure (default: none).
        milestones: iterations where the learning rate dropped, drawn as grey vertical lines.

    Training curves are dashed and thin, evaluation curves solid and bold, as in the paper.
    """
    axes = fig.subplots(1, 2)
    for i, (name, rows) in enumerate(runs.items()):
        if not rows:
            continue
        colour = PALETTE[i % len(PALETTE)]
        its = [r["iteration"] for r in rows]
        eval_name = "val" if "val_error" in rows[0] else "test"
        for ax, key, scale in ((axes[0], "error", 100), (axes[1], "loss", 1)):
            ax.plot(its, [scale * r[f"train_{key}"] for r in rows], "--", lw=1.2, color=colour)
            ax.plot(its, [scale * r[f"{eval_name}_{key}"] for r in rows], "-", lw=2.4, color=colour,
                    label=f"{name} ({eval_name} {rows[-1][f'{eval_name}_error']:.1%})" if key == "error" else name)
    last = max((rows[-1]["iteration"] for rows in runs.values() if rows), default=0)
    for m in milestones:
        if m < last:
            for ax in axes:
                ax.axvline(m, color="gray", lw=0.8, alpha=0.5)
    axes[0].set_ylabel("error (%)")
    axes[1].set_ylabel("loss")
    axes[0].set_title("error: training dashed, evaluation bold", fontsize=10)
    axes[1].set_title("loss: training dashed, evaluation bold", fontsize=10)
    for ax in axes:
        ax.set_xlabel("iterations")
        ax.grid(alpha=0.3)
    if axes[0].get_legend_handles_labels()[0]:
        axes[0].legend(loc="upper right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
