"""Softmax, cross-entropy and accuracy.

``log_softmax`` subtracts the row maximum before exponentiating, so large
logits never overflow.  ``cross_entropy`` fuses log-softmax and the
negative log-likelihood: its gradient is simply (softmax − one_hot) / N.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minires import backend
from minires.amp import cast
from minires.backend import get_array_module
from minires.tensor import Function, Tensor


def _log_softmax(x: Any, axis: int) -> Any:
    xp = get_array_module(x)
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class LogSoftmax(Function):
    def forward(self, x: Any, axis: int = -1) -> Any:
        out = _log_softmax(x, axis)
        self.saved = (out, axis)
        return out

    def backward(self, grad: Any) -> tuple[Any]:
        out, axis = self.saved
        xp = get_array_module(grad)
        return (grad - xp.exp(out) * grad.sum(axis=axis, keepdims=True),)


class CrossEntropy(Function):
    def forward(self, logits: Any, labels: Any, reduction: str = "mean") -> Any:
        xp = get_array_module(logits)
        log_p = _log_softmax(logits, axis=1)
        rows = xp.arange(logits.shape[0])
        losses = -log_p[rows, labels]
        self.saved = (log_p, labels, reduction)
        if reduction == "none":
            return losses
        return losses.mean() if reduction == "mean" else losses.sum()

    def backward(self, grad: Any) -> tuple[Any, None]:
        log_p, labels, reduction = self.saved
        xp = get_array_module(log_p)
        n = log_p.shape[0]
        d_logits = xp.exp(log_p)  # softmax
        d_logits[xp.arange(n), labels] -= 1
        if reduction == "none":
            d_logits *= grad[:, None]
        else:
            d_logits *= grad / n if reduction == "mean" else grad
        return d_logits, None


def log_softmax(x: Tensor, axis: int = -1) -> Tensor:
    """log(softmax(x)) along ``axis``, computed stably."""
    return LogSoftmax.apply(x, axis=axis)


def _labels_array(labels: Any, logits: Tensor, op: str, check_range: bool = True) -> Any:
    """Labels as an integer array on the logits' device, checked to lie in [0, K).

    The range check reads the labels' minimum and maximum: free for NumPy labels,
    but for labels on a GPU a wait for the device.  ``check_range=False`` skips it
    for labels that were checked when they were read (the training loop's).
    """
    data = labels.data if isinstance(labels, Tensor) else labels
    on_host = backend.device_of(data) == "cpu"
    data = np.asarray(data) if on_host else data
    n, classes = logits.shape
    if data.ndim != 1 or data.shape[0] != n or data.dtype.kind not in "iu":
        raise ValueError(
            f"{op}: expected {n} integer class labels of shape ({n},), got dtype {data.dtype} shape {tuple(data.shape)}"
        )
    if n and (check_range or on_host) and (int(data.min()) < 0 or int(data.max()) >= classes):
        raise ValueError(f"{op}: labels must lie in [0, {classes - 1}], got {int(data.min())}..{int(data.max())}")
    return backend.to_device(data, logits.device)


def cross_entropy(logits: Tensor, labels: Any, reduction: str = "mean", *, check_labels: bool = True) -> Tensor:
    """Softmax cross-entropy between logits and integer class labels.

    Args:
        logits: (N, K) unnormalised scores.
        labels: (N,) integers in [0, K).
        reduction: 'mean' (default), 'sum' or 'none'.
        check_labels: check that GPU labels lie in [0, K) (a wait for the GPU);
            NumPy labels are always checked, which costs nothing.

    Returns:
        a scalar tensor, or (N,) per-sample losses for reduction='none'.
    """
    if logits.ndim != 2:
        raise ValueError(f"cross_entropy: expected logits of shape (N, K), got {logits.shape}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"cross_entropy: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    labels = _labels_array(labels, logits, "cross_entropy", check_labels)
    if logits.dtype == np.float16:  # mixed precision: the softmax's sum over the classes in float32
        logits = cast(logits, np.float32)
    return CrossEntropy.apply(logits, Tensor(labels), reduction=reduction)


def accuracy(logits: Tensor, labels: Any) -> float:
    """Fraction of rows whose largest logit is at the true label."""
    labels = _labels_array(labels, logits, "accuracy")
    return float((logits.data.argmax(axis=1) == labels).mean())


def count_errors(logits: Tensor, labels: Any) -> Any:
    """How many rows' largest logit is not at the true label, as a 0-d array on the logits' device.

    Unlike ``accuracy`` it does not bring the answer to the host, so on a GPU
    the caller decides when to wait for it (labels are not range-checked).
    """
    labels = _labels_array(labels, logits, "count_errors", check_range=False)
    return (logits.data.argmax(axis=1) != labels).sum()
