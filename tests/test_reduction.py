"""Reductions: sum, mean, max over axes, with and without keepdims."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import compare_with_torch, randn

import minires

AXES = [None, 0, 1, (0, 2), -1]


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean", "max"])
def test_reduction_gradcheck(op: str, axis: object, keepdims: bool, device: str) -> None:
    x = minires.tensor(randn(2, 3, 4), requires_grad=True, device=device)
    assert minires.gradcheck(lambda t: getattr(t, op)(axis=axis, keepdims=keepdims), x)


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean", "max"])
def test_reduction_matches_numpy_and_torch(op: str, axis: object, keepdims: bool) -> None:
    x = randn(2, 3, 4)
    out = getattr(minires.tensor(x), op)(axis=axis, keepdims=keepdims)
    np.testing.assert_allclose(out.numpy(), getattr(x, op)(axis=axis, keepdims=keepdims))
    torch_names = {"sum": "sum", "mean": "mean", "max": "amax"}
    dims = tuple(range(3)) if axis is None else axis

    def theirs(t):  # noqa: ANN001, ANN202
        return getattr(t, torch_names[op])(dim=dims, keepdim=keepdims)

    compare_with_torch(lambda t: getattr(t, op)(axis=axis, keepdims=keepdims), theirs, [x])


def test_max_splits_gradient_between_ties() -> None:
    x = minires.tensor([1.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    assert x.grad.numpy().tolist() == [0.0, 0.5, 0.5]


def test_bad_axis_is_reported() -> None:
    with pytest.raises(ValueError, match="axis 3 is out of range"):
        minires.ones(2, 3).sum(axis=3)
