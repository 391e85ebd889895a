"""Batch norm: statistics, running estimates, gradients in train and eval modes, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import randn

import minires
from minires import backend, nn
from minires.nn import functional as F


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (6, 3)], ids=str)
@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(shape: tuple, training: bool, device: str) -> None:
    rm, rv = (backend.to_device(np.array(v), device) for v in ([0.1, -0.2, 0.3], [0.5, 1.5, 2.0]))
    args = [minires.tensor(a, requires_grad=True, device=device)
            for a in (randn(*shape, seed=1), 1 + 0.3 * randn(3, seed=2), randn(3, seed=3))]
    assert minires.gradcheck(lambda x, g, b: F.batch_norm(x, rm.copy(), rv.copy(), g, b, training), *args)


def test_training_output_is_normalised_per_channel() -> None:
    x = minires.tensor(3 + 2 * randn(8, 3, 4, 4, dtype=np.float32))
    y = F.batch_norm(x, None, None, minires.ones(3), minires.zeros(3), training=True).numpy()
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(y.std(axis=(0, 2, 3)), 1, atol=1e-3)


def test_running_statistics_use_unbiased_variance_and_momentum() -> None:
    x = randn(4, 2, 3, 3)
    rm, rv = np.zeros(2), np.ones(2)
    F.batch_norm(minires.tensor(x), rm, rv, minires.ones(2).double(), minires.zeros(2).double(), momentum=0.1)
    np.testing.assert_allclose(rm, 0.1 * x.mean(axis=(0, 2, 3)))
    np.testing.assert_allclose(rv, 0.9 + 0.1 * x.var(axis=(0, 2, 3), ddof=1))


def test_eval_mode_uses_running_statistics() -> None:
    x = randn(4, 2)
    rm, rv = np.array([1.0, -1.0]), np.array([4.0, 0.25])
    y = F.batch_norm(minires.tensor(x), rm, rv, minires.ones(2).double(), minires.zeros(2).double(),
                     training=False, eps=0.0)
    np.testing.assert_allclose(y.numpy(), (x - rm) / np.sqrt(rv))


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (6, 3)], ids=str)
def test_batch_norm_module_matches_torch(training: bool, shape: tuple) -> None:
    torch = pytest.importorskip("torch")
    ours = nn.BatchNorm2d(3) if len(shape) == 4 else nn.BatchNorm1d(3)
    theirs = torch.nn.BatchNorm2d(3) if len(shape) == 4 else torch.nn.BatchNorm1d(3)
    gamma, beta = 1 + 0.3 * randn(3, seed=2, dtype=np.float32), randn(3, seed=3, dtype=np.float32)
    ours.weight.data, ours.bias.data = gamma.copy(), beta.copy()
    theirs.weight.data, theirs.bias.data = torch.tensor(gamma), torch.tensor(beta)
    for _ in range(2):  # a training step first, so eval sees non-trivial running statistics
        x = randn(*shape, dtype=np.float32, seed=_)
        ours(minires.tensor(x)), theirs(torch.tensor(x))
    ours.train(training), theirs.train(training)
    x = randn(*shape, seed=5, dtype=np.float32)
    xm, xt = minires.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ym, yt = ours(xm), theirs(xt)
    g = randn(*shape, seed=6, dtype=np.float32)
    ym.backward(g), yt.backward(torch.tensor(g))
    close = dict(atol=1e-4, rtol=1e-4)
    np.testing.assert_allclose(ym.numpy(), yt.detach().numpy(), **close)
    np.testing.assert_allclose(xm.grad.numpy(), xt.grad.numpy(), **close)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), **close)
    np.testing.assert_allclose(ours.bias.grad.numpy(), theirs.bias.grad.numpy(), **close)
    np.testing.assert_allclose(ours.running_mean.numpy(), theirs.running_mean.numpy(), **close)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), **close)


def test_batch_norm_errors() -> None:
    with pytest.raises(ValueError, match=r"BatchNorm2d\(4\): expected input \(N, C, H, W\) with C = 4"):
        nn.BatchNorm2d(4)(minires.randn(2, 3, 4, 4))
    with pytest.raises(ValueError, match="more than one value per channel"):
        nn.BatchNorm1d(3)(minires.randn(1, 3))


@pytest.mark.parametrize("shape", [(4, 3, 5, 5), (6, 3)], ids=str)
@pytest.mark.parametrize("training", [True, False])
def test_fused_batch_norm_matches_the_reference_built_from_ops(shape: tuple, training: bool) -> None:
    rng = np.random.default_rng(0)
    values = [2 + 3 * rng.standard_normal(shape), 1 + 0.3 * rng.standard_normal(3), rng.standard_normal(3)]
    grad = rng.standard_normal(shape)
    results = []
    for fn in (F.batch_norm, F.batch_norm_reference):
        x, g, b = (minires.tensor(v, requires_grad=True) for v in values)
        rm, rv = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.5, 2.0])
        y = fn(x, rm, rv, g, b, training=training)
        y.backward(grad)
        results.append((y.numpy(), x.grad.numpy(), g.grad.numpy(), b.grad.numpy(), rm, rv))
    for fused, reference, name in zip(*results, ("y", "dx", "dγ", "dβ", "running mean", "running var")):
        np.testing.assert_allclose(fused, reference, rtol=1e-10, atol=1e-12, err_msg=name)
