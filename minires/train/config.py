"""Everything a training run depends on, in one object that is saved as ``config.json``.

Defaults are the paper's CIFAR-10 recipe (section 4.2): batch 128, SGD with
momentum 0.9, weight decay 1e-4, lr 0.1 divided by 10 at 32k and 48k
iterations, 64k iterations in all; ResNet-110 and deeper warm up at 0.01
until the training error is below 80% (at most 400 iterations).

``schedule_scale`` shrinks the whole schedule proportionally (iterations,
milestones, warm-up cap, evaluation and checkpoint intervals) for small runs:
0.01 gives 640 iterations with drops at 320 and 480.

Named recipes (``TrainConfig.recipe("cpu")``, ``minires train --recipe cpu``):

    paper   the paper's recipe as above: 64,000 iterations (about 11 hours for
            ResNet-20 on a 2-core CPU)
    cpu     the same recipe at 1/8 of its length: 8,000 iterations (about 20
            epochs), lr ÷10 at 4,000 and 6,000, the full test set evaluated every
            500 iterations -- the paper's findings on a laptop, overnight
    quarter the recipe at 1/4 of its length: 16,000 iterations (about 41
            epochs), lr ÷10 at 8,000 and 12,000, the full test set every
            1,000 iterations -- how the findings move with a longer budget
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from minires.checkpoint import atomic_write_bytes
from minires.data.cifar import DATASETS
from minires.errors import InputError

MAX_ITERATIONS = 10**9  # far beyond any recipe (the paper's ImageNet runs take 600k); more is a typo
RECIPES: dict[str, dict[str, Any]] = {
    "paper": {},
    "cpu": {"schedule_scale": 0.125, "eval_every": 4000},  # evaluations every 500 iterations once scaled
    "quarter": {"schedule_scale": 0.25, "eval_every": 4000},  # evaluations every 1,000 iterations once scaled
}


@dataclass
class TrainConfig:
    """Every setting of a training run; the defaults are the paper's CIFAR-10 recipe (see the module docstring)."""

    model: str = "resnet20"
    data: str | None = None  # a CIFAR folder/archive, "sample" for the embedded CIFAR-10 sample, None to search
    dataset: str = "cifar10"  # or "cifar100" (100 fine labels), "cifar100-coarse" (20 superclasses)
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
    precision: str = "fp32"  # "fp16": mixed precision (float16 compute, float32 weights, loss scaling)

    @classmethod
    def recipe(cls, name: str, **overrides: Any) -> TrainConfig:
        """The settings of a named recipe (see the module docstring), with ``overrides`` on top.

        Example:
            >>> TrainConfig.recipe("cpu", model="plain56").scaled().iterations
            8000
        """
        if name not in RECIPES:
            raise InputError(f"unknown recipe {name!r}: expected one of {', '.join(RECIPES)}")
        return cls(**{**RECIPES[name], **overrides})

    def validate(self) -> TrainConfig:
        """Check every setting; raise ``InputError`` naming the first bad one.  Returns ``self``."""
        from minires import models

        if not models.is_known(self.model):
            models.get(self.model)  # the registry's error names what is available
        if not models.is_cifar(self.model):
            raise InputError(
                f"model {self.model!r} is an ImageNet network (3×224×224 images, 1000 classes); CIFAR-10 "
                f"needs a CIFAR network such as resnet20, resnet56 or plain20"
            )

        def whole(name: str, low: int) -> None:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise InputError(f"{name} must be a whole number >= {low}, got {value!r}")

        def number(name: str, low: float, high: float = math.inf, low_open: bool = False) -> None:
            value = getattr(self, name)
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            ok = ok and (value > low if low_open else value >= low) and value <= high
            if not ok:
                bound = f"{'>' if low_open else '>='} {low:g}" + (f" and <= {high:g}" if high < math.inf else "")
                raise InputError(f"{name} must be a finite number {bound}, got {value!r}")

        for name in ("batch_size", "iterations", "eval_every", "checkpoint_every", "eval_batch_size",
                     "warmup_iterations"):
            whole(name, 1)
        whole("seed", 0)
        if self.eval_subset is not None:
            whole("eval_subset", 1)
        number("lr", 0, low_open=True)
        number("warmup_lr", 0, low_open=True)
        number("momentum", 0, 1)
        if self.momentum == 1:  # each step would add every past gradient at full weight, forever
            raise InputError(f"momentum must be a finite number >= 0 and < 1, got {self.momentum!r}")
        number("weight_decay", 0)
        number("gamma", 0, 1, low_open=True)
        number("warmup_until_error", 0, 1, low_open=True)
        number("schedule_scale", 0, low_open=True)
        if self.iterations * self.schedule_scale > MAX_ITERATIONS:  # (a product that overflows is inf: refused too)
            raise InputError(f"schedule_scale {self.schedule_scale:g} would stretch {self.iterations:,} iterations to "
                             f"{self.iterations * self.schedule_scale:.3g}; a run may have at most "
                             f"{MAX_ITERATIONS:,}")
        ms = self.milestones
        if not isinstance(ms, list) or not all(isinstance(m, int) and not isinstance(m, bool) and m >= 1 for m in ms):
            raise InputError(f"milestones must be whole numbers >= 1, got {ms!r}")
        if any(b <= a for a, b in zip(ms, ms[1:])):
            raise InputError(f"milestones must be strictly increasing, got {ms}")
        if self.dataset not in DATASETS:
            raise InputError(f"dataset must be one of {', '.join(DATASETS)}, got {self.dataset!r}")
        if self.data == "sample" and self.dataset != "cifar10":
            raise InputError(f"the embedded sample is CIFAR-10; dataset {self.dataset!r} needs --data or a download")
        if self.precision not in ("fp32", "fp16"):
            raise InputError(f"precision must be 'fp32' or 'fp16' (mixed), got {self.precision!r}")
        if self.normalize not in ("pixel", "channel"):
            raise InputError(f"normalize must be 'pixel' (the paper's) or 'channel', got {self.normalize!r}")
        return self

    def scaled(self) -> TrainConfig:
        """A copy with ``schedule_scale`` applied (and set back to 1)."""
        s = self.schedule_scale
        if s <= 0:
            raise InputError(f"schedule_scale must be > 0, got {s}")

        def scale(n: int) -> int:
            return max(1, round(n * s))

        return dataclasses.replace(
            self, iterations=scale(self.iterations), milestones=[scale(m) for m in self.milestones],
            warmup_iterations=scale(self.warmup_iterations), eval_every=scale(self.eval_every),
            checkpoint_every=scale(self.checkpoint_every), schedule_scale=1.0,
        )

    def num_classes(self) -> int:
        """How many classes the data set has (the network's output size)."""
        from minires.data import layout

        return layout(self.dataset).classes

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
            raise InputError(f"unknown training settings {unknown}; expected only {sorted(known)}")
        return cls(**values)

    def save(self, path: str | Path) -> None:
        atomic_write_bytes(path, (json.dumps(self.to_dict(), indent=2) + "\n").encode())

    @classmethod
    def load(cls, path: str | Path) -> TrainConfig:
        return cls.from_dict(json.loads(Path(path).read_text()))
