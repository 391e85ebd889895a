"""The input normalisation a trained network carries: subtract a mean image (and divide by a std).

Both sides need it, so it sits below both: ``minires.data`` fits it on the
training images (its ``transforms`` re-export it), and ``minires.models``
attaches the fitted one to loaded weights as ``model.normalizer``, because the
weights only make sense on inputs prepared the same way.  A network knows no
data set; this module knows only NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from minires.errors import InputError

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

    def state_dict(self) -> dict[str, Any]:
        """What a checkpoint keeps of it (see ``from_state``)."""
        return {"mean": self.mean, "std": self.std, "mode": self.mode}

    @classmethod
    def from_state(cls, state: Any, source: object) -> Normalizer:
        """The normaliser a checkpoint saved as ``state_dict()``; ``InputError`` naming ``source`` if it is not one.

        A network's weights only make sense on inputs prepared as its training images
        were, so a file without a usable normaliser is refused rather than guessed at.
        """
        if not isinstance(state, dict):
            raise InputError(f"{source}: expected the normalizer its network was trained with (a per-pixel or "
                             f"per-channel mean), found {'none' if state is None else type(state).__name__}")
        mode = state.get("mode")
        if mode not in ("pixel", "channel"):
            raise InputError(f"{source}: its normalizer's mode should be 'pixel' or 'channel', got {mode!r}")
        for name in ("mean", "std") if mode == "channel" else ("mean",):
            value = state.get(name)
            if not (isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.ndim == 3
                    and value.shape[0] == 3 and (mode == "pixel" or value.shape == (3, 1, 1))):
                got = f"{value.dtype} {value.shape}" if isinstance(value, np.ndarray) else type(value).__name__
                raise InputError(f"{source}: its normalizer's {name} should be a float array of shape "
                                 f"{'(3, H, W)' if mode == 'pixel' else '(3, 1, 1)'}, got {got}")
            if not np.isfinite(value).all() or (name == "std" and (value <= 0).any()):
                raise InputError(f"{source}: its normalizer's {name} holds NaN, infinite or negative values")
        std = state["std"].astype(np.float32) if mode == "channel" else None
        return cls(state["mean"].astype(np.float32), std, mode)

    def __call__(self, images: np.ndarray) -> np.ndarray:
        """(N, 3, H, W) uint8 -> float32, normalised."""
        x = images.astype(np.float32) / 255 - self.mean
        return x / self.std if self.std is not None else x
