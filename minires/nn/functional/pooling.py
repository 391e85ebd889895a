"""Pooling: max, average and global average, built on im2col/col2im.

``im2col`` lays every window out as a column, one row per (channel, kernel
offset).  Reshaped to (C, kh·kw, N·OH·OW), pooling is a reduction over the
middle axis, and its backward sends the gradient back through ``col2im``.
Outputs are channel-major views, as ``im2col.py``'s docstring sets out.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minires.backend import get_array_module
from minires.nn.functional.im2col import Geometry, IntPair, col2im, im2col, pair, transpose_nc
from minires.ops import mean
from minires.tensor import Function, Tensor

__all__ = ["max_pool2d", "avg_pool2d", "global_avg_pool2d", "MaxPool2dFunction", "AvgPool2dFunction"]


def _windows(x: Any, kernel_size: IntPair, stride: IntPair, padding: IntPair, pad_value: float) -> Any:
    """(N, C, H, W) -> (C, kh·kw, N·OH·OW): one column per window."""
    kh, kw = pair(kernel_size)
    cols = im2col(x, kernel_size, stride, padding, pad_value)
    return cols.reshape(x.shape[1], kh * kw, -1)


def _output_shape(x_shape: tuple[int, ...], kernel_size: IntPair, stride: IntPair, padding: IntPair) -> tuple:
    """(C, N, OH, OW): the pooled output, channel-major as the windows come out of im2col."""
    n, c, h, w = x_shape
    return (c, n, *Geometry.of(kernel_size, stride, padding).output_shape(h, w))


class MaxPool2dFunction(Function):
    """Max over each window; the gradient goes to the (first) maximal element."""

    def forward(self, x: Any, kernel_size: IntPair, stride: IntPair, padding: IntPair) -> Any:
        xp = get_array_module(x)
        windows = _windows(x, kernel_size, stride, padding, pad_value=-np.inf)
        winner = windows.argmax(axis=1)  # (C, N·OH·OW)
        out = xp.take_along_axis(windows, winner[:, None, :], axis=1)[:, 0]
        self.saved = (winner, x.shape, kernel_size, stride, padding)
        return transpose_nc(out.reshape(_output_shape(x.shape, kernel_size, stride, padding)))

    def backward(self, grad: Any) -> tuple[Any]:
        winner, x_shape, kernel_size, stride, padding = self.saved
        xp = get_array_module(grad)
        kh, kw = pair(kernel_size)
        c = x_shape[1]
        g = transpose_nc(grad).reshape(c, 1, -1)
        # each window's gradient goes to its winning offset: a one-hot mask over the kh·kw offsets
        # (plain broadcasting, where put_along_axis would need NumPy >= 1.15 / CuPy >= 14)
        is_winner = xp.arange(kh * kw)[None, :, None] == winner[:, None, :]  # (C, kh·kw, N·OH·OW)
        windows_grad = xp.where(is_winner, g, xp.zeros((), dtype=grad.dtype))
        return (col2im(windows_grad.reshape(c * kh * kw, -1), x_shape, kernel_size, stride, padding),)


class AvgPool2dFunction(Function):
    """Mean over each window (zero padding counts, like PyTorch's default)."""

    def forward(self, x: Any, kernel_size: IntPair, stride: IntPair, padding: IntPair) -> Any:
        windows = _windows(x, kernel_size, stride, padding, pad_value=0.0)
        self.saved = (x.shape, kernel_size, stride, padding)
        out = windows.mean(axis=1)
        return transpose_nc(out.reshape(_output_shape(x.shape, kernel_size, stride, padding)))

    def backward(self, grad: Any) -> tuple[Any]:
        x_shape, kernel_size, stride, padding = self.saved
        xp = get_array_module(grad)
        kh, kw = pair(kernel_size)
        c = x_shape[1]
        g = transpose_nc(grad).reshape(c, 1, -1) / (kh * kw)
        windows_grad = xp.broadcast_to(g, (c, kh * kw, g.shape[2]))
        return (col2im(windows_grad.reshape(c * kh * kw, -1), x_shape, kernel_size, stride, padding),)


def _check_4d(x: Tensor, op: str) -> None:
    if x.ndim != 4:
        raise ValueError(f"{op}: expected input of shape (N, C, H, W), got {x.shape}")


def max_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> Tensor:
    """Max pooling.  x: (N, C, H, W) -> (N, C, OH, OW); stride defaults to kernel_size."""
    _check_4d(x, "max_pool2d")
    return MaxPool2dFunction.apply(x, kernel_size=kernel_size, stride=stride or kernel_size, padding=padding)


def avg_pool2d(x: Tensor, kernel_size: IntPair, stride: IntPair | None = None, padding: IntPair = 0) -> Tensor:
    """Average pooling.  x: (N, C, H, W) -> (N, C, OH, OW); stride defaults to kernel_size."""
    _check_4d(x, "avg_pool2d")
    return AvgPool2dFunction.apply(x, kernel_size=kernel_size, stride=stride or kernel_size, padding=padding)


def global_avg_pool2d(x: Tensor) -> Tensor:
    """Mean over all positions of each channel.  x: (N, C, H, W) -> (N, C)."""
    _check_4d(x, "global_avg_pool2d")
    return mean(x, axis=(2, 3))
