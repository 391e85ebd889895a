"""Measure one configuration in this process and print one JSON line.

    python -m benchmarks.step minires resnet20 --batch 128 --steps 10
    python -m benchmarks.step torch resnet20 --device cuda
    python -m benchmarks.step minires resnet20 --device simcuda   # kernel launches and host waits per step
    python -m benchmarks.step torch resnet20 --threads 1          # one core (set_num_threads)

Training: forward + backward + SGD (momentum 0.9, weight decay 1e-4) on random
CIFAR-shaped data; throughput is the median over ``--steps`` steps after
``--warmup`` untimed ones.  Inference: eval mode, no gradients, batch
``--infer-batch``; then again with batch norm folded into the convolutions
(``minires.nn.fuse_bn``; PyTorch's ``torch.fx.experimental.optimization.fuse``).
Peak memory is this process's peak resident set size on the
CPU; on a GPU, the most device memory held (CuPy's memory pool, PyTorch's
``max_memory_reserved``).  On a GPU every clock read waits for the device first,
so a step's time includes all the work it queued.

``--threads N`` holds the framework to N threads (``minires.set_num_threads``,
``torch.set_num_threads``); without it each uses its own default (all cores).
The JSON line says what the step ran on: NumPy's BLAS, its kernel and threads
for minires, PyTorch's threads and kernels for PyTorch (``benchmarks.machine``).

On the simulated GPU (``--device simcuda``, see ``minires.testing.simcuda``)
times mean nothing; instead it counts what one training step and one
evaluation batch would ask of a real GPU: kernel launches, host waits and
host-to-device copies, with host waits refused inside the training step.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time

# what `import minires` does when a program imports it before NumPy (see minires/__init__.py);
# here NumPy comes first, so set it the same way (a value from the caller's environment wins)
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")

import numpy as np


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def median_seconds(fn: object, steps: int, warmup: int, sync: object = lambda: None) -> float:
    """Median wall time of ``fn()`` over ``steps`` calls after ``warmup`` untimed ones.

    ``sync()`` is called before each clock read (a GPU's queue must be empty to time it).
    """
    times = []
    for i in range(warmup + steps):
        sync()  # type: ignore[operator]
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        sync()  # type: ignore[operator]
        if i >= warmup:
            times.append(time.perf_counter() - t)
    return statistics.median(times)


def minires_step(model_name: str, batch: int, infer_batch: int, steps: int, warmup: int, train: bool,
                 infer: bool, device: str = "cpu") -> dict:
    import minires
    from minires import backend, models, optim
    from minires.nn.functional import cross_entropy

    minires.manual_seed(0)
    model = models.get(model_name).to(device)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    rng = np.random.default_rng(0)
    x = minires.tensor(rng.standard_normal((batch, 3, 32, 32), dtype=np.float32), device=device)
    # labels drawn in [0, 10): the step skips cross_entropy's range check, as the trainer does (which checks
    # its labels once, when it reads the data) -- on a GPU that check is two waits for the device per step
    y = backend.to_device(rng.integers(0, 10, batch), device)
    sync, peak_mib = lambda: None, peak_rss_mib
    if device == "cuda":
        cupy = backend.cupy_module()
        sync = cupy.cuda.Device().synchronize
        peak_mib = lambda: cupy.get_default_memory_pool().total_bytes() / 2**20  # noqa: E731
    def step() -> None:
        opt.zero_grad()
        cross_entropy(model(x), y, check_labels=False).backward()  # no wait for the device to check labels
        opt.step()

    result: dict = {"device": device}
    if device == "simcuda":
        result.update(simulated_counts(model, step, infer_batch, rng))
        return result
    if train:
        result["train_img_s"] = batch / median_seconds(step, steps, warmup, sync)
        result["train_peak_mib"] = peak_mib()
        result["dtypes"] = sorted({str(p.dtype) for p in model.parameters()})
    if infer:
        model.eval()
        xi = minires.tensor(rng.standard_normal((infer_batch, 3, 32, 32), dtype=np.float32), device=device)
        with minires.no_grad():
            result["infer_img_s"] = infer_batch / median_seconds(lambda: model(xi), max(3, steps // 2), warmup, sync)
            fused = minires.nn.fuse_bn(model)  # batch norm folded into the convolutions
            result["infer_fused_img_s"] = infer_batch / median_seconds(lambda: fused(xi), max(3, steps // 2),
                                                                       warmup, sync)
    return result


def simulated_counts(model: object, step: object, eval_batch: int, rng: np.random.Generator) -> dict:
    """Launches, host waits and copies of one training step and one evaluation batch on ``simcuda``."""
    import minires
    from minires.nn.functional import count_errors, cross_entropy
    from minires.testing import simcuda

    step()  # the first step makes the momentum buffers and the flat parameter arrays
    with simcuda.counting() as train, simcuda.no_host_waits():
        step()  # type: ignore[operator]
    x = minires.tensor(rng.standard_normal((eval_batch, 3, 32, 32), dtype=np.float32), device="simcuda")
    y = simcuda.asarray(rng.integers(0, 10, eval_batch))
    model.eval()  # type: ignore[attr-defined]
    with minires.no_grad(), simcuda.counting() as evaluation, simcuda.no_host_waits():
        logits = model(x)  # type: ignore[operator]
        cross_entropy(logits, y, reduction="sum", check_labels=False), count_errors(logits, y)
    model.train()  # type: ignore[attr-defined]
    return {"train_launches": train.launches, "train_host_waits": train.host_waits, "train_copies": train.copies,
            "eval_batch": eval_batch, "eval_launches": evaluation.launches,
            "eval_host_waits": evaluation.host_waits, "eval_copies": evaluation.copies}


def torch_step(model_name: str, batch: int, infer_batch: int, steps: int, warmup: int, train: bool,
               infer: bool, device: str = "cpu") -> dict:
    import torch

    from benchmarks.torch_models import build

    torch.manual_seed(0)
    model = build(model_name).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    x = torch.randn(batch, 3, 32, 32, device=device)
    y = torch.randint(0, 10, (batch,), device=device)
    sync, peak_mib = lambda: None, peak_rss_mib
    if device == "cuda":
        sync = torch.cuda.synchronize
        peak_mib = lambda: torch.cuda.max_memory_reserved() / 2**20  # noqa: E731
    def step() -> None:
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    result: dict = {"device": device}
    if train:
        result["train_img_s"] = batch / median_seconds(step, steps, warmup, sync)
        result["train_peak_mib"] = peak_mib()
    if infer:
        model.eval()
        xi = torch.randn(infer_batch, 3, 32, 32, device=device)
        with torch.no_grad():
            result["infer_img_s"] = infer_batch / median_seconds(lambda: model(xi), max(3, steps // 2), warmup, sync)
            from torch.fx.experimental.optimization import fuse  # PyTorch's own conv + BN folding

            fused = fuse(model)
            result["infer_fused_img_s"] = infer_batch / median_seconds(lambda: fused(xi), max(3, steps // 2),
                                                                       warmup, sync)
    return result


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("framework", choices=["minires", "torch"])
    p.add_argument("model")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--infer-batch", type=int, default=256)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--no-train", action="store_true")
    p.add_argument("--no-infer", action="store_true")
    p.add_argument("--device", choices=["cpu", "cuda", "simcuda"], default="cpu")
    p.add_argument("--threads", type=int, help="threads for the framework (default: its own choice)")
    a = p.parse_args()
    if a.threads is not None:
        if a.framework == "minires":
            import minires

            minires.set_num_threads(a.threads)
        else:
            import torch

            torch.set_num_threads(a.threads)
    args = (a.model, a.batch, a.infer_batch, a.steps, a.warmup, not a.no_train, not a.no_infer, a.device)
    out = minires_step(*args) if a.framework == "minires" else torch_step(*args)
    from benchmarks.machine import machine_info

    ran_on = machine_info(with_torch=a.framework == "torch")
    out.update(framework=a.framework, model=a.model, batch=a.batch, threads=a.threads,
               ran_on=ran_on["torch"] if a.framework == "torch" else ran_on["blas"])
    print(json.dumps(out))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
