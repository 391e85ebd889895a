"""Progress reporting: a live line on a terminal, plain log lines otherwise.

``PrintProgress`` is the callback behind ``minires train``'s output: at the start
it prints the plan (iterations, epochs, evaluations), after the first steps an
estimate of the time the run will take, then iteration, loss, running error,
images/s and the time left; evaluations show their own progress on a terminal.
"""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from minires.train.callbacks import Callback
from minires.train.runfolder import CHECKPOINT

if TYPE_CHECKING:
    from minires.train.trainer import Run

EVAL_SPEEDUP = 3.0  # a forward pass costs about a third of a training step (forward + backward)


def format_duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


def evaluations_left(run: Run) -> int:
    """How many evaluations the run still has ahead (one every ``eval_every`` and one at the end)."""
    c = run.config
    return c.iterations // c.eval_every - run.iteration // c.eval_every + (c.iterations % c.eval_every != 0)


class PrintProgress(Callback):
    """Prints a run's plan, an early time estimate, and its progress to ``stream`` (default stdout).

    On a terminal the progress line is redrawn in place (at most a few times a
    second); when output goes to a file or pipe, a line is written every
    ``log_every`` iterations instead.
    """

    def __init__(self, stream: TextIO | None = None, log_every: int = 50, estimate_after: int = 20) -> None:
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty()
        self.log_every, self.estimate_after = log_every, estimate_after
        self.start, self.began, self._last_draw = 0, time.perf_counter(), 0.0
        self._estimated = False

    def images_per_second(self, run: Run) -> float:
        elapsed = time.perf_counter() - self.began
        return (run.iteration - self.start) * run.config.batch_size / elapsed if elapsed > 0 else 0.0

    def message(self, text: str) -> None:
        """A line of its own (ending any live line first)."""
        self.stream.write(("\n" if self.live and self._last_draw else "") + text + "\n")
        self.stream.flush()
        self._last_draw = 0.0

    def on_message(self, text: str) -> None:
        self.message(text)

    def on_start(self, run: Run) -> None:
        c = run.config
        self.start, self.began = run.iteration, time.perf_counter()
        train_images, eval_images = len(run.splits.train_labels), len(run.splits.eval_labels)
        if run.iteration:
            self.message(f"resuming {c.model} in {run.out} at iteration {run.iteration:,}")
        else:
            self.message(f"training {c.model} ({run.model.num_parameters():,} parameters) on {train_images:,} "
                         f"images, {run.device}; {run.schedule}")
        epochs = (c.iterations - run.iteration) * c.batch_size / train_images
        self.message(f"plan: {c.iterations - run.iteration:,} iterations of {c.batch_size} images "
                     f"({epochs:.1f} epochs); {evaluations_left(run)} evaluations on {eval_images:,} "
                     f"{run.splits.eval_name} images; "
                     + (f"a checkpoint every {c.checkpoint_every:,} iterations" if c.checkpoint_every < c.iterations
                        else "a checkpoint at the end"))

    def on_step(self, run: Run) -> None:
        c, it = run.config, run.iteration
        rate = self.images_per_second(run)
        if not self._estimated and it - self.start >= self.estimate_after and rate:
            self._estimated = True
            training = (c.iterations - it) * c.batch_size / rate
            evaluating = evaluations_left(run) * len(run.splits.eval_labels) / (EVAL_SPEEDUP * rate)
            note = ("; evaluation would take longer than training: consider a larger --eval-every or "
                    "--eval-subset" if evaluating > training else "")
            self.message(f"estimate: about {format_duration(training + evaluating)} left "
                         f"({format_duration(training)} training at {rate:.0f} img/s, about "
                         f"{format_duration(evaluating)} evaluating){note}")
        remaining = (c.iterations - it) * c.batch_size / rate if rate else 0.0
        line = (f"iter {it:>6}/{c.iterations}  loss {run.last_loss:.4f}  train err {run.train_error():6.2%}  "
                f"lr {run.last_lr:g}  {rate:5.0f} img/s  ETA {format_duration(remaining)}")
        now = time.perf_counter()
        if self.live:
            if now - self._last_draw > 0.25 or it == c.iterations:
                self.stream.write("\r" + line)
                self.stream.flush()
                self._last_draw = now
        elif it % self.log_every == 0 or it == c.iterations:
            self.stream.write(line + "\n")
            self.stream.flush()

    def on_evaluate_progress(self, run: Run, done: int, total: int) -> None:
        if self.live:
            self.stream.write(f"\revaluating at iteration {run.iteration}: {done:,}/{total:,} images" + " " * 20)
            self.stream.flush()
            self._last_draw = time.perf_counter()

    def on_evaluate(self, run: Run, row: dict[str, Any]) -> None:
        name = run.splits.eval_name
        self.message(f"iter {row['iteration']}: train error {row['train_error']:.2%}, "
                     f"{name} error {row[f'{name}_error']:.2%}")

    def on_end(self, run: Run, result: dict[str, Any]) -> None:
        status, name = result["status"], run.splits.eval_name
        if status == "finished":
            self.message(
                f"done: {run.config.model}, {run.iteration} iterations in {format_duration(result['wall_time'])}; "
                f"final training error {result['train_error']:.2%}, {name} error {result[f'{name}_error']:.2%}"
            )
        else:
            self.message(f"{status}: saved {run.out / CHECKPOINT} at iteration {run.iteration}; "
                         f"continue with --resume")
