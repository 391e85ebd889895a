"""A run folder: what is in it, and how to read it, without the training loop.

A run lives in one folder:

    config.json      every setting (after schedule scaling): enough to re-run it
    metrics.jsonl    one line per evaluation: iteration, training and test error, loss, lr, time
    checkpoint.npz   model, optimizer (momentum), schedule, random state, data position, metrics window
    result.json      final figures, written when the run completes
    .lock            who holds the folder while a trainer runs in it (``lock.py``)

Everything that knows these files lives here, so the loop, its callbacks, the command line and
the experiments read a run the same way, and none of them needs to load the loop to do it.
"""

from __future__ import annotations

import json
import math
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from minires import checkpoint, models
from minires.checkpoint import CheckpointError, is_temporary
from minires.data import load_cifar, load_sample
from minires.errors import InputError
from minires.nn import Module
from minires.nn.module import UnusableState
from minires.normalizer import Normalizer
from minires.train.config import TrainConfig
from minires.train.lock import LOCK

__all__ = ["CONFIG", "METRICS", "CHECKPOINT", "RESULT", "FINAL_KEYS", "read_metrics", "append_metrics_row",
           "read_split", "saved_config",
           "check_output_folder", "check_fresh_folder", "is_run_file", "remove_stale_temporaries", "final_weights",
           "load_trained", "restore_model", "load_test_set"]

CONFIG, METRICS, CHECKPOINT, RESULT = "config.json", "metrics.jsonl", "checkpoint.npz", "result.json"


# ---------------------------------------------------------------- before a run writes anything


def check_output_folder(out: Path) -> None:
    """Fail before any work if ``out`` cannot be created or written -- without creating anything."""
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise InputError(f"output folder {out}: expected a folder, but {existing} is a file")
    try:  # a nameless temporary file: vanishes on close, so nothing is left behind
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as err:
        raise InputError(f"output folder {out} cannot be written ({err.strerror or err} in {existing})") from None


def is_run_file(name: str) -> bool:
    """Whether a file of this name belongs in a run folder: the run's files, their plot and log, a temporary."""
    ours = (CONFIG, METRICS, CHECKPOINT, RESULT, LOCK, "curves.png", "curves.svg")
    return name in ours or name.endswith(".log") or any(is_temporary(name, of) for of in ours)


def check_fresh_folder(out: Path) -> None:
    """Refuse to start a run in an existing folder that holds anything but a run's own files (e.g. ``/``)."""
    if not out.is_dir():
        return
    others = sorted(p.name for p in out.iterdir() if not is_run_file(p.name))
    if others:
        shown = ", ".join(others[:3]) + (f" and {len(others) - 3:,} more" if len(others) > 3 else "")
        raise InputError(f"output folder {out} already holds files that are not a run's ({shown}); give a new or "
                         f"empty folder for the run")


def remove_stale_temporaries(out: Path) -> None:
    """Delete what a killed writer left of an atomic write in the run folder (call it holding the run's lock).

    Only names of our own temporary pattern beside the run's files, and only plain files.
    """
    for path in out.iterdir():
        if any(is_temporary(path.name, of) for of in (CONFIG, METRICS, CHECKPOINT, RESULT)) \
                and path.is_file() and not path.is_symlink():
            path.unlink(missing_ok=True)


def saved_config(state: dict[str, Any], file: Path) -> TrainConfig:
    """The training settings stored in a checkpoint, or a clear error when it holds none."""
    if not isinstance(state.get("config"), dict) or "model" not in state:
        raise CheckpointError(f"{file}: expected the checkpoint of a minires training run (with its config and "
                              f"model weights), got one with entries {sorted(state)[:6]}")
    try:
        return TrainConfig.from_dict(state["config"]).validate()
    except (InputError, TypeError) as err:
        raise CheckpointError(f"{file}: its saved training settings are not valid ({err})") from None


def append_metrics_row(path: Path, row: dict[str, Any]) -> None:
    """Add one evaluation's line to ``metrics.jsonl``.

    The file is opened for each line rather than once per run: a file replaced while the run
    goes on (restored by a version-control checkout, copied over, synced) then gets the later
    lines too, instead of their going to the old file that nothing can read any more.
    """
    with open(path, "a") as file:
        file.write(json.dumps(row) + "\n")


def read_metrics(path: str | Path, up_to: float = math.inf) -> list[dict[str, Any]]:
    """The rows of a ``metrics.jsonl`` with iteration <= ``up_to``; [] when there is none yet.

    Skips a last line cut short by a kill, and (with ``up_to``) rows a killed run wrote after its
    checkpoint.  Any other line that is not a JSON object with a numeric ``iteration`` raises
    ``InputError`` naming the file and the line.
    """
    path = Path(path)
    rows: list[dict[str, Any]] = []
    if not path.exists():
        return rows
    try:
        text = path.read_text()
    except (UnicodeDecodeError, IsADirectoryError) as err:
        raise InputError(f"{path}: expected the JSON lines of a run's evaluations ({err})") from None
    lines = text.splitlines()
    for number, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            if number == len(lines) and not text.endswith("\n"):
                continue  # the last line, cut short by a kill
            row = None
        iteration = row.get("iteration") if isinstance(row, dict) else None
        if not isinstance(iteration, (int, float)) or isinstance(iteration, bool):
            raise InputError(f"{path}, line {number}: expected a JSON object with an 'iteration' number, got "
                             f"{line[:60]!r}{'...' if len(line) > 60 else ''}")
        if iteration <= up_to:
            rows.append(row)
    return rows


# ---------------------------------------------------------------- a finished run's weights and data


def read_split(data: str | None, split: str, dataset: str = "cifar10") -> tuple[np.ndarray, np.ndarray]:
    """Raw uint8 images and labels of a split, from ``data`` ('sample', a path, or None to search)."""
    return load_sample(split) if data == "sample" else load_cifar(data, split, dataset)


FINAL_KEYS = ("config", "model", "normalizer", "iteration", "wall_time", "finished", "threads")


def final_weights(state: dict[str, Any]) -> dict[str, Any]:
    """What a finished run keeps of its checkpoint: settings, weights and buffers, normaliser -- no momentum."""
    return {k: state[k] for k in FINAL_KEYS if k in state}


def load_trained(path: str | Path, device: str = "cpu") -> tuple[Module, dict[str, Any]]:
    """A model and its checkpoint state from a run folder or checkpoint file."""
    path = Path(path)
    file = path / CHECKPOINT if path.is_dir() else path
    state = checkpoint.load(file)
    model = restore_model(saved_config(state, file), state, file)
    state["normalizer"] = Normalizer.from_state(state.get("normalizer"), file).state_dict()  # checked here, once
    return model.to(device), state


def restore_model(config: TrainConfig, state: dict[str, Any], file: Path) -> Module:
    """The network of ``config`` with the weights of checkpoint ``state`` (read from ``file``), on the CPU."""
    model = models.get(config.model, num_classes=config.num_classes())
    try:
        model.load_state_dict(state["model"])
    except UnusableState as err:
        raise CheckpointError(f"{file}: {err}") from None
    except (InputError, TypeError, AttributeError) as err:
        raise CheckpointError(f"{file} does not fit its own model {config.model!r}: {err}") from None
    return model


def load_test_set(state: dict[str, Any], data: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A run's test images, normalised exactly as its training images were, and their labels.

    Args:
        state: a checkpoint of a training run (from ``load_trained``).
        data: where to read CIFAR-10 (None: where the run read it).
    """
    saved = state["config"]
    images, labels = read_split(data if data is not None else saved["data"], "test", saved.get("dataset", "cifar10"))
    return Normalizer.from_state(state.get("normalizer"), "the checkpoint")(images), labels
