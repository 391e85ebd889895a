"""``python -m minires.teaching check|student|notebooks|grade|hint``: see ``minires.teaching``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from minires.checkpoint import atomic_write_bytes
from minires.errors import MiniresError
from minires.teaching.checks import check
from minires.teaching.grading import MEMORY_MB, TIMEOUT, grade, grades_csv
from minires.teaching.handout import make_student
from minires.teaching.hints import hint
from minires.teaching.notebook import make_notebooks


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minires.teaching", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="check exercise files (exit code 1 if one fails)")
    c.add_argument("files", nargs="+")
    s = sub.add_parser("student", help="write the student versions (solutions blanked)")
    s.add_argument("source", help="folder of exercise files with solutions")
    s.add_argument("out", help="folder for the student versions")
    g = sub.add_parser("grade", help="check every student's files: SUBMISSIONS/<student>/ex*.py, each check in "
                                     "its own process with a time and memory limit; a row per student as it finishes")
    g.add_argument("submissions")
    g.add_argument("--csv", help="also write the grades here (rewritten after every student)")
    g.add_argument("--timeout", type=float, default=TIMEOUT, help=f"seconds per exercise (default {TIMEOUT:g})")
    g.add_argument("--memory-mb", type=int, default=MEMORY_MB,
                   help=f"memory per check where the OS allows a limit (default {MEMORY_MB})")
    g.add_argument("--jobs", type=int, help="checks at once (default: the CPU count)")
    g.add_argument("--course-seed", type=int, help="hidden inputs: every check draws its inputs from this seed "
                                                   "too (keep it out of the handout)")
    n = sub.add_parser("notebooks", help="a notebook per exercise: text, nbgrader answer cell, a test cell per part")
    n.add_argument("source", help="folder of exercise files with solutions")
    n.add_argument("out", help="folder for the notebooks")
    n.add_argument("--student", action="store_true", help="blank the solutions (nbgrader does this itself)")
    h = sub.add_parser("hint", help="a hint for an exercise: 1 a nudge, 2 the method, 3 the formula")
    h.add_argument("exercise", help="e.g. ex4 or ex4_batchnorm_backward")
    h.add_argument("--level", type=int, default=1, choices=[1, 2, 3])
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            reports = [check(f) for f in args.files]
            print("\n".join(map(str, reports)))
            return 0 if all(r.passed for r in reports) else 1
        if args.command == "hint":
            print(hint(args.exercise, args.level))
            return 0
        if args.command == "notebooks":
            written = make_notebooks(args.source, args.out, student=args.student)
            print(f"wrote {len(written)} notebooks into {args.out}")
            return 0
        if args.command == "student":
            written = make_student(args.source, args.out)
            print(f"wrote {len(written)} student files into {args.out}")
            return 0
        graded: dict = {}

        def show(student: str, reports: dict) -> None:  # print the row, and rewrite the CSV with it
            graded[student] = reports
            table = grades_csv(graded)
            lines = table.splitlines(keepends=True)
            print("".join(lines if len(graded) == 1 else lines[-1:]), end="", flush=True)
            if args.csv:
                atomic_write_bytes(Path(args.csv), table.encode())

        grade(args.submissions, timeout=args.timeout, memory_mb=args.memory_mb, jobs=args.jobs, on_student=show,
              course_seed=args.course_seed)
        return 0
    except (MiniresError, OSError) as err:
        print(f"python -m minires.teaching {args.command}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
