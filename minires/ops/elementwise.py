"""Elementwise ops: arithmetic, exp/log, activations, comparisons.

Each op is a ``Function`` with its forward and backward next to each other;
the lowercase function below it is what users call.  Binary ops broadcast
like NumPy, and their backward sums the gradient back down to each input's
shape (``unbroadcast``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minires import parallel
from minires.backend import get_array_module
from minires.ops.broadcast import binary_operands, unbroadcast
from minires.tensor import Function, Tensor

# ---------------------------------------------------------------- sharing a pass over the cores


def by_channels(fill: Callable[[Any], Any], out: Any) -> None:
    """``fill(s)`` writes ``out[s]``; on the CPU the channels (axis 1) of a big (N, C, H, W) array
    are shared out over the cores in blocks (``parallel.run_blocks``), elsewhere ``fill(...)`` does it all.

    An elementwise op on a CIFAR activation (0.5-2 M values) is a pass over memory that one
    core would otherwise make alone while the others wait.
    """
    if out.ndim != 4 or not isinstance(out, np.ndarray):
        fill(Ellipsis)
        return
    parallel.run_blocks(lambda c0, c1: fill((slice(None), slice(c0, c1))), out.shape[1], out.size)


# ---------------------------------------------------------------- arithmetic


class Add(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.saved = (a.shape, b.shape)
        if a.shape == b.shape and a.dtype == b.dtype:  # a residual add: keep the layout (see ReLU)
            xp = get_array_module(a)
            out = xp.empty_like(a)
            by_channels(lambda s: xp.add(a[s], b[s], out=out[s]), out)
            return out
        return a + b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        shape_a, shape_b = self.saved
        return unbroadcast(grad, shape_a), unbroadcast(grad, shape_b)


class Sub(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.saved = (a.shape, b.shape)
        return a - b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        shape_a, shape_b = self.saved
        gb = unbroadcast(-grad, shape_b) if self.needs_grad[1] else None
        return unbroadcast(grad, shape_a), gb


class Mul(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.saved = (a, b)  # references, not copies
        return a * b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        a, b = self.saved
        ga = unbroadcast(grad * b, a.shape) if self.needs_grad[0] else None
        gb = unbroadcast(grad * a, b.shape) if self.needs_grad[1] else None
        return ga, gb


class Div(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.saved = (a, b)
        return a / b

    def backward(self, grad: Any) -> tuple[Any, Any]:
        a, b = self.saved
        ga = unbroadcast(grad / b, a.shape) if self.needs_grad[0] else None
        gb = unbroadcast(-grad * a / (b * b), b.shape) if self.needs_grad[1] else None
        return ga, gb


class Neg(Function):
    def forward(self, a: Any) -> Any:
        return -a

    def backward(self, grad: Any) -> tuple[Any]:
        return (-grad,)


class PowScalar(Function):
    """``a ** p`` for a constant exponent p: d/da = p * a**(p-1)."""

    def forward(self, a: Any, exponent: float) -> Any:
        self.saved = (a, exponent)
        return a**exponent

    def backward(self, grad: Any) -> tuple[Any]:
        a, p = self.saved
        return (grad * p * a ** (p - 1),)


class Pow(Function):
    """``a ** b`` for two tensors: d/da = b a^(b-1), d/db = a^b log a."""

    def forward(self, a: Any, b: Any) -> Any:
        out = a**b
        self.saved = (a, b, out)
        return out

    def backward(self, grad: Any) -> tuple[Any, Any]:
        a, b, out = self.saved
        xp = get_array_module(a)
        ga = unbroadcast(grad * b * a ** (b - 1), a.shape) if self.needs_grad[0] else None
        gb = unbroadcast(grad * out * xp.log(a), b.shape) if self.needs_grad[1] else None
        return ga, gb


def add(a: Any, b: Any) -> Tensor:
    """``a + b`` with broadcasting."""
    return Add.apply(*binary_operands(a, b, "add"))


def sub(a: Any, b: Any) -> Tensor:
    """``a - b`` with broadcasting."""
    return Sub.apply(*binary_operands(a, b, "sub"))


def mul(a: Any, b: Any) -> Tensor:
    """``a * b`` with broadcasting."""
    return Mul.apply(*binary_operands(a, b, "mul"))


def div(a: Any, b: Any) -> Tensor:
    """``a / b`` with broadcasting."""
    return Div.apply(*binary_operands(a, b, "div"))


def neg(a: Tensor) -> Tensor:
    """``-a``."""
    return Neg.apply(a)


def pow(a: Any, exponent: Any) -> Tensor:
    """``a ** exponent``; a Python-number exponent is a constant."""
    if isinstance(a, Tensor) and isinstance(exponent, (int, float)):
        return PowScalar.apply(a, exponent=exponent)
    return Pow.apply(*binary_operands(a, exponent, "pow"))


# ---------------------------------------------------------------- exp, log


class Exp(Function):
    def forward(self, a: Any) -> Any:
        out = get_array_module(a).exp(a)
        self.saved = out
        return out

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad * self.saved,)


class Log(Function):
    def forward(self, a: Any) -> Any:
        self.saved = a
        return get_array_module(a).log(a)

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad / self.saved,)


def exp(a: Tensor) -> Tensor:
    """Elementwise e**a."""
    return Exp.apply(a)


def log(a: Tensor) -> Tensor:
    """Elementwise natural logarithm."""
    return Log.apply(a)


# ---------------------------------------------------------------- activations


class ReLU(Function):
    """max(a, 0).  Keeps its output: in a network the next layer keeps it anyway.

    Both directions write into an array laid out as their input (``empty_like``):
    NumPy would keep a channel-major input channel-major anyway, but CuPy's
    elementwise results are always C-ordered, and the convolution and batch norm
    after it would then copy the whole activation back to channel-major.
    """

    def forward(self, a: Any) -> Any:
        xp = get_array_module(a)
        out = xp.empty_like(a)
        by_channels(lambda s: xp.maximum(a[s], 0, out=out[s]), out)
        self.saved = out
        return out

    def backward(self, grad: Any) -> tuple[Any]:
        xp = get_array_module(grad)
        out = xp.empty_like(grad)
        by_channels(lambda s: xp.multiply(grad[s], self.saved[s] > 0, out=out[s]), out)
        return (out,)


class Sigmoid(Function):
    def forward(self, a: Any) -> Any:
        xp = get_array_module(a)
        out = 0.5 * (xp.tanh(0.5 * a) + 1)  # same value as 1/(1+e^-a), never overflows
        self.saved = out
        return out

    def backward(self, grad: Any) -> tuple[Any]:
        s = self.saved
        return (grad * s * (1 - s),)


class Tanh(Function):
    def forward(self, a: Any) -> Any:
        out = get_array_module(a).tanh(a)
        self.saved = out
        return out

    def backward(self, grad: Any) -> tuple[Any]:
        t = self.saved
        return (grad * (1 - t * t),)


def relu(a: Tensor) -> Tensor:
    """Rectified linear unit, max(a, 0)."""
    return ReLU.apply(a)


def sigmoid(a: Tensor) -> Tensor:
    """Logistic function 1 / (1 + e^-a)."""
    return Sigmoid.apply(a)


def tanh(a: Tensor) -> Tensor:
    """Hyperbolic tangent."""
    return Tanh.apply(a)


# ---------------------------------------------------------------- comparisons
# Comparisons have no useful gradient: they return boolean tensors, outside the graph.


def _compare(name: str, a: Any, b: Any) -> Tensor:
    a, b = binary_operands(a, b, name)
    xp = get_array_module(a.data)
    return Tensor(getattr(xp, name)(a.data, b.data))


def lt(a: Any, b: Any) -> Tensor:
    return _compare("less", a, b)


def le(a: Any, b: Any) -> Tensor:
    return _compare("less_equal", a, b)


def gt(a: Any, b: Any) -> Tensor:
    return _compare("greater", a, b)


def ge(a: Any, b: Any) -> Tensor:
    return _compare("greater_equal", a, b)


def eq(a: Any, b: Any) -> Tensor:
    return _compare("equal", a, b)


def ne(a: Any, b: Any) -> Tensor:
    return _compare("not_equal", a, b)


__all__ = [
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "relu", "sigmoid", "tanh",
    "lt", "le", "gt", "ge", "eq", "ne",
]
