"""linear(): y = x Wᵀ + b."""

from __future__ import annotations

import pytest
from helpers import compare_with_torch, randn

import minires
from minires.nn import functional as F


def test_linear_gradcheck(device: str) -> None:
    args = [minires.tensor(randn(*s, seed=i), requires_grad=True, device=device)
            for i, s in enumerate([(5, 4), (3, 4), (3,)])]
    assert minires.gradcheck(F.linear, *args)
    assert minires.gradcheck(lambda x, w: F.linear(x, w), *args[:2])


def test_linear_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    compare_with_torch(F.linear, torch.nn.functional.linear, [randn(5, 4, seed=1), randn(3, 4, seed=2), randn(3)])


def test_linear_shape_error() -> None:
    with pytest.raises(ValueError, match=r"input has 5 features but weight \(3, 4\) expects 4"):
        F.linear(minires.randn(2, 5), minires.randn(3, 4))
