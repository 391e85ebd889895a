"""im2col and col2im: the window geometry of convolution and pooling, and the two copies that use it.

A k×k convolution (or pooling) looks at every k×k window of its input.  ``im2col``
copies each window into a column::

    x: (N, C, H, W) ──im2col──► cols: (C·kh·kw, N·OH·OW)

so that a convolution becomes one matrix product with the flattened filters, and a
pooling one reduction over the kh·kw rows of each channel.  ``col2im`` is its adjoint:
it adds every column back onto the window it came from, which is what both backward
passes need.  ``Geometry`` holds a window's kernel, stride and padding and says how
many positions it takes (``output_shape``).

The channel-major layout (a contract between modules).  A convolution's matrix
product gives a (F, N, OH, OW) array.  Instead of copying it into the usual
(N, F, OH, OW) order, conv2d returns a *transposed view* of it (``transpose_nc``):
the tensor has the familiar NCHW shape, but its memory is channel-major ("CNHW").
NumPy's elementwise ops keep that memory order, so the modules that follow read
each channel as one contiguous row instead of copying:

* ``conv.py``, ``conv_fast.py``, ``winograd.py`` take their input as (C, N, H, W)
  (``transpose_nc(x)``, free for their own outputs) and return channel-major views;
* ``col2im`` below and ``pooling.py`` return channel-major views too;
* ``batchnorm.py`` sums each channel as one row (``channel_major_matrix``, free here);
* ``workspace.py`` sizes its chunks for (C, N, ...) inputs.

Any layout is still *correct* everywhere (a transpose of a plain NCHW array is
merely a copy later); the contract is about not paying for copies.

Used by ``conv.py`` (the textbook ``Conv2dIm2col``), ``conv_fast.py`` (the strided
fast path) and ``pooling.py``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from minires.backend import get_array_module

__all__ = ["IntPair", "pair", "output_size", "Geometry", "im2col", "col2im", "transpose_nc", "channel_major_matrix"]

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


class Geometry(NamedTuple):
    """Kernel, stride and padding of a convolution or pooling window, as (height, width) pairs."""

    kernel: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]

    @classmethod
    def of(cls, kernel: IntPair, stride: IntPair, padding: IntPair) -> Geometry:
        """The geometry of these settings; ``ValueError`` for a kernel or stride below 1, a negative padding."""
        geometry = cls(pair(kernel), pair(stride), pair(padding))
        for name, values, low in (("kernel size", geometry.kernel, 1), ("stride", geometry.stride, 1),
                                  ("padding", geometry.padding, 0)):
            if min(values) < low:
                raise ValueError(f"{name} must be >= {low}, got {values[0] if values[0] == values[1] else values}")
        return geometry

    @property
    def shifted(self) -> bool:
        """Whether the fast path applies: stride 1, padding at most kernel − 1."""
        (kh, kw), stride, (ph, pw) = self
        return stride == (1, 1) and ph <= kh - 1 and pw <= kw - 1

    def output_shape(self, h: int, w: int) -> tuple[int, int]:
        """(OH, OW) for an H×W input; a clear error when the window does not fit."""
        (kh, kw), (sh, sw), (ph, pw) = self
        oh, ow = output_size(h, kh, sh, ph), output_size(w, kw, sw, pw)
        if oh <= 0 or ow <= 0:
            raise ValueError(
                f"a {kh}x{kw} window does not fit in a {h}x{w} input with padding {(ph, pw)}"
            )
        return oh, ow


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
    geometry = Geometry.of(kernel_size, stride, padding)
    (kh, kw), (sh, sw), (ph, pw) = geometry
    n, c, h, w = x.shape
    try:
        oh, ow = geometry.output_shape(h, w)
    except ValueError as e:
        raise ValueError(f"im2col: {e}") from None
    padded = xp.full((c, n, h + 2 * ph, w + 2 * pw), pad_value, dtype=x.dtype)
    padded[:, :, ph : ph + h, pw : pw + w] = transpose_nc(x)
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
    geometry = Geometry.of(kernel_size, stride, padding)
    (kh, kw), (sh, sw), (ph, pw) = geometry
    n, c, h, w = x_shape
    oh, ow = geometry.output_shape(h, w)
    slabs = cols.reshape(c, kh, kw, n, oh, ow)
    out = xp.zeros((c, n, h + 2 * ph, w + 2 * pw), dtype=cols.dtype)
    for i in range(kh):
        for j in range(kw):
            out[:, :, i : i + sh * (oh - 1) + 1 : sh, j : j + sw * (ow - 1) + 1 : sw] += slabs[:, i, j]
    return transpose_nc(out[:, :, ph : ph + h, pw : pw + w])


def transpose_nc(a: Any) -> Any:
    """Swap the batch and channel axes, (N, C, H, W) <-> (C, N, H, W): a view, no copy.

    Its own inverse: it turns an NCHW tensor's data into the (C, N, H, W) array
    the convolutions work on, and their (F, N, OH, OW) results back into NCHW views
    (the channel-major layout, module docstring).
    """
    return a.transpose(1, 0, 2, 3)


def channel_major_matrix(a: Any) -> Any:
    """(N, C, H, W) -> (C, N·H·W); free for the channel-major arrays conv2d makes."""
    n, c, h, w = a.shape
    return transpose_nc(a).reshape(c, n * h * w)
