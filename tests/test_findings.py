"""The paper's findings asked of results: yes, no, or not yet, with the numbers."""

from __future__ import annotations

from minires.experiments.findings import degradation_findings, response_findings


def row(name: str, train: float, test: float) -> dict:
    return {"network": name, "train_error_mean": train, "test_error_mean": test}


def test_degradation_findings_answer_with_numbers() -> None:
    rows = [row("plain20", 5.0, 10.0), row("plain56", 7.0, 12.0), row("resnet20", 4.0, 9.0),
            row("resnet56", 2.0, 8.0)]
    answers = [f.answer for f in degradation_findings(rows)]
    assert answers == [True, True, True, True]
    assert "plain-56 7.00% vs plain-20 5.00%" in degradation_findings(rows)[0].detail
    flipped = [row("plain20", 7.0, 10.0), row("plain56", 5.0, 12.0), row("resnet20", 4.0, 8.0),
               row("resnet56", 2.0, 9.0)]
    assert [f.answer for f in degradation_findings(flipped)][:2] == [False, False]


def test_missing_runs_are_not_yet() -> None:
    findings = degradation_findings([row("plain20", 5.0, 10.0), row("resnet20", 4.0, 9.0)])
    assert [f.answer for f in findings] == [None, None, True, None]
    assert "plain-56 not measured yet" in findings[0].detail and findings[0].line().startswith("- **not yet**")


def test_unfinished_runs_are_not_yet() -> None:
    rows = [row("plain20", 5.0, 10.0), {**row("plain56", 50.0, 55.0), "finished": False},
            row("resnet20", 4.0, 9.0), {**row("resnet56", 3.0, 8.0), "finished": True}]
    findings = degradation_findings(rows)
    assert [f.answer for f in findings] == [None, True, True, None]
    assert findings[0].detail == "plain-56 not finished yet"
    assert findings[3].detail == "plain-56 not finished yet"


def test_response_findings_compare_mean_stds() -> None:
    stds = {"plain20": [1.0, 1.2], "resnet20": [0.8, 0.6], "resnet56": [0.5, 0.5, 0.5]}
    answers = [f.answer for f in response_findings(stds)]
    assert answers == [True, None, True]
