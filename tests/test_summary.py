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


# The mmpretrain ResNet model card (docs/model-card.md): parameters (M) and FLOPs (G) per row.
CARD_ROWS = {
    "resnet18_cifar": (11.17, 0.56), "resnet34_cifar": (21.28, 1.16), "resnet50_cifar": (23.52, 1.31),
    "resnet101_cifar": (42.51, 2.52), "resnet152_cifar": (58.16, 3.74),
    "resnet50d": (25.58, 4.36), "resnet101d": (44.57, 8.09), "resnet152d": (60.21, 11.82),
}


@pytest.mark.parametrize("name", CARD_ROWS)
def test_model_card_rows(name: str) -> None:
    params, flops = CARD_ROWS[name]
    s = minires.summary(models.get(name), models.input_shape(name))
    assert round(s.total_params / 1e6, 2) == params
    # the card's counter also counts batch norm, ReLU and pooling; convolutions and fc are within 2%
    assert abs(s.total_mult_adds / 1e9 - flops) / flops < 0.02


def test_resnet50_fp16_row_is_the_v15_network() -> None:
    s = minires.summary(models.get("resnet50", stride_on_3x3=True), (3, 224, 224))
    assert round(s.total_params / 1e6, 2) == 25.56 and abs(s.total_mult_adds / 1e9 - 4.12) / 4.12 < 0.02
