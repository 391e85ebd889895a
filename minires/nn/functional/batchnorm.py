"""Batch normalisation with a fused, closed-form backward.

For each channel c, over the N·H·W values x_i of that channel:

    mean = Σ x_i / m,   var = Σ (x_i − mean)² / m,   x̂_i = (x_i − mean) / √(var + eps)
    y_i = γ x̂_i + β

Backward, written once instead of as a chain of tiny autograd ops
(g_i = dL/dy_i):

    dβ = Σ g_i,   dγ = Σ g_i x̂_i
    dx_i = γ / √(var + eps) · (g_i − dβ/m − x̂_i · dγ/m)

In training the batch statistics are used and the running estimates are
updated (PyTorch's convention: running = (1 − momentum)·running +
momentum·batch, with the *unbiased* variance).  In evaluation the running
estimates are used and the op is a fixed affine map per channel.

Kept for backward: the input x (normally kept alive anyway) and two
numbers per channel; x̂ is recomputed rather than stored, which saves one
activation-sized buffer per BN layer.

Speed.  Each pass over an activation-sized array costs about the same, so
both directions make as few as they can, on the (C, N·H·W) matrix that a
channel-major convolution output gives for free (one contiguous row per
channel: per-channel sums are row sums; the layout contract is in
``im2col.py``'s docstring).  The centred input x − mean is
made once and turned into the output, or into part of the input
gradient, in place; ``einsum`` computes the row dot products Σ (x − mean)²
and Σ g·(x − mean) without an intermediate array.

Every line above is per channel, so on the CPU the channels are shared out
over the cores in blocks (``parallel.run_blocks``: one block of rows per
core), each block written into its rows of one output.  A channel's numbers
do not depend on how the channels were split: the result is bitwise the
same on one core or many.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minires import backend, parallel
from minires.amp import cast
from minires.backend import get_array_module
from minires.nn.functional.im2col import channel_major_matrix, transpose_nc
from minires.tensor import Function, Tensor, as_array


def channel_rows(x: Any) -> Any:
    """(N, C, H, W) or (N, C) -> a (C, M) view, M = N·H·W (a copy unless x is channel-major)."""
    return x.T if x.ndim == 2 else channel_major_matrix(x)


def from_channel_rows(rows: Any, shape: tuple[int, ...]) -> Any:
    """The inverse of ``channel_rows``: (C, M) -> a view of ``shape``."""
    if len(shape) == 2:
        return rows.T
    n, c, h, w = shape
    return transpose_nc(rows.reshape(c, n, h, w))


class BatchNormFunction(Function):
    def forward(
        self,
        x: Any,
        weight: Any,
        bias: Any,
        running_mean: Any | None = None,
        running_var: Any | None = None,
        training: bool = True,
        momentum: float = 0.1,
        eps: float = 1e-5,
    ) -> Any:
        xp = get_array_module(x)
        rows = channel_rows(x)  # (C, M)
        channels, count = rows.shape
        out = xp.empty((channels, count), x.dtype)

        def normalise(c0: int, c1: int) -> tuple[Any, Any, Any]:  # channels c0..c1-1 of everything
            if training:
                mean = rows[c0:c1].mean(axis=1)
                centred = xp.subtract(rows[c0:c1], mean[:, None], out=out[c0:c1])  # becomes the output
                var = xp.einsum("ij,ij->i", centred, centred) / count
            else:
                mean, var = running_mean[c0:c1].astype(x.dtype, copy=False), running_var[c0:c1]
                centred = xp.subtract(rows[c0:c1], mean[:, None], out=out[c0:c1])
            inv_std = (1.0 / (var + eps) ** 0.5).astype(x.dtype, copy=False)
            centred *= (weight[c0:c1] * inv_std)[:, None]  # y = γ·x̂ + β, in place
            centred += bias[c0:c1][:, None]
            return mean, var, inv_std

        mean, var, inv_std = _joined(xp, parallel.run_blocks(normalise, channels, rows.size) if xp is np
                                     else [normalise(0, channels)])
        if training and running_mean is not None:  # update the buffers in place
            running_mean *= 1 - momentum
            running_mean += momentum * mean
            running_var *= 1 - momentum
            running_var += (momentum * count / max(count - 1, 1)) * var  # the unbiased variance
        self.saved = (x, mean.astype(x.dtype, copy=False), inv_std, weight, training)
        return from_channel_rows(out, x.shape)

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, mean, inv_std, weight, training = self.saved
        xp = get_array_module(x)
        g, rows = channel_rows(grad), channel_rows(x)  # (C, M)
        channels, count = g.shape
        centred = xp.empty((channels, count), x.dtype)  # x̂ = centred · inv_std, never stored
        grad_x = xp.empty((channels, count), g.dtype) if self.needs_grad[0] else None

        def gradients(c0: int, c1: int) -> tuple[Any, Any]:  # channels c0..c1-1 of everything
            block = xp.subtract(rows[c0:c1], mean[c0:c1, None], out=centred[c0:c1])
            grad_bias = g[c0:c1].sum(axis=1)
            grad_weight = xp.einsum("ij,ij->i", g[c0:c1], block) * inv_std[c0:c1]  # Σ g·x̂
            if grad_x is not None:
                scale = weight[c0:c1] * inv_std[c0:c1]  # γ / √(var + eps)
                gx = xp.multiply(g[c0:c1], scale[:, None], out=grad_x[c0:c1])
                if training:
                    # scale·(g − dβ/m − x̂·dγ/m): the last two terms are made in place in `block`
                    per_count = scale / count
                    block *= (per_count * inv_std[c0:c1] * grad_weight)[:, None]
                    block += (per_count * grad_bias)[:, None]
                    gx -= block
            return grad_weight, grad_bias

        grad_weight, grad_bias = _joined(xp, parallel.run_blocks(gradients, channels, g.size) if xp is np
                                         else [gradients(0, channels)])
        if grad_x is not None:
            grad_x = from_channel_rows(grad_x, x.shape)
        return grad_x, grad_weight, grad_bias


def _joined(xp: Any, blocks: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    """Per-channel results of consecutive blocks of channels, joined (one block: as they are)."""
    if len(blocks) == 1:
        return blocks[0]
    return tuple(xp.concatenate(parts) for parts in zip(*blocks))


def batch_norm(
    x: Tensor,
    running_mean: Any | None,
    running_var: Any | None,
    weight: Tensor,
    bias: Tensor,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of x; see the module docstring for the maths.

    Args:
        x: (N, C, H, W) or (N, C).
        running_mean, running_var: (C,) arrays (or Tensors) updated in place
            in training; used instead of batch statistics in evaluation.
            May be None in training (no running statistics kept).
        weight, bias: (C,) γ and β.
        training: use batch statistics (True) or running statistics (False).
        momentum: weight of the new batch in the running estimates.
        eps: added to the variance for numerical safety.

    Returns:
        Tensor of x's shape.
    """
    if x.ndim not in (2, 4):
        raise ValueError(f"batch_norm: expected input of shape (N, C) or (N, C, H, W), got {x.shape}")
    c = x.shape[1]
    if weight.shape != (c,) or bias.shape != (c,):
        raise ValueError(
            f"batch_norm: input has {c} channels but weight/bias have shapes {weight.shape}/{bias.shape}"
        )
    if training and x.data.size // c <= 1:
        raise ValueError(f"batch_norm: training needs more than one value per channel, got input {x.shape}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: evaluation mode needs running_mean and running_var")
    if x.dtype == np.float16:  # mixed precision: statistics in float32, the result back in float16
        y = batch_norm(cast(x, np.float32), running_mean, running_var, weight, bias, training, momentum, eps)
        return cast(y, np.float16)
    rm = as_array(running_mean)
    rv = as_array(running_var)
    for name, stat in (("running_mean", rm), ("running_var", rv)):
        if stat is None:
            continue
        if backend.device_of(stat) != x.device:
            raise ValueError(f"batch_norm: {name} is on {backend.device_of(stat)} but the input is on {x.device}; "
                             f"keep the statistics on the input's device (Module.to moves a layer's buffers)")
        if tuple(stat.shape) != (c,):
            raise ValueError(f"batch_norm: {name} should have shape ({c},), got {tuple(stat.shape)}")
    return BatchNormFunction.apply(
        x, weight, bias, running_mean=rm, running_var=rv, training=training, momentum=momentum, eps=eps
    )


def batch_norm_reference(
    x: Tensor,
    running_mean: Any | None,
    running_var: Any | None,
    weight: Tensor,
    bias: Tensor,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch norm written with minires ops, so that autograd derives its backward.

    The same arguments and result as ``batch_norm``; slower and hungrier (every
    intermediate is kept for backward), but each line is a line of the formula.  The
    tests check the fused ``BatchNormFunction`` against it.
    """
    axes, shape = ((0, 2, 3), (1, -1, 1, 1)) if x.ndim == 4 else ((0,), (1, -1))
    if training:
        mean = x.mean(axis=axes, keepdims=True)                       # μ
        var = ((x - mean) ** 2).mean(axis=axes, keepdims=True)        # σ² (biased, as used to normalise)
        if running_mean is not None and running_var is not None:
            count = x.data.size // x.shape[1]
            rm = as_array(running_mean)
            rv = as_array(running_var)
            rm *= 1 - momentum
            rm += momentum * mean.data.reshape(-1)
            rv *= 1 - momentum
            rv += momentum * var.data.reshape(-1) * (count / max(count - 1, 1))  # unbiased, like PyTorch
    else:
        mean = Tensor(as_array(running_mean)).reshape(*shape)
        var = Tensor(as_array(running_var)).reshape(*shape)
    x_hat = (x - mean) / (var + eps) ** 0.5                           # x̂
    return weight.reshape(*shape) * x_hat + bias.reshape(*shape)      # y = γ·x̂ + β
