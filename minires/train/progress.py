"""Progress reporting: a live line on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def format_duration(seconds: float) -> str:
    seconds = int(seconds)
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"


class Progress:
    """Shows iteration, loss, running error, images/s and ETA.

    On a terminal the line is redrawn in place (at most a few times a
    second); when output goes to a file or pipe, a line is written every
    ``log_every`` iterations instead.
    """

    def __init__(self, total: int, batch_size: int, start: int = 0, stream: TextIO | None = None,
                 log_every: int = 50) -> None:
        self.total, self.batch_size, self.start = total, batch_size, start
        self.stream = stream or sys.stdout
        self.live = self.stream.isatty()
        self.log_every = log_every
        self.began = time.perf_counter()
        self._last_draw = 0.0

    def images_per_second(self, iteration: int) -> float:
        elapsed = time.perf_counter() - self.began
        return (iteration - self.start) * self.batch_size / elapsed if elapsed > 0 else 0.0

    def update(self, iteration: int, loss: float, train_error: float, lr: float) -> None:
        rate = self.images_per_second(iteration)
        remaining = (self.total - iteration) * self.batch_size / rate if rate else 0.0
        line = (f"iter {iteration:>6}/{self.total}  loss {loss:.4f}  train err {train_error:6.2%}  "
                f"lr {lr:g}  {rate:5.0f} img/s  ETA {format_duration(remaining)}")
        now = time.perf_counter()
        if self.live:
            if now - self._last_draw > 0.25 or iteration == self.total:
                self.stream.write("\r" + line)
                self.stream.flush()
                self._last_draw = now
        elif iteration % self.log_every == 0 or iteration == self.total:
            self.stream.write(line + "\n")
            self.stream.flush()

    def message(self, text: str) -> None:
        """A line of its own (ending any live line first)."""
        self.stream.write(("\n" if self.live else "") + text + "\n")
        self.stream.flush()
