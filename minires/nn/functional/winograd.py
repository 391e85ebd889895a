"""Winograd convolution F(2×2, 3×3): four outputs for the price of 16 multiplications, not 36.

The 1-D idea (Winograd 1980; Lavin & Gray 2016 for convolutional networks).
Two outputs of a 3-tap filter g over four inputs d,

    y0 = d0·g0 + d1·g1 + d2·g2
    y1 = d1·g0 + d2·g1 + d3·g2            (6 multiplications)

are also

    m0 = (d0 − d2)·g0              m1 = (d1 + d2)·(g0 + g1 + g2)/2
    m3 = (d1 − d3)·g2              m2 = (d2 − d1)·(g0 − g1 + g2)/2
    y0 = m0 + m1 + m2              y1 = m1 − m2 − m3        (4 multiplications)

The filter's combinations are computed once per filter, so only the four
products remain.  In matrix form, with a 4-vector of inputs d:

    y = Aᵀ [(G g) ⊙ (Bᵀ d)]

    Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]
    G  = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]]
    Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]

Nesting it in both directions gives F(2×2, 3×3): a 2×2 block of outputs
from a 4×4 tile of inputs, Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A, with 16
multiplications instead of 4·9 = 36.  Tiles start every 2 pixels, so
neighbouring tiles overlap by two rows or columns.

Over channels the products become matrix products.  For each of the 16
positions (a, b) of a transformed tile, summing over input channels c,

    M[a, b][f, t] = Σ_c U[a, b][f, c] · V[a, b][c, t]

with U = G g Gᵀ per (filter, channel) pair and V = Bᵀ d B per (channel,
tile).  So one convolution is: transform the input tiles (additions only),
16 matrix products of (F, C) by (C, tiles), transform back (additions
only).  The matrix products do 2.25× fewer multiply-adds than im2col's one
large product; the price is the transforms, and a few more rounding steps
(the error stays near float32's epsilon for these small tiles).

Here the transforms are written the way the formulas read: each row of Bᵀ
is a sum of two input rows taken with a stride of 2 (every tile at once),
first down the rows and then across the columns.  ``Conv2dWinograd`` at the
end is the op (``conv_algorithm("winograd")``); it handles stride-1 3×3
convolutions, and ``conv2d`` sends everything else to the fast path
(``conv_fast.py``).  Inputs and outputs are channel-major (C, N, H, W), as
``im2col.py``'s docstring sets out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from minires import parallel
from minires.backend import get_array_module
from minires.nn.functional.conv_fast import weight_gradient
from minires.nn.functional.im2col import Geometry, IntPair, transpose_nc
from minires.nn.functional.workspace import images_per_chunk, workspace
from minires.tensor import Function

__all__ = ["Conv2dWinograd", "winograd_applies", "winograd_conv2d", "transform_filters", "transform_tiles",
           "untransform", "G"]

G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])  # filter transform (4, 3)


def transform_filters(weight: Any) -> Any:
    """U = G g Gᵀ for every (filter, channel) pair: (F, C, 3, 3) -> (16, F, C).

    Position a·4 + b of the result is row a, column b of the 4×4 transformed filter.
    """
    xp = get_array_module(weight)
    g = xp.asarray(G, dtype=weight.dtype)
    u = g @ weight @ g.T  # (F, C, 4, 4): G g Gᵀ, broadcast over filters and channels
    f, c = weight.shape[:2]
    return xp.ascontiguousarray(u.transpose(2, 3, 0, 1).reshape(16, f, c))


def transform_tiles(p: Any, out: Any, rows: Any) -> None:
    """V = Bᵀ d B for every 4×4 tile d of ``p``, with additions only.

    Args:
        p: (C, m, 2·th + 2, 2·tw + 2) zero-padded input of m images; tile (i, j)
            is p[:, :, 2i : 2i + 4, 2j : 2j + 4].
        out: (4, 4, C, m, th, tw) result: out[a, b] is position (a, b) of every tile.
        rows: (4, C, m, th, 2·tw + 2) scratch for the row pass.
    """
    th, tw = out.shape[-2:]
    xp = get_array_module(p)

    def taps(a: Any, axis: int) -> list[Any]:  # the four inputs d0..d3 of every tile along ``axis``
        n = 2 * (th if axis == 2 else tw)
        return [a[(slice(None),) * axis + (slice(i, i + n, 2),)] for i in range(4)]

    def bt(d: list[Any], dest: Sequence[Any]) -> None:  # Bᵀ d, one row of Bᵀ per destination
        xp.subtract(d[0], d[2], out=dest[0])
        xp.add(d[1], d[2], out=dest[1])
        xp.subtract(d[2], d[1], out=dest[2])
        xp.subtract(d[1], d[3], out=dest[3])

    bt(taps(p, 2), rows)  # down the rows:    rows[a] = Σ_i Bᵀ[a, i] · p[2t + i, :]
    for a in range(4):    # across columns:   out[a, b] = Σ_j Bᵀ[b, j] · rows[a][:, 2s + j]
        bt(taps(rows[a], 3), out[a])


def untransform(m: Any, out: Any, scratch: Any) -> None:
    """Y = Aᵀ M A for every tile: (4, 4, F, m, th, tw) -> out (F, m, th, 2, tw, 2).

    ``scratch``: (2, 4, F, m, th, tw) for the row pass.
    """
    xp = get_array_module(m)

    def at(v: Any, dest: Sequence[Any]) -> None:  # Aᵀ v: (v0 + v1 + v2, v1 − v2 − v3)
        xp.add(v[0], v[1], out=dest[0])
        dest[0] += v[2]
        xp.subtract(v[1], v[2], out=dest[1])
        dest[1] -= v[3]

    at(m, scratch)  # rows: scratch[i, b] = Σ_a Aᵀ[i, a] · m[a, b]
    for i in range(2):
        at([scratch[i, b] for b in range(4)], [out[:, :, :, i, :, j] for j in range(2)])


def winograd_conv2d(x: Any, weight: Any, padding: tuple[int, int], u: Any = None) -> Any:
    """Stride-1 3×3 convolution of x (C, N, H, W) channel-major by F(2×2, 3×3).

    Args:
        x: (C, N, H, W) input (a transposed NCHW array).
        weight: (F, C, 3, 3) filters.
        padding: (ph, pw), each at most 2.
        u: the transformed filters, if already computed (``transform_filters``).

    Returns:
        (F, N, OH, OW), OH = H + 2·ph − 2.
    """
    xp = get_array_module(x)
    c, n, h, w = x.shape
    f = weight.shape[0]
    ph, pw = padding
    oh, ow = h + 2 * ph - 2, w + 2 * pw - 2
    th, tw = -(-oh // 2), -(-ow // 2)  # tiles down and across (ceiling division)
    hp, wp = 2 * th + 2, 2 * tw + 2  # the padded input the tiles cover
    u = transform_filters(weight) if u is None else u
    chunk = images_per_chunk(x, 16 * c, th * tw)  # transformed tiles of a chunk fit in cache (CPU)
    out = xp.empty((f, n, oh, ow), dtype=x.dtype)

    def fill(starts: Sequence[int]) -> None:  # the output of some chunks, on one core
        ws = workspace()
        # only the interior [ph : ph + h, pw : pw + w] is ever written; the rest stays zero
        padded = ws.get(f"wino:padded{ph},{pw},{h},{w}", (c, chunk, hp, wp), x)
        rows = ws.get("wino:rows", (4, c, chunk, th, wp), x)
        v = ws.get("wino:v", (4, 4, c, chunk, th, tw), x)
        m = ws.get("wino:m", (16, f, chunk * th * tw), x)
        scratch = ws.get("wino:scratch", (2, 4, f, chunk, th, tw), x)
        y = ws.get("wino:y", (f, chunk, th, 2, tw, 2), x)
        for start in starts:
            stop = min(start + chunk, n)
            k = stop - start
            padded[:, :k, ph : ph + h, pw : pw + w] = x[:, start:stop]
            transform_tiles(padded[:, :k], v[:, :, :, :k], rows[:, :, :k])
            vk = v[:, :, :, :k].reshape(16, c, k * th * tw)
            mk = xp.matmul(u, vk, out=m[:, :, : k * th * tw])  # the 16 products: (F, C) @ (C, tiles)
            untransform(mk.reshape(4, 4, f, k, th, tw), y[:, :k], scratch[:, :, :, :k])
            out[:, start:stop] = y[:, :k].reshape(f, k, 2 * th, 2 * tw)[:, :, :oh, :ow]

    parallel.run(fill, range(0, n, chunk))
    return out


class Conv2dWinograd(Function):
    """Stride-1 3×3 convolution by Winograd's F(2×2, 3×3), forward and input gradient: ``conv_algorithm("winograd")``.

        forward:   out = winograd(x, W)
        backward:  dx  = winograd(g, W flipped, channels swapped)    (stride 1: dx is itself a convolution)
                   dW  = weight_gradient(x, g)                       (the im2col columns, as on the fast path)

    ``conv2d`` only sends it stride-1 3×3 convolutions with padding at most 2 (``winograd_applies``).
    """

    has_bias: bool  # called with a bias: backward returns its gradient as a third one

    def forward(self, x: Any, weight: Any, bias: Any = None, stride: IntPair = 1, padding: IntPair = 0) -> Any:
        geometry = Geometry.of(weight.shape[2:], stride, padding)
        out = winograd_conv2d(transpose_nc(x), weight, geometry.padding)  # (F, N, OH, OW)
        if bias is not None:
            out += bias[:, None, None, None]
        self.has_bias = bias is not None
        self.saved = (x if self.needs_grad[1] else None, weight, geometry)
        return transpose_nc(out)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, weight, geometry = self.saved
        (ph, pw) = geometry.padding
        grad_x = grad_w = None
        if self.needs_grad[0]:
            flipped = weight[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C, F, 3, 3): in/out channels swapped
            grad_x = transpose_nc(winograd_conv2d(transpose_nc(grad), flipped, (2 - ph, 2 - pw)))
        if self.needs_grad[1]:
            grad_w = weight_gradient(x, grad, weight.shape, geometry)
        if not self.has_bias:
            return grad_x, grad_w
        return grad_x, grad_w, (grad.sum(axis=(0, 2, 3)) if self.needs_grad[2] else None)


def winograd_applies(weight_shape: tuple[int, ...], stride: IntPair, padding: IntPair) -> bool:
    """Whether ``Conv2dWinograd`` can run this convolution: 3×3, stride 1, padding at most 2."""
    geometry = Geometry.of(weight_shape[2:], stride, padding)
    return geometry.kernel == (3, 3) and geometry.stride == (1, 1) and max(geometry.padding) <= 2
