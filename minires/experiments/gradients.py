"""Is it vanishing gradients?  The gradient norms of every 3×3 layer, from the input side to the output side.

The paper (section 4.1) argues that the degradation of deep plain nets is *not*
vanishing gradients: with batch norm, "the backward propagated gradients exhibit
healthy norms".  ``gradient_norms`` measures it on one batch, in training mode (the
gradients a training step sees): for each 3×3 convolution, in the order the input meets
them,

* the norm of d(loss)/d(its output) -- the gradient that reaches the layer, and
* the norm of d(loss)/d(its weight) -- the gradient the optimizer applies to it.

If gradients vanished, the first layers' norms would be orders of magnitude below the
last layers'.  Notebook 08 draws them for plain-20/56 and ResNet-20/56, at initialisation
and trained.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minires import nn
from minires.nn.functional import cross_entropy
from minires.tensor import Tensor

__all__ = ["gradient_norms"]


def gradient_norms(model: nn.Module, images: np.ndarray, labels: Any) -> tuple[list[float], list[float]]:
    """(output-gradient norms, weight-gradient norms) of each 3×3 convolution, input side first.

    Args:
        model: a network; put in training mode for the measurement and left so.
        images: (N, 3, H, W) float32, already normalised as the network expects.
        labels: (N,) integer classes.

    Returns:
        two lists of floats, one entry per 3×3 convolution, in the order of ``model.modules()``.
    """
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    outputs: list[Tensor] = []

    def keep(module: nn.Module, inputs: Any, output: Tensor) -> None:
        output.retain_grad()  # an intermediate tensor: keep its gradient after backward
        outputs.append(output)

    handles = [conv.register_forward_hook(keep) for conv in convs]
    try:
        model.train()
        for p in model.parameters():
            p.grad = None
        cross_entropy(model(Tensor(images)), labels).backward()
    finally:
        for handle in handles:
            handle.remove()
    reaching = [float(np.linalg.norm(out.grad.numpy())) for out in outputs]
    applied = [float(np.linalg.norm(conv.weight.grad.numpy())) for conv in convs]
    return reaching, applied
