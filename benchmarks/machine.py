"""What a benchmark ran on: the CPU, NumPy's BLAS and its kernel, the thread counts, PyTorch's setup.

Printed at the top of every benchmark and stored in its JSON, because a matrix product's speed
depends on the BLAS kernel more than on anything minires does: OpenBLAS picks one for the CPU
("SkylakeX" for AVX-512, "Haswell" for AVX2), and the environment variables
``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` can hold it to another.  A ratio against PyTorch
means little unless both sides' kernels and threads are on record.

    python -m benchmarks.machine        # the same as JSON, for this process
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform

ENVIRONMENT = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def cpu_name() -> str:
    """The processor's model name (Linux: /proc/cpuinfo; elsewhere what the platform module says)."""
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info(with_torch: bool = True) -> dict:
    """This process's CPU, NumPy and its BLAS (``minires.parallel.blas_info``), environment, PyTorch."""
    import numpy as np

    from minires import parallel

    info = {"cpu": cpu_name(), "cores": os.cpu_count(), "python": platform.python_version(),
            "numpy": np.__version__, "blas": parallel.blas_info(),
            "environment": {name: os.environ.get(name) for name in ENVIRONMENT}}
    if with_torch and importlib.util.find_spec("torch"):
        import torch

        info["torch"] = {"version": torch.__version__, "threads": torch.get_num_threads(),
                         "mkldnn": bool(torch.backends.mkldnn.is_available()),
                         "cpu_capability": torch.backends.cpu.get_cpu_capability()}
    return info


def describe(info: dict) -> str:
    """A few lines for a benchmark's header."""
    blas = info["blas"]
    env = ", ".join(f"{k}={v}" for k, v in info["environment"].items() if v is not None) or "none set"
    lines = [f"machine: {info['cpu']}, {info['cores']} cores; Python {info['python']}, NumPy {info['numpy']}",
             f"NumPy's BLAS: {blas['library']} {blas['version']}, kernel {blas['architecture']}, "
             f"{blas['threads']} threads ({blas['threading_layer']}); minires workers {blas['minires_workers']}",
             f"environment: {env}"]
    if "torch" in info:
        t = info["torch"]
        lines.append(f"PyTorch {t['version']}: {t['threads']} threads, kernels {t['cpu_capability']}, "
                     f"oneDNN {'yes' if t['mkldnn'] else 'no'}")
    return "\n".join(lines)


if __name__ == "__main__":
    print(json.dumps(machine_info(), indent=2))
