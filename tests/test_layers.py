"""Layers: shapes, defaults, PyTorch parity of Conv2d/Linear with copied weights."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import randn

import minires
from minires import nn


def test_layer_shapes() -> None:
    x = minires.randn(2, 3, 8, 8)
    assert nn.Conv2d(3, 5, 3, stride=2, padding=1)(x).shape == (2, 5, 4, 4)
    assert nn.MaxPool2d(2)(x).shape == (2, 3, 4, 4)
    assert nn.AvgPool2d(3, 1, 1)(x).shape == (2, 3, 8, 8)
    assert nn.AdaptiveAvgPool2d(1)(x).shape == (2, 3, 1, 1)
    assert nn.Flatten()(x).shape == (2, 192)
    assert nn.Linear(192, 7)(nn.Flatten()(x)).shape == (2, 7)


def test_default_init_matches_pytorch_bounds() -> None:
    conv = nn.Conv2d(16, 32, 3)
    bound = 1 / np.sqrt(16 * 9)
    w = conv.weight.numpy()
    assert w.dtype == np.float32 and np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound


@pytest.mark.parametrize("stride,padding,bias", [(1, 1, True), (2, 1, False), (1, 0, True)])
def test_conv2d_layer_matches_torch(stride: int, padding: int, bias: bool) -> None:
    torch = pytest.importorskip("torch")
    ours = nn.Conv2d(3, 4, 3, stride=stride, padding=padding, bias=bias)
    theirs = torch.nn.Conv2d(3, 4, 3, stride=stride, padding=padding, bias=bias)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = randn(2, 3, 9, 9, dtype=np.float32)
    np.testing.assert_allclose(ours(minires.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               atol=1e-5)


def test_linear_layer_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(5, 3), torch.nn.Linear(5, 3)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    x = randn(4, 5, dtype=np.float32)
    np.testing.assert_allclose(ours(minires.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               atol=1e-6)


def test_conv_layer_rejects_wrong_channels() -> None:
    with pytest.raises(ValueError, match=r"Conv2d\(3, 4\): expected input \(N, 3, H, W\), got \(2, 5, 8, 8\)"):
        nn.Conv2d(3, 4, 3)(minires.randn(2, 5, 8, 8))


def test_adaptive_pool_only_to_one() -> None:
    with pytest.raises(ValueError, match="output_size=1 only"):
        nn.AdaptiveAvgPool2d(2)
