"""Exercise 8 — Winograd's minimal filtering: the same convolution with fewer multiplications.

A 3-tap filter g = (g0, g1, g2) slid over four inputs d = (d0, d1, d2, d3) gives two outputs,

    y0 = d0·g0 + d1·g1 + d2·g2        y1 = d1·g0 + d2·g1 + d3·g2        (6 multiplications).

Winograd's F(2, 3) gets them with 4 multiplications, using combinations of the taps that can
be computed once per filter:

    m0 = (d0 − d2)·g0                 m1 = (d1 + d2)·(g0 + g1 + g2)/2
    m3 = (d1 − d3)·g2                 m2 = (d2 − d1)·(g0 − g1 + g2)/2
    y0 = m0 + m1 + m2                 y1 = m1 − m2 − m3

In matrices, y = Aᵀ[(G g) ⊙ (Bᵀ d)] with

    Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]
    G  = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, −1/2, 1/2], [0, 0, 1]]
    Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]]

and nesting it in both directions gives F(2×2, 3×3): a 2×2 block of outputs from a 4×4 tile,
Y = Aᵀ[(G g Gᵀ) ⊙ (Bᵀ d B)]A — 16 multiplications instead of 36.

Write:

1. ``winograd_1d(d, g)``: d of shape (4,), g of shape (3,) -> the two outputs (2,), using the
   four products m0..m3 (not the direct sums).
2. ``winograd_tile(d, g)``: d (4, 4), g (3, 3) -> the 2×2 outputs of the 3×3 filter over the
   tile, by the matrix formula.
3. ``winograd_conv2d(x, w)``: x (C, H, W) one image with H and W even, w (F, C, 3, 3), padding 1
   -> (F, H, W), the same as a 3×3 convolution (cross-correlation, as in every framework).
   Transform each filter once (U = G g Gᵀ for every filter and channel) and each input tile
   once (V = Bᵀ d B, tiles every 2 pixels); the sum over input channels of U ⊙ V is, for each of
   the 16 positions of a transformed tile, a matrix product (F, C) @ (C, tiles). A loop over
   tiles is fine.

Check: ``python -m minires.teaching check ex8_winograd.py``.
"""

import numpy as np

B_T = np.array([[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]], dtype=float)
G = np.array([[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]], dtype=float)
A_T = np.array([[1, 1, 1, 0], [0, 1, -1, -1]], dtype=float)


def winograd_1d(d, g):
    ### BEGIN SOLUTION
    m0 = (d[0] - d[2]) * g[0]
    m1 = (d[1] + d[2]) * (g[0] + g[1] + g[2]) / 2
    m2 = (d[2] - d[1]) * (g[0] - g[1] + g[2]) / 2
    m3 = (d[1] - d[3]) * g[2]
    return np.array([m0 + m1 + m2, m1 - m2 - m3])
    ### END SOLUTION


def winograd_tile(d, g):
    ### BEGIN SOLUTION
    u = G @ g @ G.T          # (4, 4): the filter, transformed
    v = B_T @ d @ B_T.T      # (4, 4): the tile, transformed
    return A_T @ (u * v) @ A_T.T
    ### END SOLUTION


def winograd_conv2d(x, w):
    ### BEGIN SOLUTION
    c, h, wd = x.shape
    f = w.shape[0]
    th, tw = h // 2, wd // 2
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    u = (G @ w @ G.T).reshape(f, c, 16)                   # U per (filter, channel), 16 positions
    v = np.empty((c, 16, th, tw))                          # V per (channel, position, tile)
    for i in range(th):
        for j in range(tw):
            tile = xp[:, 2 * i : 2 * i + 4, 2 * j : 2 * j + 4]          # (C, 4, 4)
            v[:, :, i, j] = (B_T @ tile @ B_T.T).reshape(c, 16)
    v = v.reshape(c, 16, th * tw)
    m = np.stack([u[:, :, k] @ v[:, k] for k in range(16)])  # (16, F, tiles): one product per position
    m = m.reshape(4, 4, f, th, tw)
    out = np.empty((f, h, wd))
    for i in range(th):
        for j in range(tw):
            out[:, 2 * i : 2 * i + 2, 2 * j : 2 * j + 2] = np.einsum("ab,bcf,cd->fad", A_T, m[:, :, :, i, j], A_T.T)
    return out
    ### END SOLUTION
