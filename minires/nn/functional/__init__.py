"""Functional ops for networks: forward and backward on arrays, wrapped for tensors.

    im2col     pair, Geometry, im2col, col2im: window geometry and copies (conv and pooling);
               the channel-major layout the ops below share
    conv       conv2d, conv_algorithm, and the textbook algorithm (Conv2dIm2col)
    conv_fast  the default algorithm (Conv2dFast): shifted columns, chunks on every core
    winograd   Winograd's F(2x2, 3x3): transforms, the 16 products, Conv2dWinograd
    pooling    max_pool2d, avg_pool2d, global_avg_pool2d
    batchnorm  batch_norm (fused closed-form backward), batch_norm_reference (built from ops)
    loss       log_softmax, cross_entropy, accuracy, count_errors
"""

from minires.amp import autocast_inputs
from minires.nn.functional.batchnorm import batch_norm, batch_norm_reference
from minires.nn.functional.conv import conv2d, conv_algorithm
from minires.nn.functional.im2col import col2im, im2col
from minires.nn.functional.loss import accuracy, count_errors, cross_entropy, log_softmax
from minires.nn.functional.pooling import avg_pool2d, global_avg_pool2d, max_pool2d
from minires.ops import relu
from minires.tensor import Tensor


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y = x @ weightᵀ + bias.  x: (N, in), weight: (out, in), bias: (out,) -> (N, out)."""
    if x.shape[-1] != weight.shape[1]:
        raise ValueError(
            f"linear: input has {x.shape[-1]} features but weight {weight.shape} expects {weight.shape[1]}"
        )
    x, weight, bias = autocast_inputs(x, weight, bias)  # float16 inside minires.amp.autocast()
    out = x @ weight.T
    return out + bias if bias is not None else out


__all__ = [
    "im2col", "col2im", "conv2d", "conv_algorithm", "max_pool2d", "avg_pool2d", "global_avg_pool2d",
    "batch_norm", "batch_norm_reference",
    "log_softmax", "cross_entropy", "accuracy", "count_errors", "linear", "relu",
]
