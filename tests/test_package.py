"""What importing the package does to the process (minires/__init__.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

CODE = "import os, minires; print(os.environ.get('OPENBLAS_THREAD_TIMEOUT'))"


def run_with(timeout: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_THREAD_TIMEOUT"}
    if timeout is not None:
        env["OPENBLAS_THREAD_TIMEOUT"] = timeout
    return subprocess.run([sys.executable, "-c", CODE], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


@pytest.mark.parametrize("given,expected", [(None, "4"), ("28", "28"), ("0", "0")])
def test_import_sets_openblas_thread_timeout_unless_the_user_did(given: str | None, expected: str) -> None:
    # idle OpenBLAS threads should sleep at once (see the comment in minires/__init__.py);
    # anything the user set explicitly, even 0, is left alone
    assert run_with(given) == expected


def test_subpackages_are_attributes_of_minires() -> None:
    import minires

    for name in ("nn", "optim", "data", "train", "models", "checkpoint"):
        assert hasattr(minires, name), name
