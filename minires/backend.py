"""The array backend: NumPy on the CPU, CuPy on a CUDA GPU.

Everything above this module works on "an array" without caring which library
made it.  The one idea here is the ``get_array_module`` pattern: look at an
array, get back the module (``numpy`` or ``cupy``) that owns it, and call the
same functions on it.  CuPy is imported only when it is installed *and* asked
for, so a CPU-only machine never pays for it.
"""

from __future__ import annotations

import importlib.util
from types import ModuleType
from typing import Any

import numpy as np

from minires.errors import InputError, RunError

DEVICES = ("cpu", "cuda", "simcuda")

_cupy: ModuleType | None = None
_simcuda: ModuleType | None = None  # minires.testing.simcuda, once a "simcuda" array has been made


def cupy_installed() -> bool:
    """True when the ``cupy`` package can be imported (without importing it)."""
    return importlib.util.find_spec("cupy") is not None


def cupy_module() -> ModuleType:
    """Import and return CuPy, or raise a clear error when it cannot be used."""
    global _cupy
    if _cupy is None:
        if not cupy_installed():
            raise RunError(
                "device 'cuda' needs CuPy, which is not installed; "
                "install it with: pip install 'minires[cuda12]' (or 'minires[cuda13]' for CUDA 13); "
                "device 'simcuda' simulates one on the CPU"
            )
        import cupy

        _cupy = cupy
    return _cupy


def simcuda_module() -> ModuleType:
    """The simulated CUDA device (``minires.testing.simcuda``): CuPy's rules on NumPy's arithmetic."""
    global _simcuda
    if _simcuda is None:
        from minires.testing import simcuda

        _simcuda = simcuda
    return _simcuda


def cuda_available() -> bool:
    """True when CuPy is installed and sees at least one CUDA device."""
    if not cupy_installed():
        return False
    try:
        return cupy_module().cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver, no device, broken install: all mean "no GPU"
        return False


def get_array_module(array: Any) -> ModuleType:
    """Return the module that owns ``array``: ``numpy``, ``cupy`` or the simulated device."""
    if isinstance(array, np.ndarray):
        return np
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    if _simcuda is not None and isinstance(array, _simcuda.ndarray):
        return _simcuda
    if _simcuda is None and type(array).__module__ == "minires.testing.simcuda":  # made before minires saw one
        return simcuda_module()
    if _cupy is None and type(array).__module__.startswith("cupy"):  # made before minires imported CuPy
        return cupy_module()
    return np


def device_of(array: Any) -> str:
    """The device name of an array: ``'cpu'``, ``'cuda'`` or ``'simcuda'``."""
    xp = get_array_module(array)
    return "cpu" if xp is np else "simcuda" if xp is _simcuda else "cuda"


def is_gpu(device: str) -> bool:
    """True for a GPU device (``'cuda'``, or ``'simcuda'``, which behaves as one)."""
    return device != "cpu"


def check_device(device: str | None) -> str:
    """Validate a device name and return it (``None`` means ``'cpu'``)."""
    if device is None:
        return "cpu"
    name = str(device)
    if name.startswith("cuda:"):  # accept PyTorch-style "cuda:0", one GPU only
        name = "cuda"
    if name not in DEVICES:
        raise InputError(f"unknown device {device!r}: expected 'cpu', 'cuda' or 'simcuda' (a simulated GPU)")
    if name == "cuda" and not cuda_available():
        raise RunError(
            "device 'cuda' was asked for but no CUDA GPU is available "
            "(minires.cuda.is_available() is False)"
        )
    return name


def xp_for(device: str) -> ModuleType:
    """The array module for a device name."""
    return np if device == "cpu" else simcuda_module() if device == "simcuda" else cupy_module()


def to_device(array: Any, device: str) -> Any:
    """Return ``array`` on ``device``, copying only when it has to move."""
    here = device_of(array)
    if here == device:
        return array
    if here != "cpu":
        array = array.get()  # device -> host copy (and on to another device from there)
    return array if device == "cpu" else xp_for(device).asarray(array)


def to_numpy(array: Any) -> np.ndarray:
    """A NumPy array holding the values of ``array`` (a host copy for a device array)."""
    return np.asarray(array) if device_of(array) == "cpu" else array.get()


def scatter_add(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` that also adds up repeated indices, in place."""
    xp = get_array_module(target)
    if hasattr(xp.add, "at"):  # NumPy, CuPy >= 13, the simulated device
        xp.add.at(target, index, values)
    else:
        import cupyx

        cupyx.scatter_add(target, index, values)
