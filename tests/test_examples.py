"""The example scripts stay runnable."""

from __future__ import annotations

import py_compile
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_example_compiles(path: Path) -> None:
    py_compile.compile(str(path), doraise=True)


@pytest.mark.slow
def test_custom_model_example_runs() -> None:
    script = next(p for p in EXAMPLES if p.stem == "custom_model")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    accuracy = float(out.stdout.strip().splitlines()[-1].split(":")[1].strip().rstrip("%"))
    assert accuracy > 15  # chance is 10%
