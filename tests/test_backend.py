"""The array backend: module lookup, device names, moves."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from minires import backend


def test_numpy_arrays_are_cpu() -> None:
    a = np.zeros(3)
    assert backend.get_array_module(a) is np
    assert backend.device_of(a) == "cpu"
    assert backend.to_device(a, "cpu") is a
    assert backend.to_numpy(a) is a


def test_device_names() -> None:
    assert backend.check_device(None) == "cpu"
    assert backend.check_device("cpu") == "cpu"
    assert backend.check_device("simcuda") == "simcuda"
    with pytest.raises(ValueError, match="expected 'cpu', 'cuda' or 'simcuda'"):
        backend.check_device("gpu0")


def test_importing_minires_does_not_import_cupy() -> None:
    import subprocess

    code = "import minires, sys; minires.ones(2) + 1; print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_scatter_add_adds_repeated_indices() -> None:
    target = np.zeros(3)
    backend.scatter_add(target, np.array([0, 0, 2]), np.array([1.0, 2.0, 5.0]))
    assert target.tolist() == [3.0, 0.0, 5.0]
