"""Mini-batches for iteration-based training: seeded, resumable, prefetched.

Batch k of epoch e is a pure function of (seed, e, k): the epoch's
shuffling comes from a generator seeded with (seed, e), the batch's
augmentation from one seeded with (seed, e, k).  So the data position is
just the iteration number, and a resumed run sees exactly the batches an
uninterrupted run would have seen.  Incomplete last batches are dropped, so
every epoch has the same number of batches.

A background thread prepares the next batches (augmentation, the copy to
the device) while the model trains on the current one.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from minires import backend
from minires.data.transforms import random_crop_flip
from minires.errors import InputError


class BatchLoader:
    """Seeded, shuffled, augmented mini-batches of (images, labels) arrays.

    Args:
        images: (N, C, H, W) float32, already normalised.
        labels: (N,) int64.
        batch_size: images per batch.
        seed: seeds the shuffling and augmentation.
        augment: apply pad-crop-flip (training) or not.
        shuffle: reshuffle every epoch.
        device: 'cpu' or 'cuda'; batches are moved there.
    """

    def __init__(
        self, images: np.ndarray, labels: np.ndarray, batch_size: int, seed: int = 0, augment: bool = True,
        shuffle: bool = True, device: str = "cpu",
    ) -> None:
        if len(images) != len(labels):
            raise InputError(f"BatchLoader: {len(images)} images but {len(labels)} labels")
        if not 0 < batch_size <= len(images):
            raise InputError(f"BatchLoader: batch_size must be in 1..{len(images)} (the number of images), "
                             f"got {batch_size}")
        self.images, self.labels = images, labels
        self.batch_size, self.seed, self.augment, self.shuffle, self.device = batch_size, seed, augment, shuffle, device
        self.batches_per_epoch = len(images) // batch_size
        self.epoch = 0  # the epoch the next ``for x, y in loader`` gives

    def batch(self, iteration: int) -> tuple[Any, Any]:
        """The batch used at ``iteration`` (0-based), on the loader's device."""
        epoch, k = divmod(iteration, self.batches_per_epoch)
        order = np.random.default_rng([self.seed, epoch]).permutation(len(self.images)) if self.shuffle else None
        index = slice(k * self.batch_size, (k + 1) * self.batch_size)
        chosen = order[index] if order is not None else index
        x, y = self.images[chosen], self.labels[chosen]
        if self.augment:
            x = random_crop_flip(x, np.random.default_rng([self.seed, epoch, k, 1]))
        return backend.to_device(np.ascontiguousarray(x), self.device), backend.to_device(y, self.device)

    def stream(self, start: int, stop: int, prefetch: int = 2) -> Iterator[tuple[Any, Any]]:
        """Batches for iterations ``start .. stop-1``, prepared ``prefetch`` ahead in a thread."""
        return prefetched((self.batch(i) for i in range(start, stop)), prefetch)

    def __len__(self) -> int:
        """Batches in one epoch (the incomplete last batch is dropped)."""
        return self.batches_per_epoch

    def __iter__(self) -> Iterator[tuple[Any, Any]]:
        """One epoch of batches, as with a PyTorch ``DataLoader``; each ``for`` loop starts the next epoch.

        The epoch a loop will give is ``self.epoch`` (0 first); set it to repeat or skip
        epochs.  Its batches are exactly those of ``stream`` for the same iterations.

        Example:
            >>> for epoch in range(2):
            ...     for x, y in loader:          # len(loader) batches of (B, 3, 32, 32), (B,)
            ...         train_step(x, y)
        """
        first = self.epoch * self.batches_per_epoch
        self.epoch += 1
        return self.stream(first, first + self.batches_per_epoch)


def prefetched(items: Iterator[Any], depth: int = 2) -> Iterator[Any]:
    """Iterate over ``items`` while a background thread computes up to ``depth`` ahead."""
    if depth <= 0:
        yield from items
        return
    slots: queue.Queue = queue.Queue(maxsize=depth)
    done = object()
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        slots.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            slots.put(done)
        except BaseException as err:  # hand errors to the consumer
            slots.put(err)

    worker = threading.Thread(target=produce, daemon=True)
    worker.start()
    try:
        while True:
            item = slots.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()


def batches_in_order(images: np.ndarray, labels: np.ndarray, batch_size: int,
                     device: str = "cpu") -> Iterator[tuple[Any, Any]]:
    """Every image once, in order, for evaluation (the last batch may be smaller)."""
    for start in range(0, len(images), batch_size):
        yield (backend.to_device(images[start : start + batch_size], device),
               backend.to_device(labels[start : start + batch_size], device))


