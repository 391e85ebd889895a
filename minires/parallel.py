"""Splitting a hot loop over the CPU's cores.

NumPy runs every copy and elementwise op on one core; only its matrix
products (its BLAS: OpenBLAS in NumPy's wheels) use them all.  A
convolution in minires is a loop over chunks of images -- copy the chunk's
columns, multiply, copy the result out -- so on a 2-core laptop one core
idled through every copy.  The fix
(PyTorch's CPU kernels split their loops over a thread pool in the same
spirit): give each core a share of the chunks, and let each share run its
copies *and* its products on one core (one BLAS thread each, so the
workers don't fight over the cores).
NumPy releases Python's GIL inside large copies and products, so Python
threads are enough.

    parallel.run(task, range(0, n, chunk))
        # task(range(0, n, 2·chunk)) and task(range(chunk, n, 2·chunk)) on two
        # cores, the BLAS held to one thread meanwhile; returns both results

The number of workers follows the BLAS's own thread count (so
``OPENBLAS_NUM_THREADS=1`` or ``MKL_NUM_THREADS=1`` turns this off too);
``set_num_threads`` changes it, as ``torch.set_num_threads`` does.  The BLAS
is found and held through threadpoolctl (the library scikit-learn uses for
this), which knows OpenBLAS, MKL and BLIS on Linux, macOS and Windows.  Where
it finds no BLAS it can control (Apple's Accelerate, or threadpoolctl not
installed), there is one worker: the loop runs as a plain loop.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, TypeVar

import numpy as np  # noqa: F401  (loads NumPy's BLAS, which threadpoolctl then finds among the loaded libraries)

__all__ = ["run", "run_blocks", "get_num_threads", "set_num_threads", "blas_info"]

T = TypeVar("T")


class _BLAS:
    """NumPy's BLAS library (or libraries), through threadpoolctl: its thread count, read and set."""

    def __init__(self, controllers: list[Any]) -> None:
        self.controllers = controllers  # threadpoolctl LibController objects, NumPy's own first

    def get_threads(self) -> int:
        return int(self.controllers[0].get_num_threads())

    def set_threads(self, count: int) -> None:
        for controller in self.controllers:
            controller.set_num_threads(count)


def _find_blas() -> _BLAS | None:
    """NumPy's BLAS as threadpoolctl finds it among the loaded libraries; None if there is none it controls."""
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:
        return None
    found = ThreadpoolController().select(user_api="blas").lib_controllers
    # NumPy's wheels bring their own OpenBLAS (in numpy.libs or numpy/.dylibs); another library's BLAS
    # loaded in the same process (a PyTorch or SciPy copy) is not the one NumPy's products run on
    numpy_own = [c for c in found if "numpy" in str(c.filepath).lower()]
    chosen = numpy_own or list(found)
    return _BLAS(chosen) if chosen else None


def blas_info() -> dict[str, Any]:
    """What NumPy's matrix products run on: library, version, kernel architecture, threads, file.

    ``architecture`` is the kernel the library chose for this CPU (OpenBLAS: e.g. "SkylakeX" for
    AVX-512, "Haswell" for AVX2; ``OPENBLAS_CORETYPE`` overrides its choice).  Benchmarks print it:
    a product's speed depends on it more than on anything minires does.  ``library`` is None
    where no BLAS that threadpoolctl controls was found.
    """
    if _blas is None:
        return {"library": None, "version": None, "architecture": None, "threads": 1, "threading_layer": None,
                "filepath": None, "minires_workers": get_num_threads()}
    info = _blas.controllers[0].info()
    return {"library": info.get("internal_api"), "version": info.get("version"),
            "architecture": info.get("architecture"), "threads": _blas.get_threads(),
            "threading_layer": info.get("threading_layer"), "filepath": info.get("filepath"),
            "minires_workers": get_num_threads()}


_blas = _find_blas()
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

    More than 1 needs a BLAS that threadpoolctl can hold to one thread per
    worker (OpenBLAS, MKL, BLIS); without one a clear error says so.
    """
    global _workers, _pool
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"set_num_threads: expected a whole number of threads >= 1, got {count!r}")
    if count > 1 and _blas is None:
        raise RuntimeError(
            "set_num_threads: threadpoolctl found no BLAS in this NumPy that it can hold to one thread per "
            "worker (OpenBLAS, MKL or BLIS; is threadpoolctl installed?), so minires runs its loops on one "
            "thread (count=1)"
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

    While shares run, the BLAS is held to one thread: each worker is one
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


# Below this many values a pass over an array takes less time than handing shares to the workers
# (a few tens of microseconds); batch norm's and ReLU's arrays in a CIFAR net at batch 128 are 0.5-2 M.
BLOCK_MIN_VALUES = 1 << 18


def run_blocks(task: Callable[[int, int], T], n: int, values: int) -> list[T]:
    """``task(start, stop)`` on contiguous blocks of ``range(n)``, one block per worker; results in block order.

    For loops whose items are independent rows (batch norm's channels, an activation's channels):
    each worker takes one block of rows.  Arrays of fewer than ``BLOCK_MIN_VALUES`` values
    (``values``: the size of the array the loop passes over) are done in one block, here.
    """
    workers = min(_workers, n)
    if workers <= 1 or values < BLOCK_MIN_VALUES or getattr(_inside, "share", False):
        return [task(0, n)]
    bounds = [n * k // workers for k in range(workers + 1)]
    shares = run(lambda blocks: [task(bounds[k], bounds[k + 1]) for k in blocks], range(workers))
    # run() hands out round-robin shares (worker w gets block w): put the blocks back in order
    ordered: list[T] = [None] * workers  # type: ignore[list-item]
    for w, results in enumerate(shares):
        for k, result in zip(range(w, workers, workers), results):
            ordered[k] = result
    return ordered
