"""The GEMM floor: how fast a training step could be if it were nothing but matrix products.

    python -m benchmarks.floor resnet20 resnet56

A training step of a CIFAR ResNet is almost all convolution, and im2col
makes every convolution a matrix product.  Forward, input gradient and
weight gradient each cost one product of the layer's multiply-adds (the
first layer needs no input gradient).  At the rate NumPy's float32 matrix
product reaches on large square matrices (measured here, on every core),
those products take ``floor`` seconds; ``floor / step time`` is the
fraction of that limit a framework reaches.  Batch norm, ReLU, the copies
around the products and Python itself are what the rest of the step spends.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")  # as `import minires` sets it (see benchmarks/step.py)

import numpy as np


def sgemm_rate(size: int = 2048, repeats: int = 5) -> float:
    """FLOP/s of NumPy's float32 matrix product on two ``size``×``size`` matrices (median of ``repeats``)."""
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal((size, size), dtype=np.float32) for _ in range(2))
    out = np.empty_like(a)
    np.matmul(a, b, out=out)  # warm-up
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        np.matmul(a, b, out=out)
        times.append(time.perf_counter() - t)
    return 2 * size**3 / statistics.median(times)


def step_flops(model_name: str, batch: int = 128) -> float:
    """Multiply-add FLOPs (2 per multiply-add) of one training step's products: forward, dx and dW."""
    import minires
    from minires import models

    rows = minires.summary(models.get(model_name), models.input_shape(model_name)).rows
    macs = [r.mult_adds for r in rows if r.mult_adds]
    forward = sum(macs)
    input_gradient = forward - macs[0]  # the images need no gradient
    return 2.0 * batch * (2 * forward + input_gradient)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["resnet20", "resnet56", "resnet110"])
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args()
    rate = sgemm_rate()
    print(f"float32 matrix product: {rate / 1e9:.0f} GFLOP/s (2048×2048, all cores)")
    for name in args.models:
        flops = step_flops(name, args.batch)
        print(f"{name}: {flops / 1e9:.1f} GFLOP per training step -> floor {flops / rate * 1e3:.0f} ms "
              f"({args.batch * rate / flops:.0f} img/s)")


if __name__ == "__main__":
    main()
