"""The layer-response collector of Fig. 7."""

from __future__ import annotations

import numpy as np
import pytest

import minires
from minires import models


@pytest.mark.parametrize("name,n", [("resnet20", 3), ("plain20", 3), ("resnet32", 5)])
def test_cifar_nets_have_6n_plus_1_responses(name: str, n: int) -> None:
    model = models.get(name).eval()
    responses = models.layer_responses(model, minires.randn(2, 3, 32, 32))
    assert len(responses) == 2 * 3 * n + 1
    assert responses[0][0] == "bn1" and responses[1][0] == "layer1.0.bn1"
    shapes = [r.shape for _, r in responses]
    assert shapes[0] == (2, 16, 32, 32) and shapes[-1] == (2, 64, 8, 8)
    assert shapes.count((2, 32, 16, 16)) == 2 * n


def test_response_is_bn_output_before_relu_and_addition() -> None:
    model = models.resnet20().eval()
    for bn in (m for m in model.modules() if isinstance(m, minires.nn.BatchNorm2d)):
        bn.bias.data = bn.bias.data - 1.0  # make negative values common
    (_, r), *_ = [(n, r) for n, r in models.layer_responses(model, minires.randn(2, 3, 32, 32))
                  if n == "layer1.0.bn2"]
    assert (r < 0).any()  # before the ReLU


def test_projection_shortcut_bn_is_not_a_response() -> None:
    names = [n for n, _ in models.response_layers(models.cifar_resnet(20, shortcut="B"))]
    assert len(names) == 19 and not any("shortcut" in n for n in names)
    bottleneck = [n for n, _ in models.response_layers(models.resnet50())]
    assert len(bottleneck) == 16 and all(n.endswith("bn2") for n in bottleneck)


def test_recorder_streams_batches_and_removes_hooks() -> None:
    model = models.resnet20().eval()
    stds = []
    with models.ResponseRecorder(model, on_batch=lambda rs: stds.append([float(np.std(r)) for r in rs])):
        model(minires.randn(2, 3, 32, 32))
        model(minires.randn(2, 3, 32, 32))
    assert len(stds) == 2 and len(stds[0]) == 19
    model(minires.randn(1, 3, 32, 32))  # hooks are gone
    assert len(stds) == 2
