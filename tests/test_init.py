"""Initialisation: He et al.'s variance, fans, reproducibility."""

from __future__ import annotations

import numpy as np
import pytest

import minires
from minires.nn import init


@pytest.mark.parametrize("mode,fan", [("fan_in", 64 * 9), ("fan_out", 128 * 9)])
def test_kaiming_normal_variance(mode: str, fan: int) -> None:
    w = minires.zeros(128, 64, 3, 3)
    init.kaiming_normal_(w, mode=mode)
    assert w.dtype == np.float32
    assert w.numpy().std() == pytest.approx(np.sqrt(2 / fan), rel=0.02)
    assert abs(w.numpy().mean()) < 0.002


def test_kaiming_uniform_bound() -> None:
    w = minires.zeros(64, 32, 3, 3)
    init.kaiming_uniform_(w)
    bound = np.sqrt(2) * np.sqrt(3 / (32 * 9))
    assert np.abs(w.numpy()).max() <= bound and w.numpy().std() == pytest.approx(np.sqrt(2 / (32 * 9)), rel=0.03)


def test_constant_fills_and_seeding() -> None:
    w = minires.zeros(3, 4)
    assert init.ones_(w).numpy().sum() == 12 and init.zeros_(w).numpy().sum() == 0
    minires.manual_seed(1)
    a = init.kaiming_normal_(minires.zeros(4, 4)).numpy()
    minires.manual_seed(1)
    np.testing.assert_array_equal(a, init.kaiming_normal_(minires.zeros(4, 4)).numpy())


def test_fan_needs_a_matrix() -> None:
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.kaiming_normal_(minires.zeros(5))
    with pytest.raises(ValueError, match="mode must be"):
        init.kaiming_normal_(minires.zeros(5, 5), mode="fan")
