"""One process at a time per run folder: a lock file held while a run trains.

Two ``minires train --resume`` started on the same folder would both append to
its metrics and overwrite each other's checkpoints.  ``RunLock`` prevents that
with an advisory ``flock`` on ``FOLDER/.lock``: the operating system releases it
when its process ends, even by SIGKILL, so a killed run never leaves a folder
locked.  The file holds who took the lock, for the second process's message.

Example:
    >>> with RunLock(Path("runs/resnet20")):   # raises RunLocked if another process holds it
    ...     train_the_run()
"""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

from minires.errors import RunError

try:
    import fcntl
except ImportError:  # Windows: no flock; runs are not protected from a second process there
    fcntl = None  # type: ignore[assignment]

LOCK = ".lock"


class RunLocked(RunError):
    """Another process is training this run folder."""


class RunLock:
    """Holds ``folder/.lock`` from ``__enter__`` to ``__exit__``; creates ``folder`` if needed."""

    def __init__(self, folder: str | Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / LOCK
        self._fd: int | None = None
        self._created = False

    def __enter__(self) -> RunLock:
        self._created = not self.folder.exists()
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            if fcntl is None:
                break
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 300).decode(errors="replace").strip() or "another process"
                os.close(fd)
                raise RunLocked(f"{self.folder} is being trained by {holder}; wait for it to end or stop it, "
                                f"then try again") from None
            # the previous holder may have removed the file between our open and our lock: retry on the new one
            try:
                if os.stat(self.path).st_ino == os.fstat(fd).st_ino:
                    break
            except FileNotFoundError:
                pass
            os.close(fd)
        os.ftruncate(fd, 0)
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        os.write(fd, f"process {os.getpid()} on {socket.gethostname()} (since {started})\n".encode())
        self._fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if self._fd is not None:
            self.path.unlink(missing_ok=True)  # while still holding it, so nobody locks a file about to vanish
            os.close(self._fd)
            self._fd = None
        if kind is not None and self._created and not any(self.folder.iterdir()):
            self.folder.rmdir()  # a run that failed before writing anything leaves no empty folder behind
