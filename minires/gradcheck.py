"""Numerical gradient checks: is an op's backward consistent with its forward?

Backward is the derivative of forward, so it can be checked with finite
differences:  df/dx ≈ (f(x + ε) − f(x − ε)) / 2ε  (central differences,
error O(ε²)).  Both checks below run in float64, where ε = 1e-6 leaves
about 10 significant digits.

* ``gradcheck`` perturbs every element of every input: exact but costs two
  forward passes per element, so use it on small inputs.
* ``directional_gradcheck`` perturbs all elements at once along a few random
  directions d and compares (f(x+εd) − f(x−εd)) / 2ε with ⟨∇f, d⟩: cheap
  enough for CIFAR-sized convolutions.

Functions with a non-scalar output are reduced to the scalar ⟨f(x), v⟩ for
a fixed random v, which checks the whole vector-Jacobian product at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from minires import backend
from minires.tensor import Tensor, no_grad


class GradcheckError(AssertionError):
    """Analytic and numerical gradients disagree."""


def _float64_copies(inputs: tuple[Any, ...]) -> list[Any]:
    copies = []
    for x in inputs:
        if isinstance(x, Tensor) and x.dtype.kind == "f":
            copies.append(Tensor(x.data.astype(np.float64), requires_grad=x.requires_grad))
        else:
            copies.append(x)
    return copies


def _scalar_objective(fn: Callable[..., Tensor], inputs: list[Any], seed: int) -> Callable[[], Tensor]:
    """f reduced to a scalar: fn(*inputs) itself, or sum(fn(*inputs) * v)."""
    probe = fn(*inputs)
    if not isinstance(probe, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(probe).__name__}")
    if probe.data.size == 1:
        return lambda: fn(*inputs).sum()
    rng = np.random.default_rng(seed)
    v = Tensor(backend.to_device(rng.standard_normal(probe.shape), probe.device))
    return lambda: (fn(*inputs) * v).sum()


def _analytic_grads(objective: Callable[[], Tensor], checked: list[Tensor]) -> list[Any]:
    for x in checked:
        x.grad = None
    objective().backward()
    return [x.grad.data if x.grad is not None else x._xp.zeros_like(x.data) for x in checked]


def _report(where: str, analytic: float, numeric: float, atol: float, rtol: float) -> str:
    return (
        f"gradient mismatch at {where}: analytic {analytic:.8g}, numerical {numeric:.8g} "
        f"(difference {abs(analytic - numeric):.3g} > atol {atol:g} + rtol {rtol:g} * |numerical|)"
    )


def gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Compare backward with central differences, element by element, in float64.

    Args:
        fn: a function of the inputs returning a Tensor (any shape).
        inputs: Tensors (those with ``requires_grad=True`` are checked) or
            other arguments passed through unchanged.  Float tensors are
            copied to float64 first; the originals are not modified.
        eps: finite-difference step.
        atol, rtol: accept when |analytic − numerical| ≤ atol + rtol·|numerical|.
        raise_exception: raise ``GradcheckError`` on a mismatch (else return False).

    Returns:
        True when every partial derivative agrees.

    Example:
        >>> x = minires.randn(3, 4, requires_grad=True)
        >>> minires.gradcheck(lambda t: (t * t).sum(), x)
        True
    """
    inputs64 = _float64_copies(inputs)
    checked = [(i, x) for i, x in enumerate(inputs64) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("gradcheck: no input has requires_grad=True, so there is nothing to check")
    objective = _scalar_objective(fn, inputs64, seed)
    analytic = _analytic_grads(objective, [x for _, x in checked])
    for (position, x), grad in zip(checked, analytic):
        flat = x.data.reshape(-1)  # a view: writing to it perturbs x
        grad_flat = backend.to_numpy(grad).reshape(-1)
        for k in range(flat.size):
            original = flat[k].item()
            with no_grad():
                flat[k] = original + eps
                f_plus = objective().item()
                flat[k] = original - eps
                f_minus = objective().item()
            flat[k] = original
            numeric = (f_plus - f_minus) / (2 * eps)
            if abs(grad_flat[k] - numeric) > atol + rtol * abs(numeric):
                index = np.unravel_index(k, x.shape)
                message = _report(f"input {position}, index {tuple(int(i) for i in index)}",
                                  float(grad_flat[k]), numeric, atol, rtol)
                if raise_exception:
                    raise GradcheckError(message)
                return False
    return True


def directional_gradcheck(
    fn: Callable[..., Tensor],
    *inputs: Any,
    directions: int = 3,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
    seed: int = 0,
) -> bool:
    """Cheap check for big inputs: compare slopes along random directions.

    For each random direction d (over all checked inputs together) it
    compares (f(x + εd) − f(x − εd)) / 2ε with Σ ⟨∇f(x), d⟩.  Two forward
    passes per direction, whatever the size of x.  Arguments as ``gradcheck``.
    """
    inputs64 = _float64_copies(inputs)
    checked = [x for x in inputs64 if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise ValueError("directional_gradcheck: no input has requires_grad=True")
    objective = _scalar_objective(fn, inputs64, seed)
    analytic = _analytic_grads(objective, checked)
    rng = np.random.default_rng(seed + 1)
    originals = [x.data.copy() for x in checked]
    for k in range(directions):
        ds = [backend.to_device(rng.standard_normal(x.shape), x.device) for x in checked]
        slope = float(sum((g * d).sum() for g, d in zip(analytic, ds)))
        values = []
        for sign in (1, -1):
            for x, x0, d in zip(checked, originals, ds):
                x.data[...] = x0 + sign * eps * d
            with no_grad():
                values.append(objective().item())
        for x, x0 in zip(checked, originals):
            x.data[...] = x0
        numeric = (values[0] - values[1]) / (2 * eps)
        if abs(slope - numeric) > atol + rtol * abs(numeric):
            message = _report(f"random direction {k}", slope, numeric, atol, rtol)
            if raise_exception:
                raise GradcheckError(message)
            return False
    return True
