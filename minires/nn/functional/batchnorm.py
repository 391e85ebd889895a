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
"""

from __future__ import annotations

from typing import Any

from minires.tensor import Function, Tensor


def _shape_for(x: Any) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Reduction axes and the broadcast shape of a per-channel vector."""
    if x.ndim == 4:
        return (0, 2, 3), (1, -1, 1, 1)
    return (0,), (1, -1)


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
        axes, channel = _shape_for(x)
        if training:
            count = x.size // x.shape[1]
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            if running_mean is not None:  # update the buffers in place
                running_mean *= 1 - momentum
                running_mean += momentum * mean
                running_var *= 1 - momentum
                running_var += momentum * var * (count / max(count - 1, 1))
        else:
            mean, var = running_mean, running_var
        inv_std = 1.0 / (var + eps) ** 0.5
        scale = (weight * inv_std).astype(x.dtype)
        shift = (bias - mean * weight * inv_std).astype(x.dtype)
        self.saved = (x, mean.astype(x.dtype), inv_std.astype(x.dtype), weight, training)
        return x * scale.reshape(channel) + shift.reshape(channel)  # y = γ·x̂ + β, one pass

    def backward(self, grad: Any) -> tuple[Any, ...]:
        x, mean, inv_std, weight, training = self.saved
        axes, channel = _shape_for(x)
        x_hat = (x - mean.reshape(channel)) * inv_std.reshape(channel)
        grad_bias = grad.sum(axis=axes)
        grad_weight = (grad * x_hat).sum(axis=axes)
        grad_x = None
        if self.needs_grad[0]:
            scale = (weight * inv_std).reshape(channel)
            if training:
                count = x.size // x.shape[1]
                grad_x = scale * (
                    grad - (grad_bias / count).reshape(channel) - x_hat * (grad_weight / count).reshape(channel)
                )
            else:  # running statistics are constants: a per-channel affine map
                grad_x = grad * scale
        return grad_x, grad_weight, grad_bias


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
    rm = running_mean.data if isinstance(running_mean, Tensor) else running_mean
    rv = running_var.data if isinstance(running_var, Tensor) else running_var
    return BatchNormFunction.apply(
        x, weight, bias, running_mean=rm, running_var=rv, training=training, momentum=momentum, eps=eps
    )
