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
from fractions import Fraction
from pathlib import Path
from statistics import mean

from matplotlib.figure import Figure

from minires.errors import InputError
from minires.experiments.findings import Finding, network_label
from minires.experiments.plots import PALETTE, depth_of, save
from minires.experiments.responses import responses
from minires.train.runfolder import read_metrics

__all__ = ["BudgetPoint", "LengthRow", "PUBLIC_FULL_LENGTH", "budget_points", "read_run", "length_rows", "length_table",
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
    """The finished runs among ``run_folders`` (see ``read_run``), in the paper's order, then length and seed."""
    return [point for point, _ in _finished_runs(run_folders)]


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


def read_run(folder: str | Path) -> LengthRow | None:
    """Where the run in ``folder`` stands; None when it is not a run folder (no readable config.json).

    A run is finished when its ``result.json`` says so *for this configuration*: status "finished",
    a test error, and the iteration and network of its ``config.json`` (a result left over from an
    earlier run in the same folder does not count).  Otherwise the row holds its last evaluation
    in ``metrics.jsonl`` (iteration 0 and no errors before the first).
    """
    folder = Path(folder)
    try:
        config = json.loads((folder / "config.json").read_text())
    except (OSError, ValueError):
        return None
    try:
        result = json.loads((folder / "result.json").read_text())
    except (OSError, ValueError):
        result = {}
    # a result of this configuration, not one left over from an earlier run in the same folder
    this_run = (result.get("iteration") == config["iterations"]
                and result.get("model", config["model"]) == config["model"])
    finished = this_run and result.get("status") == "finished" and result.get("test_error") is not None
    if finished:
        last = result
    else:
        evaluated = [r for r in read_metrics(folder / "metrics.jsonl") if r.get("test_error") is not None]
        last = evaluated[-1] if evaluated else {"iteration": 0}
    return LengthRow(config["model"], config["iterations"] / PAPER_ITERATIONS, int(config["seed"]),
                     int(last["iteration"]), int(config["iterations"]), _percent(last.get("train_error")),
                     _percent(last.get("test_error")), finished)


def length_rows(run_folders: Sequence[str | Path]) -> list[LengthRow]:
    """Where every run folder among ``run_folders`` stands, finished or not, in the paper's order
    (plain before ResNet, shallow before deep, then length and seed)."""
    return sorted((r for r in map(read_run, run_folders) if r is not None), key=_row_order)


def _finished_runs(run_folders: Sequence[str | Path]) -> list[tuple[BudgetPoint, Path]]:
    """(point, folder) of each finished run, in the paper's order; two runs of one network, length
    and seed are refused (they would count as two seeds)."""
    runs: dict[tuple[str, float, int], tuple[BudgetPoint, Path]] = {}
    for folder in map(Path, run_folders):
        row = read_run(folder)
        if row is None or not row.finished or row.test_error is None:
            continue
        key = (row.model, row.length, row.seed)
        if key in runs:
            raise InputError(f"two finished runs of {row.model} at {fraction_label(row.length)} of the paper's "
                             f"length with seed {row.seed}: {runs[key][1]} and {folder}; expected one per seed")
        runs[key] = (BudgetPoint(row.model, row.length, row.seed, row.test_error), folder)
    return [runs[k] for k in sorted(runs, key=lambda k: (*_network_order(k[0]), k[1], k[2]))]


# One line style per length, the same in every figure: 1/8 solid, 1/4 dashed, 1/2 dash-dot, any other dotted
LINE_STYLES = {0.125: "-", 0.25: "--", 0.5: "-."}


def _line_style(length: float) -> str:
    return LINE_STYLES.get(length, ":")


def _row_order(row: LengthRow) -> tuple[bool, int, float, int]:
    return (*_network_order(row.model), row.length, row.seed)


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else 100 * float(fraction)


def _network_order(model: str) -> tuple[bool, int]:
    """Plain nets before ResNets, shallow before deep: the order of the paper's tables."""
    return model.startswith("resnet"), depth_of(model)


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
    the seed spread (the range of a network's seeds; the wider one where both have several).  The
    answer is the sign of the gap of the means: with one or two seeds, read it beside the spread.
    """
    out = []
    for n in sorted({p.length for p in points if p.model == deep} & {p.length for p in points if p.model == shallow}):
        errors = {m: [p.test_error for p in points if p.model == m and p.length == n] for m in (deep, shallow)}
        gap = mean(errors[deep]) - mean(errors[shallow])
        widest = max((deep, shallow), key=lambda m: max(errors[m]) - min(errors[m]))
        spread = max(errors[widest]) - min(errors[widest])
        scale = f", {abs(gap) / spread:.1f}× {network_label(widest)}'s seed spread" if spread > 0 else ""
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
    models = sorted({m for m, _, _ in keys}, key=_network_order)
    styles = {label: (PALETTE[models.index(m) % len(PALETTE)], _line_style(n))
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
    """A length as a fraction of the paper's: 0.125 -> "1/8", 0.375 -> "3/8", 1.0 -> "1", 2.0 -> "2"."""
    return str(Fraction(length).limit_denominator(PAPER_ITERATIONS))


def overtake_sentence(points: Sequence[BudgetPoint], deep: str = "resnet56", shallow: str = "resnet20") -> str:
    """At which length does ``deep`` overtake ``shallow`` here?  One sentence, with the gap at every length."""
    a, b = _means(points, deep), _means(points, shallow)
    both = sorted(set(a) & set(b))
    d, s = network_label(deep), network_label(shallow)
    if not both:
        return f"Not measured yet: no length has finished runs of both {d} and {s}."
    gaps = f"{d} − {s} test error, mean over seeds: " + ", ".join(
        f"{fraction_label(n)}: {a[n] - b[n]:+.2f} points" for n in both)
    ahead = [n for n in both if a[n] < b[n]]
    stays = [n for n in both if all(a[m] < b[m] for m in both if m >= n)]  # ahead here and at every longer length
    if stays:
        return f"{d} overtakes {s} at {fraction_label(stays[0])} of the paper's length here ({gaps})."
    public = ""
    if deep in PUBLIC_FULL_LENGTH and shallow in PUBLIC_FULL_LENGTH:
        lead = PUBLIC_FULL_LENGTH[shallow][0] - PUBLIC_FULL_LENGTH[deep][0]
        public = (f"; in the public full-length reruns {d}'s test error is {abs(lead):.2f} points "
                  f"{'below' if lead > 0 else 'above'} {s}'s")
    if ahead:
        return (f"{d} is ahead of {s} at {', '.join(map(fraction_label, ahead))} but behind again at "
                f"{fraction_label(both[-1])}, the longest length with finished runs of both ({gaps}){public}.")
    return (f"{d} has not overtaken {s} at any length with finished runs of both ({gaps}){public}.")


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
        left.plot(list(means), list(means.values()), "-", color=colour, label=f"{network_label(model)} (minires)")
        if model in PUBLIC_FULL_LENGTH:
            m, s = PUBLIC_FULL_LENGTH[model]
            left.errorbar([1.0], [m], yerr=[s], fmt="s", mfc="none", color=colour, capsize=3,
                          label=f"{network_label(model)}, public reruns (64k, 5 seeds)")
    a, b = _means(points, deep), _means(points, shallow)
    both = sorted(set(a) & set(b))
    right.axhline(0, color="#888888", lw=0.8)
    right.plot(both, [a[n] - b[n] for n in both], "o-", color="#000000", label="minires (mean over seeds)")
    if deep in PUBLIC_FULL_LENGTH and shallow in PUBLIC_FULL_LENGTH:
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
    right.set_ylabel(f"{network_label(deep)} − {network_label(shallow)} test error (points)")
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
        row = read_run(folder)
        if row is None or (networks is not None and row.model not in networks):
            continue
        metrics = [r for r in read_metrics(folder / "metrics.jsonl") if r.get("test_error") is not None]
        if metrics:
            runs.append((row, metrics))
    runs.sort(key=lambda run: _row_order(run[0]))
    models = sorted({row.model for row, _ in runs}, key=_network_order)
    fig = Figure(figsize=(8, 4.5))
    ax = fig.subplots()
    for row, metrics in runs:
        last = f"{100 * metrics[-1]['test_error']:.2f}%" + ("" if row.finished else ", running")
        ax.plot([r["iteration"] for r in metrics], [100 * r["test_error"] for r in metrics], _line_style(row.length),
                marker="osD^v"[row.seed % 5], ms=3.5, color=PALETTE[models.index(row.model) % len(PALETTE)], lw=1.6,
                label=f"{network_label(row.model)}, {fraction_label(row.length)}, seed {row.seed} ({last})")
    ax.set_xlabel("iterations")
    ax.set_ylabel("test error (%)")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    if runs:
        ax.legend(fontsize=7)
    ax.set_title("Test error during training, at each length (last value in brackets)", fontsize=10)
    fig.tight_layout()
    return save(fig, path)
