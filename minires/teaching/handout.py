"""Student versions of the exercises (grading a class's submissions is in ``grading.py``)."""

from __future__ import annotations

from pathlib import Path

from minires.checkpoint import atomic_write_bytes
from minires.errors import InputError
from minires.teaching.grading import grade, grades_csv  # noqa: F401  (their old import path)

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
BLANK = 'raise NotImplementedError("your code here")'


def student_source(text: str, source: str = "exercise") -> str:
    """``text`` with every solution block replaced by ``raise NotImplementedError("your code here")``."""
    out, inside, indent = [], False, ""
    for number, line in enumerate(text.splitlines(keepends=True), start=1):
        stripped = line.strip()
        if stripped == BEGIN:
            if inside:
                raise InputError(f"{source}:{number}: a second '{BEGIN}' before '{END}'")
            inside, indent = True, line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}{BLANK}\n")
        elif stripped == END:
            if not inside:
                raise InputError(f"{source}:{number}: '{END}' without '{BEGIN}'")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise InputError(f"{source}: '{BEGIN}' is never closed")
    return "".join(out)


def make_student(source_dir: str | Path, out_dir: str | Path) -> list[Path]:
    """Write the student version of every ``ex*.py`` in ``source_dir`` into ``out_dir``."""
    files = sorted(Path(source_dir).glob("ex*.py"))
    if not files:
        raise InputError(f"{source_dir}: expected exercise files ex*.py, found none")
    written = []
    for file in files:
        target = Path(out_dir) / file.name
        atomic_write_bytes(target, student_source(file.read_text(), str(file)).encode())
        written.append(target)
    return written
