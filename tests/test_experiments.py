"""What minires.experiments ships: the measured reproduction's results, for the notebooks."""

from __future__ import annotations

from pathlib import Path


def test_the_results_shipped_for_the_notebooks_are_the_reports() -> None:
    from minires.experiments import shipped_results

    docs = Path(__file__).resolve().parents[1] / "docs" / "reproduction" / "cpu"
    for shipped, report in (("curves.png", "curves.png"), ("table.md", "table.md"), ("findings.md", "findings.md"),
                            ("fig7.png", "fig7/fig7.png")):
        assert (shipped_results("cpu") / shipped).read_bytes() == (docs / report).read_bytes(), shipped


def test_the_budget_results_shipped_for_notebook_06_are_the_report() -> None:
    from minires.experiments import shipped_results

    docs = Path(__file__).resolve().parents[1] / "docs" / "reproduction"
    for name in ("budget.png", "budget-curves.png", "budget.md"):
        assert (shipped_results("budget") / name).read_bytes() == (docs / name).read_bytes(), name
