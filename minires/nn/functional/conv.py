"""Convolution as matrix products: conv2d, its choice of algorithm, and the textbook algorithm.

A 3×3 convolution looks at every 3×3 window of the input.  ``im2col``
(``im2col.py``) copies each window into a column, so the convolution
becomes a single matrix product with the flattened filters::

    x: (N, C, H, W) ──im2col──► cols: (C·kh·kw, N·OH·OW)
    weight: (F, C, kh, kw) ──reshape──► (F, C·kh·kw)
    out = weight @ cols: (F, N·OH·OW) ──view──► (N, F, OH, OW)

``col2im`` is its adjoint: it adds every column back onto the window it
came from, which is exactly what the backward pass needs.  That is the
whole method: ``Conv2dIm2col`` below is it, line by line.

``conv2d`` runs one of three algorithms (``ALGORITHMS``), chosen per call or
for a whole network with ``conv_algorithm(name)``:

    'im2col'    ``Conv2dIm2col`` (this file): the method as written, the whole batch at once
    'fast'      ``Conv2dFast`` (``conv_fast.py``), the default: the same numbers, with shifted
                columns for stride 1, a chunk of images per core, and reused buffers
    'winograd'  ``Conv2dWinograd`` (``winograd.py``): fewer multiplications for stride-1 3×3
                layers, but slower than 'fast' in NumPy (docs/performance.md)

All three return a channel-major view (``transpose_nc``); what that layout is,
and which modules rely on it, is stated once in ``im2col.py``'s docstring.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from minires.amp import autocast_inputs
from minires.nn.functional.conv_fast import (  # Conv2dFast and its parts: still importable from here
    Conv2dFast,
    ShiftedColumns,
    WindowColumns,
    columns_of,
    strided_input_gradient,
    weight_gradient,
)
from minires.nn.functional.im2col import Geometry, IntPair, col2im, im2col, output_size, pair, transpose_nc
from minires.nn.functional.winograd import Conv2dWinograd, winograd_applies
from minires.tensor import Function, Tensor

__all__ = [
    "conv2d", "conv_algorithm", "ALGORITHMS", "Conv2dIm2col",
    # the other algorithms and their parts, where they used to live
    "Conv2dFast", "Conv2dFunction", "Conv2dWinograd", "ShiftedColumns", "WindowColumns", "columns_of",
    "strided_input_gradient", "weight_gradient", "winograd_applies",
    # the window geometry, for users of conv (im2col.py)
    "Geometry", "IntPair", "pair", "output_size", "im2col", "col2im",
]

Conv2dFunction = Conv2dFast  # the fast algorithm's old name, kept for imports


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1, padding: IntPair = 0,
           algorithm: str | None = None) -> Tensor:
    """2-D convolution over a batch of images.

    Args:
        x: (N, C, H, W) input.
        weight: (F, C, kh, kw) filters.
        bias: optional (F,) bias.
        stride, padding: ints or (height, width) pairs; zero padding.
        algorithm: 'fast', 'im2col' or 'winograd' (default: the one ``conv_algorithm`` chose, else
            'fast'); 'winograd' applies to stride-1 3×3 convolutions and leaves the others to 'fast'.

    Returns:
        (N, F, OH, OW) with OH = (H + 2·padding − kh) // stride + 1.

    Example:
        >>> y = conv2d(minires.randn(8, 3, 32, 32), minires.randn(16, 3, 3, 3), padding=1)
        >>> y.shape
        (8, 16, 32, 32)
    """
    _check_arguments(x, weight, bias, stride, padding, algorithm)
    name = algorithm or _algorithm
    if name == "winograd" and not winograd_applies(weight.shape, stride, padding):
        name = "fast"  # Winograd here covers stride-1 3×3 layers only; the rest (stride 2, 1×1) go the usual way
    x, weight, bias = autocast_inputs(x, weight, bias)  # float16 inside minires.amp.autocast()
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return ALGORITHMS[name].apply(*inputs, stride=stride, padding=padding)


def _check_arguments(x: Tensor, weight: Tensor, bias: Tensor | None, stride: IntPair, padding: IntPair,
                     algorithm: str | None) -> None:
    """Refuse, in words, what conv2d cannot compute."""
    if x.ndim != 4:
        raise ValueError(f"conv2d: expected input of shape (N, C, H, W), got {x.shape}")
    if weight.ndim != 4:
        raise ValueError(f"conv2d: expected weight of shape (F, C, kh, kw), got {weight.shape}")
    if weight.shape[1] != x.shape[1]:
        raise ValueError(
            f"conv2d: weight of shape {weight.shape} expects {weight.shape[1]} input channels, "
            f"but the input {x.shape} has {x.shape[1]}"
        )
    if bias is not None and bias.shape != (weight.shape[0],):
        raise ValueError(f"conv2d: bias should have shape ({weight.shape[0]},), got {bias.shape}")
    try:
        Geometry.of(weight.shape[2:], stride, padding).output_shape(*x.shape[2:])
    except ValueError as e:
        raise ValueError(f"conv2d: {e}") from None
    if algorithm is not None and algorithm not in ALGORITHMS:
        raise ValueError(f"conv2d: unknown algorithm {algorithm!r}: expected one of {', '.join(ALGORITHMS)}")


_algorithm = "fast"  # what conv2d runs when a call names no algorithm; conv_algorithm changes it


@contextlib.contextmanager
def conv_algorithm(name: str) -> Iterator[None]:
    """Inside, every ``conv2d`` uses algorithm ``name``: 'fast' (default), 'im2col' (the textbook one) or 'winograd'.

    Example:
        >>> with minires.conv_algorithm("im2col"):
        ...     loss = F.cross_entropy(model(x), y)      # a whole ResNet on the textbook path
    """
    global _algorithm
    if name not in ALGORITHMS:
        raise ValueError(f"unknown convolution algorithm {name!r}: expected one of {', '.join(ALGORITHMS)}")
    previous, _algorithm = _algorithm, name
    try:
        yield
    finally:
        _algorithm = previous


class Conv2dIm2col(Function):
    """The textbook convolution: the whole batch as one im2col and one matrix product.

        forward:   cols = im2col(x)                 (C·kh·kw, N·OH·OW)
                   out  = W @ cols                  W as (F, C·kh·kw)
        backward:  dW   = g @ colsᵀ                 g = d(loss)/d(out) as (F, N·OH·OW)
                   dx   = col2im(Wᵀ @ g)
                   db   = g summed over positions   (only when called with a bias)

    It keeps the columns (kh·kw times the input) for backward.  ``Conv2dFast``
    computes the same numbers with less memory traffic; ``conv_algorithm("im2col")``
    runs a whole network on this one, to compare or to read.
    """

    has_bias: bool  # called with a bias: backward returns its gradient as a third one

    def forward(self, x: Any, weight: Any, bias: Any = None, stride: IntPair = 1, padding: IntPair = 0) -> Any:
        f, n = weight.shape[0], x.shape[0]
        oh, ow = Geometry.of(weight.shape[2:], stride, padding).output_shape(*x.shape[2:])
        cols = im2col(x, weight.shape[2:], stride, padding)
        out = weight.reshape(f, -1) @ cols
        if bias is not None:
            out += bias[:, None]
        self.has_bias = bias is not None
        self.saved = (cols, weight, x.shape, stride, padding)
        return transpose_nc(out.reshape(f, n, oh, ow))

    def backward(self, grad: Any) -> tuple[Any, ...]:
        cols, weight, x_shape, stride, padding = self.saved
        f = weight.shape[0]
        g = transpose_nc(grad).reshape(f, -1)
        grad_w = (g @ cols.T).reshape(weight.shape)
        grad_x = col2im(weight.reshape(f, -1).T @ g, x_shape, weight.shape[2:], stride, padding)
        if not self.has_bias:
            return grad_x, grad_w
        return grad_x, grad_w, g.sum(axis=1)


ALGORITHMS: dict[str, type[Function]] = {"fast": Conv2dFast, "im2col": Conv2dIm2col, "winograd": Conv2dWinograd}
