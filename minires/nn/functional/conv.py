"""Convolution as matrix products: im2col, col2im and conv2d.

A 3×3 convolution looks at every 3×3 window of the input.  ``im2col``
copies each window into a column, so the convolution becomes a single
matrix product with the flattened filters::

    x: (N, C, H, W) ──im2col──► cols: (C·kh·kw, N·OH·OW)
    weight: (F, C, kh, kw) ──reshape──► (F, C·kh·kw)
    out = weight @ cols: (F, N·OH·OW) ──view──► (N, F, OH, OW)

``col2im`` is its adjoint: it adds every column back onto the window it
came from, which is exactly what the backward pass needs.

A few images at a time.  The columns of a 16-channel 32×32 layer at batch
128 take 75 MB: far more than the CPU's caches, so the copy that builds
them and the product that reads them both run at main-memory speed, and a
fresh 75 MB array also has to be faulted in page by page.  conv2d therefore
works through the batch in chunks of a few images whose columns (about
4 MB) stay in cache, built in scratch buffers that are reused from call to
call (``workspace.py``).  Each chunk's product writes straight into its
slice of the output.  On a GPU the whole batch is one chunk.

Memory layout.  The product above naturally gives a (F, N, OH, OW) array.
Instead of copying it into the usual (N, F, OH, OW) order, conv2d returns
a *transposed view* of it: the tensor has the familiar NCHW shape, but its
memory is channel-major ("CNHW").  NumPy's elementwise ops keep that memory
order, so the next convolution reads its input channel by channel, and the
backward pass can reshape gradients without copying.  Nothing outside this
file needs to know.

What is kept for backward: only the input ``x`` (usually kept alive anyway
by the layer before).  Backward rebuilds the columns chunk by chunk, which
costs little once they are built in cache.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

import numpy as np

from minires.backend import get_array_module
from minires.nn.functional.workspace import workspace
from minires.tensor import Function, Tensor

IntPair = int | tuple[int, int]

# Floats of im2col columns per chunk: 4 MiB of float32, which (with the
# chunk's input and output) stays in this CPU's 32 MiB L3 cache.
CHUNK_FLOATS = 1 << 20


def pair(value: IntPair) -> tuple[int, int]:
    """``3`` -> ``(3, 3)``; pairs pass through."""
    if isinstance(value, int):
        return value, value
    a, b = value
    return int(a), int(b)


def output_size(size: int, kernel: int, stride: int, padding: int) -> int:
    """Number of window positions along one axis."""
    return (size + 2 * padding - kernel) // stride + 1


class Geometry(NamedTuple):
    """Kernel, stride and padding of a convolution or pooling window, as (height, width) pairs."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]

    @classmethod
    def of(cls, kernel: IntPair, stride: IntPair, padding: IntPair) -> Geometry:
        return cls(pair(kernel), pair(stride), pair(padding))

    def output_shape(self, h: int, w: int) -> tuple[int, int]:
        """(OH, OW) for an H×W input; a clear error when the window does not fit."""
        (kh, kw), (sh, sw), (ph, pw) = self
        oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
        if oh <= 0 or ow <= 0:
            raise ValueError(
                f"a {kh}x{kw} window does not fit in a {h}x{w} input with padding {(ph, pw)}"
            )
        return oh, ow


def fill_columns(xc: Any, padded: Any, cols: Any, geometry: Geometry) -> None:
    """im2col of a channel-major batch ``xc`` (C, n, H, W), written into ``cols``.

    Args:
        xc: (C, n, H, W) input, any strides (a transposed NCHW array is fine).
        padded: a (C, ≥n, H+2ph, W+2pw) buffer whose border already holds
            the padding value; only its interior is written here.
        cols: (C·kh·kw, n·OH·OW) output buffer.

    How: the interior of ``padded`` gets the input; a strided *view* of it
    with shape (C, kh, kw, n, OH, OW) already contains every window (no
    data moves); one ``copyto`` lays those windows out as columns.
    """
    xp = get_array_module(xc)
    (kh, kw), (sh, sw), (ph, pw) = geometry
    c, n, h, w = xc.shape
    oh, ow = geometry.output_shape(h, w)
    padded = padded[:, :n]
    padded[:, :, ph : ph + h, pw : pw + w] = xc
    s_c, s_n, s_h, s_w = padded.strides
    windows = xp.lib.stride_tricks.as_strided(
        padded, shape=(c, kh, kw, n, oh, ow), strides=(s_c, s_h, s_w, s_n, s_h * sh, s_w * sw)
    )
    xp.copyto(cols.reshape(c, kh, kw, n, oh, ow), windows)


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
    """
    xp = get_array_module(x)
    geometry = Geometry.of(kernel_size, stride, padding)
    (kh, kw), _, (ph, pw) = geometry
    n, c, h, w = x.shape
    try:
        oh, ow = geometry.output_shape(h, w)
    except ValueError as e:
        raise ValueError(f"im2col: {e}") from None
    padded = xp.full((c, n, h + 2 * ph, w + 2 * pw), pad_value, dtype=x.dtype)
    cols = xp.empty((c * kh * kw, n * oh * ow), dtype=x.dtype)
    fill_columns(x.transpose(1, 0, 2, 3), padded, cols, geometry)
    return cols


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
    geometry = Geometry.of(kernel_size, stride, padding)
    (kh, kw), (sh, sw), (ph, pw) = geometry
    n, c, h, w = x_shape
    oh, ow = geometry.output_shape(h, w)
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


def images_per_chunk(xc: Any, rows: int, positions: int) -> int:
    """How many images' columns (``rows`` × ``positions`` each) to build at once.

    About ``CHUNK_FLOATS`` of columns on the CPU, so they stay in cache;
    the whole batch on a GPU, where one large launch beats many small ones.
    """
    n = xc.shape[1]
    if get_array_module(xc) is not np:
        return n
    return max(1, min(n, CHUNK_FLOATS // (rows * positions)))


def chunked_columns(xc: Any, geometry: Geometry, role: str) -> Iterator[tuple[int, int, Any]]:
    """Yield ``(start, stop, cols)``: the im2col columns of images start:stop of ``xc``.

    Args:
        xc: (C, N, H, W) channel-major input (a transposed NCHW array).
        geometry: the window; zero padding.
        role: names the scratch buffers, so that two different inputs of
            one layer (its x and its output gradient) never share one.

    ``cols`` has shape (C·kh·kw, (stop − start)·OH·OW) and lives in a reused
    scratch buffer: it is only valid until the next item is requested.
    """
    (kh, kw), _, (ph, pw) = geometry
    c, n, h, w = xc.shape
    oh, ow = geometry.output_shape(h, w)
    rows, positions = c * kh * kw, oh * ow
    chunk = images_per_chunk(xc, rows, positions)
    # the padding is part of the name: one padded shape can come from different
    # (size, padding) pairs, and each needs its own zero border
    padded = workspace().get(f"{role}:padded{ph},{pw}", (c, chunk, h + 2 * ph, w + 2 * pw), xc)
    buffer = workspace().get(f"{role}:cols", (rows * chunk * positions,), xc)
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        cols = buffer[: rows * (stop - start) * positions].reshape(rows, -1)
        fill_columns(xc[:, start:stop], padded, cols, geometry)
        yield start, stop, cols


class Conv2dFunction(Function):
    """2-D convolution (cross-correlation, as in every framework) by im2col, a chunk of images at a time."""

    def forward(self, x: Any, weight: Any, bias: Any = None, stride: IntPair = 1, padding: IntPair = 0) -> Any:
        xp = get_array_module(x)
        f = weight.shape[0]
        n, _, h, w = x.shape
        geometry = Geometry.of(weight.shape[2:], stride, padding)
        oh, ow = geometry.output_shape(h, w)
        w2 = weight.reshape(f, -1)  # (F, C·kh·kw)
        out = xp.empty((f, n * oh * ow), dtype=x.dtype)
        for start, stop, cols in chunked_columns(x.transpose(1, 0, 2, 3), geometry, "x"):
            xp.matmul(w2, cols, out=out[:, start * oh * ow : stop * oh * ow])
        if bias is not None:
            out += bias[:, None]
        self.saved = (x if self.needs_grad[1] else None, weight, geometry, x.shape)
        return out.reshape(f, n, oh, ow).transpose(1, 0, 2, 3)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, weight, geometry, x_shape = self.saved
        g = channel_major_matrix(grad)  # (F, N·OH·OW)
        per_image = grad.shape[2] * grad.shape[3]
        grad_x = grad_w = grad_b = None
        if self.needs_grad[1]:
            # dW = g @ colsᵀ summed over chunks, computed as (cols @ gᵀ)ᵀ: the same
            # numbers, but BLAS runs this orientation faster for long, thin matrices
            xp = get_array_module(x)
            grad_w = xp.zeros((weight[0].size, weight.shape[0]), dtype=weight.dtype)
            for start, stop, cols in chunked_columns(x.transpose(1, 0, 2, 3), geometry, "x"):
                grad_w += cols @ g[:, start * per_image : stop * per_image].T
            grad_w = grad_w.T.reshape(weight.shape)
        if len(self.needs_grad) > 2 and self.needs_grad[2]:
            grad_b = g.sum(axis=1)
        if self.needs_grad[0]:
            grad_x = input_gradient(grad, weight, x_shape, geometry)
        return (grad_x, grad_w, grad_b)[: len(self.needs_grad)]


def input_gradient(grad: Any, weight: Any, x_shape: tuple[int, ...], geometry: Geometry) -> Any:
    """dL/dx of a convolution, given dL/dout (N, F, OH, OW) and the filters (F, C, kh, kw).

    Returns an (N, C, H, W) channel-major view.

    The general way is ``col2im(Wᵀ @ g)``: send each output gradient back
    through the window it came from.  For stride 1 the same sum is itself a
    convolution -- of the output gradient with the filters flipped and with
    in/out channels swapped, padded by k − 1 − p -- which is cheaper: one
    im2col copy and one product instead of a product and kh·kw strided adds.
    """
    xp = get_array_module(grad)
    (kh, kw), stride, (ph, pw) = geometry
    f, c = weight.shape[:2]
    n, _, h, w = x_shape
    dx = xp.empty((c, n * h * w), dtype=grad.dtype)
    gc = grad.transpose(1, 0, 2, 3)  # (F, N, OH, OW)
    if stride == (1, 1) and ph <= kh - 1 and pw <= kw - 1:
        flipped = weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1].reshape(c, -1)  # (C, F·kh·kw)
        transposed = Geometry((kh, kw), (1, 1), (kh - 1 - ph, kw - 1 - pw))
        for start, stop, cols in chunked_columns(gc, transposed, "grad"):
            xp.matmul(flipped, cols, out=dx[:, start * h * w : stop * h * w])
    else:
        w2t = weight.reshape(f, -1).T  # (C·kh·kw, F)
        chunk = images_per_chunk(gc, w2t.shape[0], gc.shape[2] * gc.shape[3])
        dx4 = dx.reshape(c, n, h, w)
        for start in range(0, n, chunk):
            stop = min(start + chunk, n)
            g_chunk = channel_major_matrix(grad[start:stop])
            part = col2im(w2t @ g_chunk, (stop - start, c, h, w), *geometry)
            dx4[:, start:stop] = part.transpose(1, 0, 2, 3)
    return dx.reshape(c, n, h, w).transpose(1, 0, 2, 3)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntPair = 1, padding: IntPair = 0) -> Tensor:
    """2-D convolution over a batch of images.

    Args:
        x: (N, C, H, W) input.
        weight: (F, C, kh, kw) filters.
        bias: optional (F,) bias.
        stride, padding: ints or (height, width) pairs; zero padding.

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
    return Conv2dFunction.apply(*inputs, stride=stride, padding=padding)
