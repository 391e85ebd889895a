"""The learning-rate schedule: one explicit, printable object stepped per iteration.

The paper's CIFAR recipe: lr 0.1, divided by 10 at 32k and 48k iterations.
For ResNet-110 it first trains at 0.01 until the training error is below
80% (about 400 iterations), then goes back to 0.1.

Everything the schedule depends on lives here, in one object that the
training loop steps and that checkpoints save: a warm-up cannot be
"forgotten" by code that changes the learning rate behind its back (a bug
one public reproduction had).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from numbers import Integral
from typing import Any


class LRSchedule:
    """Multi-step learning rate with an optional warm-up, stepped once per iteration.

    Args:
        optimizer: anything with ``param_groups`` (e.g. ``SGD``); its groups'
            ``lr`` are set on every ``step``.
        base_lr: the rate after warm-up, before the first milestone.
        milestones: iterations at which the rate is multiplied by ``gamma``.
        gamma: the factor (0.1 = divide by 10).
        warmup_lr: the rate during warm-up (None: no warm-up).
        warmup_until_error: end warm-up once the training error (0..1) is below this.
        warmup_iterations: end warm-up after this many iterations at the latest.

    Example:
        >>> schedule = LRSchedule(opt, 0.1, milestones=[32000, 48000])
        >>> for it in range(64000):
        ...     train_step(); schedule.step(train_error=err)
    """

    def __init__(
        self, optimizer: Any, base_lr: float, milestones: Sequence[int] = (), gamma: float = 0.1,
        warmup_lr: float | None = None, warmup_until_error: float | None = None,
        warmup_iterations: int | None = None,
    ) -> None:
        milestones = list(milestones)
        if not all(isinstance(m, Integral) and not isinstance(m, bool) and m >= 1 for m in milestones) \
                or any(b <= a for a, b in zip(milestones, milestones[1:])):
            raise ValueError(f"LRSchedule: milestones must be strictly increasing whole numbers >= 1, got {milestones}")
        for name, value in (("base_lr", base_lr), ("gamma", gamma), ("warmup_lr", warmup_lr)):
            if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"LRSchedule: {name} must be a finite number > 0, got {value!r}")
        if warmup_lr is not None and warmup_until_error is None and warmup_iterations is None:
            raise ValueError("LRSchedule: a warm-up needs warmup_until_error or warmup_iterations to end")
        self.optimizer = optimizer
        self.base_lr, self.milestones, self.gamma = base_lr, [int(m) for m in milestones], gamma
        self.warmup_lr, self.warmup_until_error = warmup_lr, warmup_until_error
        self.warmup_iterations = warmup_iterations
        self.iteration = 0
        self.warming_up = warmup_lr is not None
        self._apply()

    def lr(self) -> float:
        """The learning rate for the current iteration."""
        if self.warming_up:
            return float(self.warmup_lr)  # type: ignore[arg-type]
        drops = sum(1 for m in self.milestones if self.iteration >= m)
        return self.base_lr * self.gamma**drops

    def step(self, train_error: float | None = None) -> None:
        """Advance one iteration; ``train_error`` (0..1) may end the warm-up."""
        self.iteration += 1
        if self.warming_up:
            error_done = (self.warmup_until_error is not None and train_error is not None
                          and train_error < self.warmup_until_error)
            count_done = self.warmup_iterations is not None and self.iteration >= self.warmup_iterations
            if error_done or count_done:
                self.warming_up = False
        self._apply()

    def _apply(self) -> None:
        lr = self.lr()
        for group in self.optimizer.param_groups:
            group["lr"] = lr

    def state_dict(self) -> dict[str, Any]:
        return {"iteration": self.iteration, "warming_up": self.warming_up}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.iteration, self.warming_up = int(state["iteration"]), bool(state["warming_up"])
        self._apply()

    def __repr__(self) -> str:
        text = f"LRSchedule(lr {self.base_lr:g}"
        if self.milestones:
            text += f", ×{self.gamma:g} at iterations {self.milestones}"
        if self.warmup_lr is not None:
            ends = []
            if self.warmup_until_error is not None:
                ends.append(f"training error < {self.warmup_until_error:.0%}")
            if self.warmup_iterations is not None:
                ends.append(f"{self.warmup_iterations} iterations")
            text += f", warm-up at {self.warmup_lr:g} until " + " or ".join(ends)
        return text + f"; now iteration {self.iteration}, lr {self.lr():g})"
