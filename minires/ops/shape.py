"""Shape ops: reshape, transpose/permute, flatten, indexing, pad, concatenate, stack.

These move values around without changing them, so each backward puts the
gradient back where the value came from.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minires import backend
from minires.backend import get_array_module
from minires.tensor import Function, Tensor, _shape_args


class Reshape(Function):
    def forward(self, a: Any, shape: tuple[int, ...]) -> Any:
        self.saved = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {tuple(a.shape)} "
                f"({a.size} elements) into {tuple(shape)}"
            ) from None

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad.reshape(self.saved),)


class Transpose(Function):
    def forward(self, a: Any, axes: tuple[int, ...]) -> Any:
        if sorted(ax % a.ndim for ax in axes) != list(range(a.ndim)):
            raise ValueError(f"permute: {axes} is not a permutation of the {a.ndim} axes")
        self.saved = tuple(int(i) for i in np.argsort([ax % a.ndim for ax in axes]))  # Python ints
        return a.transpose(axes)

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad.transpose(self.saved),)


def _is_basic_index(index: Any) -> bool:
    """True for ints, slices, None and Ellipsis: indexing that never repeats an element."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, slice, type(None), type(Ellipsis))) for p in parts)


class GetItem(Function):
    def forward(self, a: Any, index: Any) -> Any:
        self.saved = (a.shape, a.dtype, index)
        return a[index]

    def backward(self, grad: Any) -> tuple[Any]:
        shape, dtype, index = self.saved
        xp = get_array_module(grad)
        out = xp.zeros(shape, dtype=dtype)
        if _is_basic_index(index):
            out[index] = grad
        else:  # advanced indexing may pick an element twice: add, don't overwrite
            backend.scatter_add(out, index, grad)
        return (out,)


class Pad(Function):
    """Constant padding; ``pad_width`` as in ``numpy.pad``: ((before, after), ...) per axis."""

    def forward(self, a: Any, pad_width: tuple[tuple[int, int], ...], value: float = 0.0) -> Any:
        self.saved = tuple(slice(before, before + n) for (before, _), n in zip(pad_width, a.shape))
        return get_array_module(a).pad(a, pad_width, mode="constant", constant_values=value)

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad[self.saved],)


class Concatenate(Function):
    def forward(self, *arrays: Any, axis: int = 0) -> Any:
        xp = get_array_module(arrays[0])
        self.saved = (axis, [int(i) for i in np.cumsum([a.shape[axis] for a in arrays])[:-1]])  # split points
        return xp.concatenate(arrays, axis=axis)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        axis, splits = self.saved
        return tuple(get_array_module(grad).split(grad, splits, axis=axis))


class Stack(Function):
    def forward(self, *arrays: Any, axis: int = 0) -> Any:
        self.saved = (axis, len(arrays))
        return get_array_module(arrays[0]).stack(arrays, axis=axis)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        axis, count = self.saved
        xp = get_array_module(grad)
        return tuple(xp.take(grad, i, axis=axis) for i in range(count))


class ToDevice(Function):
    """Move between CPU and GPU; the gradient moves back."""

    def forward(self, a: Any, device: str) -> Any:
        self.saved = backend.device_of(a)
        return backend.to_device(a, device)

    def backward(self, grad: Any) -> tuple[Any]:
        return (backend.to_device(grad, self.saved),)


def reshape(a: Tensor, *shape: Any) -> Tensor:
    """Same values in a new shape; one dimension may be -1."""
    return Reshape.apply(a, shape=_shape_args(shape))


def permute(a: Tensor, *axes: Any) -> Tensor:
    """Reorder the axes: ``permute(x, 0, 2, 3, 1)`` turns NCHW into NHWC."""
    return Transpose.apply(a, axes=_shape_args(axes))


def transpose(a: Tensor, *axes: Any) -> Tensor:
    """Reverse the axes (no arguments), swap two (``transpose(x, 0, 1)``), or permute."""
    if not axes:
        return Transpose.apply(a, axes=tuple(reversed(range(a.ndim))))
    axes = _shape_args(axes)
    if len(axes) == 2:  # PyTorch style: swap two axes
        order = list(range(a.ndim))
        i, j = (ax % a.ndim for ax in axes)
        order[i], order[j] = order[j], order[i]
        axes = tuple(order)
    return Transpose.apply(a, axes=axes)


def flatten(a: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    """Merge axes ``start_dim..end_dim`` into one (PyTorch's ``flatten``)."""
    start, end = start_dim % a.ndim, end_dim % a.ndim
    merged = int(np.prod(a.shape[start : end + 1]))
    return reshape(a, a.shape[:start] + (merged,) + a.shape[end + 1 :])


def getitem(a: Tensor, index: Any) -> Tensor:
    """``a[index]``: slices, integers, integer or boolean arrays."""
    if isinstance(index, Tensor):
        index = index.data
    elif isinstance(index, tuple):
        index = tuple(i.data if isinstance(i, Tensor) else i for i in index)
    for part in index if isinstance(index, tuple) else (index,):
        # a NumPy scalar is a number, fine on any device (CuPy takes it too); an index array must be on a's
        if hasattr(part, "shape") and not isinstance(part, np.generic) and backend.device_of(part) != a.device:
            raise RuntimeError(f"getitem: the index is on {backend.device_of(part)} but the tensor is on "
                               f"{a.device}; move the index with .to('{a.device}') first")
    return GetItem.apply(a, index=index)


def pad(a: Tensor, pad_width: Any, value: float = 0.0) -> Tensor:
    """Pad with a constant; ``pad_width`` is an int, or (before, after) per axis."""
    widths = np.broadcast_to(np.asarray(pad_width, dtype=int), (a.ndim, 2))
    return Pad.apply(a, pad_width=tuple((int(b), int(e)) for b, e in widths), value=value)


def _check_joinable(tensors: Sequence[Tensor], axis: int, op: str, same_shape: bool) -> None:
    if not tensors:
        raise ValueError(f"{op}: expected at least one tensor, got none")
    first = tensors[0].shape
    for t in tensors[1:]:
        other = t.shape
        if same_shape:
            bad = other != first
        else:
            ax = axis % len(first)
            bad = len(other) != len(first) or any(
                n != m for i, (n, m) in enumerate(zip(first, other)) if i != ax
            )
        if bad:
            raise ValueError(f"{op}: tensors of shapes {first} and {other} do not fit along axis {axis}")


def concatenate(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join tensors along an existing axis."""
    _check_joinable(tensors, axis, "concatenate", same_shape=False)
    return Concatenate.apply(*tensors, axis=axis)


def stack(tensors: Sequence[Tensor], axis: int = 0) -> Tensor:
    """Join same-shaped tensors along a new axis."""
    _check_joinable(tensors, axis, "stack", same_shape=True)
    return Stack.apply(*tensors, axis=axis)


cat = concatenate
