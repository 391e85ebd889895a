"""One seedable random generator for everything minires draws.

All random numbers (weight initialisation, ``randn``) come from one NumPy
``Generator`` and are moved to the device afterwards, so the same seed
gives the same network on the CPU and on the GPU.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from minires import backend
from minires.tensor import Tensor, _shape_args

_generator = np.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed minires's generator (and CuPy's, when CuPy is already in use)."""
    global _generator
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"manual_seed expects a non-negative integer, got {seed!r}")
    _generator = np.random.default_rng(int(seed))
    if backend._cupy is not None:
        backend._cupy.random.seed(int(seed))


def generator() -> np.random.Generator:
    """The generator minires draws from (for code that needs raw NumPy draws)."""
    return _generator


def get_rng_state() -> dict[str, Any]:
    """A JSON-friendly snapshot of the generator, for checkpoints."""
    return _generator.bit_generator.state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore a snapshot taken by ``get_rng_state``."""
    _generator.bit_generator.state = state


def randn(*shape: Any, dtype: Any = np.float32, device: str | None = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples, e.g. ``randn(128, 3, 32, 32)``."""
    data = _generator.standard_normal(_shape_args(shape), dtype=np.float64).astype(dtype)
    return Tensor(backend.to_device(data, backend.check_device(device)), requires_grad=requires_grad)


def rand(*shape: Any, dtype: Any = np.float32, device: str | None = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples in [0, 1)."""
    data = _generator.random(_shape_args(shape)).astype(dtype)
    return Tensor(backend.to_device(data, backend.check_device(device)), requires_grad=requires_grad)
