"""Exercise 4 — the backward pass of batch normalisation (training mode).

For each channel, over its m = N·H·W values (Ioffe & Szegedy, 2015):

    μ = mean(x),  σ² = var(x),  x̂ = (x − μ) / √(σ² + ε),  y = γ·x̂ + β

Given g = d(loss)/dy (same shape as x), return dβ, dγ and dx.  dβ and dγ are one line
each.  For dx, derive it on paper first: x reaches y directly through x̂, but also through
μ and σ², which every value of the channel shares.  Simplify until dx is one expression in
g, x̂, dβ, dγ, γ, σ² and m.

Write it with NumPy on (N, C, H, W) arrays; sums over axes (0, 2, 3).
Stuck? ``python -m minires.teaching hint ex4`` (``--level 2``: the method, ``--level 3``: the formula).
Check: ``python -m minires.teaching check ex4_batchnorm_backward.py``.
"""

import numpy as np


def batch_norm_backward(x, gamma, grad_out, eps=1e-5):
    """Returns (grad_x, grad_gamma, grad_beta); x and grad_out (N, C, H, W), gamma (C,)."""
    ### BEGIN SOLUTION
    axes = (0, 2, 3)
    m = x.size // x.shape[1]
    mean = x.mean(axis=axes, keepdims=True)
    inv_std = 1 / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    x_hat = (x - mean) * inv_std
    grad_beta = grad_out.sum(axis=axes)
    grad_gamma = (grad_out * x_hat).sum(axis=axes)
    scale = gamma.reshape(1, -1, 1, 1) * inv_std
    grad_x = scale * (grad_out - grad_beta.reshape(1, -1, 1, 1) / m - x_hat * grad_gamma.reshape(1, -1, 1, 1) / m)
    return grad_x, grad_gamma, grad_beta
    ### END SOLUTION
