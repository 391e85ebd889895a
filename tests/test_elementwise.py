"""Elementwise ops: float64 gradchecks, broadcasting gradients, PyTorch comparisons."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import compare_with_torch, randn

import minires
from minires import ops

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
    "pow": (lambda a, b: (a * a + 1) ** b, lambda a, b: (a * a + 1) ** b),
}
UNARY = {
    "neg": (lambda a: -a, lambda a: -a),
    "exp": (lambda a: a.exp(), lambda a: a.exp()),
    "log": (lambda a: (a * a + 0.5).log(), lambda a: (a * a + 0.5).log()),
    "relu": (lambda a: a.relu(), lambda a: a.relu()),
    "sigmoid": (lambda a: a.sigmoid(), lambda a: a.sigmoid()),
    "tanh": (lambda a: a.tanh(), lambda a: a.tanh()),
    "pow_scalar": (lambda a: a**3, lambda a: a**3),
    "rsub_scalar": (lambda a: 2.0 - a, lambda a: 2.0 - a),
    "rdiv_scalar": (lambda a: 1.0 / (a * a + 1), lambda a: 1.0 / (a * a + 1)),
}
# shapes that exercise broadcasting: same, trailing, size-1 axes on both sides
SHAPES = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((3, 1), (1, 4)), ((2, 1, 4), (3, 1))]


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", SHAPES, ids=str)
def test_binary_gradcheck(name: str, shapes: tuple, device: str) -> None:
    fn = BINARY[name][0]
    a = minires.tensor(randn(*shapes[0], seed=1), requires_grad=True, device=device)
    b = minires.tensor(randn(*shapes[1], seed=2), requires_grad=True, device=device)
    assert minires.gradcheck(fn, a, b)


@pytest.mark.parametrize("name", UNARY)
def test_unary_gradcheck(name: str, device: str) -> None:
    # keep relu away from its kink at 0, where finite differences are meaningless
    x = randn(3, 5)
    x[np.abs(x) < 0.05] = 0.3
    assert minires.gradcheck(UNARY[name][0], minires.tensor(x, requires_grad=True, device=device))


@pytest.mark.parametrize("name", BINARY)
def test_binary_matches_torch(name: str) -> None:
    ours, theirs = BINARY[name]
    compare_with_torch(ours, theirs, [randn(2, 3, 4, seed=1), randn(3, 1, seed=2)])


@pytest.mark.parametrize("name", UNARY)
def test_unary_matches_torch(name: str) -> None:
    ours, theirs = UNARY[name]
    compare_with_torch(ours, theirs, [randn(4, 5)])


def test_broadcast_gradient_is_reduced_to_input_shape() -> None:
    a = minires.ones(2, 3, requires_grad=True)
    b = minires.ones(3, requires_grad=True)
    (a * b).sum().backward()
    assert b.grad.shape == (3,)
    np.testing.assert_array_equal(b.grad.numpy(), [2.0, 2.0, 2.0])


def test_python_scalars_keep_float32() -> None:
    x = minires.ones(3)
    for y in (x + 1, 2 * x, x / 3.0, 1.0 - x, x**2, x * np.float64(2.0)):
        assert y.dtype == np.float32


def test_shape_mismatch_names_op_and_shapes() -> None:
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\)"):
        minires.ones(2, 3) + minires.ones(4)


def test_comparisons_return_bool_tensors_outside_graph() -> None:
    x = minires.tensor([1.0, 2.0, 3.0], requires_grad=True)
    for result, expected in [
        (x < 2, [True, False, False]), (x <= 2, [True, True, False]), (x > 2, [False, False, True]),
        (x >= 2, [False, True, True]), (x == 2, [False, True, False]), (x != 2, [True, False, True]),
    ]:
        assert result.dtype == np.bool_ and not result.requires_grad
        assert result.numpy().tolist() == expected


def test_relu_gradient_is_zero_for_negative_inputs() -> None:
    x = minires.tensor([-2.0, -0.5, 0.5, 2.0], requires_grad=True)
    ops.relu(x).sum().backward()
    assert x.grad.numpy().tolist() == [0.0, 0.0, 1.0, 1.0]


def test_sigmoid_does_not_overflow() -> None:
    x = minires.tensor([-1000.0, 0.0, 1000.0])
    np.testing.assert_allclose(x.sigmoid().numpy(), [0.0, 0.5, 1.0])
