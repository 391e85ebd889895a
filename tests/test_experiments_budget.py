"""The budget figure's points come from finished runs only; the overtake sentence says what they show."""

from __future__ import annotations

import json
from pathlib import Path

from minires.experiments.budget import BudgetPoint, budget_points, overtake_sentence, plot_budget


def _run(root: Path, model: str, iterations: int, seed: int, error: float | None, status: str = "finished") -> Path:
    folder = root / f"{model}-{iterations}-seed{seed}"
    folder.mkdir(parents=True)
    (folder / "config.json").write_text(json.dumps({"model": model, "iterations": iterations, "seed": seed}))
    if error is not None:
        (folder / "result.json").write_text(json.dumps({"status": status, "test_error": error}))
    return folder


def test_points_are_the_finished_runs_with_their_length(tmp_path: Path) -> None:
    folders = [_run(tmp_path, "resnet20", 8000, 0, 0.1611), _run(tmp_path, "resnet56", 8000, 0, 0.1738),
               _run(tmp_path, "resnet20", 16000, 0, None), _run(tmp_path, "resnet56", 16000, 1, 0.12, "paused")]
    points = budget_points([*folders, tmp_path / "missing"])
    assert [(p.model, p.length, p.seed, round(p.test_error, 6)) for p in points] == [
        ("resnet20", 0.125, 0, 16.11), ("resnet56", 0.125, 0, 17.38)]


def test_the_sentence_names_the_first_length_where_the_deeper_net_leads(tmp_path: Path) -> None:
    points = [BudgetPoint("resnet20", 0.125, 0, 16.1), BudgetPoint("resnet20", 0.125, 1, 16.3),
              BudgetPoint("resnet56", 0.125, 0, 17.4), BudgetPoint("resnet56", 0.125, 1, 17.0)]
    behind = overtake_sentence(points)
    assert "has not overtaken" in behind and "1/8: +1.00 points" in behind and "1.11 points" in behind
    ahead = overtake_sentence(points + [BudgetPoint("resnet20", 0.25, 0, 12.0), BudgetPoint("resnet56", 0.25, 0, 11.5)])
    assert ahead.startswith("resnet56 overtakes resnet20 at 1/4") and "1/4: -0.50 points" in ahead
    assert overtake_sentence([]).startswith("Not measured yet")
    written = plot_budget(points, tmp_path / "budget")
    assert [p.suffix for p in written] == [".png", ".svg"] and all(p.stat().st_size > 1000 for p in written)

