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


def test_no_module_below_the_top_floors_imports_the_package_root() -> None:
    # `import minires` inside the package is a circle (the root imports train, models, data, ...) that the
    # floors contract cannot see: the root is above every floor.  Only the command line and the teaching
    # kit, which nothing in minires imports, use the package the way a user does.
    import ast

    users = {"cli.py", "__main__.py"}
    offenders = []
    for path in sorted((ROOT / "minires").rglob("*.py")):
        relative = path.relative_to(ROOT / "minires")
        if (relative.name in users and len(relative.parts) == 1) or relative.parts[0] == "teaching":
            continue
        for node in ast.parse(path.read_text()).body:  # module level: what runs when it is imported
            if isinstance(node, ast.Import) and any(alias.name == "minires" for alias in node.names):
                offenders.append(f"{relative}:{node.lineno}")
    assert not offenders, f"import minires at module level in {offenders}"
