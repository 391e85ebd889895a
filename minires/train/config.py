"""Everything a training run depends on, in one object that is saved as ``config.json``.

Defaults are the paper's CIFAR-10 recipe (section 4.2): batch 128, SGD with
momentum 0.9, weight decay 1e-4, lr 0.1 divided by 10 at 32k and 48k
iterations, 64k iterations in all; ResNet-110 and deeper warm up at 0.01
until the training error is below 80% (at most 400 iterations).

``schedule_scale`` shrinks the whole schedule proportionally (iterations,
milestones, warm-up cap, evaluation and checkpoint intervals) for small runs:
0.01 gives 640 iterations with drops at 320 and 480.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minires.checkpoint import atomic_write_bytes


@dataclass
class TrainConfig:
    model: str = "resnet20"
    data: str | None = None  # a CIFAR-10 folder/archive, "sample" for the embedded sample, None to search
    out: str = "runs/resnet20"
    device: str = "cpu"
    seed: int = 0
    batch_size: int = 128
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 1e-4
    decay_bn_and_bias: bool = True  # weight decay on BN γ/β and biases too (as the original Torch code)
    iterations: int = 64000
    milestones: list[int] = field(default_factory=lambda: [32000, 48000])
    gamma: float = 0.1
    warmup: bool | None = None  # None: only for depth >= 110, as the paper
    warmup_lr: float = 0.01
    warmup_until_error: float = 0.8
    warmup_iterations: int = 400
    schedule_scale: float = 1.0
    eval_every: int = 2000
    checkpoint_every: int = 2000
    normalize: str = "pixel"  # the paper's per-pixel mean; "channel" for per-channel mean/std
    augment: bool = True
    val_split: bool = False  # hold out the last 5k training images and evaluate on them
    eval_batch_size: int = 500
    eval_subset: int | None = None  # evaluate on the first N evaluation images only (None: all of them)

    def scaled(self) -> TrainConfig:
        """A copy with ``schedule_scale`` applied (and set back to 1)."""
        s = self.schedule_scale
        if s <= 0:
            raise ValueError(f"schedule_scale must be > 0, got {s}")

        def scale(n: int) -> int:
            return max(1, round(n * s))

        return dataclasses.replace(
            self, iterations=scale(self.iterations), milestones=[scale(m) for m in self.milestones],
            warmup_iterations=scale(self.warmup_iterations), eval_every=scale(self.eval_every),
            checkpoint_every=scale(self.checkpoint_every), schedule_scale=1.0,
        )

    def uses_warmup(self) -> bool:
        if self.warmup is not None:
            return self.warmup
        depth = int("".join(ch for ch in self.model if ch.isdigit()) or 0)
        return depth >= 110 and self.model.startswith("resnet") and depth != 152

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> TrainConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown training settings {unknown}")
        return cls(**values)

    def save(self, path: str | Path) -> None:
        atomic_write_bytes(path, (json.dumps(self.to_dict(), indent=2) + "\n").encode())

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        return cls.from_dict(json.loads(Path(path).read_text()))
