"""Where the time goes: per-op timings for the layer shapes of a CIFAR ResNet at batch 128.

    python -m benchmarks.ops

Prints median milliseconds of building the columns (the textbook whole-batch im2col, and the
chunked shifted columns conv2d uses), conv2d forward, conv2d forward+backward (weights and
input), batch-norm forward/backward and ReLU for the three stage shapes (16×32×32, 32×16×16,
64×8×8), and an estimate of the convolutions' share of a ResNet-20 training step.  Where
PyTorch is importable, the same layers in PyTorch beside them (its own memory layout, the same
shapes and threads), and the ratio: time in PyTorch / time in minires (above 1: minires is faster).
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import numpy as np

import minires
from minires.nn import functional as F
from minires.nn.functional.conv import ShiftedColumns, im2col

SHAPES = [(16, 32), (32, 16), (64, 8)]  # channels, size: the three stages
PER_STEP_RESNET20 = {16: 7, 32: 6, 64: 6}  # 3x3 convs per stage (stem included in stage 1)


def timed(fn: Callable[[], object], repeat: int = 7) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e3


def time_shape(c: int, s: int, n: int, rng: np.random.Generator) -> dict[str, float]:
    """Median milliseconds of each op on a (n, c, s, s) activation with c -> c 3x3 filters."""
    # channel-major memory, as every activation inside a network has
    x_cnhw = rng.standard_normal((c, n, s, s), dtype=np.float32)
    x = minires.tensor(x_cnhw.transpose(1, 0, 2, 3), requires_grad=True)
    w = minires.tensor(rng.standard_normal((c, c, 3, 3), dtype=np.float32) * 0.1, requires_grad=True)
    gamma, beta = minires.ones(c, requires_grad=True), minires.zeros(c, requires_grad=True)
    rm, rv = np.zeros(c, np.float32), np.ones(c, np.float32)
    y = minires.Tensor(F.conv2d(x, w, padding=1).data, requires_grad=True)  # channel-major, as in a net
    g = rng.standard_normal(y.shape, dtype=np.float32)

    def conv_backward() -> None:
        F.conv2d(x, w, padding=1).backward(g)

    def bn_backward() -> None:
        F.batch_norm(y, rm, rv, gamma, beta).backward(g)

    def shifted_columns() -> None:
        for _ in ShiftedColumns(x_cnhw, (3, 3), (1, 1), "x"):
            pass

    return {
        "im2col, whole batch": timed(lambda: im2col(y.data, 3, 1, 1)),
        "shifted columns, chunked": timed(shifted_columns),
        "conv2d forward": timed(lambda: F.conv2d(x, w, padding=1)),
        "conv2d forward+backward": timed(conv_backward),
        "batch_norm forward": timed(lambda: F.batch_norm(y, rm, rv, gamma, beta)),
        "batch_norm forward+backward": timed(bn_backward),
        "relu forward": timed(lambda: F.relu(y)),
    }


def time_shape_torch(c: int, s: int, n: int) -> dict[str, float]:
    """The layers of ``time_shape`` in PyTorch: median milliseconds."""
    import torch

    torch.manual_seed(0)
    x = torch.randn(n, c, s, s, requires_grad=True)
    conv = torch.nn.Conv2d(c, c, 3, padding=1, bias=False)
    bn = torch.nn.BatchNorm2d(c)
    y = conv(x).detach().requires_grad_(True)
    g = torch.randn_like(y)
    return {
        "conv2d forward": timed(lambda: conv(x)),
        "conv2d forward+backward": timed(lambda: conv(x).backward(g)),
        "batch_norm forward": timed(lambda: bn(y)),
        "batch_norm forward+backward": timed(lambda: bn(y).backward(g)),
        "relu forward": timed(lambda: torch.relu(y)),
    }


def main(argv: list[str] | None = None) -> None:
    import importlib.util

    from benchmarks.machine import describe, machine_info

    print(describe(machine_info()), end="\n\n")
    rng = np.random.default_rng(0)
    with_torch = importlib.util.find_spec("torch") is not None
    print(f"{'op (batch 128)':<28} " + " ".join(f"{f'{c}x{s}x{s}':>10}" for c, s in SHAPES) + "   ms (minires)")
    rows: dict[str, list[float]] = {}
    theirs: dict[str, list[float]] = {}
    for c, s in SHAPES:
        for name, ms in time_shape(c, s, 128, rng).items():
            rows.setdefault(name, []).append(ms)
        if with_torch:
            for name, ms in time_shape_torch(c, s, 128).items():
                theirs.setdefault(name, []).append(ms)
    for name, values in rows.items():
        print(f"{name:<28} " + " ".join(f"{v:>10.1f}" for v in values))
    if theirs:
        print(f"\n{'PyTorch, ms (PyTorch/minires)':<28} " + " ".join(f"{f'{c}x{s}x{s}':>16}" for c, s in SHAPES))
        for name, values in theirs.items():
            print(f"{name:<28} " + " ".join(f"{t:>8.1f} ({t / m:4.2f})" for t, m in zip(values, rows[name])))
    per_step = sum(v * PER_STEP_RESNET20[c] for v, (c, _) in zip(rows["conv2d forward+backward"], SHAPES))
    print(f"\nconv forward+backward, all 19 3x3 convs of a ResNet-20 step (estimate): {per_step:.0f} ms")


if __name__ == "__main__":
    main()
