"""Exercise 3 — the backward pass of a convolution, from im2col.

Forward (stride s, padding p, no bias):

    cols = im2col(x)                      # (C·k·k, N·OH·OW)
    out  = W.reshape(F, -1) @ cols        # (F, N·OH·OW), then reshaped to (N, F, OH, OW)

Given ``grad_out`` = d(loss)/d(out) of shape (N, F, OH, OW), return

    grad_W = g @ colsᵀ                    (reshaped to W's shape)
    grad_x = col2im(W.reshape(F, -1)ᵀ @ g)

where g is ``grad_out`` laid out as (F, N·OH·OW).  Use minires's own ``im2col`` and
``col2im`` (imported below).  Check: ``python -m minires.teaching check ex3_conv_backward.py``.
"""

import numpy as np

from minires.nn.functional import col2im, im2col


def conv2d_backward(x, weight, grad_out, stride=1, padding=0):
    """Returns (grad_x, grad_weight) with the shapes of x (N, C, H, W) and weight (F, C, k, k)."""
    ### BEGIN SOLUTION
    f, c, k, _ = weight.shape
    cols = im2col(x, k, stride, padding)
    g = grad_out.transpose(1, 0, 2, 3).reshape(f, -1)
    grad_weight = (g @ cols.T).reshape(weight.shape)
    grad_x = col2im(weight.reshape(f, -1).T @ g, x.shape, k, stride, padding)
    return np.ascontiguousarray(grad_x), grad_weight
    ### END SOLUTION
