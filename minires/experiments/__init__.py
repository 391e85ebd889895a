"""The paper's experiments: degradation (Fig. 6, Table 6) and layer responses (Fig. 7)."""

from pathlib import Path

from minires.experiments.degradation import degradation, markdown_table
from minires.experiments.responses import extreme_images, largest_responses, response_stds, responses

__all__ = ["degradation", "extreme_images", "largest_responses", "markdown_table", "responses", "response_stds",
           "shipped_results"]


def shipped_results(recipe: str = "cpu") -> Path:
    """The folder of the measured reproduction's results that ship with minires: for ``"cpu"``
    ``curves.png``, ``table.md``, ``findings.md``, ``fig7.png``; for ``"budget"`` (every length)
    ``budget.png``, ``budget-curves.png``, ``budget.md``.  The notebooks show them from an
    installed package.

    Copied there by ``scripts/cpu_report.py`` each time it rebuilds the report in ``docs/reproduction/``.
    """
    return Path(__file__).with_name("results") / recipe
