"""Mixed precision: float16 arithmetic, float32 weights, and a loss scale that keeps gradients alive.

Half-precision numbers (float16) take half the memory and, on a GPU, far less time than
float32, but they hold only about 3 decimal digits and nothing below 6·10⁻⁸ or above 65504.
Training in them works (Micikevicius et al., 2018, "Mixed Precision Training") with three
precautions, which are what this module provides, under PyTorch's names:

1. **The weights stay float32** ("master weights"). Inside ``autocast()`` convolutions and
   fully connected layers cast their input and weights to float16 on the way in (``cast``,
   a differentiable op); the gradient flows back through the cast into the float32 weight,
   where SGD updates it.  Small updates are not lost to float16 rounding.
2. **Sums stay float32 where they are long**: batch norm computes its statistics in
   float32 and hands float16 back; the loss (log-softmax over the classes) is float32.
3. **The loss is scaled** (``GradScaler``): gradients of a float16 backward pass are often
   smaller than float16's smallest number and would become 0.  Multiplying the loss by a
   large scale S (2¹⁶ to start) multiplies every gradient by S; the scaler divides it out
   again in float32 before the update.  If a gradient overflowed (inf/NaN), the step is
   skipped and S halved; after ``growth_interval`` clean steps S is doubled.

Example:
    >>> scaler = GradScaler()
    >>> with autocast():
    ...     loss = F.cross_entropy(model(x), y)        # float16 inside, float32 loss
    >>> optimizer.zero_grad()
    >>> scaler.scale(loss).backward()
    >>> scaler.step(optimizer)                          # unscale, check, update (or skip)
    >>> scaler.update()

On the CPU float16 is *slower* than float32 (NumPy has no fast float16 matrix product), so
mixed precision is for GPUs; the CPU runs it correctly, which is what the tests check.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from minires import backend
from minires.tensor import Function, Tensor

_autocast_dtype: Any = None  # np.float16 inside autocast(), else None


class Cast(Function):
    """``x`` converted to another float dtype; the gradient is converted back to ``x``'s dtype."""

    def forward(self, x: Any, dtype: Any) -> Any:
        self.saved = x.dtype
        return x.astype(dtype)

    def backward(self, grad: Any) -> tuple[Any]:
        return (grad.astype(self.saved),)


def cast(x: Tensor, dtype: Any) -> Tensor:
    """``x`` as ``dtype`` (differentiable); ``x`` itself when it already is."""
    return x if x.dtype == np.dtype(dtype) else Cast.apply(x, dtype=np.dtype(dtype))


@contextlib.contextmanager
def autocast(enabled: bool = True, dtype: Any = np.float16) -> Iterator[None]:
    """Inside: convolutions and linear layers compute in ``dtype`` (float16), see the module docstring."""
    global _autocast_dtype
    previous = _autocast_dtype
    _autocast_dtype = np.dtype(dtype) if enabled else None
    try:
        yield
    finally:
        _autocast_dtype = previous


def autocast_dtype() -> Any:
    """The dtype that convolutions and linear layers compute in right now (None: their inputs' own)."""
    return _autocast_dtype


def autocast_inputs(*tensors: Tensor | None) -> tuple[Tensor | None, ...]:
    """The tensors cast to the autocast dtype inside ``autocast()``, unchanged outside it."""
    if _autocast_dtype is None:
        return tensors
    return tuple(None if t is None else cast(t, _autocast_dtype) for t in tensors)


class GradScaler:
    """Dynamic loss scaling for float16 training (PyTorch's ``GradScaler``, on minires arrays).

    Args:
        init_scale: the first scale S.
        growth_factor, backoff_factor: S is multiplied by these after ``growth_interval``
            clean steps, and after a step with inf/NaN gradients (which is skipped).
        growth_interval: clean steps before S grows.
        enabled: False makes every method a plain pass-through (float32 training).
    """

    def __init__(self, init_scale: float = 2.0**16, growth_factor: float = 2.0, backoff_factor: float = 0.5,
                 growth_interval: int = 2000, enabled: bool = True) -> None:
        if not (init_scale > 0 and growth_factor > 1 and 0 < backoff_factor < 1 and growth_interval >= 1):
            raise ValueError("GradScaler: expected init_scale > 0, growth_factor > 1, 0 < backoff_factor < 1 "
                             f"and growth_interval >= 1, got {init_scale}, {growth_factor}, {backoff_factor}, "
                             f"{growth_interval}")
        self.scale_value, self.enabled = float(init_scale), enabled
        self.growth_factor, self.backoff_factor, self.growth_interval = growth_factor, backoff_factor, growth_interval
        self.clean_steps = 0
        self.found_inf: bool | None = None  # what the last step() saw; None before any
        self.skipped = 0  # steps skipped so far

    def scale(self, loss: Tensor) -> Tensor:
        """``loss · S`` (call ``.backward()`` on it)."""
        return loss * self.scale_value if self.enabled else loss

    def step(self, optimizer: Any) -> bool:
        """Divide the gradients by S; update the weights unless one is inf/NaN.  True if it stepped."""
        if not self.enabled:
            optimizer.step()
            return True
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        finite = True
        for g in grads:
            g.data = g.data * (1.0 / self.scale_value)
        if grads:
            xp = backend.get_array_module(grads[0].data)
            # one number per gradient, added up and read once: a single wait on a GPU
            total = sum(xp.sum(g.data, dtype=xp.float64) for g in grads)
            finite = math.isfinite(float(total))
        self.found_inf = not finite
        if finite:
            optimizer.step()
        else:
            self.skipped += 1
        return finite

    def update(self) -> None:
        """Adjust S after a step: halve it after inf/NaN, grow it after ``growth_interval`` clean steps."""
        if not self.enabled or self.found_inf is None:
            return
        if self.found_inf:
            self.scale_value *= self.backoff_factor
            self.clean_steps = 0
        else:
            self.clean_steps += 1
            if self.clean_steps >= self.growth_interval:
                self.scale_value *= self.growth_factor
                self.clean_steps = 0
        self.found_inf = None

    def state_dict(self) -> dict[str, Any]:
        return {"scale": self.scale_value, "clean_steps": self.clean_steps, "skipped": self.skipped}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.scale_value, self.clean_steps = float(state["scale"]), int(state["clean_steps"])
        self.skipped = int(state.get("skipped", 0))
