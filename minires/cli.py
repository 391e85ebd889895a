"""The ``minires`` command line.  Each subcommand is one small function."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import minires


def _demo(args: argparse.Namespace) -> int:
    """Fit y = 3x - 1 with autograd and plain gradient descent."""
    minires.manual_seed(args.seed)
    x = minires.randn(256, 1)
    y = 3 * x - 1 + 0.1 * minires.randn(256, 1)
    w = minires.zeros(1, 1, requires_grad=True)
    b = minires.zeros(1, requires_grad=True)
    for step in range(args.steps + 1):
        loss = ((x @ w + b - y) ** 2).mean()
        w.grad = b.grad = None
        loss.backward()
        with minires.no_grad():
            w.data -= 0.1 * w.grad.data
            b.data -= 0.1 * b.grad.data
        if step % max(args.steps // 5, 1) == 0:
            print(f"step {step:4d}  loss {loss.item():.5f}")
    print(f"learned w = {w.item():.3f}, b = {b.item():.3f}  (true: 3, -1)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="minires",
        description="minires: rebuild and re-run Deep Residual Learning (He et al., 2015) on NumPy/CuPy.",
    )
    parser.add_argument("--version", action="version", version=f"minires {minires.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser("demo", help="a tiny autograd demo: fit a line by gradient descent")
    demo.add_argument("--steps", type=int, default=100, help="gradient steps (default 100)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.set_defaults(func=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
