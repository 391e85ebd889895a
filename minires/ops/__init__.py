"""Differentiable ops on tensors, by family.

Each family module defines ``Function`` subclasses (forward and backward on
raw arrays) and the lowercase functions users call.
"""

from minires.ops.elementwise import (
    add,
    div,
    eq,
    exp,
    ge,
    gt,
    le,
    log,
    lt,
    mul,
    ne,
    neg,
    pow,
    relu,
    sigmoid,
    sub,
    tanh,
)
from minires.ops.matmul import matmul
from minires.ops.reduction import max, mean, sum
from minires.ops.shape import (
    cat,
    concatenate,
    flatten,
    getitem,
    pad,
    permute,
    reshape,
    stack,
    transpose,
)

__all__ = [
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "relu", "sigmoid", "tanh",
    "lt", "le", "gt", "ge", "eq", "ne", "matmul", "sum", "mean", "max",
    "reshape", "transpose", "permute", "flatten", "getitem", "pad", "concatenate", "cat", "stack",
]
