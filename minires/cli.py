"""The ``minires`` command line.  Each subcommand is one small function."""

from __future__ import annotations

import argparse
import math
import sys
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, NoReturn

import minires
from minires import backend
from minires.data import cifar
from minires.errors import InputError, MiniresError
from minires.train.config import RECIPES

if TYPE_CHECKING:
    from minires.train import TrainConfig


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


def _download(args: argparse.Namespace) -> int:
    """Fetch the official CIFAR-10 archive (MD5-checked) into a folder."""
    from minires.data import download

    path = download(args.dir, md5=None if args.no_md5 else args.md5, url=args.url, dataset=args.dataset)
    flag = "" if args.dataset == "cifar10" else f" --dataset {args.dataset}"
    print(f"{cifar.layout(args.dataset).title} is at {path}"
          + ("" if args.dir is None else f"; use it with --data {args.dir}{flag}"))
    return 0


def _train(args: argparse.Namespace) -> int:
    """Train a network with the paper's recipe (every value overridable)."""
    from minires.data import download, locate
    from minires.train import train

    dataset = args.dataset or "cifar10"
    if args.download and args.data != "sample":
        try:
            locate(args.data, dataset)
        except FileNotFoundError:
            download(args.data, dataset=dataset)
    config = _recipe(args, out=args.out or f"runs/{args.model}")
    result = train(config, resume=args.resume, time_limit=args.time_limit)
    return 130 if result["status"] == "interrupted" else 0


def _eval(args: argparse.Namespace) -> int:
    """Evaluate a trained checkpoint on the test set."""
    from pathlib import Path

    from minires.models.weights import available_weights, shipped
    from minires.train import evaluate, load_test_set, load_trained

    device = backend.check_device(args.device)
    source = Path(args.checkpoint)
    if not source.exists():
        if args.checkpoint not in available_weights():
            raise InputError(f"expected a run folder, a checkpoint file or a network minires ships weights for "
                             f"({', '.join(available_weights())}); got {args.checkpoint!r}, which does not exist")
        source = shipped(args.checkpoint)  # a network's name: the weights minires ships for it
    model, state = load_trained(source, device)
    images, labels = load_test_set(state, args.data)
    error, loss = evaluate(model, images, labels, 500, device)
    if not math.isfinite(loss):
        raise InputError(f"{source}: the network's test loss is {loss}: its outputs overflow (the weights of a "
                         f"diverged run?), so its test error means nothing")
    print(f"{state['config']['model']} at iteration {state['iteration']}: test error {error:.2%} "
          f"(loss {loss:.4f}) on {len(labels):,} images")
    return 0


def _plot(args: argparse.Namespace) -> int:
    """Draw the error and loss curves of one or more run folders."""
    import json
    from pathlib import Path

    from minires.errors import InputError
    from minires.experiments.plots import plot_runs
    from minires.train import CONFIG, METRICS
    from minires.train.runfolder import read_metrics

    runs, milestones = {}, set()
    for folder in map(Path, args.runs):
        if (folder / CONFIG).is_file():
            try:
                saved = json.loads((folder / CONFIG).read_text())
            except (ValueError, RecursionError) as err:  # not JSON, not UTF-8, nested without end
                raise InputError(f"{folder / CONFIG}: expected the JSON settings of a run ({err})") from None
            drops = saved.get("milestones", []) if isinstance(saved, dict) else None
            if not isinstance(drops, list) or not all(isinstance(m, int) for m in drops):
                raise InputError(f"{folder / CONFIG}: expected a JSON object whose 'milestones' are whole numbers")
            milestones.update(drops)
        file = folder / METRICS
        if not file.is_file():
            raise InputError(f"{folder}: expected a run folder holding {METRICS}, found none")
        rows = read_metrics(file)
        if not rows:
            raise InputError(f"{file} has no evaluations yet; plot it after the first one")
        runs[folder.name if folder.name not in runs else str(folder)] = rows
    out = Path(args.out) if args.out else (Path(args.runs[0]) / "curves" if len(args.runs) == 1 else Path("curves"))
    written = plot_runs(runs, out, title=args.title, milestones=sorted(milestones))
    print("wrote " + ", ".join(str(p) for p in written))
    return 0


def add_recipe_arguments(p: argparse.ArgumentParser) -> None:
    """Options shared by 'train' and 'degradation': data, device and every value of the recipe."""
    p.add_argument("--recipe", choices=list(RECIPES), default="paper",
                   help="paper: the paper's 64k iterations (default); cpu: the same at 1/8 length, 8k iterations, "
                   "full test set every 500; quarter: 1/4 length, 16k iterations, test set every 1,000 "
                   "(each value below overrides it)")
    p.add_argument("--dataset", choices=list(cifar.DATASETS),
                   help="cifar10 (default), cifar100 (100 fine labels) or cifar100-coarse (20 superclasses)")
    p.add_argument("--data", help="CIFAR-10 folder or archive, or 'sample' for the embedded sample "
                    "(default: $MINIRES_DATA, then ~/.cache/minires)")
    p.add_argument("--device", help="cpu (default), cuda, or simcuda (a GPU simulated on the CPU, for tests)")
    p.add_argument("--seed", type=int)
    p.add_argument("--schedule-scale", type=float, help="shrink the whole schedule, e.g. 0.01 = 640 iterations")
    p.add_argument("--iterations", type=int, help="total iterations (before scaling)")
    p.add_argument("--milestones", type=int, nargs="*", help="lr /10 at these iterations (before scaling)")
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--momentum", type=float)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--warmup", action=argparse.BooleanOptionalAction, default=None,
                    help="lr 0.01 until training error < 80%% (default: on for ResNet-110 and deeper)")
    p.add_argument("--eval-every", type=int, help="evaluate every N iterations (before scaling)")
    p.add_argument("--checkpoint-every", type=int, help="checkpoint every N iterations (before scaling)")
    p.add_argument("--normalize", choices=["pixel", "channel"], help="per-pixel mean (paper) or per-channel")
    p.add_argument("--precision", choices=["fp32", "fp16"],
                   help="fp16: mixed precision (float16 compute, float32 weights, loss scaling); for GPUs")
    p.add_argument("--val-split", action="store_true", default=None, help="hold out 5k training images")
    p.add_argument("--eval-subset", type=int, help="evaluate on the first N test images only (default: all)")


def _recipe(args: argparse.Namespace, **fixed: object) -> TrainConfig:
    """A TrainConfig from the recipe options given on the command line (others keep their defaults)."""
    from minires.train import TrainConfig

    values = {k: v for k, v in vars(args).items() if k in TrainConfig.__dataclass_fields__ and v is not None}
    return TrainConfig.recipe(args.recipe, **{**values, **fixed})


def _degradation(args: argparse.Namespace) -> int:
    """Train plain and residual nets of several depths; draw Fig. 6 and the table."""
    from minires.experiments import degradation, markdown_table

    plain, residual = args.plain, args.residual
    if not plain and not residual:
        plain = residual = True
    base = _recipe(args, model="resnet20", out=args.out)
    security = None
    if args.tls_ca_file or args.tls_cert or args.tls_key:
        from minires.experiments.grid import tls_security

        if not (args.tls_ca_file and args.tls_cert and args.scheduler):
            raise InputError("TLS needs --scheduler tls://..., --tls-ca-file and --tls-cert (and --tls-key unless "
                             "the key is in the certificate file)")
        security = tls_security(args.tls_ca_file, args.tls_cert, args.tls_key)
    rows = degradation(base, args.depths, plain=plain, residual=residual, seeds=args.seeds, out=args.out,
                       time_limit=args.time_limit, train_runs=not args.no_train, workers=args.workers,
                       scheduler=args.scheduler, threads_per_run=args.threads_per_run, security=security)
    print(markdown_table(rows))
    print(f"wrote {args.out}/fig6.png, fig6.svg, table.md, table.json")
    return 0


def _responses(args: argparse.Namespace) -> int:
    """Std of every 3x3 layer's response for trained runs; draw Fig. 7."""
    from minires.experiments import responses

    stds = responses(args.runs, args.out, data=args.data, per_channel=args.per_channel, bn_mode=args.bn_mode,
                     limit=args.limit, device=backend.check_device(args.device))
    for name, values in stds.items():
        print(f"{name:<12} mean std {sum(values) / len(values):.3f} over {len(values)} layers")
    print(f"wrote {args.out}/fig7.png, fig7.svg, responses.json, responses.csv")
    return 0


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (what was wrong, and where to look) like every other error."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="minires",
        description="minires: rebuild and re-run Deep Residual Learning (He et al., 2015) on NumPy/CuPy.",
    )
    parser.add_argument("--version", action="version", version=f"minires {minires.__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    demo = sub.add_parser("demo", help="a tiny autograd demo: fit a line by gradient descent")
    demo.add_argument("--steps", type=int, default=100, help="gradient steps (default 100)")
    demo.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    demo.set_defaults(func=_demo)

    dl = sub.add_parser("download", help="download CIFAR-10 (163 MB) or CIFAR-100 (161 MB), MD5-checked",
                        description="Download the official archive (cifar-10-python.tar.gz or cifar-100-python.tar.gz) "
                        "with a progress line; it is written under a temporary name and kept only when complete and "
                        "its MD5 matches.")
    dl.add_argument("dir", nargs="?", help="folder to put it in (default ~/.cache/minires, where train looks)")
    dl.add_argument("--dataset", choices=["cifar10", "cifar100"], default="cifar10")
    dl.add_argument("--url", help="a mirror (default: the official address)")
    dl.add_argument("--md5", default="official", help="expected MD5 (default: the official archive's)")
    dl.add_argument("--no-md5", action="store_true", help="skip the checksum (a mirror with a rebuilt archive)")
    dl.set_defaults(func=_download)

    summary = sub.add_parser("summary", help="layers, parameters and multiply-adds of a network")
    summary.add_argument("model", help="a registered name, e.g. resnet20, plain56, resnet50")
    summary.add_argument("--totals", action="store_true", help="print the totals only")
    summary.add_argument("--v15", action="store_true", help="bottleneck stride on the 3x3 conv (ResNet-50+)")
    summary.set_defaults(func=_summary)

    tr = sub.add_parser("train", help="train a network on CIFAR-10 with the paper's recipe",
                        description="Train on CIFAR-10. Defaults are the paper's recipe: batch 128, lr 0.1 "
                        "(/10 at 32k and 48k), momentum 0.9, weight decay 1e-4, 64k iterations.")
    tr.add_argument("--model", required=True, help="e.g. resnet20, plain56 (see 'minires summary')")
    tr.add_argument("--out", help="run folder (default runs/MODEL)")
    tr.add_argument("--resume", action="store_true", help="continue the run saved in --out")
    tr.add_argument("--time-limit", type=float, help="stop cleanly with a checkpoint after this many seconds")
    tr.add_argument("--download", action="store_true",
                    help="download CIFAR-10 first if it is not found (into --data DIR, else ~/.cache/minires)")
    add_recipe_arguments(tr)
    tr.set_defaults(func=_train)

    deg = sub.add_parser(
        "degradation", help="the degradation experiment (Fig. 6): plain vs residual nets of several depths",
        description="Train plain and residual CIFAR nets (one resumable run folder each; re-running skips "
        "finished runs and resumes unfinished ones), then draw Fig. 6 and write table.md/table.json.")
    deg.add_argument("--depths", type=int, nargs="+", default=[20, 32, 44, 56])
    deg.add_argument("--plain", action="store_true", help="plain nets (default: both kinds)")
    deg.add_argument("--residual", action="store_true", help="residual nets (default: both kinds)")
    deg.add_argument("--seeds", type=int, default=1, help="runs per network (mean ± std in the table)")
    deg.add_argument("--out", required=True, help="experiment folder")
    deg.add_argument("--time-limit", type=float, help="seconds for all of this call's training; runs then pause "
                     "with a checkpoint (re-run the command to continue)")
    deg.add_argument("--no-train", action="store_true", help="only draw Fig. 6 and the table from the run folders")
    deg.add_argument("--workers", type=int, default=1,
                     help="train this many runs at once on this machine (a local Dask cluster; needs minires[cluster])")
    deg.add_argument("--scheduler", help="address of a Dask scheduler to send the runs to (tcp://... or tls://...)")
    deg.add_argument("--tls-ca-file", help="a tls:// scheduler's CA certificate (PEM); or set Dask's "
                     "DASK_DISTRIBUTED__COMM__TLS__CA_FILE")
    deg.add_argument("--tls-cert", help="this client's certificate for a tls:// scheduler (PEM); or set "
                     "DASK_DISTRIBUTED__COMM__TLS__CLIENT__CERT")
    deg.add_argument("--tls-key", help="this client's private key (PEM), unless it is in --tls-cert; or set "
                     "DASK_DISTRIBUTED__COMM__TLS__CLIENT__KEY")
    deg.add_argument("--threads-per-run", type=int, help="cores each run may use (default: cores / workers)")
    add_recipe_arguments(deg)
    deg.set_defaults(func=_degradation)

    resp = sub.add_parser(
        "responses", help="layer responses (Fig. 7) of trained runs",
        description="Std of each 3x3 layer's response -- its BN output, before ReLU and the shortcut "
        "addition -- over the test set. Choices the paper leaves open, and minires's defaults: every 3x3 "
        "conv counts, stem included; the std is pooled over all values of a layer (--per-channel: mean of "
        "the channels' stds); BN uses its running statistics (--bn-mode batch: each batch's own).")
    resp.add_argument("runs", nargs="+", help="run folders (or checkpoint files) of trained networks")
    resp.add_argument("--out", required=True, help="folder for fig7.png/svg, responses.json/csv")
    resp.add_argument("--data", help="CIFAR-10 location (default: the one each run used)")
    resp.add_argument("--per-channel", action="store_true", help="mean of per-channel stds")
    resp.add_argument("--bn-mode", choices=["eval", "batch"], default="eval")
    resp.add_argument("--limit", type=int, help="use only the first N test images")
    resp.add_argument("--device", default="cpu")
    resp.set_defaults(func=_responses)

    pl = sub.add_parser("plot", help="training and test curves of run folders (PNG + SVG)",
                        description="Error and loss against iterations, training dashed and evaluation bold as in "
                        "the paper, for one or more run folders (also while they train).")
    pl.add_argument("runs", nargs="+", help="run folders")
    pl.add_argument("--out", help="file stem (default: RUN/curves for one run, ./curves for several)")
    pl.add_argument("--title", help="a title above the plot")
    pl.set_defaults(func=_plot)

    ev = sub.add_parser("eval", help="test error of a trained checkpoint")
    ev.add_argument("checkpoint", help="a run folder, its checkpoint.npz, or a network minires ships weights for "
                    "(e.g. resnet20)")
    ev.add_argument("--data", help="CIFAR-10 location (default: the one the run used)")
    ev.add_argument("--device", default="cpu")
    ev.set_defaults(func=_eval)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        with warnings.catch_warnings():  # (process-wide: NumPy warns from the worker threads of a conv too)
            # overflow in a diverging network: the finite checks say so, in one line, instead of NumPy's warnings
            warnings.filterwarnings("ignore", r"(overflow|invalid value|divide by zero) encountered", RuntimeWarning)
            return args.func(args)
    except (MiniresError, OSError) as err:
        # the user's input or environment: one line; anything else is a bug and keeps its traceback
        message = " ".join(str(err).split()) or type(err).__name__
        print(f"minires {args.command}: error: {message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
