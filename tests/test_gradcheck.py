"""The gradient checks themselves must catch a wrong backward."""

from __future__ import annotations

import numpy as np
import pytest

import minires
from minires import Function, Tensor


class WrongSquare(Function):
    """x² with a deliberately wrong derivative (x instead of 2x)."""

    def forward(self, a):  # noqa: ANN001, ANN201
        self.saved = a
        return a * a

    def backward(self, grad):  # noqa: ANN001, ANN201
        return (grad * self.saved,)


def test_gradcheck_passes_correct_op() -> None:
    x = minires.randn(4, 3, requires_grad=True)
    assert minires.gradcheck(lambda t: (t * t).sum(axis=0), x)


def test_gradcheck_catches_wrong_backward() -> None:
    x = minires.tensor(np.linspace(0.5, 2, 6), requires_grad=True)
    with pytest.raises(minires.GradcheckError, match="gradient mismatch at input 0"):
        minires.gradcheck(lambda t: WrongSquare.apply(t), x)
    assert minires.gradcheck(lambda t: WrongSquare.apply(t), x, raise_exception=False) is False


def test_directional_gradcheck_catches_wrong_backward() -> None:
    x = minires.randn(50, 50, requires_grad=True)
    assert minires.directional_gradcheck(lambda t: (t.tanh() @ t).sum(), x)
    with pytest.raises(minires.GradcheckError, match="random direction"):
        minires.directional_gradcheck(lambda t: WrongSquare.apply(t).sum(), x)


def test_gradcheck_leaves_inputs_untouched_and_runs_in_float64() -> None:
    x = minires.randn(3, requires_grad=True)
    before = x.numpy().copy()
    seen = []

    def f(t: Tensor) -> Tensor:
        seen.append(t.dtype)
        return t.exp()

    minires.gradcheck(f, x)
    np.testing.assert_array_equal(x.numpy(), before)
    assert set(seen) == {np.dtype(np.float64)}


def test_gradcheck_needs_an_input_to_check() -> None:
    with pytest.raises(ValueError, match="nothing to check"):
        minires.gradcheck(lambda t: t * 2, minires.ones(2))
