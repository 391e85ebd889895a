"""Exercise 10 — is it vanishing gradients?  Gradient norms layer by layer (section 4.1).

The paper argues that deep plain nets train worse *not* because their gradients vanish: with
batch norm, "the backward propagated gradients exhibit healthy norms".  Measure it.

Write ``gradient_norms(model, images, labels)``: one training-mode forward and backward pass of
``cross_entropy(model(images), labels)`` on the batch, and return two lists of floats, one entry
per 3×3 ``Conv2d`` in the order of ``model.modules()``:

1. the L2 norm of d(loss)/d(that convolution's output) -- the gradient that reaches the layer.
   An intermediate tensor keeps its gradient only if asked before backward:
   ``out.retain_grad()``; get hold of each output with a forward hook
   (``conv.register_forward_hook(fn)`` calls ``fn(module, inputs, output)``);
2. the L2 norm of d(loss)/d(its weight) -- ``conv.weight.grad``.

Clear old gradients first (``p.grad = None``), put the model in training mode, and remove your
hooks before returning.  ``images`` is an (N, 3, H, W) float32 NumPy array, already normalised.

Then, in notebook 08: are plain-56's first layers' norms orders of magnitude below its last
layers'?  Check: ``python -m minires.teaching check ex10_gradient_norms.py``.
"""

import numpy as np

import minires
from minires import nn
from minires.nn.functional import cross_entropy


def gradient_norms(model, images, labels):
    ### BEGIN SOLUTION
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    outputs = []

    def keep(module, inputs, output):
        output.retain_grad()
        outputs.append(output)

    handles = [conv.register_forward_hook(keep) for conv in convs]
    model.train()
    for p in model.parameters():
        p.grad = None
    cross_entropy(model(minires.tensor(images)), labels).backward()
    for handle in handles:
        handle.remove()
    reaching = [float(np.linalg.norm(out.grad.numpy())) for out in outputs]
    applied = [float(np.linalg.norm(conv.weight.grad.numpy())) for conv in convs]
    return reaching, applied
    ### END SOLUTION
