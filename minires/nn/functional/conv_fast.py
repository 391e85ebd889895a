"""The fast convolution (``conv_algorithm("fast")``, the default): the same product as im2col, cheaper to feed.

``Conv2dIm2col`` (``conv.py``) is the method: one im2col of the whole batch, one
matrix product.  ``Conv2dFast`` computes the same numbers.  Strided convolutions
use that textbook ``im2col``/``col2im`` as written (``WindowColumns``), a chunk
of images at a time.  The stride-1 path (almost every convolution in a ResNet)
makes the product cheaper to feed, in three ways:

* **Shifted columns** (``ShiftedColumns``).  Lay the batch out as one flat row per
  channel, each image row followed by its padding, which then also serves as the
  left padding of the next row (and likewise for the rows between images).
  With stride 1, the input that kernel offset (i, j) sees, for *every*
  output position at once, is that flat row shifted by i·Wp + j (Wp: the
  padded row length).  So each row of the columns is one contiguous slice
  -- im2col becomes C·kh·kw long copies instead of millions of short ones.
  The price: the columns also hold positions whose window hangs over the
  padding; their products are computed and thrown away.  For a 3×3 kernel
  that is one extra column and row per image: 6% extra work on 32×32
  images, 27% on 8×8 ones, far less than the copies it saves.
* **A few images at a time, on every core.**  The columns of a 16-channel
  32×32 layer at batch 128 take 75 MB, far more than the CPU's caches.  So
  the batch is worked through in chunks whose columns (about 2 MB) stay in
  one core's cache while the product reads them, and the chunks are shared
  out over the cores (``minires.parallel``): each core copies and
  multiplies its own chunks, so the copies no longer leave the other cores
  idle.  On a GPU the whole batch is one chunk.
* **Reused buffers.**  Chunk buffers come from ``workspace.py`` and are
  reused from call to call, instead of asking the OS for fresh memory
  that must be faulted in page by page.

Every array here is channel-major, (C, N, H, W): the layout contract is stated
once, in ``im2col.py``'s docstring.

What is kept for backward: only the input ``x`` (usually kept alive anyway
by the layer before).  Backward rebuilds the columns chunk by chunk, which
costs little once they are built in cache.  For the input gradient,
``Conv2dFast.backward`` chooses between two named functions: stride 1 runs
``shifted_input_and_weight_gradients`` (dx is itself a convolution, and its
columns give dW too), other strides ``strided_input_gradient`` (``col2im``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from minires import parallel
from minires.backend import get_array_module
from minires.nn.functional.im2col import Geometry, IntPair, col2im, im2col, transpose_nc
from minires.nn.functional.workspace import images_per_chunk, workspace
from minires.tensor import Function

__all__ = [
    "Conv2dFast", "ShiftedColumns", "WindowColumns", "columns_of",
    "weight_gradient", "shifted_input_and_weight_gradients", "strided_input_gradient",
]


class Conv2dFast(Function):
    """2-D convolution (cross-correlation, as in every framework) by im2col, chunked: ``conv_algorithm("fast")``.

    Stride 1 runs on ``ShiftedColumns``; other strides on ``WindowColumns``
    (the textbook ``im2col``) and ``col2im``, a chunk at a time as well.
    """

    has_bias: bool  # called with a bias: backward returns its gradient as a third one

    def forward(self, x: Any, weight: Any, bias: Any = None, stride: IntPair = 1, padding: IntPair = 0) -> Any:
        xp = get_array_module(x)
        f = weight.shape[0]
        n, _, h, w = x.shape
        geometry = Geometry.of(weight.shape[2:], stride, padding)
        oh, ow = geometry.output_shape(h, w)
        w2 = weight.reshape(f, -1)  # (F, C·kh·kw)
        out = xp.empty((f, n, oh, ow), dtype=x.dtype)
        columns = columns_of(transpose_nc(x), geometry, "x")

        def fill(starts: Sequence[int]) -> None:  # the output of some chunks, on one core
            products = workspace().get("products", (f * columns.chunk * columns.positions,), x)
            for start, stop, cols in columns.chunks(starts):
                part = xp.matmul(w2, cols, out=products[: f * cols.shape[1]].reshape(f, -1))
                if bias is not None:  # added while the product is still in cache, not as a pass of its own
                    part += bias[:, None]
                out[:, start:stop] = columns.valid(part)

        parallel.run(fill, columns.starts)
        self.has_bias = bias is not None
        self.saved = (x if self.needs_grad[1] else None, weight, geometry, x.shape)
        return transpose_nc(out)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, weight, geometry, x_shape = self.saved
        grad_x = grad_w = None
        if self.needs_grad[0] and geometry.shifted:
            # stride 1: dx is a convolution on the fast path, and its columns give dW too (when x was kept)
            grad_x, grad_w = shifted_input_and_weight_gradients(grad, weight, x_shape, geometry, x)
        elif self.needs_grad[0]:
            grad_x = strided_input_gradient(grad, weight, x_shape, geometry)  # col2im(Wᵀ @ g), chunked
        if self.needs_grad[1] and grad_w is None:
            grad_w = weight_gradient(x, grad, weight.shape, geometry)
        if not self.has_bias:
            return grad_x, grad_w
        return grad_x, grad_w, (grad.sum(axis=(0, 2, 3)) if self.needs_grad[2] else None)


def shifted_input_and_weight_gradients(grad: Any, weight: Any, x_shape: tuple[int, ...], geometry: Geometry,
                                       x: Any = None) -> tuple[Any, Any]:
    """dL/dx and (when the input is given) dL/dW of a stride-1 convolution, from dL/dout (N, F, OH, OW).

    Returns ``(dx, dW)``: dx as an (N, C, H, W) channel-major view,
    (N, C, H, W) = ``x_shape``; dW (F, C, kh, kw) when the input ``x`` is
    given, else None.  Needs ``geometry.shifted`` (stride 1, padding at most
    kernel − 1); ``strided_input_gradient`` serves the others.

    The general way is ``col2im(Wᵀ @ g)``: send each output gradient back
    through the window it came from.  For stride 1 the same sum is itself a
    convolution -- of the output gradient with the filters flipped and with
    in/out channels swapped, padded by k − 1 − p -- which runs on the fast
    path: one set of columns and one product instead of a product and kh·kw
    strided adds.

    Those columns of g serve the weight gradient too.  Row (f, i', j') of
    them, at input position q, holds g[f] at q shifted by the flipped kernel
    offset, so dW[f, :, kh−1−i', kw−1−j'] = Σ_q cols[(f, i', j'), q] · x[:, q]:
    one more product, with x laid on the same padded grid (zeros at the junk
    positions), instead of building a second set of columns from x.
    """
    xp = get_array_module(grad)
    (kh, kw), _, (ph, pw) = geometry
    f, c = weight.shape[:2]
    n, _, h, w = x_shape
    flipped = weight.transpose(1, 0, 2, 3)[:, :, ::-1, ::-1].reshape(c, -1)  # (C, F·kh·kw)
    columns = ShiftedColumns(transpose_nc(grad), (kh, kw), (kh - 1 - ph, kw - 1 - pw), "grad")
    dx = xp.empty((c, n, h, w), dtype=grad.dtype)

    def fill(starts: Sequence[int]) -> Any:  # dx of some chunks and their part of dW, on one core
        products = workspace().get("products", (c * columns.chunk * columns.positions,), grad)
        grad_w = None  # rows (f, i', j'): flipped offsets
        xc = None if x is None else transpose_nc(x)
        for start, stop, cols in columns.chunks(starts):
            part = xp.matmul(flipped, cols, out=products[: c * cols.shape[1]].reshape(c, -1))
            dx[:, start:stop] = columns.valid(part)  # these columns' real positions are x's pixels
            if xc is not None:
                grad_w = _plus(grad_w, cols @ columns.on_grid(xc, start, stop, "x").T)
        return grad_w

    shares = parallel.run(fill, columns.starts)
    grad_w = None
    if x is not None:
        total = _total(shares, (f * kh * kw, c), grad)
        grad_w = xp.ascontiguousarray(total.reshape(f, kh, kw, c)[:, ::-1, ::-1].transpose(0, 3, 1, 2))
    return transpose_nc(dx), grad_w


def strided_input_gradient(grad: Any, weight: Any, x_shape: tuple[int, ...], geometry: Geometry) -> Any:
    """dL/dx by the textbook ``col2im(Wᵀ @ g)``, a chunk of images at a time, shared over the cores.

    Returns (N, C, H, W) = ``x_shape`` as a channel-major view.
    """
    xp = get_array_module(grad)
    f, c = weight.shape[:2]
    n, _, h, w = x_shape
    gc = transpose_nc(grad)  # (F, N, OH, OW)
    w_t = weight.reshape(f, -1).T  # (C·kh·kw, F)
    chunk = images_per_chunk(gc, w_t.shape[0], gc.shape[2] * gc.shape[3])
    dx = xp.empty((c, n, h, w), dtype=grad.dtype)

    def fill(starts: Sequence[int]) -> None:  # dx of some chunks, on one core
        for start in starts:
            stop = min(start + chunk, n)
            cols = w_t @ gc[:, start:stop].reshape(f, -1)  # (C·kh·kw, m·OH·OW)
            dx[:, start:stop] = transpose_nc(col2im(cols, (stop - start, c, h, w), *geometry))

    parallel.run(fill, range(0, n, chunk))
    return transpose_nc(dx)


def weight_gradient(x: Any, grad: Any, weight_shape: tuple[int, ...], geometry: Geometry) -> Any:
    """dL/dW of a convolution, given its input x (N, C, H, W) and dL/dout (N, F, OH, OW).

    Returns (F, C, kh, kw).  dW = g @ colsᵀ, computed as (cols @ gᵀ)ᵀ: the
    same numbers, but BLAS runs this orientation faster for long, thin
    matrices.  With shifted columns, g is first placed on the padded grid
    with zeros at the junk positions, so they add nothing.
    """
    f = weight_shape[0]
    columns = columns_of(transpose_nc(x), geometry, "x")
    gc = transpose_nc(grad)  # (F, N, OH, OW)

    def accumulate(starts: Sequence[int]) -> Any:  # the sum over some chunks, on one core
        grad_w = None
        for start, stop, cols in columns.chunks(starts):
            grad_w = _plus(grad_w, cols @ columns.on_grid(gc, start, stop, "grad").T)
        return grad_w

    rows = weight_shape[1] * weight_shape[2] * weight_shape[3]
    return _total(parallel.run(accumulate, columns.starts), (rows, f), x).T.reshape(weight_shape)


class ShiftedColumns:
    """Stride-1 im2col in the shifted layout, a chunk of images at a time.

    Args:
        xc: (C, N, H, W) channel-major input (a transposed NCHW array).
        kernel, padding: (height, width) pairs; stride is 1, padding is zeros.
        role: names the scratch buffers, so that two inputs of one layer
            (its x and its output gradient) never share one.

    The layout: each image becomes an Hp×Wp grid, Hp = H + ph and
    Wp = W + pw, holding ph rows of zeros and then the image, each of its
    rows preceded by pw zeros.  Windows that run off the bottom or the
    right of a grid read the next grid's (or row's) leading zeros, which is
    exactly the padding they need.

    Iterating yields ``(start, stop, cols)``: the columns of images
    start:stop, shape (C·kh·kw, m·Hp·Wp) for m = stop − start.  Column
    ``(k·Hp + a)·Wp + b`` is the window whose top-left corner sits at row
    a, column b of grid k; it is a real output position when a < OH and
    b < OW, and junk otherwise (``valid`` keeps the real ones).  ``cols``
    lives in a reused buffer, valid until the next item.

    ``chunks(starts)`` yields the same for some of the chunks only: that is
    how ``parallel.run`` gives each core its share.  Each thread builds its
    chunks in its own scratch buffers.
    """

    def __init__(self, xc: Any, kernel: tuple[int, int], padding: tuple[int, int], role: str) -> None:
        (kh, kw), (ph, pw) = kernel, padding
        c, n, h, w = xc.shape
        self.xc, self.kernel, self.padding, self.role = xc, kernel, padding, role
        self.hp, self.wp = h + ph, w + pw
        self.oh, self.ow = Geometry(kernel, (1, 1), padding).output_shape(h, w)
        self.positions = self.hp * self.wp  # columns per image
        self.chunk = images_per_chunk(xc, c * kh * kw, self.positions)
        self.starts = range(0, n, self.chunk)  # each chunk's first image
        # Spare grids at the end: windows run up to (kh − 1)·Wp + kw − 1 past a chunk's last
        # position, so there must be memory there (usually one grid: zeros, or in a short last
        # chunk an image of this call's previous chunk; only junk outputs see it).
        grid = self.hp * self.wp
        self.spare = max(1, -(-((kh - 1) * self.wp + kw - 1) // grid))  # ceiling division

    def buffers(self) -> tuple[Any, Any, Any]:
        """This thread's scratch: the padded chunk, its windows view, and the columns buffer.

        padded: (C, chunk + spare, Hp, Wp), zero except where images are
        copied in; windows: a (C, kh, kw, chunk·Hp·Wp) strided view of it,
        row (c, i, j) being the channel's flat row shifted by i·Wp + j;
        cols: (C, kh, kw, chunk·Hp·Wp).  The padding is part of the padded
        buffer's name: each buffer keeps its own zero padding.
        """
        (kh, kw), (ph, pw) = self.kernel, self.padding
        c = self.xc.shape[0]
        padded = workspace().get(f"{self.role}:padded{ph},{pw}", (c, self.chunk + self.spare, self.hp, self.wp),
                                 self.xc)
        flat = padded.reshape(c, -1)
        s_c, s_x = flat.strides
        full = self.chunk * self.hp * self.wp
        windows = get_array_module(self.xc).lib.stride_tricks.as_strided(
            flat, shape=(c, kh, kw, full), strides=(s_c, self.wp * s_x, s_x, s_x)
        )
        cols = workspace().get(f"{self.role}:cols", (c, kh, kw, full), self.xc)
        return padded, windows, cols

    def chunks(self, starts: Sequence[int]) -> Iterator[tuple[int, int, Any]]:
        """``(start, stop, cols)`` for the chunks beginning at ``starts`` (some of ``self.starts``)."""
        xp = get_array_module(self.xc)
        (ph, pw), n = self.padding, self.xc.shape[1]
        padded, windows, buffer = self.buffers()
        image_part = padded[:, :, ph:, pw:]  # (C, chunk + spare, H, W): the only part ever written
        rows = buffer.shape[0] * buffer.shape[1] * buffer.shape[2]  # C·kh·kw
        for start in starts:
            stop = min(start + self.chunk, n)
            image_part[:, : stop - start] = self.xc[:, start:stop]
            length = (stop - start) * self.hp * self.wp
            cols = buffer[..., :length]
            xp.copyto(cols, windows[..., :length])
            yield start, stop, cols.reshape(rows, length)  # a view: rows keep their full stride

    def __iter__(self) -> Iterator[tuple[int, int, Any]]:
        return self.chunks(self.starts)

    def valid(self, a: Any) -> Any:
        """(K, m·Hp·Wp) per-position values -> a (K, m, OH, OW) view of the real output positions."""
        return a.reshape(a.shape[0], -1, self.hp, self.wp)[:, :, : self.oh, : self.ow]

    def on_grid(self, a: Any, start: int, stop: int, role: str) -> Any:
        """The inverse of ``valid``: images start:stop of ``a`` (K, N, OH, OW) on the grid.

        Returns a (K, m·Hp·Wp) view of a reused buffer holding ``a`` at the
        real positions and zeros at the junk ones, so that a product with
        the columns adds nothing for junk positions.
        """
        k = a.shape[0]
        # named by the real region's size: only that part is ever written, the rest stays zero
        grid = workspace().get(f"{role}:grid{self.oh},{self.ow}", (k, self.chunk, self.hp, self.wp), a)
        part = grid[:, : stop - start]
        part[:, :, : self.oh, : self.ow] = a[:, start:stop]
        return part.reshape(k, -1)  # a view: the rows keep the full buffer's stride


class WindowColumns:
    """The textbook ``im2col``, a chunk of images at a time, for any stride.

    The same interface as ``ShiftedColumns`` (``starts``, ``chunks``,
    ``valid``, ``on_grid``), so one loop serves both; here every column is
    a real output position, so ``valid`` and ``on_grid`` only reshape.

    Args:
        xc: (C, N, H, W) channel-major input.
        geometry: the convolution's kernel, stride and padding.
    """

    def __init__(self, xc: Any, geometry: Geometry) -> None:
        c, n, h, w = xc.shape
        (kh, kw), _, _ = geometry
        self.xc, self.geometry = xc, geometry
        self.oh, self.ow = geometry.output_shape(h, w)
        self.positions = self.oh * self.ow  # columns per image
        self.chunk = images_per_chunk(xc, c * kh * kw, self.positions)
        self.starts = range(0, n, self.chunk)

    def chunks(self, starts: Sequence[int]) -> Iterator[tuple[int, int, Any]]:
        """``(start, stop, cols)``: cols = im2col of images start:stop, (C·kh·kw, m·OH·OW)."""
        for start in starts:
            stop = min(start + self.chunk, self.xc.shape[1])
            yield start, stop, im2col(transpose_nc(self.xc[:, start:stop]), *self.geometry)

    def __iter__(self) -> Iterator[tuple[int, int, Any]]:
        return self.chunks(self.starts)

    def valid(self, a: Any) -> Any:
        """(K, m·OH·OW) -> (K, m, OH, OW)."""
        return a.reshape(a.shape[0], -1, self.oh, self.ow)

    def on_grid(self, a: Any, start: int, stop: int, role: str) -> Any:
        """Images start:stop of ``a`` (K, N, OH, OW) as a (K, m·OH·OW) matrix."""
        return a[:, start:stop].reshape(a.shape[0], -1)


def columns_of(xc: Any, geometry: Geometry, role: str) -> ShiftedColumns | WindowColumns:
    """The column builder for a convolution: shifted for stride 1, the textbook one otherwise."""
    if geometry.shifted:
        return ShiftedColumns(xc, geometry.kernel, geometry.padding, role)
    return WindowColumns(xc, geometry)


def _plus(total: Any, part: Any) -> Any:
    """``total + part``, in place from the second part on (the first product is a new array)."""
    if total is None:
        return part
    total += part
    return total


def _total(shares: list[Any], shape: tuple[int, ...], like: Any) -> Any:
    """The sum of the cores' partial sums (None: a core had no chunk); zeros of ``shape`` if none had."""
    total = None
    for share in shares:
        if share is not None:
            total = share if total is None else total + share
    return get_array_module(like).zeros(shape, dtype=like.dtype) if total is None else total
