"""Grading a class: every check in its own process, with a time and a memory limit.

A student's file is code, and code can hang (``time.sleep(3600)``, an endless
loop), crash the interpreter, call ``exit()``, print without end, eat all the
memory, or patch NumPy for whoever imports it next.  None of that may cost
more than that student's one exercise.  So ``grade`` runs each check as

    python -m minires.teaching.grading FILE MEMORY_MB

in a fresh process: NumPy and minires are imported anew (a patch dies with
its process), the student's output goes nowhere, the process (with anything
it started) is stopped after ``timeout`` seconds, its address space is
limited to ``memory_mb`` (where the operating system allows it), and the
report comes back as one line of JSON on a copy of its standard output.
A missing report is itself the verdict ("exited", "was killed", "took longer
than").

Rows are reported as each student finishes (``on_student``), and the command
line rewrites its CSV atomically after every student, so a grading stopped
half-way keeps every row it had.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from minires.errors import InputError
from minires.teaching.checks import CHECKS, Report, check, set_course_seed

TIMEOUT = 30.0  # seconds per exercise
MEMORY_MB = 4096  # address space per check (a NumPy process needs some 1 GB of it just to start)


def check_isolated(file: str | Path, timeout: float = TIMEOUT, memory_mb: int = MEMORY_MB,
                   course_seed: int | None = None) -> Report:
    """``check(file)`` in a process of its own; a hang, a crash or an exit is that exercise's report.

    ``course_seed``: hidden inputs (see ``checks.set_course_seed``).
    """
    file = Path(file)
    command = [sys.executable, "-m", "minires.teaching.grading", str(file.resolve()), str(memory_mb),
               "" if course_seed is None else str(course_seed)]
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                             start_new_session=True)  # its own process group: whatever it starts stops with it
    try:
        output, _ = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(child)
        return Report(file.stem, [f"took longer than {timeout:g} s and was stopped (an endless loop, a wait, "
                                  f"or far too slow)"])
    finally:
        _stop(child)
    try:
        saved = json.loads(output.decode().strip().splitlines()[-1])
        return Report(str(saved["exercise"]), [str(p) for p in saved["problems"]],
                      {str(k): float(v) for k, v in saved["parts"].items()})
    except (ValueError, IndexError, KeyError, TypeError, UnicodeDecodeError):
        code = child.returncode
        if code < 0:
            how = f"was killed by signal {-code} (a crash, or more than {memory_mb} MB of memory)"
        elif code == 0:
            how = "exited (exit() or sys.exit()) before its check finished"
        else:
            how = f"exited with status {code} before its check finished (exit(), or out of memory)"
        return Report(file.stem, [f"the check {how}"])


def _stop(child: subprocess.Popen) -> None:
    """Kill the child's whole process group (a no-op once it is gone)."""
    if child.poll() is None:
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        child.wait()


def grade(submissions: str | Path, timeout: float = TIMEOUT, memory_mb: int = MEMORY_MB, jobs: int | None = None,
          on_student: Callable[[str, dict[str, Report]], None] | None = None,
          course_seed: int | None = None) -> dict[str, dict[str, Report]]:
    """Check every student's files, ``submissions/<student>/ex*.py``: {student: {exercise: Report}}.

    Args:
        timeout, memory_mb: the limits of each check (each runs in its own process).
        jobs: checks run at once (default: the CPU count).
        on_student: called with (student, reports) as soon as a student is graded, in order.
        course_seed: the teacher's seed for hidden inputs (None: the inputs students check with).
    """
    root = Path(submissions)
    students = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not students:
        raise InputError(f"{root}: expected one folder per student holding their ex*.py files, found none")
    if not timeout > 0:
        raise InputError(f"grade: the time limit must be a positive number of seconds, got {timeout!r}")
    set_course_seed(course_seed)  # checked here, before any process starts
    set_course_seed(None)
    results: dict[str, dict[str, Report]] = {}
    with ThreadPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        pending = {
            folder.name: {name: pool.submit(check_isolated, folder / f"{name}.py", timeout, memory_mb, course_seed)
                          for name in CHECKS if (folder / f"{name}.py").exists()}
            for folder in students
        }
        for student, futures in pending.items():  # in order: each row as soon as it is complete
            results[student] = {name: futures[name].result() if name in futures else Report(name, ["not handed in"])
                                for name in CHECKS}
            if on_student is not None:
                on_student(student, results[student])
    return results


def grades_csv(results: dict[str, dict[str, Report]]) -> str:
    """One row per student: points per exercise, the total, what it was out of, and the first problem of each
    exercise that did not pass (points to two decimals: partial credit, see ``checks.POINTS``)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *CHECKS, "total", "out_of", "passed", "notes"])
    for student, reports in results.items():
        points = [reports[name].points for name in CHECKS]
        notes = "; ".join(f"{name}: {r.problems[0]}" for name, r in reports.items() if not r.passed)
        writer.writerow([student, *(_points(p) for p in points), _points(sum(points)),
                         _points(sum(reports[name].out_of for name in CHECKS)),
                         sum(reports[name].passed for name in CHECKS), notes])
    return buffer.getvalue()


def _points(value: float) -> str:
    """Points as the CSV writes them: 7.5, 6.67, 10."""
    return f"{round(value, 2):g}"


def _child(file: str, memory_mb: int, course_seed: int | None) -> None:
    """The child process: check one file, report on a private copy of stdout; the student's output is dropped."""
    try:
        import resource

        size = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
    except (ImportError, ValueError, OSError):  # not POSIX, or the system refuses: no memory limit
        pass
    report_to = os.fdopen(os.dup(1), "w")
    nowhere = os.open(os.devnull, os.O_WRONLY)
    os.dup2(nowhere, 1)
    os.dup2(nowhere, 2)
    sys.argv = sys.argv[:1]  # (the student's code does not see the course seed)
    set_course_seed(course_seed)
    report = check(file)
    report_to.write(json.dumps({"exercise": report.exercise, "problems": report.problems, "parts": report.parts})
                    + "\n")
    report_to.flush()


if __name__ == "__main__":
    _child(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 and sys.argv[3] else None)
