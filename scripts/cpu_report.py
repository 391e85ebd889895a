"""Rebuild the CPU-recipe reproduction's figures and findings from its run folders.

    python scripts/cpu_report.py [--data DIR]

Reads docs/reproduction/cpu/runs/<network>-seed0/ (finished or not) and writes, beside them:
fig6.png/svg and table.md/json (``minires degradation --no-train``, every depth with a run), fig7/
and fig7-per-channel/ (``minires responses`` over the full test set, finished runs only; a run
measured before is read back, ``--fresh`` measures it again), curves.png/svg
(``minires plot``), and findings.md: the paper's findings answered yes/no with the numbers.
Then the budget question across recipes (docs/reproduction/budget.png/svg and budget.md): final
test error of every finished run in docs/reproduction/{cpu,quarter}/runs/ against training length,
and at which length ResNet-56 overtakes ResNet-20 (``--budget-only``: just that part).
Nothing is trained.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from statistics import mean

from minires.checkpoint import atomic_write_bytes
from minires.experiments import degradation, shipped_results
from minires.experiments.budget import (
    budget_points,
    depth_by_length,
    fraction_label,
    length_rows,
    length_table,
    overtake_sentence,
    plot_budget,
    plot_length_curves,
    response_depth_by_length,
    responses_by_length,
)
from minires.experiments.findings import degradation_findings, network_label, response_findings
from minires.experiments.plots import depth_of, plot_runs
from minires.experiments.responses import responses
from minires.train import METRICS, RESULT, TrainConfig
from minires.train.runfolder import read_metrics

REPRODUCTION = Path(__file__).resolve().parents[1] / "docs" / "reproduction"
CPU = REPRODUCTION / "cpu"
RECIPES = ("cpu", "quarter")  # the recipes whose run folders the budget figure reads


def write_budget(data: str | None = None, fresh: bool = False) -> list[str]:
    """The budget question across recipes, from every run in docs/reproduction/{cpu,quarter}/runs/:
    budget.png/svg (finished runs), budget-curves.png/svg (every run's test error so far),
    budget-fig7/ and budget-fig7-per-channel/ (Fig. 7 of every finished ResNet run; only a run
    those folders do not hold yet reads the test set, every run with ``fresh``), and budget.md: the
    Fig. 6 table with a length column and the findings at each length.  Returns the lines of budget.md."""
    folders = [f for recipe in RECIPES if (REPRODUCTION / recipe / "runs").is_dir()
               for f in sorted((REPRODUCTION / recipe / "runs").iterdir())]
    points = budget_points(folders)
    plot_budget(points, REPRODUCTION / "budget")
    plot_length_curves(folders, REPRODUCTION / "budget-curves", networks=("resnet20", "resnet56"))
    lines = ["# When does depth pay? Fig. 6 at several training lengths", "",
             "Rebuilt by `python scripts/cpu_report.py`; every run in "
             f"{', '.join(f'docs/reproduction/{r}/runs/' for r in RECIPES)}. A run still training is "
             "shown at its last evaluation and left out of the findings.", ""]
    lines += length_table(length_rows(folders))
    lines += ["", "## Finding (b) at each length", ""]
    lines += [f.line() for f in depth_by_length(points)]
    lines += ["", overtake_sentence(points)]
    lines += ["", "## Fig. 7 at each length: does ResNet-56 respond less than ResNet-20?", ""]
    for folder, per_channel in (("budget-fig7", False), ("budget-fig7-per-channel", True)):
        stds = responses_by_length(folders, REPRODUCTION / folder, data=data, per_channel=per_channel,
                                   networks=("resnet20", "resnet56"), fresh=fresh)  # the plain nets: cpu/fig7
        statistic = "per-channel" if per_channel else "pooled"
        lines += [f.line() for f in response_depth_by_length(stds, statistic=statistic)]
        lines += [f"- {statistic} mean response std over layers, every finished run: " + "; ".join(
            f"{network_label(m)} {fraction_label(n)} seed {s} {mean(v):.3f}" for (m, n, s), v in stds.items())]
    atomic_write_bytes(REPRODUCTION / "budget.md", ("\n".join(lines) + "\n").encode())
    for name in ("budget.png", "budget-curves.png", "budget.md"):  # what notebook 06 shows from an install
        atomic_write_bytes(shipped_results("budget") / name, (REPRODUCTION / name).read_bytes())
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="CIFAR-10 location (default: $MINIRES_DATA, then ~/.cache/minires)")
    parser.add_argument("--budget-only", action="store_true", help="only the budget figures and budget.md")
    parser.add_argument("--fresh", action="store_true",
                        help="measure Fig. 7 again for every run, also those its folders already hold")
    args = parser.parse_args()
    if args.budget_only:
        print("\n".join(write_budget(args.data, fresh=args.fresh)))
        return
    runs = sorted((CPU / "runs").glob("*-seed0"))  # seed 0 of each network; the other seeds: the budget part
    depths = sorted({depth_of(r.name.removesuffix("-seed0")) for r in runs})  # Fig. 6: every depth trained
    base = TrainConfig.recipe("cpu", data=args.data)
    rows = degradation(base, depths=depths, out=CPU, train_runs=False, stream=io.StringIO())
    finished = [r for r in runs if (r / RESULT).exists()]
    lines = ["# Findings of the CPU-recipe runs", "", "Rebuilt by `python scripts/cpu_report.py`.", ""]
    lines += [f.line() for f in degradation_findings(rows)]
    for folder, per_channel in (("fig7", False), ("fig7-per-channel", True)):
        # a run these folders already hold keeps its measured values (its weights no longer change)
        stds = (responses(finished, CPU / folder, data=args.data, per_channel=per_channel, reuse=not args.fresh)
                if finished else {})
        label = "per-channel" if per_channel else "pooled"
        lines += [f.line().replace("(mean std", f"({label}, mean std") for f in response_findings(stds)]
    metrics = {r.name.removesuffix("-seed0"): read_metrics(r / METRICS) for r in runs}
    plot_runs(metrics, CPU / "curves", title="CPU recipe (8,000 iterations): error and loss",
              milestones=base.scaled().milestones)
    atomic_write_bytes(CPU / "findings.md", ("\n".join(lines) + "\n").encode())
    shipped = shipped_results("cpu")  # what the notebooks show from an installed package
    for source, name in ((CPU / "curves.png", "curves.png"), (CPU / "table.md", "table.md"),
                         (CPU / "findings.md", "findings.md"), (CPU / "fig7" / "fig7.png", "fig7.png")):
        atomic_write_bytes(shipped / name, source.read_bytes())
    print("\n".join(lines + [""] + write_budget(args.data, fresh=args.fresh)))


if __name__ == "__main__":
    main()
