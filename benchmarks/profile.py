"""Where a training step's time goes: wall time per Function class, forward and backward.

    python -m benchmarks.profile resnet20
    python -m benchmarks.profile resnet56 --steps 6 --algorithm winograd

Every ``Function`` subclass's ``forward`` and ``backward`` is wrapped with a
clock for the measured steps (after warm-up ones); the table lists each
class's milliseconds per step, forward and backward, and its share of the
step.  What no Function accounts for (the optimizer, the loss's host copy,
Python between ops) is the last row.  A Function that splits its work over
the cores (a convolution's chunks) counts its wall time, not CPU time.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from typing import Any

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # as `import minires` sets it (see benchmarks/step.py)

import numpy as np


def _all_functions() -> Iterator[type]:
    from minires.tensor import Function

    stack = list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        yield cls


def _timed(method: Callable, key: tuple[str, str], totals: dict) -> Callable:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return method(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - t

    return wrapper


def profile(model_name: str, steps: int = 4, warmup: int = 2, batch: int = 128,
            algorithm: str = "fast") -> tuple[dict[tuple[str, str], float], float]:
    """Seconds per step by (Function class, 'forward' | 'backward'), and the whole step's seconds."""
    import minires
    from minires import models, optim
    from minires.nn.functional import cross_entropy

    minires.manual_seed(0)
    model = models.get(model_name)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    rng = np.random.default_rng(0)
    x = minires.tensor(rng.standard_normal((batch, 3, 32, 32), dtype=np.float32))
    y = rng.integers(0, 10, batch)

    def step() -> None:
        opt.zero_grad()
        cross_entropy(model(x), y).backward()
        opt.step()

    totals: dict[tuple[str, str], float] = defaultdict(float)
    with minires.conv_algorithm(algorithm):
        for _ in range(warmup):
            step()
        originals = []
        for cls in _all_functions():  # wrap only methods a class defines itself (no double counting)
            for name in ("forward", "backward"):
                if name in vars(cls):
                    originals.append((cls, name, vars(cls)[name]))
                    setattr(cls, name, _timed(vars(cls)[name], (cls.__name__, name), totals))
        try:
            started = time.perf_counter()
            for _ in range(steps):
                step()
            whole = (time.perf_counter() - started) / steps
        finally:
            for cls, name, method in originals:
                setattr(cls, name, method)
    return {k: v / steps for k, v in totals.items()}, whole


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", nargs="?", default="resnet20")
    parser.add_argument("--steps", type=int, default=4)
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--algorithm", default="fast", help="convolution algorithm: fast, im2col or winograd")
    args = parser.parse_args()
    per_step, whole = profile(args.model, args.steps, batch=args.batch, algorithm=args.algorithm)
    classes = sorted({c for c, _ in per_step}, key=lambda c: -(per_step[(c, "forward")] + per_step[(c, "backward")]))
    print(f"{args.model}, batch {args.batch}, {args.steps} steps: {whole * 1e3:.0f} ms per step "
          f"({args.batch / whole:.0f} img/s)")
    print(f"{'Function':<24} {'forward ms':>10} {'backward ms':>11} {'share':>6}")
    for c in classes:
        f, b = per_step[(c, "forward")], per_step[(c, "backward")]
        print(f"{c:<24} {f * 1e3:>10.1f} {b * 1e3:>11.1f} {(f + b) / whole:>6.1%}")
    rest = whole - sum(per_step.values())
    print(f"{'(outside Functions)':<24} {rest * 1e3:>10.1f} {'':>11} {rest / whole:>6.1%}")


if __name__ == "__main__":
    main()
