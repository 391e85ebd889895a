"""The training loop: the paper's recipe, resumable exactly, observable.

A run lives in one folder (``runfolder.py`` says what is in it).

Resuming is exact.  Every batch is a pure function of (seed, iteration)
(see ``minires.data.loader``) and the checkpoint holds everything else the
loop carries from one iteration to the next, so a run killed at any moment
(even with SIGKILL) and resumed from its last checkpoint ends with the same
weights, bit for bit on the CPU, as a run that was never interrupted.

Ctrl-C asks the loop to stop after the current iteration, save a
checkpoint and exit cleanly.  A loss, weight or buffer (a batch-norm running
statistic) that becomes NaN or infinite stops the run with a message before
it is evaluated or saved; the last good checkpoint is kept.
"""

from __future__ import annotations

import json
import math
import signal
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from minires import backend, checkpoint, models
from minires.amp import GradScaler, autocast
from minires.checkpoint import CheckpointError, atomic_write_bytes
from minires.data import BatchLoader, Normalizer, batches_in_order, locate
from minires.errors import InputError, RunError
from minires.nn import Module
from minires.nn.functional import count_errors, cross_entropy
from minires.nn.module import UnusableState
from minires.optim import SGD, LRSchedule, split_weight_decay
from minires.parallel import get_num_threads
from minires.random import get_rng_state, manual_seed, set_rng_state
from minires.tensor import Tensor, no_grad
from minires.train.callbacks import Callback
from minires.train.config import TrainConfig
from minires.train.lock import RunLock
from minires.train.progress import PrintProgress
from minires.train.runfolder import (  # noqa: F401  (final_weights, load_trained, load_test_set: their old home)
    CHECKPOINT,
    CONFIG,
    FINAL_KEYS,
    METRICS,
    RESULT,
    append_metrics_row,
    check_fresh_folder,
    check_output_folder,
    final_weights,
    load_test_set,
    load_trained,
    read_metrics,
    read_split,
    remove_stale_temporaries,
    restore_model,
    saved_config,
)

VAL_SIZE = 5000  # the paper's 45k/5k split


TRAIN_ERROR_WINDOW = 100  # the paper's training error: the mean over the last 100 mini-batches
READ_EVERY = {"cpu": 1, "gpu": 50}  # iterations between bringing losses to the host (a GPU waits for each read)


class TrainingDiverged(RunError):
    """The loss, a weight or a buffer became NaN or infinite."""


class RunExists(RunError):
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


def load_splits(config: TrainConfig) -> Splits:
    """Read the data the config names and apply the paper's preprocessing."""
    (train_x, train_y) = read_split(config.data, "train", config.dataset)
    (test_x, test_y) = read_split(config.data, "test", config.dataset)
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
             device: str = "cpu", progress: Callable[[int, int], None] | None = None) -> tuple[float, float]:
    """(error, mean loss) of ``model`` in evaluation mode over the given images.

    Args:
        images: (N, 3, H, W) normalised float32; labels: (N,) integers.
        progress: called as ``progress(done, N)`` after each batch.
    """
    was_training = model.training
    model.eval()
    wrong, loss_sum, done = 0, 0.0, 0  # sums stay on the device until the end: no wait for a GPU per batch
    with no_grad():
        for x, y in batches_in_order(images, labels, batch_size, device):
            logits = model(Tensor(x))
            classes = logits.shape[1]
            if done == 0 and (labels.min() < 0 or labels.max() >= classes):  # all at once, on the host
                raise ValueError(f"evaluate: labels must lie in [0, {classes - 1}], got "
                                 f"{labels.min()}..{labels.max()}")
            loss_sum = loss_sum + cross_entropy(logits, y, reduction="sum", check_labels=False).data
            wrong = wrong + count_errors(logits, y)
            done += len(y)
            if progress is not None:
                progress(done, len(labels))
    model.train(was_training)
    return float(wrong) / len(labels), float(loss_sum) / len(labels)


# ---------------------------------------------------------------- the run


def build(config: TrainConfig) -> tuple[Module, SGD, LRSchedule]:
    """Model, optimizer and schedule for a config, freshly initialised from its seed."""
    manual_seed(config.seed)
    model = models.get(config.model, num_classes=config.num_classes()).to(config.device)
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


def check_time_limit(seconds: float | None) -> None:
    """A time limit is None (no limit) or a finite number of seconds >= 0."""
    ok = isinstance(seconds, (int, float)) and not isinstance(seconds, bool) and math.isfinite(seconds)
    if seconds is not None and not (ok and seconds >= 0):
        raise InputError(f"time_limit must be a finite number of seconds >= 0, got {seconds!r}")


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
          time_limit: float | None = None, callbacks: Sequence[Callback] = ()) -> dict[str, Any]:
    """Train ``config.model`` as the config says; returns the run's result.

    Args:
        config: the settings (``schedule_scale`` is applied here).
        resume: continue the run saved in ``config.out`` (a finished run is
            returned as it is; a folder without a checkpoint starts fresh).
        stream: where progress goes (default stdout).
        callbacks: more observers of the run (``minires.train.callbacks``), after
            the progress printer; e.g. ``LivePlot()`` in a notebook.
        time_limit: stop cleanly (checkpoint saved, status 'paused') once this
            many seconds have passed in this call; resume later with ``resume=True``.

    Returns:
        dict with ``status`` ('finished', 'paused' or 'interrupted'), ``iteration``,
        final ``train_error`` / ``test_error`` (fractions), ``wall_time``
        (seconds) and ``params``.
    """
    observers = [PrintProgress(stream), *callbacks]  # the progress printer is a callback like any other
    # 1. check everything the user gave us; nothing is written until all of it is fine
    out = Path(config.out)
    config = config.validate()
    check_time_limit(time_limit)
    config = config if config.schedule_scale == 1.0 else config.scaled()
    device = backend.check_device(config.device)
    if config.data != "sample":
        locate(config.data, config.dataset)  # a missing data set fails here, before any work
    check_output_folder(out)
    state = None
    if not (out / CHECKPOINT).exists():
        check_fresh_folder(out)
    else:
        if not resume:
            raise RunExists(f"{out} already holds a run; pass --resume to continue it, or choose another --out")
        state = checkpoint.load(out / CHECKPOINT)
        saved = saved_config(state, out / CHECKPOINT)
        read_metrics(out / METRICS)  # a damaged metrics file fails here, before any work
        saved.device, saved.out = device, str(out)
        if config.data is not None:  # where the data lives may change between sessions (another machine)
            saved.data = config.data
        ignored = [k for k, v in config.to_dict().items()
                   if k not in ("device", "out", "data") and saved.to_dict()[k] != v]
        if ignored:
            _tell(observers, f"resuming with the run's saved settings; ignoring the different values given for "
                             f"{ignored}")
        config = saved
        if state.get("finished"):
            return _report_finished(config, state, out, observers)

    run = Run.start(config, out, device, state)
    # 2. the run folder is ours (locked) from here on
    with RunLock(out):
        remove_stale_temporaries(out)  # no other writer can be alive now
        return _loop(run, observers, time_limit)


@dataclass
class Run:
    """One training run in memory: the network, its optimizer and schedule, and all the loop carries.

    Everything here except the data is saved in the checkpoint, which is why a
    resumed run continues exactly where it stopped.
    """

    config: TrainConfig
    out: Path
    device: str
    splits: Splits
    loader: BatchLoader
    model: Module
    optimizer: SGD
    schedule: LRSchedule
    iteration: int = 0
    elapsed_before: float = 0.0  # seconds spent in earlier sessions of this run
    recent_errors: deque[float] = field(default_factory=lambda: deque(maxlen=TRAIN_ERROR_WINDOW))
    recent_losses: deque[float] = field(default_factory=lambda: deque(maxlen=TRAIN_ERROR_WINDOW))
    saved_threads: int | None = None  # the worker-thread count of the session that wrote the checkpoint
    scaler: GradScaler = field(default_factory=lambda: GradScaler(enabled=False))  # loss scale, for fp16
    unread: list[tuple[int, float, Any, Any, int]] = field(default_factory=list)  # (iteration, lr, loss, wrong, n)
    last_loss: float = math.nan
    last_lr: float = math.nan
    checked_at: int = -1  # the iteration whose weights and buffers check_finite last found finite

    @classmethod
    def start(cls, config: TrainConfig, out: Path, device: str, state: dict[str, Any] | None) -> Run:
        """A fresh run from ``config``'s seed, or the run saved in checkpoint ``state``."""
        splits = load_splits(config)
        loader = BatchLoader(splits.train_images, splits.train_labels, config.batch_size, config.seed,
                             augment=config.augment, device=device)
        run = cls(config, out, device, splits, loader, *build(config))
        run.scaler = GradScaler(enabled=config.precision == "fp16")
        if state is not None:
            try:
                run.model.load_state_dict(state["model"])
                run.optimizer.load_state_dict(state["optimizer"])
                run.schedule.load_state_dict(state["schedule"])
            except UnusableState as err:
                raise CheckpointError(f"{out / CHECKPOINT}: {err}") from None
            except (InputError, KeyError, TypeError) as err:
                raise CheckpointError(f"{out / CHECKPOINT} does not fit a {config.model} run: {err}") from None
            set_rng_state(state["rng"])
            run.iteration, run.elapsed_before = int(state["iteration"]), float(state["wall_time"])
            run.recent_errors.extend(state["recent_errors"])
            run.recent_losses.extend(state["recent_losses"])
            run.saved_threads = state.get("threads")
            if "scaler" in state:
                run.scaler.load_state_dict(state["scaler"])
        return run

    def step(self, x: Any, y: Any) -> None:
        """One SGD iteration on a batch ``x: (N, 3, 32, 32)``, ``y: (N,)``.

        Its loss and error count stay on the device until ``read()``: on a GPU,
        reading them at every step would make the host wait for the device.
        """
        with autocast(enabled=self.scaler.enabled):  # mixed precision: the layers compute in float16
            logits = self.model(Tensor(x))                         # forward
            loss = cross_entropy(logits, y, check_labels=False)    # loss (labels were checked when read)
        self.optimizer.zero_grad()
        if not self.scaler.enabled:
            loss.backward()                                        # backward
            self.optimizer.step()                                  # SGD step
        else:  # float16 gradients: scale the loss up so small ones survive, unscale before the step
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)  # skipped if a gradient overflowed
            self.scaler.update()
        self.iteration += 1                                        # record
        self.unread.append((self.iteration, self.schedule.lr(), loss.data, count_errors(logits, y), len(y)))
        if self.schedule.warming_up:  # the warm-up ends on this iteration's training error: read it now
            self.read()
        self.schedule.step(train_error=self.train_error() if self.schedule.warming_up else None)

    def read(self) -> None:
        """Bring the unread losses and error counts to the host, check them, add them to the windows.

        Raises ``TrainingDiverged`` at the first loss that is NaN or infinite.
        """
        if not self.unread:
            return
        xp = backend.get_array_module(self.unread[0][2])
        values = backend.to_numpy(xp.stack([xp.stack([loss.astype(xp.float64), wrong.astype(xp.float64)])
                                             for _, _, loss, wrong, _ in self.unread]))  # one transfer: (k, 2)
        for (iteration, lr, _, _, n), (loss, wrong) in zip(self.unread, values):
            if not math.isfinite(loss):
                self.unread.clear()
                raise self.diverged(f"the loss became {loss} at iteration {iteration} (lr {lr:g})")
            self.recent_losses.append(float(loss))
            self.recent_errors.append(float(wrong) / n)
            self.last_loss, self.last_lr = float(loss), lr
        self.unread.clear()

    def diverged(self, what: str) -> TrainingDiverged:
        """The error that stops a diverged run: what went wrong, and which checkpoint is still good."""
        return TrainingDiverged(f"{what}; the run stopped, and its last good checkpoint is {self.out / CHECKPOINT}"
                                + ("" if (self.out / CHECKPOINT).exists() else " (none was written yet)"))

    def check_finite(self) -> None:
        """Raise ``TrainingDiverged`` if a weight or buffer is NaN or infinite.

        The training loss is not enough to watch: a huge learning rate can blow up
        batch norm's running statistics while the loss of the batch is still finite,
        and those statistics are what evaluation and a saved checkpoint use.  One host
        wait per check, and none for a second check of the same iteration.
        """
        if self.checked_at == self.iteration:
            return
        floats = [(name, t.data) for name, t in self.model.state_dict().items() if t.data.dtype.kind == "f"]
        xp = backend.get_array_module(floats[0][1])
        finite = backend.to_numpy(xp.stack([xp.isfinite(a).all() for _, a in floats]))  # one transfer
        if not finite.all():
            name = floats[int(np.argmin(finite))][0]
            raise self.diverged(f"'{name}' became NaN or infinite by iteration {self.iteration} "
                                f"(lr {self.last_lr:g})")
        self.checked_at = self.iteration

    def train_error(self) -> float:
        """The paper's training error: the mean over the last 100 mini-batches (those read so far)."""
        return sum(self.recent_errors) / len(self.recent_errors) if self.recent_errors else math.nan

    def evaluate(self, wall_time: float, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
        """A metrics row: training error and loss of the window, evaluation error and loss, lr, time."""
        self.read()
        self.check_finite()
        name = self.splits.eval_name
        error, loss = evaluate(self.model, self.splits.eval_images, self.splits.eval_labels,
                               self.config.eval_batch_size, self.device, progress)
        if not math.isfinite(loss):
            raise self.diverged(f"the {name} loss became {loss} at iteration {self.iteration}")
        return {"iteration": self.iteration, "train_error": self.train_error(),
                "train_loss": sum(self.recent_losses) / len(self.recent_losses),
                f"{name}_error": error, f"{name}_loss": loss, "lr": self.last_lr, "wall_time": round(wall_time, 2),
                **({"loss_scale": self.scaler.scale_value, "skipped_steps": self.scaler.skipped}
                   if self.scaler.enabled else {})}

    def save(self, wall_time: float, finished: bool = False) -> None:
        """Write the checkpoint (atomically): everything needed to continue this run exactly.

        A finished run keeps only its final weights (``final_weights``): nothing is left to continue.
        """
        self.read()  # no NaN loss,
        self.check_finite()  # and no NaN weight or buffer reaches a checkpoint
        state = {
            "config": self.config.to_dict(), "model": self.model.state_dict(),
            "optimizer": None if finished else self.optimizer.state_dict(),  # (final weights keep no momentum)
            "schedule": self.schedule.state_dict(),
            "rng": get_rng_state(), "iteration": self.iteration, "data_position": self.iteration,
            "recent_errors": list(self.recent_errors), "recent_losses": list(self.recent_losses),
            "wall_time": wall_time, "finished": finished, "threads": get_num_threads(),
            "normalizer": self.splits.normalizer.state_dict(),
            "scaler": self.scaler.state_dict(),
        }
        checkpoint.save(self.out / CHECKPOINT, final_weights(state) if finished else state)


def _loop(run: Run, callbacks: Sequence[Callback], time_limit: float | None) -> dict[str, Any]:
    """Train ``run`` to its end (or its time limit, or Ctrl-C), evaluating and checkpointing; tell ``callbacks``."""
    config, out = run.config, run.out
    config.save(out / CONFIG)
    metrics = read_metrics(out / METRICS, run.iteration)
    atomic_write_bytes(out / METRICS, "".join(json.dumps(r) + "\n" for r in metrics).encode())
    threads = get_num_threads()
    for cb in callbacks:
        cb.on_start(run)
    if run.iteration and run.saved_threads not in (None, threads):
        saved = f"{run.saved_threads} worker thread{'s' if run.saved_threads != 1 else ''}"
        _tell(callbacks, f"note: this run was saved with {saved} and resumes with {threads}; it stays correct, "
                         "but is no longer bitwise equal to an unbroken run")
    started, first_iteration = time.perf_counter(), run.iteration

    def wall_time() -> float:
        return run.elapsed_before + time.perf_counter() - started

    def show_evaluation(done: int, total: int) -> None:
        for cb in callbacks:
            cb.on_evaluate_progress(run, done, total)

    status = "finished"
    with _StopFlag() as stop:
        read_every = READ_EVERY["gpu" if backend.is_gpu(run.device) else "cpu"]
        for x, y in run.loader.stream(run.iteration, config.iterations):
            run.step(x, y)
            it = run.iteration
            if it % read_every == 0 or it == config.iterations:
                run.read()
                for cb in callbacks:
                    cb.on_step(run)
            if it % config.eval_every == 0 or it == config.iterations:
                row = run.evaluate(wall_time(), show_evaluation)
                metrics.append(row)
                append_metrics_row(out / METRICS, row)
                for cb in callbacks:
                    cb.on_evaluate(run, row)
            if it % config.checkpoint_every == 0 or it == config.iterations:
                run.save(wall_time(), finished=it == config.iterations)
            out_of_time = time_limit is not None and time.perf_counter() - started > time_limit
            if (stop.requested or out_of_time) and it < config.iterations:
                run.save(wall_time())
                status = "interrupted" if stop.requested else "paused"
                break

    if status != "finished":
        result: dict[str, Any] = {"status": status, "iteration": run.iteration}
    else:
        seconds = time.perf_counter() - started
        state = {"iteration": run.iteration, "wall_time": wall_time(), "threads": threads}
        result = _finished_result(config, state, metrics, run.model.num_parameters())
        if seconds > 0:
            result["images_per_second"] = round((run.iteration - first_iteration) * config.batch_size / seconds, 1)
        atomic_write_bytes(out / RESULT, (json.dumps(result, indent=2) + "\n").encode())
    for cb in callbacks:
        cb.on_end(run, result)
    return result


def _tell(callbacks: Sequence[Callback], text: str) -> None:
    """A line for whoever shows the run's messages (``Callback.on_message``)."""
    for cb in callbacks:
        cb.on_message(text)


def _report_finished(config: TrainConfig, state: dict[str, Any], out: Path,
                     callbacks: Sequence[Callback]) -> dict[str, Any]:
    """A finished run, asked to resume: its result, written again if a kill (or a copy) lost ``result.json``."""
    file = out / CHECKPOINT
    model = restore_model(config, state, file)  # refuses weights that do not fit, or are not finite
    try:
        result = json.loads((out / RESULT).read_text())
    except (OSError, ValueError):  # missing (killed between the last checkpoint and result.json) or damaged
        result = None
    if not isinstance(result, dict) or not all(isinstance(v, float) for k, v in result.items()
                                               if k.endswith("_error")):
        metrics = read_metrics(out / METRICS, int(state["iteration"]))
        if not metrics or metrics[-1].get("iteration") != int(state["iteration"]):
            raise CheckpointError(
                f"{file} holds a finished run, but {out / METRICS} has no evaluation of its last iteration "
                f"({int(state['iteration']):,}) to report (was the checkpoint copied without its other files?); "
                f"see its test error with 'minires eval {file}', or train into another --out")
        with RunLock(out):
            remove_stale_temporaries(out)
            result = _finished_result(config, state, metrics, model.num_parameters())
            atomic_write_bytes(out / RESULT, (json.dumps(result, indent=2) + "\n").encode())
    _tell(callbacks, f"{out} holds a finished run: {result.get('model')}, {result.get('iteration')} iterations, "
          + ", ".join(f"{k.replace('_', ' ')} {v:.2%}" for k, v in result.items() if k.endswith("_error")))
    return result


def _finished_result(config: TrainConfig, state: dict[str, Any], metrics: list[dict[str, Any]],
                     params: int) -> dict[str, Any]:
    """``result.json`` of a finished run: its last evaluation, time, size and thread count."""
    last = metrics[-1] if metrics else {}
    name = "val" if config.val_split else "test"
    return {
        "status": "finished", "model": config.model, "iteration": int(state["iteration"]),
        "train_error": last.get("train_error"), f"{name}_error": last.get(f"{name}_error"),
        "wall_time": round(float(state["wall_time"]), 1),
        "params": params,
        "threads": state.get("threads"),
    }
