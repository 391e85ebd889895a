"""``python -m minires.teaching check|student|grade``: see ``minires.teaching``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from minires.checkpoint import atomic_write_bytes
from minires.errors import MiniresError
from minires.teaching.checks import check
from minires.teaching.handout import grade, grades_csv, make_student


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m minires.teaching", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="check exercise files (exit code 1 if one fails)")
    c.add_argument("files", nargs="+")
    s = sub.add_parser("student", help="write the student versions (solutions blanked)")
    s.add_argument("source", help="folder of exercise files with solutions")
    s.add_argument("out", help="folder for the student versions")
    g = sub.add_parser("grade", help="check every student's files: SUBMISSIONS/<student>/ex*.py")
    g.add_argument("submissions")
    g.add_argument("--csv", help="also write the grades here")
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            reports = [check(f) for f in args.files]
            print("\n".join(map(str, reports)))
            return 0 if all(r.passed for r in reports) else 1
        if args.command == "student":
            written = make_student(args.source, args.out)
            print(f"wrote {len(written)} student files into {args.out}")
            return 0
        results = grade(args.submissions)
        table = grades_csv(results)
        print(table, end="")
        if args.csv:
            atomic_write_bytes(Path(args.csv), table.encode())
        return 0
    except (MiniresError, OSError) as err:
        print(f"python -m minires.teaching {args.command}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
