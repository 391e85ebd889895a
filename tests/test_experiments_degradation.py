"""The degradation experiment end to end on tiny settings: runs, skip/resume, plot, tables."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cifar_files import write_cifar

from minires import checkpoint
from minires.experiments import degradation
from minires.train import TrainConfig


@pytest.fixture(scope="module")
def tiny_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cifar")
    write_cifar(root, per_batch=8, test=16)
    return root


def base(data: Path, **kw: object) -> TrainConfig:
    values = dict(data=str(data), batch_size=8, iterations=4, milestones=[2], eval_every=2, checkpoint_every=2,
                  eval_batch_size=8)
    return TrainConfig(**{**values, **kw})  # type: ignore[arg-type]


def test_degradation_writes_figure_and_tables(tiny_data: Path, tmp_path: Path) -> None:
    quiet = open(os.devnull, "w")
    rows = degradation(base(tiny_data), depths=[8, 14], seeds=2, out=tmp_path, stream=quiet)
    assert [r["network"] for r in rows] == ["plain8", "plain14", "resnet8", "resnet14"]
    assert all(r["seeds"] == 2 and r["iterations"] == 4 and r["finished"] for r in rows)
    assert all(0 <= r["test_error_mean"] <= 100 and r["test_error_std"] >= 0 for r in rows)
    assert rows[0]["params"] == rows[2]["params"]  # plain and residual twins: same parameters
    for name in ("fig6.png", "fig6.svg", "table.md", "table.json"):
        assert (tmp_path / name).stat().st_size > 0
    assert json.loads((tmp_path / "table.json").read_text()) == rows
    table = (tmp_path / "table.md").read_text()
    assert table.startswith("| network |") and "| resnet14 | 2 | 4 |" in table


def test_rerun_skips_finished_and_resumes_unfinished(tiny_data: Path, tmp_path: Path) -> None:
    quiet = open(os.devnull, "w")
    degradation(base(tiny_data, iterations=2, milestones=[1]), depths=[8], residual=False, out=tmp_path,
                stream=quiet)
    finished = tmp_path / "runs" / "plain8-seed0" / "checkpoint.npz"
    stamp = finished.stat().st_mtime_ns
    # a second network, left unfinished as if the session had ended mid-run
    degradation(base(tiny_data, iterations=2, milestones=[1], checkpoint_every=1), depths=[8], plain=False,
                out=tmp_path, stream=quiet)
    state = checkpoint.load(tmp_path / "runs" / "resnet8-seed0" / "checkpoint.npz")
    assert state["finished"]
    rows = degradation(base(tiny_data, iterations=2, milestones=[1]), depths=[8], out=tmp_path, stream=quiet)
    assert finished.stat().st_mtime_ns == stamp  # not retrained
    assert [r["network"] for r in rows] == ["plain8", "resnet8"]


def test_paper_values_are_beside_ours(tiny_data: Path, tmp_path: Path) -> None:
    from minires.experiments.degradation import markdown_table

    row = {"network": "resnet56", "seeds": 1, "iterations": 10, "train_error_mean": 1.0, "train_error_std": 0.0,
           "test_error_mean": 7.0, "test_error_std": 0.0, "params": 853018, "wall_time_s": 75.0,
           "paper_test_error": 6.97, "reproduced_test_error": 7.40}
    line = markdown_table([row]).splitlines()[-1]
    assert line == "| resnet56 | 1 | 10 | 1.00 | 7.00 | 0.85M | 01:15 | 6.97 | 7.40 |"
    paused = markdown_table([{**row, "finished": False, "wall_time_s": None}]).splitlines()[-1]
    assert paused.startswith("| resnet56 | 1 | 10 (unfinished) | 1.00 | 7.00 |")


def test_a_paused_run_is_a_row_marked_unfinished(tiny_data: Path, tmp_path: Path) -> None:
    quiet = open(os.devnull, "w")
    degradation(base(tiny_data, eval_every=1), depths=[8], residual=False, out=tmp_path, stream=quiet,
                time_limit=1e-9)
    rows = degradation(base(tiny_data, eval_every=1), depths=[8], residual=False, out=tmp_path, stream=quiet,
                       train_runs=False)
    assert [(r["network"], r["iterations"], r["finished"]) for r in rows] == [("plain8", 1, False)]
    assert "| plain8 | 1 | 1 (unfinished) |" in (tmp_path / "table.md").read_text()


def test_time_limit_pauses_and_no_train_only_draws(tiny_data: Path, tmp_path: Path) -> None:
    quiet = open(os.devnull, "w")
    degradation(base(tiny_data), depths=[8], out=tmp_path, stream=quiet, time_limit=1e-9)
    plain = checkpoint.load(tmp_path / "runs" / "plain8-seed0" / "checkpoint.npz")
    assert plain["iteration"] == 1 and not plain["finished"]  # paused at once ...
    assert not (tmp_path / "runs" / "resnet8-seed0").exists()  # ... and the next run never started
    stamp = (tmp_path / "runs" / "plain8-seed0" / "checkpoint.npz").stat().st_mtime_ns
    rows = degradation(base(tiny_data), depths=[8], out=tmp_path, stream=quiet, train_runs=False)
    assert (tmp_path / "runs" / "plain8-seed0" / "checkpoint.npz").stat().st_mtime_ns == stamp
    assert [r["network"] for r in rows] == [] and (tmp_path / "fig6.png").exists()  # nothing evaluated yet
