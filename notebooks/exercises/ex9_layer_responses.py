"""Exercise 9 — layer responses, the measurement behind the paper's Fig. 7 (section 4.2).

"The responses are the outputs of each 3×3 layer, after BN and before other nonlinearity
(ReLU/addition)."  In minires's networks every convolution is followed by its own
BatchNorm2d, registered right after it, so the responses are the outputs of the BatchNorm2d
modules that come right after a 3×3 ``Conv2d`` in ``model.named_modules()``.  A 1×1
projection shortcut's batch norm is not a response.

Write:

1. ``response_stds(model, images)``: images a NumPy array (N, 3, H, W) -> a list of floats, one
   per 3×3 layer in the order the layers appear: the standard deviation of that layer's
   response over all its N·C·H·W values.  Observe the batch norms' outputs with forward hooks
   instead of editing the model: ``handle = bn.register_forward_hook(fn)`` calls
   ``fn(module, inputs, output)`` after each forward of ``bn``, and ``handle.remove()``
   detaches it.  Measure as Fig. 7 does: in evaluation mode (batch norm with its running
   statistics), without recording gradients (``with minires.no_grad():``); remove your hooks
   before returning.
2. ``ranked(stds)``: the same values from largest to smallest (Fig. 7, bottom).

Then try it in notebook 07 on the trained networks: is the mean of ``response_stds`` smaller
for ``models.resnet20(weights="cpu")`` than for ``models.plain20(weights="cpu")``?  (Give each
network its own inputs: ``net.normalizer(images)``.)

Check: ``python -m minires.teaching check ex9_layer_responses.py``.
"""

import minires
from minires import nn


def response_stds(model, images):
    ### BEGIN SOLUTION
    layers, previous = [], None
    for _, module in model.named_modules():  # registration order: each conv, then its BN
        if isinstance(module, nn.BatchNorm2d) and isinstance(previous, nn.Conv2d) and previous.kernel_size == (3, 3):
            layers.append(module)
        if isinstance(module, (nn.Conv2d, nn.BatchNorm2d)):
            previous = module
    stds = []

    def record(module, inputs, output):
        stds.append(float(output.numpy().std()))

    handles = [bn.register_forward_hook(record) for bn in layers]
    model.eval()
    with minires.no_grad():
        model(minires.tensor(images))
    for handle in handles:
        handle.remove()
    return stds
    ### END SOLUTION


def ranked(stds):
    ### BEGIN SOLUTION
    return sorted(stds, reverse=True)
    ### END SOLUTION
