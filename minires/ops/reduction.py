"""Reductions: sum, mean and max over axes, with ``keepdims``.

The backward of a reduction spreads the output gradient back over the
elements that were reduced: all of them equally for sum (and for mean,
scaled by 1/count), only the maximal ones for max.
"""

from __future__ import annotations

import builtins
from typing import Any

from minires.backend import get_array_module
from minires.tensor import Function, Tensor

Axis = int | tuple[int, ...] | None


def _normalise_axis(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -ndim <= a < builtins.max(ndim, 1):
            raise ValueError(f"axis {a} is out of range for a tensor with {ndim} dimensions")
    return tuple(sorted(a % builtins.max(ndim, 1) for a in axes))


def _restore_axes(grad: Any, axes: tuple[int, ...], keepdims: bool) -> Any:
    """Put back the reduced axes (as size 1) so ``grad`` broadcasts over the input."""
    if keepdims:
        return grad
    xp = get_array_module(grad)
    return xp.expand_dims(grad, axes) if axes else grad


class Sum(Function):
    def forward(self, a: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = _normalise_axis(axis, a.ndim)
        self.saved = (a.shape, axes, keepdims)
        return a.sum(axis=axes, keepdims=keepdims)

    def backward(self, grad: Any) -> tuple[Any]:
        shape, axes, keepdims = self.saved
        xp = get_array_module(grad)
        return (xp.broadcast_to(_restore_axes(grad, axes, keepdims), shape),)


class Mean(Function):
    def forward(self, a: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = _normalise_axis(axis, a.ndim)
        count = 1
        for ax in axes:
            count *= a.shape[ax]
        self.saved = (a.shape, axes, keepdims, count)
        return a.mean(axis=axes, keepdims=keepdims)

    def backward(self, grad: Any) -> tuple[Any]:
        shape, axes, keepdims, count = self.saved
        xp = get_array_module(grad)
        return (xp.broadcast_to(_restore_axes(grad, axes, keepdims) / count, shape),)


class Max(Function):
    """Maximum over axes.  Ties share the gradient equally (like ``torch.amax``)."""

    def forward(self, a: Any, axis: Axis = None, keepdims: bool = False) -> Any:
        axes = _normalise_axis(axis, a.ndim)
        out = a.max(axis=axes, keepdims=True)
        self.saved = (a == out, axes, keepdims)
        return out if keepdims else out.reshape([n for i, n in enumerate(a.shape) if i not in axes])

    def backward(self, grad: Any) -> tuple[Any]:
        is_max, axes, keepdims = self.saved
        count = is_max.sum(axis=axes, keepdims=True)
        return (_restore_axes(grad, axes, keepdims) * is_max / count,)


def sum(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` (all axes when None)."""
    return Sum.apply(a, axis=axis, keepdims=keepdims)


def mean(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (all axes when None)."""
    return Mean.apply(a, axis=axis, keepdims=keepdims)


def max(a: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` (all axes when None)."""
    return Max.apply(a, axis=axis, keepdims=keepdims)
