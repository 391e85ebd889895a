"""log_softmax, cross_entropy, accuracy."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import compare_with_torch, randn

import minires
from minires.nn import functional as F

LABELS = np.array([0, 3, 1, 1, 2])


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_gradcheck_and_torch(reduction: str, device: str) -> None:
    logits = minires.tensor(randn(5, 4), requires_grad=True, device=device)
    assert minires.gradcheck(lambda t: F.cross_entropy(t, LABELS, reduction), logits)
    if device == "cpu":
        torch = pytest.importorskip("torch")
        compare_with_torch(
            lambda t: F.cross_entropy(t, LABELS, reduction),
            lambda t: torch.nn.functional.cross_entropy(t, torch.tensor(LABELS), reduction=reduction),
            [randn(5, 4)],
        )


def test_log_softmax_gradcheck_and_torch(device: str) -> None:
    assert minires.gradcheck(F.log_softmax, minires.tensor(randn(3, 4), requires_grad=True, device=device))
    torch = pytest.importorskip("torch")
    compare_with_torch(F.log_softmax, lambda t: torch.log_softmax(t, -1), [randn(3, 4)])


def test_cross_entropy_is_stable_for_huge_logits() -> None:
    logits = minires.tensor([[1000.0, 0.0], [0.0, -1000.0]])
    loss = F.cross_entropy(logits, np.array([0, 1]), reduction="none").numpy()
    assert np.all(np.isfinite(loss))
    np.testing.assert_allclose(loss, [0.0, 1000.0], atol=1e-3)


def test_accuracy() -> None:
    logits = minires.tensor([[2.0, 1.0], [0.0, 1.0], [3.0, 0.0]])
    assert F.accuracy(logits, np.array([0, 1, 1])) == pytest.approx(2 / 3)


def test_bad_labels_are_reported() -> None:
    logits = minires.randn(3, 4)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\], got 0..4"):
        F.cross_entropy(logits, np.array([0, 1, 4]))
    with pytest.raises(ValueError, match=r"expected 3 integer class labels"):
        F.cross_entropy(logits, np.array([0.0, 1.0, 2.0]))
