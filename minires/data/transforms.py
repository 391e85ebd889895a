"""Preprocessing and augmentation, as in the paper, vectorised over the batch.

* Per-pixel mean subtraction (``Normalizer``, from ``minires/normalizer.py``):
  the mean *image* of the training split (3×32×32 values) is subtracted from
  every image.  (Per-channel normalisation -- subtract 3 means, divide by 3
  stds -- is offered as the common alternative.)
* Training augmentation: pad 4 pixels of zeros on each side, take a random
  32×32 crop, flip horizontally with probability ½.  Zero padding after
  mean subtraction means the padding has the mean colour.
"""

from __future__ import annotations

import numpy as np

from minires.normalizer import Normalizer  # defined one floor lower, so that models may use it too

__all__ = ["Normalizer", "random_crop_flip"]


def random_crop_flip(images: np.ndarray, rng: np.random.Generator, padding: int = 4) -> np.ndarray:
    """Pad, randomly crop back to the original size, randomly flip; one draw per image.

    Args:
        images: (N, C, H, W) float array.
        rng: where the crop offsets and flips come from.
        padding: zeros added on each side before cropping.

    Returns:
        (N, C, H, W) augmented copy.
    """
    n, c, h, w = images.shape
    padded = np.zeros((n, c, h + 2 * padding, w + 2 * padding), dtype=images.dtype)
    padded[:, :, padding : padding + h, padding : padding + w] = images
    top = rng.integers(0, 2 * padding + 1, n)
    left = rng.integers(0, 2 * padding + 1, n)
    flip = rng.random(n) < 0.5
    rows = top[:, None] + np.arange(h)  # (N, H): the rows each image keeps
    cols = left[:, None] + np.arange(w)  # (N, W)
    cols = np.where(flip[:, None], cols[:, ::-1], cols)  # a flip reads the columns backwards
    batch = np.arange(n)[:, None, None, None]
    channel = np.arange(c)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]
