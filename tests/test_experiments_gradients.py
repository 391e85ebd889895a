"""Gradient norms per 3×3 layer: one pair per layer, the measured gradients, no hook left behind."""

from __future__ import annotations

import numpy as np

import minires
from minires import models, nn
from minires.experiments.gradients import gradient_norms
from minires.nn.functional import cross_entropy


def test_one_norm_per_3x3_layer_matching_the_weights_gradients() -> None:
    minires.manual_seed(0)
    model = models.get("resnet8", shortcut="B").eval()  # B adds 1x1 projections, which do not count
    x = np.random.default_rng(0).standard_normal((4, 3, 16, 16)).astype(np.float32)
    reaching, applied = gradient_norms(model, x, [0, 1, 2, 3])
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]
    assert len(reaching) == len(applied) == len(convs) == 7 and model.training
    assert all(len(m._forward_hooks) == 0 for m in model.modules())
    for conv, norm in zip(convs, applied):
        assert norm == float(np.linalg.norm(conv.weight.grad.numpy()))
    # the gradient reaching the last layer, recomputed by hand: d(loss)/d(its output)
    out = {}
    handle = convs[-1].register_forward_hook(lambda m, i, o: out.update(o=o) or o.retain_grad())
    for p in model.parameters():
        p.grad = None
    cross_entropy(model(minires.tensor(x)), [0, 1, 2, 3]).backward()
    handle.remove()
    np.testing.assert_allclose(reaching[-1], np.linalg.norm(out["o"].grad.numpy()), rtol=1e-6)
