"""Hooks into the training loop: watch a run without changing it.

``train(config, callbacks=[...])`` calls each callback at five moments, and with its messages.  The
command line's progress line (``PrintProgress``) and the notebook's live plot
(``LivePlot``) are both callbacks; write your own by overriding the methods you need:

    class StopAt90(Callback):            # an example: log the moment test error drops below 10%
        def on_evaluate(self, run, row):
            if row["test_error"] < 0.10:
                print("below 10% at iteration", row["iteration"])

Callbacks only observe: what they see of ``run`` (its ``iteration``, ``last_loss``,
``last_lr``, ``train_error()``, ``model``, ``config``) must not be changed by them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from minires.train.curves import draw_runs
from minires.train.runfolder import METRICS, read_metrics

if TYPE_CHECKING:
    from minires.train.trainer import Run  # (for the type only: the loop imports its callbacks, not the reverse)


class Callback:
    """Base class: every hook does nothing."""

    def on_start(self, run: Run) -> None:
        """Before the first iteration of this call (``run.iteration`` > 0 when resuming)."""

    def on_step(self, run: Run) -> None:
        """After the step's loss was read (every step on the CPU, every 50 on a GPU)."""

    def on_evaluate_progress(self, run: Run, done: int, total: int) -> None:
        """During an evaluation: ``done`` of ``total`` images so far."""

    def on_evaluate(self, run: Run, row: dict[str, Any]) -> None:
        """After an evaluation; ``row`` is the line written to ``metrics.jsonl``."""

    def on_end(self, run: Run, result: dict[str, Any]) -> None:
        """When this call ends: ``result["status"]`` is 'finished', 'paused' or 'interrupted'."""

    def on_message(self, text: str) -> None:
        """A note for the user (a resumed run's changed settings, a finished run's result); may come
        before ``on_start``, when there is no run yet."""


class LivePlot(Callback):
    """Redraws the run's error and loss curves in a Jupyter notebook after each evaluation.

    Example:
        >>> train(TrainConfig(model="resnet20", data="sample", ...), callbacks=[LivePlot()])
    """

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self._handle: Any = None

    def on_start(self, run: Run) -> None:
        self.rows = read_metrics(run.out / METRICS, run.iteration)  # a resumed run shows its past too

    def on_evaluate(self, run: Run, row: dict[str, Any]) -> None:
        from IPython.display import display  # only where a notebook draws it
        from matplotlib.figure import Figure

        self.rows.append(row)
        fig = Figure(figsize=(10, 3.6))
        draw_runs(fig, {run.config.model: self.rows}, title=f"{run.config.model}, iteration {run.iteration}",
                  milestones=run.config.milestones)
        if self._handle is None:
            self._handle = display(fig, display_id=True)
        else:
            self._handle.update(fig)
