"""Convolution as one matrix product: im2col, col2im and conv2d.

A 3×3 convolution looks at every 3×3 window of the input.  ``im2col``
copies each window into a column, so the convolution becomes a single
matrix product with the flattened filters::

    x: (N, C, H, W) ──im2col──► cols: (C·kh·kw, N·OH·OW)
    weight: (F, C, kh, kw) ──reshape──► (F, C·kh·kw)
    out = weight @ cols: (F, N·OH·OW) ──view──► (N, F, OH, OW)

``col2im`` is its adjoint: it adds every column back onto the window it
came from, which is exactly what the backward pass needs.

Memory layout.  The product above naturally gives a (F, N, OH, OW) array.
Instead of copying it into the usual (N, F, OH, OW) order, conv2d returns
a *transposed view* of it: the tensor has the familiar NCHW shape, but its
memory is channel-major ("CNHW").  NumPy's elementwise ops keep that memory
order, so the next convolution's ``im2col`` can read its input channel by
channel with a cheap copy, and the backward pass can reshape gradients
without copying.  Nothing outside this file needs to know.

What is kept for backward.  The columns of a 16-channel 32×32 layer at
batch 128 take 75 MB, so conv2d keeps only its input ``x`` (8 MB, usually
kept alive anyway by the layer before) and rebuilds the columns in
backward: one extra copy, much less memory.  ``keep_columns=True`` makes
the other trade (faster, kh·kw times the memory); docs/performance.md
has the measured figures.
"""

from __future__ import annotations

from typing import Any

from minires.backend import get_array_module
from minires.tensor import Function, Tensor

IntPair = int | tuple[int, int]


def pair(value: IntPair) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; pairs pass through."""
    if isinstance(value, int):
        return value, value
    a, b = value
    return int(a), int(b)


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Number of window positions along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


def _channel_major_padded(x: Any, padding: tuple[int, int], pad_value: float) -> Any:
    """``x`` (N, C, H, W) as a contiguous (C, N, H+2ph, W+2pw) array, padded."""
    xp = get_array_module(x)
    ph, pw = padding
    xc = x.transpose(1, 0, 2, 3)  # free when x is already channel-major
    if ph == 0 and pw == 0:
        return xp.ascontiguousarray(xc)
    c, n, h, w = xc.shape
    shape = (c, n, h + 2 * ph, w + 2 * pw)
    # zeros() gets pre-zeroed memory from the system, so only the interior is written
    padded = xp.zeros(shape, dtype=x.dtype) if pad_value == 0 else xp.full(shape, pad_value, dtype=x.dtype)
    padded[:, :, ph : ph + h, pw : pw + w] = xc
    return padded


def im2col(x: Any, kernel_size: IntPair, stride: IntPair = 1, padding: IntPair = 0, pad_value: float = 0.0) -> Any:
    """Copy every kh×kw window of ``x`` into a column.

    Args:
        x: array of shape (N, C, H, W), any memory layout.
        kernel_size, stride, padding: ints or (height, width) pairs.
        pad_value: what the padding holds (0 for convolution, -inf for max pooling).

    Returns:
        cols: contiguous array of shape (C·kh·kw, N·OH·OW).  Row
        ``(c·kh + i)·kw + j`` holds input channel c shifted by kernel offset
        (i, j); column ``(n·OH + oh)·OW + ow`` is output position (n, oh, ow).

    How: a strided *view* of the padded input with shape (C, kh, kw, N, OH,
    OW) already contains every window (no data moves); ``reshape`` then makes
    the single copy.
    """
    xp = get_array_module(x)
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel_size), pair(stride), pair(padding)
    n, c, h, w = x.shape
    oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
    if oh <= 0 or ow <= 0:
        raise ValueError(
            f"im2col: a {kh}x{kw} window does not fit in a {h}x{w} input with padding {(ph, pw)}"
        )
    padded = _channel_major_padded(x, (ph, pw), pad_value)
    s_c, s_n, s_h, s_w = padded.strides
    windows = xp.lib.stride_tricks.as_strided(
        padded, shape=(c, kh, kw, n, oh, ow), strides=(s_c, s_h, s_w, s_n, s_h * sh, s_w * sw)
    )
    return windows.reshape(c * kh * kw, n * oh * ow)


def col2im(
    cols: Any, x_shape: tuple[int, ...], kernel_size: IntPair, stride: IntPair = 1, padding: IntPair = 0
) -> Any:
    """Add every column back onto the window it came from: the adjoint of ``im2col``.

    Args:
        cols: array of shape (C·kh·kw, N·OH·OW), as made by ``im2col``.
        x_shape: the (N, C, H, W) shape ``im2col`` was given.

    Returns:
        array of shape (N, C, H, W) (a channel-major view).  Where windows
        overlap, their contributions are summed.

    A loop over the kh·kw kernel offsets only: each step adds a whole
    (C, N, OH, OW) slab, strided by the stride, into the padded result.
    """
    xp = get_array_module(cols)
    (kh, kw), (sh, sw), (ph, pw) = pair(kernel_size), pair(stride), pair(padding)
    n, c, h, w = x_shape
    oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
    slabs = cols.reshape(c, kh, kw, n, oh, ow)
    out = xp.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] += slabs[:, i, j]
    return out[:, :, ph : ph + h, pw : pw + w].transpose(1, 0, 2, 3)


def channel_major_matrix(a: Any) -> Any:
    """(N, C, H, W) -> (C, N·H·W); free for the channel-major arrays conv2d makes."""
    n, c, h, w = a.shape
    return a.transpose(1, 0, 2, 3).reshape(c, n * h * w)


class Conv2dFunction(Function):
    """2-D convolution (cross-correlation, as in every framework) by im2col."""

    def forward(self, x: Any, weight: Any, bias: Any = None, stride: IntPair = 1, padding: IntPair = 0,
                keep_columns: bool = False) -> Any:
        f, c, kh, kw = weight.shape
        n, _, h, w = x.shape
        geometry = ((kh, kw), pair(stride), pair(padding))
        oh = output_size(h, kh, geometry[1][0], geometry[2][0])
        ow = output_size(w, kw, geometry[1][1], geometry[2][1])
        cols = im2col(x, *geometry)
        out = weight.reshape(f, -1) @ cols  # (F, N·OH·OW)
        if bias is not None:
            out += bias[:, None]
        # by default keep x, not the columns (see the module docstring)
        kept = (cols if keep_columns else x) if self.needs_grad[1] else None
        self.saved = (kept, keep_columns, weight, geometry, x.shape)
        return out.reshape(f, n, oh, ow).transpose(1, 0, 2, 3)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        kept, keep_columns, weight, geometry, x_shape = self.saved
        g = channel_major_matrix(grad)  # (F, N·OH·OW)
        grad_x = grad_w = grad_b = None
        if self.needs_grad[1]:
            cols = kept if keep_columns else im2col(kept, *geometry)
            # dW = g @ colsᵀ, computed as (cols @ gᵀ)ᵀ: the same numbers, but BLAS runs this
            # orientation up to twice as fast for im2col's long, thin matrices
            grad_w = (cols @ g.T).T.reshape(weight.shape)
        if len(self.needs_grad) > 2 and self.needs_grad[2]:
            grad_b = g.sum(axis=1)
        if self.needs_grad[0]:
            grad_x = input_gradient(grad, weight, x_shape, *geometry)
        return (grad_x, grad_w, grad_b)[: len(self.needs_grad)]


def input_gradient(grad: Any, weight: Any, x_shape: tuple[int, ...], kernel: tuple[int, int],
                   stride: tuple[int, int], padding: tuple[int, int]) -> Any:
    """dL/dx of a convolution, given dL/dout (N, F, OH, OW) and the filters (F, C, kh, kw).

    The general way is ``col2im(Wᵀ @ g)``: send each output gradient back
    through the window it came from.  For stride 1 the same sum is itself a
    convolution -- of the output gradient with the filters flipped and with
    in/out channels swapped, padded by k − 1 − p -- which is cheaper: one
    im2col copy and one product instead of a product and kh·kw strided adds.
    """
    (kh, kw), (ph, pw) = kernel, padding
    f, c = weight.shape[:2]
    if stride == (1, 1) and ph <= kh - 1 and pw <= kw - 1:
        flipped = weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1].reshape(c, -1)  # (C, F·kh·kw)
        n, _, h, w = x_shape
        cols = im2col(grad, kernel, 1, (kh - 1 - ph, kw - 1 - pw))
        return (flipped @ cols).reshape(c, n, h, w).transpose(1, 0, 2, 3)
    return col2im(weight.reshape(f, -1).T @ channel_major_matrix(grad), x_shape, kernel, stride, padding)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1, padding: IntPair = 0,
           keep_columns: bool = False) -> Tensor:
    """2-D convolution over a batch of images.

    Args:
        x: (N, C, H, W) input.
        weight: (F, C, kh, kw) filters.
        bias: optional (F,) bias.
        stride, padding: ints or (height, width) pairs; zero padding.
        keep_columns: keep the im2col columns for backward instead of the
            input: one copy fewer per step, but kh·kw times the memory.

    Returns:
        (N, F, OH, OW) with OH = (H + 2·padding − kh) // stride + 1.

    Example:
        >>> y = conv2d(minires.randn(8, 3, 32, 32), minires.randn(16, 3, 3, 3), padding=1)
        >>> y.shape
        (8, 16, 32, 32)
    """
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
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Conv2dFunction.apply(*inputs, stride=stride, padding=padding, keep_columns=keep_columns)
