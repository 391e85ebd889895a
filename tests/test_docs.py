"""The Python examples in README.md and docs/user-guide.md run as printed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def python_blocks(path: Path) -> list[str]:
    """The ```python fenced blocks of a Markdown file, in order."""
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


def block_with(path: Path, text: str) -> str:
    found = [b for b in python_blocks(path) if text in b]
    assert len(found) == 1, f"{path.name}: expected one python block containing {text!r}, found {len(found)}"
    return found[0]


def test_the_readme_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    exec(block_with(ROOT / "README.md", "opt.step()"), {})
    out = capsys.readouterr().out
    assert "resnet20" in out and "plain20" in out  # available_weights()
    assert "269,722" in out  # the summary table's parameter count (Table 6: 0.27M)


def test_the_user_guide_trained_weights_example_gives_the_error_it_states() -> None:
    code = block_with(ROOT / "docs" / "user-guide.md", 'weights="cpu"')
    stated = float(re.search(r"# ([0-9.]+) on the sample", code).group(1))
    scope: dict = {}
    exec(code, scope)
    assert scope["images"].shape == (1000, 3, 32, 32)
    assert round(scope["error"], 2) == stated


def test_the_api_reference_is_current() -> None:
    import runpy

    make = runpy.run_path(str(ROOT / "scripts" / "make_api_docs.py"))  # defines, does not write
    assert (ROOT / "docs" / "api.md").read_text() == make["api_text"](), \
        "docs/api.md is out of date: run python scripts/make_api_docs.py"
