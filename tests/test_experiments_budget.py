"""The budget figure's points come from finished runs only; the overtake sentence says what they show."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from cifar_files import write_cifar

from minires.errors import InputError
from minires.experiments import responses
from minires.experiments.budget import (
    BudgetPoint,
    budget_points,
    depth_by_length,
    fraction_label,
    length_rows,
    length_table,
    overtake_sentence,
    plot_budget,
    plot_length_curves,
    read_run,
    response_depth_by_length,
    responses_by_length,
)
from minires.train import TrainConfig, train


def _run(root: Path, model: str, iterations: int, seed: int, error: float | None, status: str = "finished",
         name: str | None = None, result_iteration: int | None = None) -> Path:
    folder = root / (name or f"{model}-{iterations}-seed{seed}")
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model": model, "iterations": iterations, "seed": seed}))
    if error is not None:
        (folder / "result.json").write_text(json.dumps({"status": status, "model": model, "test_error": error,
                                                        "iteration": result_iteration or iterations}))
    return folder


def test_points_are_the_finished_runs_with_their_length(tmp_path: Path) -> None:
    folders = [_run(tmp_path, "resnet56", 8000, 0, 0.1738), _run(tmp_path, "resnet110", 8000, 0, 0.18),
               _run(tmp_path, "resnet20", 8000, 0, 0.1611), _run(tmp_path, "resnet20", 16000, 0, None),
               _run(tmp_path, "resnet56", 16000, 1, 0.12, "paused"),
               # a finished result left from an 8,000-iteration run in a folder now training 16,000:
               _run(tmp_path, "resnet56", 16000, 0, 0.17, result_iteration=8000)]
    points = budget_points([*folders, tmp_path / "missing"])
    assert [(p.model, p.length, p.seed, round(p.test_error, 6)) for p in points] == [
        ("resnet20", 0.125, 0, 16.11), ("resnet56", 0.125, 0, 17.38), ("resnet110", 0.125, 0, 18.0)]
    assert not read_run(folders[-1]).finished and read_run(tmp_path / "missing") is None


def test_two_finished_runs_of_one_seed_are_refused(tmp_path: Path) -> None:
    folders = [_run(tmp_path, "resnet20", 8000, 0, 0.1611), _run(tmp_path, "resnet20", 8000, 0, 0.16, name="copy")]
    with pytest.raises(InputError, match="two finished runs of resnet20 at 1/8 of the paper's length with seed 0"):
        budget_points(folders)


def test_lengths_are_named_as_fractions() -> None:
    lengths = (0.125, 0.25, 0.375, 3 / 16, 1.0, 2.0)
    assert [fraction_label(n) for n in lengths] == ["1/8", "1/4", "3/8", "3/16", "1", "2"]


def test_the_sentence_names_the_first_length_where_the_deeper_net_leads(tmp_path: Path) -> None:
    points = [BudgetPoint("resnet20", 0.125, 0, 16.1), BudgetPoint("resnet20", 0.125, 1, 16.3),
              BudgetPoint("resnet56", 0.125, 0, 17.4), BudgetPoint("resnet56", 0.125, 1, 17.0)]
    behind = overtake_sentence(points)
    assert behind.startswith("ResNet-56 has not overtaken ResNet-20 at any length with finished runs of both")
    assert "1/8: +1.00 points" in behind and "ResNet-56's test error is 1.11 points below ResNet-20's" in behind
    quarter = [BudgetPoint("resnet20", 0.25, 0, 12.0), BudgetPoint("resnet56", 0.25, 0, 11.5)]
    ahead = overtake_sentence(points + quarter)
    assert ahead.startswith("ResNet-56 overtakes ResNet-20 at 1/4") and "1/4: -0.50 points" in ahead
    again = overtake_sentence(points + quarter + [BudgetPoint("resnet20", 0.5, 0, 10.0),
                                                  BudgetPoint("resnet56", 0.5, 0, 10.2)])
    assert again.startswith("ResNet-56 is ahead of ResNet-20 at 1/4 but behind again at 1/2")
    assert overtake_sentence([]).startswith("Not measured yet")
    r32 = [BudgetPoint("resnet32", 0.125, 0, 16.5), *points[:2]]
    assert "public" not in overtake_sentence(r32, deep="resnet32")  # no public reruns of ResNet-32 to name
    assert "+0.30 points" in overtake_sentence(r32, deep="resnet32")
    plot_budget(r32, tmp_path / "r32", models=("resnet20", "resnet32"), deep="resnet32")  # no public point to draw
    written = plot_budget(points, tmp_path / "budget")
    assert [p.suffix for p in written] == [".png", ".svg"] and all(p.stat().st_size > 1000 for p in written)



def test_the_length_table_shows_running_runs_at_their_last_evaluation(tmp_path: Path) -> None:
    done = _run(tmp_path, "resnet20", 8000, 0, 0.1611)
    (done / "result.json").write_text(json.dumps({"status": "finished", "iteration": 8000, "train_error": 0.1312,
                                                  "test_error": 0.1611}))
    running = _run(tmp_path, "resnet56", 16000, 0, None)
    rows = [{"iteration": 500, "train_error": 0.6, "test_error": None},
            {"iteration": 1000, "train_error": 0.5148, "test_error": 0.565}, {"iteration": 1100, "train_error": 0.5}]
    (running / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    fresh = _run(tmp_path, "plain20", 8000, 0, None)
    table = length_rows([running, done, fresh, tmp_path / "missing"])
    assert [(r.model, r.iteration, r.finished) for r in table] == [
        ("plain20", 0, False), ("resnet20", 8000, True), ("resnet56", 1000, False)]
    assert round(table[2].test_error, 6) == 56.5 and round(table[1].train_error, 6) == 13.12
    lines = length_table(table)
    assert "| ResNet-20 | 1/8 | 0 | 8,000 | 13.12 | **16.11** |" in lines
    assert "| ResNet-56 | 1/4 | 0 | 1,000 of 16,000 (running; last evaluation) | 51.48 | 56.50 |" in lines
    assert "| plain-20 | 1/8 | 0 | 0 of 8,000 (running; last evaluation) | – | – |" in lines
    assert lines[-1] == "| ResNet-56 (public reruns, 5 seeds) | 1 | – | 64,000 | – | 7.40 ± 0.27 |"
    written = plot_length_curves([running, done, fresh], tmp_path / "curves")  # runs with no evaluation are left out
    assert [p.suffix for p in written] == [".png", ".svg"] and all(p.stat().st_size > 1000 for p in written)


def test_finding_b_is_asked_at_every_length_with_the_seed_spread() -> None:
    points = [BudgetPoint("resnet20", 0.125, 0, 16.11), BudgetPoint("resnet20", 0.125, 1, 15.73),
              BudgetPoint("resnet56", 0.125, 0, 17.38), BudgetPoint("resnet20", 0.25, 0, 14.02),
              BudgetPoint("resnet56", 0.25, 0, 13.5), BudgetPoint("resnet56", 1.0, 0, 7.0)]
    eighth, quarter = depth_by_length(points)
    assert eighth.answer is False and quarter.answer is True
    assert "ResNet-56 17.38% (1 seed) vs ResNet-20 15.92% (2 seeds, 15.73–16.11%): +1.46 points, 3.8× ResNet-20's " \
        "seed spread" in eighth.detail
    assert quarter.question.startswith("(b) at 1/4") and quarter.detail.endswith("-0.52 points")


def test_finding_e_compares_mean_responses_per_length() -> None:
    stds = {("resnet20", 0.125, 0): [0.8, 0.8], ("resnet20", 0.125, 1): [0.7, 0.7], ("resnet56", 0.125, 0): [0.7, 0.72],
            ("resnet20", 0.25, 0): [0.6, 0.6], ("resnet56", 0.25, 0): [0.9, 0.5], ("plain20", 0.25, 0): [1.0, 1.0]}
    eighth, quarter = response_depth_by_length(stds)
    assert eighth.answer is True and eighth.detail == "ResNet-56 0.710 vs ResNet-20 0.750 (seeds: 0.800, 0.700)"
    assert quarter.answer is False and "(e) at 1/4" in quarter.question
    assert response_depth_by_length({("resnet20", 0.25, 0): [0.6]}) == []


def test_responses_by_length_labels_each_finished_run(tmp_path: Path) -> None:
    write_cifar(tmp_path / "data", per_batch=8, test=12)
    folders = []
    for iterations in (2, 4):
        config = TrainConfig(model="resnet8", data=str(tmp_path / "data"), out=str(tmp_path / f"r8-{iterations}"),
                             batch_size=8, iterations=iterations, milestones=[1], eval_every=2, checkpoint_every=2,
                             eval_batch_size=6)
        train(config, stream=open(os.devnull, "w"))
        folders.append(tmp_path / f"r8-{iterations}")
    stds = responses_by_length([*folders, tmp_path / "missing"], tmp_path / "fig7")
    keys = [("resnet8", 2 / 64000, 0), ("resnet8", 4 / 64000, 0)]
    assert list(stds) == keys
    assert all(len(v) == 7 for v in stds.values())  # 6n + 1 layers at depth 6n + 2
    saved = json.loads((tmp_path / "fig7" / "responses.json").read_text())
    assert list(saved["networks"]) == ["ResNet-8, 1/32000, seed 0", "ResNet-8, 1/16000, seed 0"]
    assert (tmp_path / "fig7" / "fig7.png").stat().st_size > 1000
    # finished runs do not change: the same runs again are read back from responses.json, not measured
    assert responses_by_length(folders, tmp_path / "fig7", data=str(tmp_path / "gone")) == stds
    with pytest.raises(FileNotFoundError, match="gone"):  # measured anew: the test set is needed
        responses_by_length(folders, tmp_path / "fig7", data=str(tmp_path / "gone"), fresh=True)
    with pytest.raises(FileNotFoundError, match="gone"):  # another statistic than the saved one: measured
        responses_by_length(folders, tmp_path / "fig7", data=str(tmp_path / "gone"), per_channel=True)
    assert responses_by_length(folders[:1], tmp_path / "fig7") == {("resnet8", 2 / 64000, 0): stds[keys[0]]}
    with pytest.raises(InputError, match="one distinct label per run"):
        responses(folders, tmp_path / "other", labels=["same", "same"])
