"""Helpers shared by the ops: turning operands into tensors, undoing broadcasting."""

from __future__ import annotations

from typing import Any

import numpy as np

from minires import backend
from minires.tensor import Tensor


def as_tensor(value: Any, like: Tensor) -> Tensor:
    """``value`` as a Tensor on ``like``'s device; numbers take ``like``'s dtype.

    So ``x * 2`` stays float32 when ``x`` is float32 instead of being
    promoted by a float64 constant.
    """
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (int, float, bool)) and like.dtype.kind == "f":
        # made on the device (a fill), not copied from the host: on a GPU a copy from host memory
        # would wait for the device
        return Tensor(like._xp.full((), value, dtype=like.dtype))
    array = np.asarray(value) if backend.device_of(value) == "cpu" else value
    if array.dtype == np.float64 and like.dtype != np.float64:
        array = array.astype(like.dtype)
    return Tensor(backend.to_device(array, like.device))


def binary_operands(a: Any, b: Any, op: str) -> tuple[Tensor, Tensor]:
    """Both operands as tensors, checked to broadcast against each other."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, b)
    if not isinstance(b, Tensor):
        b = as_tensor(b, a)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {a.shape} and {b.shape} cannot be broadcast together"
        ) from None
    return a, b


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` down to ``shape``, undoing NumPy broadcasting.

    Broadcasting copied the input along new leading axes and along axes of
    size 1; the gradient of a copy is the sum over the copies.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad
