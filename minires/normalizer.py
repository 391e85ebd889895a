"""The input normalisation a trained network carries: subtract a mean image (and divide by a std).

Both sides need it, so it sits below both: ``minires.data`` fits it on the
training images (its ``transforms`` re-export it), and ``minires.models``
attaches the fitted one to loaded weights as ``model.normalizer``, because the
weights only make sense on inputs prepared the same way.  A network knows no
data set; this module knows only NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Normalizer"]


@dataclass
class Normalizer:
    """Subtract a mean (and divide by a std); ``mode`` is 'pixel' (paper) or 'channel'.

    Fit on training images (N, 3, H, W) uint8; apply to any split.
    """

    mean: np.ndarray
    std: np.ndarray | None = None
    mode: str = "pixel"

    @classmethod
    def fit(cls, images: np.ndarray, mode: str = "pixel") -> Normalizer:
        x = images.astype(np.float64) / 255
        if mode == "pixel":
            return cls(x.mean(axis=0).astype(np.float32), None, mode)
        if mode == "channel":
            mean = x.mean(axis=(0, 2, 3), keepdims=True)[0]
            std = x.std(axis=(0, 2, 3), keepdims=True)[0]
            return cls(mean.astype(np.float32), std.astype(np.float32), mode)
        raise ValueError(f"normalisation must be 'pixel' (the paper's) or 'channel', got {mode!r}")

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """(N, 3, H, W) uint8 -> float32, normalised."""
        x = images.astype(np.float32) / 255 - self.mean
        return x / self.std if self.std is not None else x
