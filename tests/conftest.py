"""Shared fixtures: run tests on every available device; PyTorch as an optional oracle."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import minires


@pytest.fixture(params=["cpu", pytest.param("cuda", marks=pytest.mark.cuda), "simcuda"])
def device(request: pytest.FixtureRequest) -> str:
    """Each device-parametrised test runs on the CPU, on the GPU when there is one, and on the simulated GPU.

    ``simcuda`` (``minires.testing.simcuda``) holds its values in NumPy arrays but refuses
    what CuPy refuses, so the GPU code path is tested on every machine.
    """
    if request.param == "cuda" and not minires.cuda.is_available():
        pytest.skip("no CUDA GPU with CuPy on this machine")
    return request.param


@pytest.fixture(autouse=True)
def _seed() -> None:
    minires.manual_seed(0)


@pytest.fixture
def workers() -> Iterator[None]:
    """Lets a test change ``minires.set_num_threads`` and puts the old count back afterwards."""
    before = minires.get_num_threads()
    yield
    minires.set_num_threads(before)
