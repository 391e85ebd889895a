"""Nothing is lost to float64: a training step stays float32 end to end."""

from __future__ import annotations

import numpy as np

import minires
from minires import models, nn, optim
from minires.nn.functional import cross_entropy


def test_training_step_is_float32_throughout() -> None:
    model = models.get("resnet8")
    seen: list[tuple[str, np.dtype]] = []
    for name, module in model.named_modules():
        if next(module.children(), None) is None:
            module.register_forward_hook(lambda m, inputs, out, name=name: seen.append((name, out.dtype)))
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    x = minires.randn(4, 3, 32, 32)
    loss = cross_entropy(model(x), np.array([0, 1, 2, 3]))
    assert loss.dtype == np.float32
    loss.backward()
    opt.step()
    opt.step()  # a second step uses the momentum buffers
    assert seen and all(dtype == np.float32 for _, dtype in seen), [s for s in seen if s[1] != np.float32]
    for name, p in model.named_parameters():
        assert p.dtype == np.float32 and p.grad.dtype == np.float32, name
    assert all(s["momentum_buffer"].dtype == np.float32 for s in opt.state.values())
    assert all(b.dtype == np.float32 for n, b in model.named_buffers() if "num_batches" not in n)


def test_float32_inputs_stay_float32_through_every_layer_type() -> None:
    x = minires.randn(2, 3, 8, 8, requires_grad=True)
    layers = [nn.Conv2d(3, 4, 3, padding=1), nn.BatchNorm2d(3), nn.MaxPool2d(2), nn.AvgPool2d(2),
              nn.AdaptiveAvgPool2d(1), nn.ReLU(), nn.Flatten()]
    for layer in layers:
        out = layer(x)
        out.sum().backward()
        assert out.dtype == np.float32 and x.grad.dtype == np.float32, type(layer).__name__
        x.grad = None
