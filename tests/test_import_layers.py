"""minires's import floors hold: the contracts in pyproject.toml ([tool.importlinter]), checked by lint-imports."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _lint_imports() -> str | None:
    """The lint-imports program of this Python's environment, if import-linter is installed."""
    beside = Path(sys.executable).with_name("lint-imports")
    return str(beside) if beside.is_file() else shutil.which("lint-imports")


def test_every_import_contract_is_kept() -> None:
    program = _lint_imports()
    if program is None:
        pytest.skip("import-linter is not installed (it comes with pip install 'minires[test]'), "
                    "so the import floors in pyproject.toml are not checked here")
    # run from the repository root: lint-imports analyses the minires found there, not an installed copy.
    # It follows chains through the package root too: `import minires` in a module below train
    # reaches every floor the root imports (data, models, train) and breaks the floors contract.
    result = subprocess.run([program, "--no-cache", "--config", "pyproject.toml"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
