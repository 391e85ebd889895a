"""Student versions of the exercises, and grading a class's submissions."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from minires.checkpoint import atomic_write_bytes
from minires.errors import InputError
from minires.teaching.checks import CHECKS, Report, check

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


def grade(submissions: str | Path) -> dict[str, dict[str, Report]]:
    """Check every student's files: ``submissions/<student>/ex*.py`` -> {student: {exercise: Report}}."""
    root = Path(submissions)
    students = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not students:
        raise InputError(f"{root}: expected one folder per student holding their ex*.py files, found none")
    results: dict[str, dict[str, Report]] = {}
    for folder in students:
        results[folder.name] = {}
        for name in CHECKS:
            file = folder / f"{name}.py"
            results[folder.name][name] = check(file) if file.exists() else Report(name, ["not handed in"])
    return results


def grades_csv(results: dict[str, dict[str, Report]]) -> str:
    """One row per student: 1/0 per exercise, the total, and the first problem of each failed exercise."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *CHECKS, "total", "notes"])
    for student, reports in results.items():
        marks = [int(reports[name].passed) for name in CHECKS]
        notes = "; ".join(f"{name}: {r.problems[0]}" for name, r in reports.items() if not r.passed)
        writer.writerow([student, *marks, sum(marks), notes])
    return buffer.getvalue()
