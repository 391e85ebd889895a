"""Pooling: against naive loops, gradchecks, PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import compare_with_torch, randn

import minires
from minires.nn import functional as F

GEOMETRIES = [(2, 2, 0), (3, 2, 1), (3, 1, 1), (2, 1, 0)]  # kernel, stride, padding


def naive_pool(x: np.ndarray, k: int, s: int, p: int, reduce: str) -> np.ndarray:
    fill = -np.inf if reduce == "max" else 0.0
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)), constant_values=fill)
    oh, ow = (x.shape[2] + 2 * p - k) // s + 1, (x.shape[3] + 2 * p - k) // s + 1
    out = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            window = xp[:, :, i * s : i * s + k, j * s : j * s + k]
            out[:, :, i, j] = window.max(axis=(2, 3)) if reduce == "max" else window.mean(axis=(2, 3))
    return out


@pytest.mark.parametrize("k,s,p", GEOMETRIES)
@pytest.mark.parametrize("reduce", ["max", "avg"])
def test_pool_matches_naive_loop_and_gradcheck(k: int, s: int, p: int, reduce: str, device: str) -> None:
    fn = F.max_pool2d if reduce == "max" else F.avg_pool2d
    x = randn(2, 3, 7, 6)
    out = fn(minires.tensor(x, device=device), k, s, p)
    np.testing.assert_allclose(out.numpy(), naive_pool(x, k, s, p, reduce), atol=1e-12)
    xt = minires.tensor(x, requires_grad=True, device=device)
    assert minires.gradcheck(lambda t: fn(t, k, s, p), xt)


@pytest.mark.parametrize("k,s,p", GEOMETRIES)
@pytest.mark.parametrize("reduce", ["max", "avg"])
def test_pool_matches_torch(k: int, s: int, p: int, reduce: str) -> None:
    torch = pytest.importorskip("torch")
    ours = F.max_pool2d if reduce == "max" else F.avg_pool2d
    theirs = torch.nn.functional.max_pool2d if reduce == "max" else torch.nn.functional.avg_pool2d
    compare_with_torch(lambda t: ours(t, k, s, p), lambda t: theirs(t, k, s, p), [randn(2, 3, 8, 7)])


def test_global_avg_pool(device: str) -> None:
    x = minires.tensor(randn(2, 3, 4, 5), requires_grad=True, device=device)
    np.testing.assert_allclose(F.global_avg_pool2d(x).numpy(), x.numpy().mean(axis=(2, 3)))
    assert minires.gradcheck(F.global_avg_pool2d, x)
