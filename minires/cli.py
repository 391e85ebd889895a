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


def _summary(args: argparse.Namespace) -> int:
    """Print a network's layers, parameters and multiply-adds."""
    from minires import models

    model = models.get(args.model, **({"stride_on_3x3": True} if args.v15 else {}))
    print(minires.summary(model, models.input_shape(args.model)).table(layers=not args.totals))
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

    summary = sub.add_parser("summary", help="layers, parameters and multiply-adds of a network")
    summary.add_argument("model", help="a registered name, e.g. resnet20, plain56, resnet50")
    summary.add_argument("--totals", action="store_true", help="print the totals only")
    summary.add_argument("--v15", action="store_true", help="bottleneck stride on the 3x3 conv (ResNet-50+)")
    summary.set_defaults(func=_summary)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args)
    except (ValueError, FileNotFoundError, RuntimeError, OSError) as err:
        print(f"minires {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
