"""The degradation experiment (the paper's Fig. 6 and Table 6).

Trains plain and residual CIFAR networks of several depths with the same
recipe, one run folder per network and seed, then draws their error curves
and tabulates their final errors beside the paper's.  Re-running the same
command skips finished runs and resumes unfinished ones, so a long
experiment can be spread over several sessions.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from minires.checkpoint import atomic_write_bytes
from minires.errors import InputError
from minires.experiments.grid import run_grid
from minires.experiments.plots import plot_degradation
from minires.train import METRICS, RESULT, TrainConfig, train
from minires.train.progress import format_duration
from minires.train.runfolder import read_metrics
from minires.train.trainer import check_time_limit

# Table 6 (test error %) and the mean of 5 public reruns with the paper's recipe
PAPER_TEST_ERROR = {"resnet20": 8.75, "resnet32": 7.51, "resnet44": 7.17, "resnet56": 6.97, "resnet110": 6.43,
                    "resnet1202": 7.93}
REPRODUCED_TEST_ERROR = {"plain20": 9.78, "plain56": 12.95, "resnet20": 8.51, "resnet56": 7.40, "resnet110": 7.14}


def network_names(depths: Sequence[int], plain: bool, residual: bool) -> list[str]:
    names = []
    for kind, wanted in (("plain", plain), ("resnet", residual)):
        if wanted:
            names += [f"{kind}{d}" for d in depths]
    return names


def run_folder(out: Path, name: str, seed: int) -> Path:
    return out / "runs" / f"{name}-seed{seed}"


def run_all(base: TrainConfig, names: Sequence[str], seeds: int, out: Path, stream: TextIO | None = None,
            time_limit: float | None = None) -> bool:
    """Train (or resume, or skip) every network for every seed; False if stopped early.

    ``time_limit`` (seconds) is shared by all the runs of this call: each gets what is
    left, and the call stops (with checkpoints) once it is spent.
    """
    started = time.perf_counter()
    for name in names:
        for seed in range(seeds):
            config = replace(base, model=name, seed=base.seed + seed, out=str(run_folder(out, name, seed)))
            left = None if time_limit is None else max(0.0, time_limit - (time.perf_counter() - started))
            if left == 0.0 and (name, seed) != (names[0], 0):  # spent by the runs before: stop here
                return False
            if train(config, resume=True, stream=stream, time_limit=left)["status"] != "finished":
                return False
    return True


def _metrics(folder: Path) -> list[dict[str, Any]]:
    return read_metrics(folder / METRICS)


def collect(out: Path, names: Sequence[str], seeds: int) -> tuple[dict[str, dict[str, Any]], list[dict[str, Any]]]:
    """Seed-averaged curves for the plot, and one table row per network."""
    curves, rows = {}, []
    for name in names:
        runs = [_metrics(run_folder(out, name, s)) for s in range(seeds)]
        runs = [r for r in runs if r]
        if not runs:
            continue
        eval_key = "val_error" if "val_error" in runs[0][0] else "test_error"
        length = min(len(r) for r in runs)
        curves[name] = {
            "depth": int(name.removeprefix("plain").removeprefix("resnet")), "plain": name.startswith("plain"),
            "iterations": [runs[0][i]["iteration"] for i in range(length)],
            "train_error": [statistics.mean(r[i]["train_error"] for r in runs) for i in range(length)],
            "eval_error": [statistics.mean(r[i][eval_key] for r in runs) for i in range(length)],
        }
        results = [json.loads((run_folder(out, name, s) / RESULT).read_text())
                   for s in range(seeds) if (run_folder(out, name, s) / RESULT).exists()]
        finals_train = [100 * r[-1]["train_error"] for r in runs]
        finals_eval = [100 * r[-1][eval_key] for r in runs]
        rows.append({
            "network": name, "seeds": len(runs), "iterations": runs[0][-1]["iteration"],
            "finished": len(results) == len(runs) and all(r["status"] == "finished" for r in results),
            "train_error_mean": statistics.mean(finals_train),
            "train_error_std": statistics.stdev(finals_train) if len(runs) > 1 else 0.0,
            f"{eval_key}_mean": statistics.mean(finals_eval),
            f"{eval_key}_std": statistics.stdev(finals_eval) if len(runs) > 1 else 0.0,
            "params": results[0]["params"] if results else None,
            "wall_time_s": statistics.mean(r["wall_time"] for r in results) if results else None,
            "paper_test_error": PAPER_TEST_ERROR.get(name),
            "reproduced_test_error": REPRODUCED_TEST_ERROR.get(name),
        })
    return curves, rows


def markdown_table(rows: list[dict[str, Any]]) -> str:
    eval_key = "val_error" if rows and "val_error_mean" in rows[0] else "test_error"

    def pm(mean: float, std: float, seeds: int) -> str:
        return f"{mean:.2f} ± {std:.2f}" if seeds > 1 else f"{mean:.2f}"

    def opt(v: float | None) -> str:
        return f"{v:.2f}" if v is not None else "–"

    lines = [
        f"| network | seeds | iterations | training error % | {eval_key.replace('_', ' ')} % | params | "
        "wall time | paper test error % (Table 6) | public reruns, full recipe % |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        params = f"{r['params'] / 1e6:.2f}M" if r["params"] else "–"
        wall = format_duration(r["wall_time_s"]) if r["wall_time_s"] is not None else "–"
        iterations = f"{r['iterations']}" + ("" if r.get("finished", True) else " (unfinished)")
        lines.append(
            f"| {r['network']} | {r['seeds']} | {iterations} | "
            f"{pm(r['train_error_mean'], r['train_error_std'], r['seeds'])} | "
            f"{pm(r[f'{eval_key}_mean'], r[f'{eval_key}_std'], r['seeds'])} | {params} | {wall} | "
            f"{opt(r['paper_test_error'])} | {opt(r['reproduced_test_error'])} |"
        )
    return "\n".join(lines) + "\n"


def degradation(base: TrainConfig, depths: Sequence[int] = (20, 32, 44, 56), plain: bool = True,
                residual: bool = True, seeds: int = 1, out: str | Path = "degradation",
                stream: TextIO | None = None, time_limit: float | None = None,
                train_runs: bool = True, workers: int = 1, scheduler: str | None = None,
                threads_per_run: int | None = None, security: Any = None) -> list[dict[str, Any]]:
    """Run the experiment and write ``fig6.png/.svg``, ``table.md`` and ``table.json`` into ``out``.

    Args:
        time_limit: seconds for all the training of this call (with several workers: for each run);
            unfinished runs pause with a checkpoint.
        train_runs: False draws and tabulates what the run folders hold, training nothing.
        workers, scheduler, threads_per_run, security: train several runs at once, on this machine
            or a Dask cluster (see ``minires.experiments.grid``).

    Returns the table rows.
    """
    out = Path(out)
    for name, value in (("workers", workers), ("seeds", seeds)):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise InputError(f"{name} must be a whole number >= 1, got {value!r}")
    check_time_limit(time_limit)
    names = network_names(depths, plain, residual)
    if not names:
        raise InputError("nothing to train: --plain and --residual were both switched off")
    if train_runs and (workers > 1 or scheduler is not None):
        configs = [replace(base, model=name, seed=base.seed + seed, out=str(run_folder(out, name, seed)))
                   for name in names for seed in range(seeds)]
        results = run_grid(configs, workers, scheduler, threads_per_run, time_limit, security)
        if any(r["status"] != "finished" for r in results):
            print("some runs are not finished: re-run the same command to continue; drawing what has been "
                  "measured so far", file=stream)
    elif train_runs and not run_all(base, names, seeds, out, stream, time_limit):
        print("stopped early: re-run the same command to continue; drawing what has been measured so far",
              file=stream)
    curves, rows = collect(out, names, seeds)
    eval_name = "val" if base.val_split else "test"
    plot_degradation(curves, out / "fig6", eval_name)
    atomic_write_bytes(out / "table.md", markdown_table(rows).encode())
    atomic_write_bytes(out / "table.json", (json.dumps(rows, indent=2) + "\n").encode())
    return rows
