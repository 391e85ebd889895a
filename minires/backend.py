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

DEVICES = ("cpu", "cuda")

_cupy: ModuleType | None = None


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
                "install it with: pip install 'minires[cuda12]' (or 'minires[cuda13]' for CUDA 13)"
            )
        import cupy

        _cupy = cupy
    return _cupy


def cuda_available() -> bool:
    """True when CuPy is installed and sees at least one CUDA device."""
    if not cupy_installed():
        return False
    try:
        return cupy_module().cuda.runtime.getDeviceCount() > 0
    except Exception:  # no driver, no device, broken install: all mean "no GPU"
        return False


def get_array_module(array: Any) -> ModuleType:
    """Return ``numpy`` or ``cupy``, whichever owns ``array``."""
    if _cupy is not None and isinstance(array, _cupy.ndarray):
        return _cupy
    if _cupy is None and type(array).__module__.startswith("cupy"):  # made before minires imported CuPy
        return cupy_module()
    return np


def device_of(array: Any) -> str:
    """The device name of an array: ``'cpu'`` or ``'cuda'``."""
    return "cuda" if get_array_module(array) is not np else "cpu"


def check_device(device: str | None) -> str:
    """Validate a device name and return it (``None`` means ``'cpu'``)."""
    if device is None:
        return "cpu"
    name = str(device)
    if name.startswith("cuda:"):  # accept PyTorch-style "cuda:0", one GPU only
        name = "cuda"
    if name not in DEVICES:
        raise InputError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")
    if name == "cuda" and not cuda_available():
        raise RunError(
            "device 'cuda' was asked for but no CUDA GPU is available "
            "(minires.cuda.is_available() is False)"
        )
    return name


def xp_for(device: str) -> ModuleType:
    """The array module for a device name."""
    return cupy_module() if device == "cuda" else np


def to_device(array: Any, device: str) -> Any:
    """Return ``array`` on ``device``, copying only when it has to move."""
    if device_of(array) == device:
        return array
    if device == "cuda":
        return cupy_module().asarray(array)
    return array.get()  # CuPy -> NumPy host copy


def to_numpy(array: Any) -> np.ndarray:
    """A NumPy array holding the values of ``array`` (a host copy for CuPy)."""
    return array.get() if device_of(array) == "cuda" else np.asarray(array)


def scatter_add(target: Any, index: Any, values: Any) -> None:
    """``target[index] += values`` that also adds up repeated indices, in place."""
    xp = get_array_module(target)
    if xp is np:
        np.add.at(target, index, values)
    else:
        import cupyx

        cupyx.scatter_add(target, index, values)
