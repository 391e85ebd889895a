"""Splitting a hot loop over the CPU's cores.

NumPy runs every copy and elementwise op on one core; only its matrix
products (OpenBLAS) use them all.  A convolution in minires is a loop over
chunks of images -- copy the chunk's columns, multiply, copy the result
out -- so on a 2-core laptop one core idled through every copy.  The fix
(PyTorch's CPU kernels split their loops over a thread pool in the same
spirit): give each core a share of the chunks, and let each share run its
copies *and* its products on one core (one OpenBLAS thread each, so the
workers don't fight over the cores).
NumPy releases Python's GIL inside large copies and products, so Python
threads are enough.

    parallel.run(task, range(0, n, chunk))
        # task(range(0, n, 2·chunk)) and task(range(chunk, n, 2·chunk)) on two
        # cores, OpenBLAS held to one thread meanwhile; returns both results

The number of workers follows OpenBLAS's own thread count (so
``OPENBLAS_NUM_THREADS=1`` turns this off too); ``set_num_threads`` changes
it, as ``torch.set_num_threads`` does.  Where minires cannot find NumPy's
OpenBLAS to hold it to one thread (NumPy built on another BLAS, or not on
Linux), there is one worker: the loop runs as a plain loop.
"""

from __future__ import annotations

import ctypes
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import TypeVar

import numpy as np  # noqa: F401  (loads NumPy's OpenBLAS, which _find_openblas looks for)

__all__ = ["run", "get_num_threads", "set_num_threads"]

T = TypeVar("T")


class _OpenBLAS:
    """The thread-count functions of the OpenBLAS that NumPy loaded."""

    def __init__(self, library: ctypes.CDLL, prefix: str, suffix: str) -> None:
        self.set_threads = getattr(library, f"{prefix}_set_num_threads{suffix}")
        self.get_threads = getattr(library, f"{prefix}_get_num_threads{suffix}")
        self.set_threads.argtypes, self.set_threads.restype = [ctypes.c_int], None
        self.get_threads.argtypes, self.get_threads.restype = [], ctypes.c_int


def _find_openblas() -> _OpenBLAS | None:
    """NumPy's OpenBLAS, found among the libraries this process has loaded (Linux only)."""
    try:
        with open("/proc/self/maps") as maps:
            paths = {line.split()[-1] for line in maps if "openblas" in line and "/" in line}
    except OSError:
        return None
    for path in sorted(paths, key=lambda p: ("numpy" not in p, p)):  # NumPy's own copy first
        try:
            library = ctypes.CDLL(path)
        except OSError:
            continue
        # NumPy's wheels ship scipy-openblas with prefixed, 64-bit-integer symbol names
        for prefix, suffix in [("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "64_"),
                               ("openblas", "")]:
            if hasattr(library, f"{prefix}_set_num_threads{suffix}"):
                return _OpenBLAS(library, prefix, suffix)
    return None


_blas = _find_openblas()
_workers = _blas.get_threads() if _blas is not None else 1
_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_inside = threading.local()  # .share: this thread is running a share of some run()


def _forget_pool() -> None:
    # a forked child has none of the parent's threads: it must start its own pool
    global _pool, _pool_lock
    _pool, _pool_lock = None, threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def get_num_threads() -> int:
    """How many CPU cores minires shares its split loops (a convolution's chunks) over; 1: none."""
    return _workers


def set_num_threads(count: int) -> None:
    """Use ``count`` CPU cores from now on: minires' split loops (a convolution's chunks) and NumPy's BLAS.

    1 turns the sharing off: every loop runs on the calling thread, and NumPy's
    matrix products on one core.

    More than 1 needs NumPy's OpenBLAS, which each worker holds to one
    thread; without it (another BLAS, or not Linux) a clear error says so.
    """
    global _workers, _pool
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"set_num_threads: expected a whole number of threads >= 1, got {count!r}")
    if count > 1 and _blas is None:
        raise RuntimeError(
            "set_num_threads: minires found no OpenBLAS in this NumPy to hold to one thread per "
            "worker, so it can only run its loops on one thread (count=1)"
        )
    with _pool_lock:
        if _pool is not None and count != _workers:
            _pool.shutdown(wait=True)
            _pool = None
        _workers = count
    if _blas is not None:  # outside the shared loops, NumPy's own products use as many cores
        _blas.set_threads(count)


def _get_pool() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_workers - 1, thread_name_prefix="minires")
        return _pool


def _as_share(task: Callable[[Sequence[int]], T], items: Sequence[int]) -> T:
    _inside.share = True
    try:
        return task(items)
    finally:
        _inside.share = False


def run(task: Callable[[Sequence[int]], T], items: Sequence[int]) -> list[T]:
    """``task`` on round-robin shares of ``items``, one share per worker; their results.

    Args:
        task: called once per share with a sub-sequence of ``items`` (every
            W-th item, W = ``get_num_threads()``, or all of them).  It must
            only write memory no other share writes, and must get any
            scratch buffers it needs on its own thread (``workspace()`` is
            per thread).  If it calls ``run`` itself, that inner loop runs
            on its own thread, unsplit (splitting again could only wait for
            busy workers).
        items: the loop's items, e.g. the first image of each chunk.

    Returns:
        the tasks' results, one per share (a list of one for a plain loop).

    While shares run, OpenBLAS is held to one thread: each worker is one
    core.  With one worker, or one item, ``task(items)`` simply runs here.
    """
    workers = min(_workers, len(items))
    if workers <= 1 or getattr(_inside, "share", False):  # a share that splits again runs inline
        return [task(items)]
    assert _blas is not None  # set_num_threads allows more than one worker only with it
    shares = [items[k::workers] for k in range(workers)]
    blas_threads = _blas.get_threads()
    _blas.set_threads(1)
    others = []
    try:
        others = [_get_pool().submit(_as_share, task, share) for share in shares[1:]]
        first = _as_share(task, shares[0])  # this thread takes the first share itself
    finally:
        wait(others)  # even when a share failed: no worker may outlive the one-thread setting
        _blas.set_threads(blas_threads)
    return [first] + [f.result() for f in others]
