"""Figures are written whole and reproducibly: the same figure twice gives the same bytes."""

from __future__ import annotations

from pathlib import Path

import pytest

from minires.errors import InputError
from minires.experiments.plots import plot_responses


def test_the_same_figure_writes_the_same_files(tmp_path: Path) -> None:
    stds = {"resnet20": [1.0, 0.8, 0.7], "plain20": [1.1, 0.9, 0.9]}
    first = [p.read_bytes() for p in plot_responses(stds, tmp_path / "a" / "fig7")]
    second = [p.read_bytes() for p in plot_responses(stds, tmp_path / "b" / "fig7")]
    assert first == second  # no date in the SVG, no random ids: a rebuilt report changes only what changed
    assert b"<dc:date>" not in first[1]
    styled = plot_responses(stds, tmp_path / "c" / "fig7", styles={"resnet20": ("#000000", ":")})
    assert styled[1].read_bytes() != first[1]


def test_a_folder_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "fig7.svg").mkdir()
    with pytest.raises(InputError, match="fig7.svg is a folder"):
        plot_responses({"resnet20": [1.0]}, tmp_path / "fig7")
