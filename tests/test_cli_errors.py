"""Bad input, tried the way a new user would: every kind is a one-line error, exit code 2, nothing written.

Each row of ``CASES`` is (kind, command-line arguments, the part of the message that
must appear).  ``{data}``, ``{run}``, ``{files}`` and ``{out}`` are filled in with
the paths of the fixtures below.  For every row the test checks that the folder
holding all those files is byte for byte the same afterwards.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from cifar_files import batch_bytes, write_cifar
from helpers import meta, npy_bytes, npz_bytes

import minires
from minires import checkpoint, models
from minires.cli import main
from minires.train import TrainConfig, train

TINY = ["--model", "resnet8", "--batch-size", "8", "--iterations", "2", "--milestones", "1", "--eval-every", "2",
        "--checkpoint-every", "1"]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with good data, a finished tiny run, and a collection of broken files."""
    root = tmp_path_factory.mktemp("world")
    write_cifar(root / "data", per_batch=12, test=20)
    train(TrainConfig(model="resnet8", data=str(root / "data"), out=str(root / "run"), batch_size=8, iterations=2,
                      milestones=[1], eval_every=2, checkpoint_every=1, eval_batch_size=10),
          stream=open(os.devnull, "w"))
    files = root / "files"
    files.mkdir()
    good = checkpoint.load(root / "run" / "checkpoint.npz")
    np.save(files / "array.npy", np.arange(3))
    (files / "text.npz").write_text("these are my weights\n")
    (files / "empty.npz").write_bytes(b"")
    np.savez(files / "numpy.npz", a=np.arange(3))
    blob = (root / "run" / "checkpoint.npz").read_bytes()
    (files / "truncated.npz").write_bytes(blob[: len(blob) // 2])
    checkpoint.save(files / "no-config.npz", {k: v for k, v in good.items() if k != "config"})
    checkpoint.save(files / "other-model.npz", {**good, "model": models.get("resnet14").state_dict()})
    checkpoint.save(files / "bad-config.npz", {**good, "config": {**good["config"], "batch_size": -1}})
    (files / "a-file").write_text("not a folder\n")
    # weights no run should use, and files damaged in ways a reader must not trust
    def with_fc(make: Callable[[np.ndarray], np.ndarray]) -> dict:
        return {**good, "model": {**good["model"], "fc.weight": make(good["model"]["fc.weight"])}}

    nan_var = {**good["model"], "bn1.running_var": good["model"]["bn1.running_var"].copy()}
    nan_var["bn1.running_var"][0] = np.nan
    checkpoint.save(files / "nan-weights.npz", {**good, "model": nan_var})
    checkpoint.save(files / "overflowing.npz", with_fc(lambda w: np.full_like(w, 3e38)))
    for kind, make in {"bool": lambda w: w > 0, "complex": lambda w: w.astype(np.complex64),
                       "datetime64": lambda w: np.zeros(w.shape, "datetime64[s]"),
                       "structured": lambda w: np.zeros(w.shape, [("value", np.float32)])}.items():
        checkpoint.save(files / f"{kind}-weights.npz", with_fc(make))
    checkpoint.save(files / "no-normalizer.npz", {k: v for k, v in good.items() if k != "normalizer"})
    (files / "huge-shape.npz").write_bytes(npz_bytes({"__meta__": meta('{"x": {"__array__": "x"}}'),
                                                      "x": npy_bytes((10**12,), b"\0" * 16)}))
    (files / "bomb.npz").write_bytes(npz_bytes({"__meta__": meta("{}")}, claim=2**32 - 1))
    (files / "deep.npz").write_bytes(npz_bytes({"__meta__": meta("[" * 100_000 + "]" * 100_000)}))
    (files / "finished-only").mkdir()  # a finished run's checkpoint, copied without its other files
    (files / "finished-only" / "checkpoint.npz").write_bytes((root / "run" / "checkpoint.npz").read_bytes())
    (files / "bad-metrics").mkdir()
    (files / "bad-metrics" / "metrics.jsonl").write_text('{"iteration": 2}\nnot json\n{"iteration": 4}\n')
    (files / "bad-config-json").mkdir()
    (files / "bad-config-json" / "config.json").write_text("{oops")
    (files / "bad-config-json" / "metrics.jsonl").write_bytes((root / "run" / "metrics.jsonl").read_bytes())
    paused = files / "paused-bad-metrics"
    train(TrainConfig(model="resnet8", data=str(root / "data"), out=str(paused), batch_size=8, iterations=2,
                      milestones=[1], eval_every=2, checkpoint_every=1, eval_batch_size=10),
          stream=open(os.devnull, "w"), time_limit=0.0)
    (paused / "metrics.jsonl").write_text("[1, 2]\n")
    # broken data sets: one file each
    for name, damage in {
        "truncated": lambda b: b[: len(b) // 3],
        "text": lambda b: b"hello\n",
        "shape": lambda b: batch_bytes(np.zeros((4, 3, 16, 16), np.uint8), np.zeros(4, int)),
        "labels": lambda b: batch_bytes(np.zeros((4, 3, 32, 32), np.uint8), np.full(4, 12)),
        "evil": lambda b: pickle.dumps(os.system),
        "strlabels": lambda b: pickle.dumps({b"data": np.zeros((4, 3072), np.uint8), b"labels": [b"cat"] * 4},
                                            protocol=2),
    }.items():
        folder = write_cifar(files / f"data-{name}", per_batch=12, test=20)
        (folder / "data_batch_3").write_bytes(damage((folder / "data_batch_3").read_bytes()))
    (files / "data-archive").mkdir()
    (files / "data-archive" / "cifar-10-python.tar.gz").write_bytes(b"\x1f\x8b not really gzip")
    return root


CASES = [
    # data files
    ("missing data folder", ["train", *TINY, "--data", "{files}/nowhere", "--out", "{out}"], "does not exist"),
    ("truncated batch file", ["train", *TINY, "--data", "{files}/data-truncated", "--out", "{out}"], "data_batch_3"),
    ("text file as batch", ["train", *TINY, "--data", "{files}/data-text", "--out", "{out}"],
     "not a valid CIFAR pickle"),
    ("images of the wrong size", ["train", *TINY, "--data", "{files}/data-shape", "--out", "{out}"],
     "should be a (N, 3072) uint8 array"),
    ("labels out of range", ["train", *TINY, "--data", "{files}/data-labels", "--out", "{out}"], "integers in 0..9"),
    ("pickle that runs code", ["train", *TINY, "--data", "{files}/data-evil", "--out", "{out}"], "refusing to load"),
    ("corrupt archive", ["train", *TINY, "--data", "{files}/data-archive", "--out", "{out}"], "not a readable .tar.gz"),
    ("batch larger than the data", ["train", *TINY, "--data", "{data}", "--batch-size", "999", "--out", "{out}"],
     "batch_size must be in 1..60"),
    # checkpoints
    ("missing checkpoint", ["eval", "{files}/nothing.npz"], "does not exist"),
    ("network without shipped weights", ["eval", "resnet1202"], "a network minires ships weights for (plain20, "),
    ("folder without a run", ["eval", "{files}"], "does not exist"),
    (".npy array as checkpoint", ["eval", "{files}/array.npy"], "got a single NumPy .npy array"),
    ("text file as checkpoint", ["eval", "{files}/text.npz"], "got a text file"),
    ("empty checkpoint", ["eval", "{files}/empty.npz"], "got an empty file"),
    ("plain NumPy .npz", ["eval", "{files}/numpy.npz"], "without its __meta__ entry"),
    ("truncated checkpoint", ["eval", "{files}/truncated.npz"], "truncated or damaged zip"),
    ("checkpoint without config", ["eval", "{files}/no-config.npz"], "with its config and model weights"),
    ("weights of another network", ["eval", "{files}/other-model.npz"], "does not fit its own model 'resnet8'"),
    ("invalid saved settings", ["eval", "{files}/bad-config.npz"], "batch_size must be a whole number >= 1"),
    ("run exists without --resume", ["train", *TINY, "--data", "{data}", "--out", "{run}"], "pass --resume"),
    # model names
    ("unknown model", ["train", "--model", "resnet21", "--data", "{data}", "--out", "{out}"],
     "unknown model 'resnet21'"),
    ("leading zero in depth", ["train", "--model", "resnet020", "--data", "{data}", "--out", "{out}"],
     "unknown model 'resnet020'"),
    ("ImageNet network on CIFAR", ["train", "--model", "resnet18", "--data", "{data}", "--out", "{out}"],
     "is an ImageNet network"),
    ("unknown model in summary", ["summary", "resnet7"], "unknown model 'resnet7'"),
    # command-line values
    ("negative learning rate", ["train", *TINY, "--data", "{data}", "--lr", "-0.1", "--out", "{out}"], "lr must be"),
    ("zero learning rate", ["train", *TINY, "--data", "{data}", "--lr", "0", "--out", "{out}"], "got 0.0"),
    ("NaN learning rate", ["train", *TINY, "--data", "{data}", "--lr", "nan", "--out", "{out}"], "got nan"),
    ("batch size 0", ["train", *TINY, "--data", "{data}", "--batch-size", "0", "--out", "{out}"], "batch_size must be"),
    ("milestones out of order", ["train", *TINY, "--data", "{data}", "--milestones", "5", "3", "--out", "{out}"],
     "strictly increasing, got [5, 3]"),
    ("zero schedule scale", ["train", *TINY, "--data", "{data}", "--schedule-scale", "0", "--out", "{out}"],
     "schedule_scale must be"),
    ("negative schedule scale", ["train", *TINY, "--data", "{data}", "--schedule-scale", "-1", "--out", "{out}"],
     "schedule_scale must be"),
    ("negative momentum", ["train", *TINY, "--data", "{data}", "--momentum", "-0.5", "--out", "{out}"],
     "momentum must be"),
    ("infinite weight decay", ["train", *TINY, "--data", "{data}", "--weight-decay", "inf", "--out", "{out}"],
     "weight_decay must be"),
    ("evaluate every 0 iterations", ["train", *TINY, "--data", "{data}", "--eval-every", "0", "--out", "{out}"],
     "eval_every must be"),
    ("negative seed", ["train", *TINY, "--data", "{data}", "--seed", "-3", "--out", "{out}"], "seed must be"),
    ("unknown dataset", ["train", *TINY, "--data", "{data}", "--dataset", "cifar1000", "--out", "{out}"],
     "invalid choice: 'cifar1000'"),
    ("a batch size that is not a number", ["train", *TINY, "--data", "{data}", "--batch-size", "abc",
                                           "--out", "{out}"], "invalid int value: 'abc'"),
    ("CIFAR-100 from the CIFAR-10 sample", ["train", *TINY, "--data", "sample", "--dataset", "cifar100",
                                            "--out", "{out}"], "the embedded sample is CIFAR-10"),
    ("CIFAR-100 asked of a CIFAR-10 folder", ["train", *TINY, "--data", "{data}", "--dataset", "cifar100",
                                              "--out", "{out}"], "CIFAR-100 not found"),
    ("unknown device", ["train", *TINY, "--data", "{data}", "--device", "tpu", "--out", "{out}"],
     "unknown device 'tpu'"),
    ("output folder under a file", ["train", *TINY, "--data", "{data}", "--out", "{files}/a-file/run"],
     "expected a folder"),
    ("output folder that cannot be made", ["train", *TINY, "--data", "{data}", "--out", "/proc/minires-run"],
     "cannot be written"),
    ("zero workers", ["degradation", "--depths", "8", "--data", "{data}", "--workers", "0", "--out", "{out}"],
     "workers must be a whole number >= 1, got 0"),
    ("unreachable scheduler", ["degradation", "--depths", "8", "--data", "{data}", "--scheduler",
                               "tcp://127.0.0.1:9", "--out", "{out}"], "cannot reach the Dask scheduler"),
    ("eval on an unknown device", ["eval", "{run}", "--device", "gpu0"], "unknown device 'gpu0'"),
    ("TLS scheduler without certificates", ["degradation", "--depths", "8", "--data", "{data}", "--scheduler",
                                            "tls://127.0.0.1:1", "--out", "{out}"], "speaks TLS: give its CA"),
    ("UCX scheduler", ["degradation", "--depths", "8", "--data", "{data}", "--scheduler", "ucx://127.0.0.1:1",
                       "--out", "{out}"], "expected a tcp:// or tls:// address"),
    ("certificates for a plain TCP scheduler", ["degradation", "--depths", "8", "--data", "{data}", "--scheduler",
                                                "tcp://127.0.0.1:9", "--tls-ca-file", "{files}/a-file",
                                                "--tls-cert", "{files}/a-file", "--out", "{out}"],
     "is plain tcp://; use tls://"),
    ("missing CA certificate", ["degradation", "--depths", "8", "--data", "{data}", "--scheduler",
                                "tls://127.0.0.1:1", "--tls-ca-file", "{files}/no-ca.pem", "--tls-cert",
                                "{files}/a-file", "--out", "{out}"], "no-ca.pem does not exist"),
    ("certificate without a scheduler", ["degradation", "--depths", "8", "--data", "{data}", "--tls-cert",
                                         "{files}/a-file", "--out", "{out}"], "TLS needs --scheduler tls://"),
    # a diverged network, never used as if it were fine
    ("checkpoint holding NaN", ["eval", "{files}/nan-weights.npz"],
     "'bn1.running_var' holds 1 NaN or infinite value"),
    ("network whose outputs overflow", ["eval", "{files}/overflowing.npz"], "its outputs overflow"),
    ("a finished checkpoint alone, resumed", ["train", *TINY, "--data", "{data}", "--out", "{files}/finished-only",
                                              "--resume"], "has no evaluation of its last iteration (2)"),
    # corrupt files: one line naming the file and what is wrong
    ("bad line in metrics.jsonl (plot)", ["plot", "{files}/bad-metrics"],
     "bad-metrics/metrics.jsonl, line 2: expected a JSON object"),
    ("bad line in metrics.jsonl (resume)", ["train", *TINY, "--data", "{data}", "--out",
                                            "{files}/paused-bad-metrics", "--resume"],
     "paused-bad-metrics/metrics.jsonl, line 1: expected a JSON object"),
    ("invalid config.json (plot)", ["plot", "{files}/bad-config-json"],
     "bad-config-json/config.json: expected the JSON settings of a run"),
    (".npz declaring an enormous shape", ["eval", "{files}/huge-shape.npz"],
     "huge-shape.npz: entry 'x.npy' declares a (1000000000000,) float32 array"),
    (".npz claiming gigabytes", ["eval", "{files}/bomb.npz"], "bomb.npz would unpack to 4,294,967,295 bytes"),
    ("deeply nested metadata", ["eval", "{files}/deep.npz"], "deep.npz: its __meta__ entry is nested too deeply"),
    ("weights without their normaliser", ["eval", "{files}/no-normalizer.npz"],
     "no-normalizer.npz: expected the normalizer its network was trained with"),
    ("string labels in a batch", ["train", *TINY, "--data", "{files}/data-strlabels", "--out", "{out}"],
     "integers in 0..9, got |S3 values"),
    # weights a cast would silently change
    ("bool weights", ["eval", "{files}/bool-weights.npz"], "'fc.weight' holds bool values"),
    ("complex weights", ["eval", "{files}/complex-weights.npz"], "'fc.weight' holds complex64 values"),
    ("datetime64 weights", ["eval", "{files}/datetime64-weights.npz"], "'fc.weight' holds datetime64[s] values"),
    ("structured weights", ["eval", "{files}/structured-weights.npz"], "expected real floating-point numbers"),
    # absurd values
    ("NaN time limit", ["train", *TINY, "--data", "{data}", "--time-limit", "nan", "--out", "{out}"],
     "time_limit must be a finite number of seconds >= 0, got nan"),
    ("negative time limit", ["train", *TINY, "--data", "{data}", "--time-limit", "-1", "--out", "{out}"],
     "time_limit must be a finite number of seconds >= 0, got -1.0"),
    ("NaN time limit for an experiment", ["degradation", "--depths", "8", "--data", "{data}", "--time-limit", "nan",
                                          "--out", "{out}"], "time_limit must be a finite number"),
    ("zero seeds", ["degradation", "--depths", "8", "--data", "{data}", "--seeds", "0", "--out", "{out}"],
     "seeds must be a whole number >= 1, got 0"),
    ("momentum of 1", ["train", *TINY, "--data", "{data}", "--momentum", "1", "--out", "{out}"],
     "momentum must be a finite number >= 0 and < 1, got 1.0"),
    ("schedule scale that overflows", ["train", *TINY, "--data", "{data}", "--schedule-scale", "1e305",
                                       "--out", "{out}"], "schedule_scale 1e+305 would stretch 2 iterations"),
    ("responses of no images", ["responses", "{run}", "--limit", "0", "--out", "{out}"],
     "limit must be a whole number of test images >= 1, got 0"),
    ("responses of -5 images", ["responses", "{run}", "--limit", "-5", "--out", "{out}"], "got -5"),
    ("download from something not a URL", ["download", "{out}", "--url", "not a url"],
     "url must be an address such as https://"),
    # output where it does not belong
    ("run into a folder of other files", ["train", *TINY, "--data", "{data}", "--out", "{files}"],
     "already holds files that are not a run's"),
    ("plot onto a device", ["plot", "{run}", "--out", "/dev/null"], "/dev/null is a device or other special file"),
    ("plot onto a folder", ["plot", "{run}", "--out", "{files}"], "is a folder"),
]
if not minires.cuda.is_available():
    CASES.append(("cuda without a GPU", ["train", *TINY, "--data", "{data}", "--device", "cuda", "--out", "{out}"],
                  "device 'cuda'"))


def snapshot(root: Path) -> dict[str, str]:
    """Every path under ``root`` with a hash of its contents (folders too)."""
    return {str(p.relative_to(root)): hashlib.sha1(p.read_bytes()).hexdigest() if p.is_file() else "dir"
            for p in sorted(root.rglob("*"))}


def test_at_least_70_kinds() -> None:
    assert len({kind for kind, _, _ in CASES}) >= 70


@pytest.mark.parametrize(("kind", "argv", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_one_line_and_writes_nothing(world: Path, capsys: pytest.CaptureFixture[str], kind: str,
                                                  argv: list[str], expected: str) -> None:
    paths = {"data": world / "data", "run": world / "run", "files": world / "files", "out": world / "new-run"}
    argv = [a.format(**paths) for a in argv]
    before = snapshot(world)
    try:
        code = main(argv)
    except SystemExit as stop:  # argparse's own checks (choices, types) exit from inside parse_args
        code = stop.code
    assert code == 2, kind
    err = capsys.readouterr().err.strip()
    assert "\n" not in err and err.startswith(f"minires {argv[0]}: error: "), err
    assert expected in err, err
    assert len(err) < 600, f"{len(err)} characters"
    assert snapshot(world) == before


def test_full_disk_is_one_line_and_leaves_no_partial_file(world: Path, capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    def no_space(*args: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)  # the point of every atomic write where a full disk shows
    out = world / "full-disk-run"
    before = snapshot(world)
    assert main(["train", *TINY, "--data", str(world / "data"), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "No space left on device" in err, err
    assert snapshot(world) == before and not out.exists()
