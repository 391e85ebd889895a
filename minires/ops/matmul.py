"""Matrix product, batched like ``numpy.matmul``.

For C = A @ B:  dA = dC @ Bᵀ  and  dB = Aᵀ @ dC, summed over broadcast batch axes.
"""

from __future__ import annotations

from typing import Any

from minires.backend import get_array_module
from minires.ops.broadcast import as_tensor, unbroadcast
from minires.tensor import Function, Tensor


class MatMul(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.saved = (a, b)
        return get_array_module(a).matmul(a, b)

    def backward(self, grad: Any) -> tuple[Any, Any]:
        a, b = self.saved
        xp = get_array_module(grad)
        ga = gb = None
        if self.needs_grad[0]:
            ga = unbroadcast(xp.matmul(grad, xp.swapaxes(b, -1, -2)), a.shape)
        if self.needs_grad[1]:
            gb = unbroadcast(xp.matmul(xp.swapaxes(a, -1, -2), grad), b.shape)
        return ga, gb


def matmul(a: Any, b: Any) -> Tensor:
    """``a @ b``.  1-D operands are treated as a row (left) or column (right) vector."""
    if not isinstance(a, Tensor):
        a = as_tensor(a, b)
    if not isinstance(b, Tensor):
        b = as_tensor(b, a)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got {a.shape} and {b.shape}")
    a_is_vector, b_is_vector = a.ndim == 1, b.ndim == 1
    if a_is_vector:
        a = a.reshape(1, -1)
    if b_is_vector:
        b = b.reshape(-1, 1)
    if a.shape[-1] != b.shape[-2]:
        raise ValueError(
            f"matmul: shapes {a.shape} and {b.shape} do not match "
            f"(inner dimensions {a.shape[-1]} and {b.shape[-2]})"
        )
    out = MatMul.apply(a, b)
    if a_is_vector or b_is_vector:  # drop the axes the vectors were given
        shape = list(out.shape)
        if b_is_vector:
            shape.pop(-1)
        if a_is_vector:
            shape.pop(-1 if b_is_vector else -2)
        out = out.reshape(tuple(shape))
    return out
