"""Exercise 2 — im2col and col2im: a convolution becomes one matrix product.

``im2col(x, k, stride, padding)`` copies every k×k window of ``x`` (N, C, H, W) into a
column, giving an array of shape (C·k·k, N·OH·OW) with OH = (H + 2·padding − k) // stride + 1:

* row ``(c·k + i)·k + j`` holds input channel c shifted by kernel offset (i, j);
* column ``(n·OH + oh)·OW + ow`` is output position (n, oh, ow).

Then ``W.reshape(F, -1) @ im2col(x)`` is the convolution.  ``col2im(cols, x_shape, k,
stride, padding)`` goes back: it *adds* every column onto the window it came from (where
windows overlap, contributions sum) — the adjoint of im2col, which backward needs.

Loops over the k×k kernel offsets are fine; no loops over pixels or images.
Check: ``python -m minires.teaching check ex2_im2col.py``.
"""

import numpy as np


def im2col(x, k, stride=1, padding=0):
    ### BEGIN SOLUTION
    n, c, h, w = x.shape
    oh, ow = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    cols = np.empty((c, k, k, n, oh, ow), dtype=x.dtype)
    for i in range(k):
        for j in range(k):
            window = xp[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride]  # (N, C, OH, OW)
            cols[:, i, j] = window.transpose(1, 0, 2, 3)
    return cols.reshape(c * k * k, n * oh * ow)
    ### END SOLUTION


def col2im(cols, x_shape, k, stride=1, padding=0):
    ### BEGIN SOLUTION
    n, c, h, w = x_shape
    oh, ow = (h + 2 * padding - k) // stride + 1, (w + 2 * padding - k) // stride + 1
    slabs = cols.reshape(c, k, k, n, oh, ow)
    out = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=cols.dtype)
    for i in range(k):
        for j in range(k):
            out[:, :, i : i + stride * oh : stride, j : j + stride * ow : stride] += slabs[:, i, j].transpose(1, 0, 2, 3)
    return out[:, :, padding : padding + h, padding : padding + w]
    ### END SOLUTION
