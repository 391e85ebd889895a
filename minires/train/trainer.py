"""The training loop: the paper's recipe, resumable exactly, observable.

A run lives in one folder:

    config.json      every setting (after schedule scaling): enough to re-run it
    metrics.jsonl    one line per evaluation: iteration, training and test error, loss, lr, time
    checkpoint.npz   model, optimizer (momentum), schedule, random state, data position, metrics window
    result.json      final figures, written when the run completes

Resuming is exact.  Every batch is a pure function of (seed, iteration)
(see ``minires.data.loader``) and the checkpoint holds everything else the
loop carries from one iteration to the next, so a run killed at any moment
(even with SIGKILL) and resumed from its last checkpoint ends with the same
weights, bit for bit on the CPU, as a run that was never interrupted.

Ctrl-C asks the loop to stop after the current iteration, save a
checkpoint and exit cleanly.  A loss that becomes NaN or infinite stops the
run with a message; the last good checkpoint is kept.
"""

from __future__ import annotations

import json
import math
import signal
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

import minires
from minires import backend, checkpoint, models
from minires.checkpoint import atomic_write_bytes
from minires.data import BatchLoader, Normalizer, batches_in_order, load_cifar10, load_sample, locate
from minires.nn import Module
from minires.nn.functional import accuracy, cross_entropy
from minires.optim import SGD, LRSchedule, split_weight_decay
from minires.tensor import Tensor, no_grad
from minires.train.config import TrainConfig
from minires.train.progress import Progress, format_duration

CONFIG, METRICS, CHECKPOINT, RESULT = "config.json", "metrics.jsonl", "checkpoint.npz", "result.json"
VAL_SIZE = 5000  # the paper's 45k/5k split


class TrainingDiverged(RuntimeError):
    """The loss became NaN or infinite."""


class RunExists(RuntimeError):
    """The output folder already holds a run and --resume was not given."""


# ---------------------------------------------------------------- data


@dataclass
class Splits:
    """Normalised float32 images and int64 labels for training and evaluation."""

    train_images: np.ndarray
    train_labels: np.ndarray
    eval_images: np.ndarray
    eval_labels: np.ndarray
    eval_name: str  # "test" or "val"
    normalizer: Normalizer


def read_split(data: str | None, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Raw uint8 images and labels of a split, from ``data`` ('sample', a path, or None to search)."""
    return load_sample(split) if data == "sample" else load_cifar10(data, split)


def load_splits(config: TrainConfig) -> Splits:
    """Read the data the config names and apply the paper's preprocessing."""
    (train_x, train_y), (test_x, test_y) = read_split(config.data, "train"), read_split(config.data, "test")
    eval_name = "test"
    if config.val_split:
        held_out = min(VAL_SIZE, len(train_x) // 10)
        test_x, test_y = train_x[-held_out:], train_y[-held_out:]
        train_x, train_y = train_x[:-held_out], train_y[:-held_out]
        eval_name = "val"
    if config.eval_subset is not None:
        test_x, test_y = test_x[: config.eval_subset], test_y[: config.eval_subset]
    normalizer = Normalizer.fit(train_x, config.normalize)
    return Splits(normalizer(train_x), train_y, normalizer(test_x), test_y, eval_name, normalizer)


def evaluate(model: Module, images: np.ndarray, labels: np.ndarray, batch_size: int = 500,
             device: str = "cpu") -> tuple[float, float]:
    """(error, mean loss) of ``model`` in evaluation mode over the given images."""
    was_training = model.training
    model.eval()
    correct, loss_sum = 0.0, 0.0
    with no_grad():
        for x, y in batches_in_order(images, labels, batch_size, device):
            logits = model(Tensor(x))
            loss_sum += float(cross_entropy(logits, y, reduction="sum").item())
            correct += accuracy(logits, y) * len(y)
    model.train(was_training)
    return 1.0 - correct / len(labels), loss_sum / len(labels)


# ---------------------------------------------------------------- the run


def build(config: TrainConfig) -> tuple[Module, SGD, LRSchedule]:
    """Model, optimizer and schedule for a config, freshly initialised from its seed."""
    minires.manual_seed(config.seed)
    model = models.get(config.model).to(config.device)
    if config.decay_bn_and_bias:
        params: Any = model.parameters()
    else:
        params = split_weight_decay(model.named_parameters(), config.weight_decay)
    optimizer = SGD(params, lr=config.lr, momentum=config.momentum, weight_decay=config.weight_decay)
    warm = config.uses_warmup()
    schedule = LRSchedule(
        optimizer, config.lr, config.milestones, config.gamma,
        warmup_lr=config.warmup_lr if warm else None,
        warmup_until_error=config.warmup_until_error if warm else None,
        warmup_iterations=config.warmup_iterations if warm else None,
    )
    return model, optimizer, schedule


def check_output_folder(out: Path) -> None:
    """Fail before any work if ``out`` cannot be created or written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as err:
        raise OSError(f"output folder {out} cannot be written ({err.strerror or err})") from None


def _read_metrics(path: Path, up_to: int) -> list[dict[str, Any]]:
    """Complete metric rows with iteration <= ``up_to`` (drops rows a killed run wrote after its checkpoint)."""
    rows = []
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short by a kill
            if row.get("iteration", math.inf) <= up_to:
                rows.append(row)
    return rows


class _StopFlag:
    """Turns Ctrl-C (SIGINT) into a request to stop after the current iteration."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __enter__(self) -> _StopFlag:
        try:
            self._previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: leave Ctrl-C alone
            self._previous = None
        return self

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        self.requested = True

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)


def train(config: TrainConfig, resume: bool = False, stream: TextIO | None = None,
          time_limit: float | None = None) -> dict[str, Any]:
    """Train ``config.model`` as the config says; returns the run's result.

    Args:
        config: the settings (``schedule_scale`` is applied here).
        resume: continue the run saved in ``config.out`` (a finished run is
            returned as it is; a folder without a checkpoint starts fresh).
        stream: where progress goes (default stdout).
        time_limit: stop cleanly (checkpoint saved, status 'paused') once this
            many seconds have passed in this call; resume later with ``resume=True``.

    Returns:
        dict with ``status`` ('finished', 'paused' or 'interrupted'), ``iteration``,
        final ``train_error`` / ``test_error`` (fractions), ``wall_time``
        (seconds) and ``params``.
    """
    out = Path(config.out)
    if not models.is_known(config.model):
        models.get(config.model)  # raises the registry's error, naming what is available
    config = config if config.schedule_scale == 1.0 else config.scaled()
    device = backend.check_device(config.device)
    if config.data != "sample":
        locate(config.data)  # a missing data set fails here, before any work
    check_output_folder(out)
    state = None
    if (out / CHECKPOINT).exists():
        if not resume:
            raise RunExists(f"{out} already holds a run; pass --resume to continue it, or choose another --out")
        state = checkpoint.load(out / CHECKPOINT)
        saved = TrainConfig.from_dict(state["config"])
        saved.device, saved.out = device, str(out)
        ignored = [k for k, v in config.to_dict().items() if k not in ("device", "out") and saved.to_dict()[k] != v]
        if ignored:
            Progress(1, 1, stream=stream).message(
                f"resuming with the run's saved settings; ignoring the different values given for {ignored}"
            )
        config = saved
        if state.get("finished") and (out / RESULT).exists():  # else: rebuild result.json below
            result = json.loads((out / RESULT).read_text())
            Progress(1, 1, stream=stream).message(
                f"{out} holds a finished run: {result['model']}, {result['iteration']} iterations, "
                + ", ".join(f"{k.replace('_', ' ')} {v:.2%}" for k, v in result.items() if k.endswith("_error"))
            )
            return result
    config.save(out / CONFIG)

    splits = load_splits(config)
    loader = BatchLoader(splits.train_images, splits.train_labels, config.batch_size, config.seed,
                         augment=config.augment, device=device)
    model, optimizer, schedule = build(config)
    window = max(1, min(100, config.eval_every))
    recent_errors: deque[float] = deque(maxlen=window)
    recent_losses: deque[float] = deque(maxlen=window)
    iteration, elapsed_before = 0, 0.0
    if state is not None:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        minires.set_rng_state(state["rng"])
        iteration, elapsed_before = int(state["iteration"]), float(state["wall_time"])
        recent_errors.extend(state["recent_errors"])
        recent_losses.extend(state["recent_losses"])
    metrics = _read_metrics(out / METRICS, iteration)
    atomic_write_bytes(out / METRICS, "".join(json.dumps(r) + "\n" for r in metrics).encode())

    progress = Progress(config.iterations, config.batch_size, start=iteration, stream=stream)
    if iteration:
        progress.message(f"resuming {config.model} in {out} at iteration {iteration}")
    else:
        progress.message(f"training {config.model} ({model.num_parameters():,} parameters) on "
                         f"{len(splits.train_labels):,} images, {device}; {schedule}")
    started = time.perf_counter()

    def wall_time() -> float:
        return elapsed_before + time.perf_counter() - started

    def save(finished: bool = False) -> None:
        checkpoint.save(out / CHECKPOINT, {
            "config": config.to_dict(), "model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "schedule": schedule.state_dict(), "rng": minires.get_rng_state(), "iteration": iteration,
            "data_position": iteration, "recent_errors": list(recent_errors),
            "recent_losses": list(recent_losses), "wall_time": wall_time(), "finished": finished,
            "normalizer": {"mean": splits.normalizer.mean, "std": splits.normalizer.std,
                           "mode": splits.normalizer.mode},
        })

    with _StopFlag() as stop, open(out / METRICS, "a") as metrics_file:
        for x, y in loader.stream(iteration, config.iterations):
            logits = model(Tensor(x))
            loss = cross_entropy(logits, y)
            loss_value = float(loss.item())
            if not math.isfinite(loss_value):
                raise TrainingDiverged(
                    f"the loss became {loss_value} at iteration {iteration + 1} (lr {schedule.lr():g}); "
                    f"the run stopped, and its last good checkpoint is {out / CHECKPOINT}"
                    + ("" if (out / CHECKPOINT).exists() else " (none was written yet)")
                )
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            iteration += 1
            recent_errors.append(1.0 - accuracy(logits, y))
            recent_losses.append(loss_value)
            train_error = sum(recent_errors) / len(recent_errors)
            schedule.step(train_error=train_error)
            progress.update(iteration, loss_value, train_error, schedule.lr())

            if iteration % config.eval_every == 0 or iteration == config.iterations:
                eval_error, eval_loss = evaluate(model, splits.eval_images, splits.eval_labels,
                                                 config.eval_batch_size, device)
                row = {"iteration": iteration, "train_error": train_error,
                       "train_loss": sum(recent_losses) / len(recent_losses),
                       f"{splits.eval_name}_error": eval_error, f"{splits.eval_name}_loss": eval_loss,
                       "lr": schedule.lr(), "wall_time": round(wall_time(), 2)}
                metrics.append(row)
                metrics_file.write(json.dumps(row) + "\n")
                metrics_file.flush()
                progress.message(f"iter {iteration}: train error {train_error:.2%}, "
                                 f"{splits.eval_name} error {eval_error:.2%}")
            if iteration % config.checkpoint_every == 0 or iteration == config.iterations:
                save(finished=iteration == config.iterations)
            out_of_time = time_limit is not None and time.perf_counter() - started > time_limit
            if (stop.requested or out_of_time) and iteration < config.iterations:
                save()
                status = "interrupted" if stop.requested else "paused"
                progress.message(f"{status}: saved {out / CHECKPOINT} at iteration {iteration}; "
                                 f"continue with --resume")
                return {"status": status, "iteration": iteration}

    last = metrics[-1] if metrics else {}
    result = {
        "status": "finished", "model": config.model, "iteration": iteration,
        "train_error": last.get("train_error"), f"{splits.eval_name}_error": last.get(f"{splits.eval_name}_error"),
        "wall_time": round(wall_time(), 1), "params": model.num_parameters(),
        "images_per_second": round(progress.images_per_second(iteration), 1),
    }
    atomic_write_bytes(out / RESULT, (json.dumps(result, indent=2) + "\n").encode())
    progress.message(
        f"done: {config.model}, {iteration} iterations in {format_duration(result['wall_time'])}; "
        f"final training error {result['train_error']:.2%}, {splits.eval_name} error "
        f"{result[f'{splits.eval_name}_error']:.2%}"
    )
    return result


def load_trained(path: str | Path, device: str = "cpu") -> tuple[Module, dict[str, Any]]:
    """A model and its checkpoint state from a run folder or checkpoint file."""
    path = Path(path)
    file = path / CHECKPOINT if path.is_dir() else path
    state = checkpoint.load(file)
    if "config" not in state or "model" not in state:
        raise ValueError(f"{file} is a checkpoint but not of a minires training run")
    config = TrainConfig.from_dict(state["config"])
    model = models.get(config.model)
    model.load_state_dict(state["model"])
    return model.to(device), state


def load_test_set(state: dict[str, Any], data: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """A run's test images, normalised exactly as its training images were, and their labels.

    Args:
        state: a checkpoint of a training run (from ``load_trained``).
        data: where to read CIFAR-10 (None: where the run read it).
    """
    images, labels = read_split(data if data is not None else state["config"]["data"], "test")
    norm = state["normalizer"]
    return Normalizer(norm["mean"], norm.get("std"), norm["mode"])(images), labels
