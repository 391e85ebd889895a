"""minires vs PyTorch on the CPU: training and inference throughput, peak memory, per-op costs.

    python -m benchmarks.run                          # resnet20 resnet56 resnet110 plain20 plain56
    python -m benchmarks.run --models resnet20 --rounds 3 --json bench.json
    python -m benchmarks.run --device cuda            # minires on CuPy vs PyTorch on CUDA
    python -m benchmarks.run --models resnet20 --threads 1 2   # each framework on 1, then 2 threads

"fused": inference with batch norm folded into the convolutions (both frameworks'
own folding).  Each measurement runs in a fresh process (so peak memory is per configuration);
minires and PyTorch alternate, round after round, and the table reports the
median over rounds and the ratio minires / PyTorch measured in the same run.
PyTorch is used only when it is importable.  Nothing here asserts a speed.

The header says what ran: the CPU, NumPy's BLAS library, version, kernel and threads,
the BLAS environment variables, PyTorch's threads and kernels (``benchmarks.machine``); the
JSON keeps it, and each process's own view, beside the numbers.  With ``--threads 1 2`` every
configuration is measured with both frameworks held to 1 and then 2 threads, and each one's
speed-up from the extra cores is printed: the single-core gap and the parallel gap apart.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
from pathlib import Path

DEFAULT_MODELS = ["resnet20", "resnet56", "resnet110", "plain20", "plain56"]


def measure(framework: str, model: str, steps: int, device: str = "cpu", threads: int | None = None) -> dict:
    cmd = [sys.executable, "-m", "benchmarks.step", framework, model, "--steps", str(steps), "--device", device]
    cmd += ["--threads", str(threads)] if threads is not None else []
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1])
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else "failed"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict], key: str) -> float | None:
    values = [r[key] for r in runs if key in r]
    return statistics.median(values) if values else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=DEFAULT_MODELS)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds per model (median reported)")
    parser.add_argument("--steps", type=int, default=10, help="timed training steps per process")
    parser.add_argument("--json", help="write all measurements here")
    parser.add_argument("--device", choices=["cpu", "cuda"], default="cpu",
                        help="cuda: minires on CuPy against PyTorch on the same GPU")
    parser.add_argument("--ops", action="store_true", help="also print per-op timings (benchmarks.ops)")
    parser.add_argument("--threads", type=int, nargs="*", default=[],
                        help="measure at each of these thread counts (default: each framework's own choice)")
    args = parser.parse_args()
    args_batch = 128  # benchmarks.step's default training batch
    frameworks = ["minires"] + (["torch"] if importlib.util.find_spec("torch") else [])
    from benchmarks.machine import describe, machine_info

    machine = machine_info()
    print(describe(machine), end="\n\n", flush=True)
    counts: list[int | None] = list(args.threads) or [None]
    results: dict[str, dict[str, list[dict]]] = {}
    for model in args.models:
        for threads in counts:
            key = model if threads is None else f"{model}/{threads}t"
            results[key] = {f: [] for f in frameworks}
            for r in range(args.rounds):
                for f in frameworks if r % 2 == 0 else reversed(frameworks):
                    results[key][f].append(measure(f, model, args.steps, args.device, threads))
                    print(f"  {key} {f} round {r + 1}: {results[key][f][-1]}", file=sys.stderr)

    head = (f"{'model':<10} {'train img/s':>12} {'torch':>8} {'ratio':>6} | {'infer img/s':>11} {'torch':>8} "
            f"{'ratio':>6} | {'fused img/s':>11} {'torch':>8} {'ratio':>6} | {'peak MiB':>9} {'torch':>8} {'ratio':>6}")
    print(head)
    print("-" * len(head))
    width = max(10, *(len(k) for k in results))
    table = {}
    for model, by_fw in results.items():
        row = {}
        for key in ("train_img_s", "infer_img_s", "infer_fused_img_s", "train_peak_mib"):
            ours, theirs = median_of(by_fw["minires"], key), median_of(by_fw.get("torch", []), key)
            row[key] = (ours, theirs, ours / theirs if ours and theirs else None)
        table[model] = row

        def cell(v: tuple, width: int = 8) -> str:
            ours, theirs, ratio = v
            fmt = lambda x, w: f"{x:>{w}.0f}" if x is not None else f"{'-':>{w}}"  # noqa: E731
            return f"{fmt(ours, width + 3)} {fmt(theirs, 8)} {ratio:>6.2f}" if ratio else f"{fmt(ours, width + 3)}"

        print(f"{model:<{width}} {cell(row['train_img_s'], 9)} | {cell(row['infer_img_s'], 8)} | "
              f"{cell(row['infer_fused_img_s'], 8)} | {cell(row['train_peak_mib'], 6)}")
    if len(counts) > 1:  # what the extra cores buy each framework
        low, high = min(counts), max(counts)  # type: ignore[type-var]
        print(f"\nspeed-up from {low} to {high} threads (training img/s):")
        for model in args.models:
            gains = []
            for i, f in enumerate(["minires", "torch"][: len(frameworks)]):
                a, b = table[f"{model}/{low}t"]["train_img_s"][i], table[f"{model}/{high}t"]["train_img_s"][i]
                gains.append(f"{f} {b / a:.2f}x" if a and b else f"{f} -")
                table[f"{model}/{high}t"][f"{f}_speedup"] = b / a if a and b else None
            print(f"  {model:<10} " + ", ".join(gains))
    if args.device == "cpu":  # how close each framework's training step comes to its matrix products alone
        from benchmarks import floor

        rate = floor.sgemm_rate()
        print(f"\nGEMM floor (float32 matrix product at {rate / 1e9:.0f} GFLOP/s, 2048x2048 on all cores):")
        for model, row in table.items():
            if "/" in model and not model.endswith(f"/{max(counts)}t"):  # type: ignore[type-var]
                continue  # (the floor is the product's rate on all cores)
            best = args_batch * rate / floor.step_flops(model.split("/")[0], args_batch)
            ours, theirs, _ = row["train_img_s"]
            reach = [f"{v / best:.0%}" if v else "-" for v in (ours, theirs)]
            print(f"  {model:<{width}} {best:6.0f} img/s; minires reaches {reach[0]}, PyTorch {reach[1]}")
            row["gemm_floor_img_s"] = best
    if args.json:
        Path(args.json).write_text(json.dumps({"machine": machine, "rounds": results, "table": table}, indent=2))
    if args.ops:
        from benchmarks import ops

        ops.main([])


if __name__ == "__main__":
    main()
