"""Batch norm folded into the convolution before it: the same network, one pass fewer, for inference.

In evaluation mode a batch norm is a fixed per-channel affine map of its
input: with the running statistics μ, σ² and the learned γ, β,

    bn(z) = γ · (z − μ) / √(σ² + ε) + β = s · z + (β − s · μ),   s = γ / √(σ² + ε).

When z is a convolution's output, z = W ∗ x + b, the two maps compose into
one convolution:

    bn(W ∗ x + b) = (s · W) ∗ x + (s · (b − μ) + β)

so each filter f is scaled by s[f] and gets a bias.  ``fuse_bn(model)``
returns a copy of an evaluation-mode network in which every such pair is
one ``Conv2d`` (with bias) and the batch norm is an ``Identity``: the same
outputs up to float32 rounding, without the pass over every activation that
batch norm costs.  Training mode cannot be folded: there the statistics
come from each batch.

PyTorch has the same pieces: ``torch.nn.utils.fuse_conv_bn_eval`` for one
pair, ``torch.ao.quantization.fuse_modules`` for a whole model given the
pairs' names.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable

import numpy as np

from minires import backend
from minires.nn.layers import BatchNorm2d, Conv2d, Identity
from minires.nn.module import Module, Parameter


def fold_bn(weight: np.ndarray, bias: np.ndarray | None, mean: np.ndarray, var: np.ndarray,
            gamma: np.ndarray, beta: np.ndarray, eps: float) -> tuple[np.ndarray, np.ndarray]:
    """The folded filters and bias: (s·W, s·(b − μ) + β) with s = γ / √(σ² + ε).

    Args:
        weight: (F, C, kh, kw) filters; bias: (F,) or None.
        mean, var, gamma, beta: (F,) batch-norm statistics and parameters.

    Returns:
        (F, C, kh, kw) filters and (F,) bias, computed in float64 and returned
        in the filters' dtype.
    """
    s = gamma.astype(np.float64) / np.sqrt(var.astype(np.float64) + eps)
    b = np.zeros_like(s) if bias is None else bias.astype(np.float64)
    folded_w = weight.astype(np.float64) * s[:, None, None, None]
    folded_b = s * (b - mean.astype(np.float64)) + beta.astype(np.float64)
    return folded_w.astype(weight.dtype), folded_b.astype(weight.dtype)


def fuse_conv_bn_eval(conv: Conv2d, bn: BatchNorm2d) -> Conv2d:
    """One ``Conv2d`` (with bias) that computes ``bn(conv(x))`` as ``bn`` does in evaluation mode.

    The layers themselves are left unchanged.
    """
    if bn.num_features != conv.out_channels:
        raise ValueError(f"fuse_conv_bn_eval: BatchNorm2d({bn.num_features}) cannot follow a convolution with "
                         f"{conv.out_channels} output channels")
    device = conv.weight.device
    host = [backend.to_numpy(t.data) for t in (conv.weight, bn.running_mean, bn.running_var, bn.weight, bn.bias)]
    bias = None if conv.bias is None else backend.to_numpy(conv.bias.data)
    w, b = fold_bn(host[0], bias, host[1], host[2], host[3], host[4], bn.eps)
    fused = Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=True)
    fused.weight = Parameter(backend.to_device(w, device))
    fused.bias = Parameter(backend.to_device(b, device))
    return fused.eval()


def conv_bn_pairs(model: Module) -> list[tuple[str, str]]:
    """The (conv, bn) pairs ``fuse_bn`` folds when it is not told which: dotted names.

    The rule: inside one parent module, a ``Conv2d`` registered immediately
    before a ``BatchNorm2d`` with as many channels as the convolution has
    outputs -- how every network in ``minires.models`` is written (``conv1``
    then ``bn1``; ``Sequential(conv, bn)``), and how their forward uses them.
    A network whose forward does something else with a convolution's output
    than feed it to the next batch norm must name its pairs instead.
    """
    pairs = []
    for prefix, parent in model.named_modules():
        children = [(f"{prefix}.{name}" if prefix else name, m) for name, m in parent.named_children()]
        for (name_a, a), (name_b, b) in zip(children, children[1:]):
            if isinstance(a, Conv2d) and isinstance(b, BatchNorm2d) and b.num_features == a.out_channels:
                pairs.append((name_a, name_b))
    return pairs


def fuse_bn(model: Module, pairs: Iterable[tuple[str, str]] | None = None) -> Module:
    """A copy of ``model`` (in evaluation mode) with each batch norm folded into its convolution.

    Args:
        model: a network in evaluation mode (``model.eval()``); it is not changed.
        pairs: dotted names of the (conv, bn) pairs to fold, e.g.
            ``[("conv1", "bn1"), ("layer1.0.conv1", "layer1.0.bn1")]``; default:
            ``conv_bn_pairs(model)``.

    Returns:
        The fused copy, in evaluation mode: its outputs equal ``model``'s up to
        float32 rounding.  Train the original; fuse for inference.  A folded
        batch norm is gone, and so are forward hooks on it (measure layer
        responses, as in Fig. 7, on the original).

    Example:
        >>> model = minires.models.resnet20(weights="cpu").eval()
        >>> fast = minires.nn.fuse_bn(model)
        >>> with minires.no_grad():
        ...     logits = fast(images)
    """
    if model.training:
        raise ValueError("fuse_bn: expected a model in evaluation mode (call model.eval() first), got one in "
                         "training mode, whose batch norms use each batch's statistics and cannot be folded")
    fused = copy.deepcopy(model)
    modules = dict(fused.named_modules())
    for conv_name, bn_name in conv_bn_pairs(fused) if pairs is None else pairs:
        conv, bn = modules.get(conv_name), modules.get(bn_name)
        if not isinstance(conv, Conv2d) or not isinstance(bn, BatchNorm2d):
            raise ValueError(f"fuse_bn: expected a Conv2d and a BatchNorm2d, got {conv_name!r} "
                             f"({type(conv).__name__}) and {bn_name!r} ({type(bn).__name__})")
        _replace(modules, conv_name, fuse_conv_bn_eval(conv, bn))
        _replace(modules, bn_name, Identity())
    return fused.eval()


def _replace(modules: dict[str, Module], dotted: str, new: Module) -> None:
    """Put ``new`` where the submodule named ``dotted`` is (``modules``: the model's named_modules())."""
    parent_name, _, name = dotted.rpartition(".")
    setattr(modules[parent_name], name, new)  # the model itself is named ""
    modules[dotted] = new
