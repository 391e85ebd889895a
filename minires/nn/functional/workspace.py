"""Scratch buffers that the convolution reuses from call to call.

Asking the operating system for a fresh 75 MB array is not free: every
page of it is faulted in and zeroed on first touch, which on a laptop CPU
costs about as much as the copy that fills it.  A training step builds
two sets of im2col columns per convolution (of x in forward, of the output
gradient in backward), so the convolution instead
borrows its column and padding buffers from a small cache and gives them
back when the call returns.  The buffers are chunk-sized (a MB or two, see
``conv.py``), so the cache stays small.

Two rules make this safe:

* a buffer is only used *inside* one function call, never returned or kept
  for backward, so a later call can overwrite it;
* each thread has its own cache (the data loader's prefetch thread never
  meets the training thread's buffers, and each core's share of a
  convolution's chunks, see ``minires.parallel``, has its own).

Buffers are created zero-filled.  ``conv.py`` relies on that for padding:
it only ever writes the interior of a padded buffer, so the border stays
zero for the buffer's whole life.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import numpy as np

from minires.backend import device_of, get_array_module

_local = threading.local()

# Floats of columns per chunk: 2 MiB of float32, about one core's L2 cache on current x86-64 CPUs
# (whole ResNet-56 steps, chunk sizes interleaved in one process: 1 and 4 MiB were 5-10% slower).
CHUNK_FLOATS = 1 << 19


def images_per_chunk(xc: Any, rows: int, positions: int) -> int:
    """How many images' scratch (``rows`` × ``positions`` floats each) to build at once.

    ``xc`` is a (C, N, ...) channel-major input.  Used by every chunked convolution
    (``conv.py``'s columns, ``winograd.py``'s transformed tiles).

    About ``CHUNK_FLOATS`` of columns on the CPU, so they stay in cache;
    the whole batch on a GPU, where one large launch beats many small ones.
    """
    n = xc.shape[1]
    if get_array_module(xc) is not np:
        return max(1, n)  # (an empty batch still needs a step of at least 1)
    return max(1, min(n, CHUNK_FLOATS // (rows * positions)))


class Workspace:
    """A least-recently-used cache of zero-initialised scratch arrays.

    Args:
        capacity: how many buffers to keep; the least recently used one is
            dropped (and freed) when a new one would exceed it.
    """

    def __init__(self, capacity: int = 32) -> None:
        self.capacity = capacity
        self._buffers: OrderedDict[tuple, Any] = OrderedDict()

    def get(self, role: str, shape: tuple[int, ...], like: Any) -> Any:
        """A scratch array of ``shape`` with ``like``'s dtype and device.

        The same (role, shape, dtype, device) always gives back the same
        array, holding whatever its last user left in it -- except that a
        newly made buffer is all zeros.
        """
        key = (role, tuple(shape), str(like.dtype), device_of(like))
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = get_array_module(like).zeros(shape, dtype=like.dtype)
            self._buffers[key] = buffer
            if len(self._buffers) > self.capacity:
                self._buffers.popitem(last=False)
        else:
            self._buffers.move_to_end(key)
        return buffer

    def clear(self) -> None:
        """Free every buffer (they are rebuilt on demand)."""
        self._buffers.clear()

    @property
    def nbytes(self) -> int:
        """Bytes held by the cached buffers."""
        return sum(int(b.nbytes) for b in self._buffers.values())


def workspace() -> Workspace:
    """This thread's workspace."""
    if not hasattr(_local, "workspace"):
        _local.workspace = Workspace()
    return _local.workspace
