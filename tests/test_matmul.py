"""Matrix product: 2-D, batched with broadcasting, vectors."""

from __future__ import annotations

import pytest
from helpers import compare_with_torch, randn

import minires

SHAPES = [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((2, 1, 3, 4), (3, 4, 2)), ((4,), (4, 5)), ((3, 4), (4,))]


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_matmul_gradcheck(shapes: tuple, device: str) -> None:
    a = minires.tensor(randn(*shapes[0], seed=1), requires_grad=True, device=device)
    b = minires.tensor(randn(*shapes[1], seed=2), requires_grad=True, device=device)
    assert minires.gradcheck(lambda x, y: x @ y, a, b)


@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_matmul_matches_torch(shapes: tuple) -> None:
    compare_with_torch(lambda x, y: x @ y, lambda x, y: x @ y,
                       [randn(*shapes[0], seed=1), randn(*shapes[1], seed=2)])


def test_matmul_shape_error_names_both_shapes() -> None:
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) do not match"):
        minires.ones(2, 3) @ minires.ones(4, 5)
