"""Preprocessing and augmentation."""

from __future__ import annotations

import numpy as np
import pytest

from minires.data import Normalizer, random_crop_flip


def test_pixel_mean_is_an_image() -> None:
    images = np.random.default_rng(0).integers(0, 256, (50, 3, 32, 32)).astype(np.uint8)
    norm = Normalizer.fit(images)
    assert norm.mean.shape == (3, 32, 32)
    x = norm(images)
    assert x.dtype == np.float32
    np.testing.assert_allclose(x.mean(axis=0), 0, atol=1e-5)


def test_channel_normalisation() -> None:
    images = np.random.default_rng(0).integers(0, 256, (50, 3, 8, 8)).astype(np.uint8)
    x = Normalizer.fit(images, "channel")(images)
    np.testing.assert_allclose(x.mean(axis=(0, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=(0, 2, 3)), 1, atol=1e-4)
    with pytest.raises(ValueError, match="'pixel'"):
        Normalizer.fit(images, "global")


def test_crop_flip_shapes_and_content() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((400, 3, 32, 32)).astype(np.float32)
    out = random_crop_flip(x, np.random.default_rng(1))
    assert out.shape == x.shape and out.dtype == np.float32
    # every output is a shifted (maybe flipped) view of its input: its centre 24x24 is in the input
    for i in range(5):
        centre = out[i, :, 4:28, 4:28]
        candidates = [x[i], x[i, :, :, ::-1]]
        found = any(
            np.array_equal(centre, c[:, r : r + 24, s : s + 24])
            for c in candidates for r in range(9) for s in range(9)
        )
        assert found


def test_crop_flip_statistics() -> None:
    # a ramp image: the column of the left edge tells the offset and whether it was flipped
    n = 4000
    ramp = np.broadcast_to(np.arange(1, 33, dtype=np.float32), (n, 1, 32, 32)).copy()
    out = random_crop_flip(ramp, np.random.default_rng(2))
    flipped = out[:, 0, 16, 16] > out[:, 0, 16, 15]
    assert 0.45 < 1 - flipped.mean() < 0.55  # about half flipped
    zeros = (out[:, 0, 16] == 0).sum(axis=1)  # padding columns seen: |offset - 4|
    assert set(np.unique(zeros)) == set(range(5))
    # offsets are uniform on 0..8 in each direction, so E|offset - 4| = 20/9 padding rows (and
    # columns) show, independently: the expected fraction of padding is 1 - (32 - 20/9)² / 32²
    assert (out == 0).mean() == pytest.approx(1 - (32 - 20 / 9) ** 2 / 32**2, abs=0.01)


def test_same_seed_same_augmentation() -> None:
    x = np.random.default_rng(0).standard_normal((8, 3, 32, 32))
    a = random_crop_flip(x, np.random.default_rng(5))
    b = random_crop_flip(x, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
