"""When does depth start to pay?  Final test error against training length, per network and seed.

At the paper's full length (64,000 iterations) ResNet-56 beats ResNet-20; at 1/8 of it, on
minires and on PyTorch alike, it does not yet.  This module gathers the finished runs of
several lengths (one run folder per network, length and seed), draws final test error
against length with the public full-length reruns as a third point (marked as theirs), and
the ResNet-56 − ResNet-20 gap; ``overtake_sentence`` answers the question in one sentence.

The same runs also give the paper's other views at every length: Fig. 6 as a table with a length
column (``length_rows``, ``length_table``; a run still training at its last evaluation) and as
test curves (``plot_length_curves``), finding (b) with the seed spread (``depth_by_length``), and
Fig. 7 with finding (e) (``responses_by_length``, ``response_depth_by_length``).

A run's length is its ``iterations`` as a fraction of the paper's 64,000
(``config.json``), so the CPU recipe is 1/8 and the quarter recipe 1/4.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

from matplotlib.figure import Figure

from minires.experiments.findings import Finding, network_label
from minires.experiments.plots import PALETTE, save
from minires.experiments.responses import responses
from minires.train.runfolder import read_metrics

__all__ = ["BudgetPoint", "LengthRow", "PUBLIC_FULL_LENGTH", "budget_points", "length_rows", "length_table",
           "depth_by_length", "responses_by_length", "response_depth_by_length", "overtake_sentence",
           "fraction_label", "plot_budget", "plot_length_curves"]

PAPER_ITERATIONS = 64000

# Public reruns of the paper's recipe (github nabla0001/resnet): mean ± std of 5 seeds, test error (%)
PUBLIC_FULL_LENGTH = {"plain20": (9.78, 0.13), "plain56": (12.95, 0.22), "resnet20": (8.51, 0.22),
                      "resnet56": (7.40, 0.27), "resnet110": (7.14, 0.20)}


@dataclass(frozen=True)
class BudgetPoint:
    """One finished run: network, length (fraction of 64k iterations), seed, final test error (%)."""

    model: str
    length: float
    seed: int
    test_error: float


def budget_points(run_folders: Sequence[str | Path]) -> list[BudgetPoint]:
    """The finished runs among ``run_folders`` (each with ``config.json`` and a finished ``result.json``)."""
    return [point for point, _ in _finished_runs(run_folders)]


def _finished_runs(run_folders: Sequence[str | Path]) -> list[tuple[BudgetPoint, Path]]:
    """(point, folder) for each finished run, sorted by network, length and seed."""
    runs = []
    for folder in map(Path, run_folders):
        try:
            config = json.loads((folder / "config.json").read_text())
            result = json.loads((folder / "result.json").read_text())
        except (OSError, ValueError):
            continue  # not started, or not finished: no point yet
        if result.get("status") != "finished" or result.get("test_error") is None:
            continue
        runs.append((BudgetPoint(config["model"], config["iterations"] / PAPER_ITERATIONS, int(config["seed"]),
                                 100 * float(result["test_error"])), folder))
    return sorted(runs, key=lambda run: (run[0].model, run[0].length, run[0].seed))


@dataclass(frozen=True)
class LengthRow:
    """Where one run folder stands, finished or not: errors in % at its last evaluation.

    ``iteration`` is that evaluation's iteration (a paused run's checkpoint may be a little later),
    ``iterations`` the run's planned length; ``finished`` whether it has its final result.
    """

    model: str
    length: float
    seed: int
    iteration: int
    iterations: int
    train_error: float | None
    test_error: float | None
    finished: bool


def length_rows(run_folders: Sequence[str | Path]) -> list[LengthRow]:
    """One row per run folder that has a ``config.json`` (started), finished or not, sorted like the points."""
    rows = []
    for folder in map(Path, run_folders):
        try:
            config = json.loads((folder / "config.json").read_text())
        except (OSError, ValueError):
            continue  # not a run folder
        try:
            result = json.loads((folder / "result.json").read_text())
        except (OSError, ValueError):
            result = {}
        finished = result.get("status") == "finished"
        evaluated = [r for r in read_metrics(folder / "metrics.jsonl") if r.get("test_error") is not None]
        last = result if finished else evaluated[-1] if evaluated else {"iteration": 0}
        rows.append(LengthRow(config["model"], config["iterations"] / PAPER_ITERATIONS, int(config["seed"]),
                              int(last["iteration"]), int(config["iterations"]), _percent(last.get("train_error")),
                              _percent(last.get("test_error")), finished))
    return sorted(rows, key=lambda r: (*_network_order(r.model), r.length, r.seed))


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else 100 * float(fraction)


def _depth(model: str) -> int:
    return int("".join(ch for ch in model if ch.isdigit()) or 0)


def _network_order(model: str) -> tuple[bool, int]:
    """Plain nets before ResNets, shallow before deep: the order of the paper's tables."""
    return model.startswith("resnet"), _depth(model)


def length_table(rows: Sequence[LengthRow]) -> list[str]:
    """Fig. 6 as a table with a length column (Markdown lines): every run, then the public full-length means."""
    def cell(value: float | None) -> str:
        return "–" if value is None else f"{value:.2f}"

    lines = ["| network | length (of 64k iterations) | seed | iterations | training error % | test error % |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        done = f"{r.iteration:,}" if r.finished else f"{r.iteration:,} of {r.iterations:,} (running; last evaluation)"
        test = f"**{r.test_error:.2f}**" if r.finished else cell(r.test_error)  # final errors in bold
        lines.append(f"| {network_label(r.model)} | {fraction_label(r.length)} | {r.seed} | {done} "
                     f"| {cell(r.train_error)} | {test} |")
    models = sorted({r.model for r in rows} & set(PUBLIC_FULL_LENGTH), key=_network_order)
    lines += [f"| {network_label(m)} (public reruns, 5 seeds) | 1 | – | 64,000 | – | {PUBLIC_FULL_LENGTH[m][0]:.2f} ± "
              f"{PUBLIC_FULL_LENGTH[m][1]:.2f} |" for m in models]
    return lines


def depth_by_length(points: Sequence[BudgetPoint], deep: str = "resnet56",
                    shallow: str = "resnet20") -> list[Finding]:
    """Finding (b), "``deep`` has a lower test error than ``shallow``", asked at every length with both.

    The detail gives each network's mean over its seeds with their range, and the gap in units of
    the larger seed spread where a network has more than one seed.
    """
    out = []
    for n in sorted({p.length for p in points if p.model == deep} & {p.length for p in points if p.model == shallow}):
        errors = {m: [p.test_error for p in points if p.model == m and p.length == n] for m in (deep, shallow)}
        gap = mean(errors[deep]) - mean(errors[shallow])
        spread = max(max(e) - min(e) for e in errors.values())
        scale = f", {abs(gap) / spread:.1f}× the seed spread" if spread > 0 else ""
        out.append(Finding(f"(b) at {fraction_label(n)} of the paper's length, {network_label(deep)} has a lower "
                           f"test error than {network_label(shallow)}", gap < 0,
                           f"{_seeds(deep, errors[deep])} vs {_seeds(shallow, errors[shallow])}: "
                           f"{gap:+.2f} points{scale}"))
    return out


def _seeds(model: str, errors: Sequence[float]) -> str:
    """``"ResNet-20 15.92% (2 seeds, 15.73–16.11%)"``: a network's mean test error over its seeds."""
    seeds = f"{len(errors)} seeds, {min(errors):.2f}–{max(errors):.2f}%" if len(errors) > 1 else "1 seed"
    return f"{network_label(model)} {mean(errors):.2f}% ({seeds})"


def responses_by_length(run_folders: Sequence[str | Path], out: str | Path, data: str | None = None,
                        per_channel: bool = False,
                        networks: Sequence[str] | None = None,
                        fresh: bool = False) -> dict[tuple[str, float, int], list[float]]:
    """Fig. 7 for every finished run among ``run_folders`` (of ``networks`` only, if given), labelled
    by network, length and seed.

    Writes ``out``/fig7.png/svg, responses.json and responses.csv (``minires.experiments.responses``);
    a network keeps its colour, a length its line style.  Returns (model, length, seed) -> per-layer stds.

    A run already in ``out``/responses.json keeps its saved values (``responses(reuse=True)``: a
    finished run's weights no longer change); ``fresh=True`` measures every run again.
    """
    runs = [(p, f) for p, f in _finished_runs(run_folders) if networks is None or p.model in networks]
    keys = [(p.model, p.length, p.seed) for p, _ in runs]
    labels = [f"{network_label(m)}, {fraction_label(n)}, seed {s}" for m, n, s in keys]
    lengths = sorted({n for _, n, _ in keys})
    models = sorted({m for m, _, _ in keys}, key=_network_order)
    line = ["-", "--", ":", "-."]
    styles = {label: (PALETTE[models.index(m) % len(PALETTE)], line[lengths.index(n) % len(line)])
              for label, (m, n, _) in zip(labels, keys)}
    stds = responses([folder for _, folder in runs], out, data=data, per_channel=per_channel, labels=labels,
                     styles=styles, reuse=not fresh)
    return {k: stds[label] for k, label in zip(keys, labels)}


def response_depth_by_length(stds: Mapping[tuple[str, float, int], Sequence[float]], deep: str = "resnet56",
                             shallow: str = "resnet20", statistic: str = "pooled") -> list[Finding]:
    """Finding (e), "``deep`` responds less than ``shallow``", at every length with both: each network's
    mean response std over its layers, averaged over its seeds (the seeds' values in brackets)."""
    out = []
    for n in sorted({k[1] for k in stds if k[0] == deep} & {k[1] for k in stds if k[0] == shallow}):
        per_seed = {m: [mean(v) for k, v in sorted(stds.items()) if k[0] == m and k[1] == n] for m in (deep, shallow)}
        less = mean(per_seed[deep]) < mean(per_seed[shallow])
        out.append(Finding(f"(e) at {fraction_label(n)}, {network_label(deep)} responds less than "
                           f"{network_label(shallow)} ({statistic} std, mean over layers)", less,
                           f"{_stds(deep, per_seed[deep])} vs {_stds(shallow, per_seed[shallow])}"))
    return out


def _stds(model: str, values: Sequence[float]) -> str:
    """``"ResNet-20 0.780 (seeds: 0.797, 0.763)"``: a network's mean response std over its seeds."""
    seeds = f" (seeds: {', '.join(f'{v:.3f}' for v in values)})" if len(values) > 1 else ""
    return f"{network_label(model)} {mean(values):.3f}{seeds}"


def _means(points: Sequence[BudgetPoint], model: str) -> dict[float, float]:
    lengths = sorted({p.length for p in points if p.model == model})
    return {n: mean(p.test_error for p in points if p.model == model and p.length == n) for n in lengths}


def fraction_label(length: float) -> str:
    return "1" if length == 1 else f"1/{round(1 / length)}" if length < 1 else f"{length:g}"


def overtake_sentence(points: Sequence[BudgetPoint], deep: str = "resnet56", shallow: str = "resnet20") -> str:
    """At which length does ``deep`` overtake ``shallow`` here?  One sentence, with the gap at every length."""
    a, b = _means(points, deep), _means(points, shallow)
    both = sorted(set(a) & set(b))
    if not both:
        return f"Not measured yet: no length has finished runs of both {deep} and {shallow}."
    gaps = ", ".join(f"{fraction_label(n)}: {a[n] - b[n]:+.2f} points" for n in both)
    ahead = [n for n in both if a[n] < b[n]]
    if ahead:
        return (f"{deep} overtakes {shallow} at {fraction_label(ahead[0])} of the paper's length here "
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
        ax.set_xticks(ticks, [fraction_label(n) for n in ticks])
        ax.set_xlabel("training length (fraction of the paper's 64,000 iterations)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=7)
    left.set_ylabel("final test error (%)")
    right.set_ylabel(f"{deep} − {shallow} test error (points)")
    fig.suptitle("When does depth pay? CIFAR-10, the paper's recipe at several lengths", fontsize=10)
    return save(fig, path)


def plot_length_curves(run_folders: Sequence[str | Path], path: str | Path,
                       networks: Sequence[str] | None = None) -> list[Path]:
    """Test error against iterations for every run among ``run_folders`` (of ``networks`` only, if
    given), finished or not: a network keeps its colour, a length its line style, a seed its marker,
    so a longer run can be read against a shorter one (they share the first learning rate until the
    shorter one drops it).  PNG and SVG."""
    runs = []
    for folder in map(Path, run_folders):
        try:
            config = json.loads((folder / "config.json").read_text())
        except (OSError, ValueError):
            continue
        if networks is not None and config["model"] not in networks:
            continue
        rows = [r for r in read_metrics(folder / "metrics.jsonl") if r.get("test_error") is not None]
        if rows:
            runs.append((config["model"], config["iterations"] / PAPER_ITERATIONS, int(config["seed"]), rows))
    models = sorted({m for m, *_ in runs}, key=_network_order)
    lengths = sorted({n for _, n, *_ in runs})
    line = ["-", "--", ":", "-."]
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    for model, length, seed, rows in sorted(runs, key=lambda r: (*_network_order(r[0]), r[1], r[2])):
        label = f"{network_label(model)}, {fraction_label(length)}, seed {seed} ({100 * rows[-1]['test_error']:.2f}%)"
        ax.plot([r["iteration"] for r in rows], [100 * r["test_error"] for r in rows], line[lengths.index(length) % 4],
                marker="osD^v"[seed % 5], ms=3.5, color=PALETTE[models.index(model) % len(PALETTE)], lw=1.6,
                label=label)
    ax.set_xlabel("iterations")
    ax.set_ylabel("test error (%)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if runs:
        ax.legend(fontsize=7)
    ax.set_title("Test error during training, at each length (last value in brackets)", fontsize=10)
    fig.tight_layout()
    return save(fig, path)
