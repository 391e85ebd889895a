"""When does depth start to pay?  Final test error against training length, per network and seed.

At the paper's full length (64,000 iterations) ResNet-56 beats ResNet-20; at 1/8 of it, on
minires and on PyTorch alike, it does not yet.  This module gathers the finished runs of
several lengths (one run folder per network, length and seed), draws final test error
against length with the public full-length reruns as a third point (marked as theirs), and
the ResNet-56 − ResNet-20 gap; ``overtake_sentence`` answers the question in one sentence.

A run's length is its ``iterations`` as a fraction of the paper's 64,000
(``config.json``), so the CPU recipe is 1/8 and the quarter recipe 1/4.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

from matplotlib.figure import Figure

from minires.experiments.plots import PALETTE, save

__all__ = ["BudgetPoint", "PUBLIC_FULL_LENGTH", "budget_points", "overtake_sentence", "plot_budget"]

PAPER_ITERATIONS = 64000

# Public reruns of the paper's recipe (github nabla0001/resnet): mean ± std of 5 seeds, test error (%)
PUBLIC_FULL_LENGTH = {"resnet20": (8.51, 0.22), "resnet56": (7.40, 0.27), "resnet110": (7.14, 0.20)}


@dataclass(frozen=True)
class BudgetPoint:
    """One finished run: network, length (fraction of 64k iterations), seed, final test error (%)."""

    model: str
    length: float
    seed: int
    test_error: float


def budget_points(run_folders: Sequence[str | Path]) -> list[BudgetPoint]:
    """The finished runs among ``run_folders`` (each with ``config.json`` and a finished ``result.json``)."""
    points = []
    for folder in map(Path, run_folders):
        try:
            config = json.loads((folder / "config.json").read_text())
            result = json.loads((folder / "result.json").read_text())
        except (OSError, ValueError):
            continue  # not started, or not finished: no point yet
        if result.get("status") != "finished" or result.get("test_error") is None:
            continue
        points.append(BudgetPoint(config["model"], config["iterations"] / PAPER_ITERATIONS, int(config["seed"]),
                                  100 * float(result["test_error"])))
    return sorted(points, key=lambda p: (p.model, p.length, p.seed))


def _means(points: Sequence[BudgetPoint], model: str) -> dict[float, float]:
    lengths = sorted({p.length for p in points if p.model == model})
    return {n: mean(p.test_error for p in points if p.model == model and p.length == n) for n in lengths}


def _fraction(length: float) -> str:
    return "1" if length == 1 else f"1/{round(1 / length)}" if length < 1 else f"{length:g}"


def overtake_sentence(points: Sequence[BudgetPoint], deep: str = "resnet56", shallow: str = "resnet20") -> str:
    """At which length does ``deep`` overtake ``shallow`` here?  One sentence, with the gap at every length."""
    a, b = _means(points, deep), _means(points, shallow)
    both = sorted(set(a) & set(b))
    if not both:
        return f"Not measured yet: no length has finished runs of both {deep} and {shallow}."
    gaps = ", ".join(f"{_fraction(n)}: {a[n] - b[n]:+.2f} points" for n in both)
    ahead = [n for n in both if a[n] < b[n]]
    if ahead:
        return (f"{deep} overtakes {shallow} at {_fraction(ahead[0])} of the paper's length here "
                f"({deep} − {shallow} test error, mean over seeds: {gaps}).")
    return (f"{deep} has not overtaken {shallow} at any length run here ({deep} − {shallow} test error, "
            f"mean over seeds: {gaps}); the public full-length reruns have it ahead by "
            f"{PUBLIC_FULL_LENGTH[shallow][0] - PUBLIC_FULL_LENGTH[deep][0]:.2f} points.")


def plot_budget(points: Sequence[BudgetPoint], path: str | Path, models: Sequence[str] = ("resnet20", "resnet56"),
                deep: str = "resnet56", shallow: str = "resnet20") -> list[Path]:
    """Left: final test error against length, one dot per seed, means joined; the public 64k means as
    open squares with their std.  Right: the ``deep`` − ``shallow`` gap against length.  PNG and SVG."""
    fig = Figure(figsize=(10, 4))
    left, right = fig.subplots(1, 2)
    for i, model in enumerate(models):
        colour = PALETTE[i % len(PALETTE)]
        ours = [p for p in points if p.model == model]
        left.plot([p.length for p in ours], [p.test_error for p in ours], "o", color=colour, alpha=0.6)
        means = _means(points, model)
        left.plot(list(means), list(means.values()), "-", color=colour, label=f"{model} (minires)")
        if model in PUBLIC_FULL_LENGTH:
            m, s = PUBLIC_FULL_LENGTH[model]
            left.errorbar([1.0], [m], yerr=[s], fmt="s", mfc="none", color=colour, capsize=3,
                          label=f"{model}, public reruns (64k, 5 seeds)")
    a, b = _means(points, deep), _means(points, shallow)
    both = sorted(set(a) & set(b))
    right.axhline(0, color="#888888", lw=0.8)
    right.plot(both, [a[n] - b[n] for n in both], "o-", color="#000000", label="minires (mean over seeds)")
    right.plot([1.0], [PUBLIC_FULL_LENGTH[deep][0] - PUBLIC_FULL_LENGTH[shallow][0]], "s", mfc="none",
               color="#000000", label="public reruns (64k)")
    ticks = sorted({p.length for p in points} | {1.0})
    for ax in (left, right):
        ax.set_xscale("log", base=2)
        ax.set_xticks(ticks, [_fraction(n) for n in ticks])
        ax.set_xlabel("training length (fraction of the paper's 64,000 iterations)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    left.set_ylabel("final test error (%)")
    right.set_ylabel(f"{deep} − {shallow} test error (points)")
    fig.suptitle("When does depth pay? CIFAR-10, the paper's recipe at several lengths", fontsize=10)
    return save(fig, path)
