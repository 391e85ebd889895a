"""Shared fixtures: run tests on every available device; PyTorch as an optional oracle."""

from __future__ import annotations

import pytest

import minires


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda)])
def device(request: pytest.FixtureRequest) -> str:
    """Each device-parametrised test runs on the CPU, and on the GPU when there is one."""
    if request.param == "cuda" and not minires.cuda.is_available():
        pytest.skip("no CUDA GPU with CuPy on this machine")
    return request.param


@pytest.fixture(autouse=True)
def _seed() -> None:
    minires.manual_seed(0)
