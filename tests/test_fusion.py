"""fuse_bn: batch norm folded into the convolution gives the same outputs, in one pass fewer."""

from __future__ import annotations

import numpy as np
import pytest

import minires
from minires import models, nn


def _with_statistics(model: nn.Module, seed: int = 0) -> nn.Module:
    """``model`` with batch norms that do something: random γ, β, running mean and variance."""
    rng = np.random.default_rng(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.weight.data = rng.uniform(0.5, 1.5, c).astype(np.float32)
            m.bias.data = rng.normal(0, 0.5, c).astype(np.float32)
            m.running_mean.data = rng.normal(0, 0.5, c).astype(np.float32)
            m.running_var.data = rng.uniform(0.2, 2.0, c).astype(np.float32)
    return model.eval()


@pytest.mark.parametrize("name", ["resnet20", "plain20", "resnet8-B", "resnet8-C", "resnet8-D"])
def test_fused_network_gives_the_same_outputs(name: str) -> None:
    depth, _, option = name.partition("-")
    model = models.get(depth, **({"shortcut": option} if option else {}))
    model = _with_statistics(model)
    x = minires.randn(4, 3, 32, 32)
    with minires.no_grad():
        expected = model(x).numpy()
        fused = nn.fuse_bn(model)
        got = fused(x).numpy()
    assert not any(isinstance(m, nn.BatchNorm2d) for m in fused.modules())
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())
    assert any(isinstance(m, nn.BatchNorm2d) for m in model.modules()), "the original must be left alone"


def test_fused_bottleneck_network() -> None:
    model = _with_statistics(models.get("resnet50", num_classes=10))
    x = minires.randn(1, 3, 64, 64)
    with minires.no_grad():
        expected, got = model(x).numpy(), nn.fuse_bn(model)(x).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())


def test_fold_bn_formula_in_float64() -> None:
    rng = np.random.default_rng(1)
    w, b = rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    mean, var, gamma, beta = rng.normal(size=3), rng.uniform(0.5, 2, 3), rng.normal(size=3), rng.normal(size=3)
    x = rng.normal(size=(1, 2, 5, 5))
    z = minires.nn.functional.conv2d(minires.tensor(x), minires.tensor(w), minires.tensor(b), padding=1).numpy()
    expected = gamma[None, :, None, None] * (z - mean[None, :, None, None]) / np.sqrt(
        var[None, :, None, None] + 1e-5) + beta[None, :, None, None]
    fw, fb = nn.fusion.fold_bn(w, b, mean, var, gamma, beta, 1e-5)
    got = minires.nn.functional.conv2d(minires.tensor(x), minires.tensor(fw), minires.tensor(fb), padding=1).numpy()
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_pairs_found_in_a_block() -> None:
    pairs = nn.conv_bn_pairs(models.get("resnet8", shortcut="B"))
    assert ("conv1", "bn1") in pairs and ("layer1.0.conv2", "layer1.0.bn2") in pairs
    assert ("layer2.0.shortcut.0", "layer2.0.shortcut.1") in pairs
    assert len(pairs) == 1 + 3 * 2 + 2  # stem, two per block, two projection shortcuts


def test_fuse_refuses_training_mode_and_wrong_pairs() -> None:
    model = models.get("resnet8")
    with pytest.raises(ValueError, match="evaluation mode"):
        nn.fuse_bn(model)
    with pytest.raises(ValueError, match="expected a Conv2d and a BatchNorm2d"):
        nn.fuse_bn(model.eval(), pairs=[("bn1", "conv1")])
    with pytest.raises(ValueError, match="cannot follow"):
        nn.fuse_conv_bn_eval(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(5))


def test_explicit_pairs_fold_only_those() -> None:
    model = _with_statistics(models.get("resnet8"))
    fused = nn.fuse_bn(model, pairs=[("conv1", "bn1")])
    assert isinstance(fused.bn1, nn.Identity) and isinstance(fused.layer1[0].bn1, nn.BatchNorm2d)
    x = minires.randn(2, 3, 32, 32)
    with minires.no_grad():
        np.testing.assert_allclose(fused(x).numpy(), model(x).numpy(), rtol=1e-4, atol=1e-4)
