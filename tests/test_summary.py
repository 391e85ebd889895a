"""summary(): parameters and multiply-adds against the paper's tables."""

from __future__ import annotations

import pytest

import minires
from minires import models

# Table 1 "FLOPs" (multiply-adds, ×10⁹) with the paper's stride placement, and the v1.5 placement.
TABLE_1 = {18: 1.8, 34: 3.6, 50: 3.8, 101: 7.6, 152: 11.3}
V15 = {50: 4.1, 101: 7.8, 152: 11.6}


@pytest.mark.parametrize("depth", TABLE_1)
def test_imagenet_mult_adds_match_table_1(depth: int) -> None:
    s = minires.summary(models.get(f"resnet{depth}"), (3, 224, 224))
    # Table 1 gives two digits, truncated for 34 and 50 (3.66 → "3.6", 3.86 → "3.8"),
    # so allow 2%: far less than any structural mistake (a missing stage or a wrong stride).
    assert s.total_mult_adds / 1e9 == pytest.approx(TABLE_1[depth], rel=0.02)
    assert s.total_params == models.get(f"resnet{depth}").num_parameters()


@pytest.mark.parametrize("depth", V15)
def test_v15_stride_placement_costs_more(depth: int) -> None:
    s = minires.summary(models.get(f"resnet{depth}", stride_on_3x3=True), (3, 224, 224))
    assert s.total_mult_adds / 1e9 == pytest.approx(V15[depth], rel=0.01)


def test_cifar_rows_shapes_and_counts() -> None:
    s = minires.summary(models.resnet20(), (3, 32, 32))
    convs = [r for r in s.rows if r.kind == "Conv2d"]
    assert len(convs) == 19 and convs[0].output_shape == (1, 16, 32, 32)
    assert convs[-1].output_shape == (1, 64, 8, 8)
    assert convs[0].mult_adds == 32 * 32 * 16 * 3 * 9
    assert s.rows[-1].kind == "Linear" and s.rows[-1].mult_adds == 640
    assert s.total_params == 269_722 and sum(r.params for r in s.rows) == s.total_params
    assert s.total_mult_adds == pytest.approx(41e6, rel=0.02)  # the paper's ~41M for ResNet-20


def test_table_mentions_totals() -> None:
    text = minires.summary(models.plain20(), (3, 32, 32)).table(layers=False)
    assert "total parameters: 269,722 (0.27M)" in text
