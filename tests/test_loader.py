"""The batch loader: deterministic per iteration, full epochs, prefetching."""

from __future__ import annotations

import numpy as np
import pytest

from minires.data import BatchLoader, prefetched


def make_loader(**kw: object) -> BatchLoader:
    images = np.arange(20 * 3 * 32 * 32, dtype=np.float32).reshape(20, 3, 32, 32)
    return BatchLoader(images, np.arange(20), batch_size=6, seed=3, **kw)  # type: ignore[arg-type]


def test_each_epoch_sees_every_image_once_in_a_new_order() -> None:
    loader = make_loader(augment=False)
    assert loader.batches_per_epoch == 3  # the incomplete last batch is dropped
    epoch0 = np.concatenate([loader.batch(i)[1] for i in range(3)])
    epoch1 = np.concatenate([loader.batch(i)[1] for i in range(3, 6)])
    assert len(set(epoch0)) == 18 and len(set(epoch1)) == 18
    assert not np.array_equal(epoch0, epoch1)


def test_batches_are_a_function_of_the_iteration() -> None:
    a, b = make_loader(), make_loader()
    for i in (0, 4, 7):
        np.testing.assert_array_equal(a.batch(i)[0], b.batch(i)[0])
    assert not np.array_equal(a.batch(0)[0], make_loader(augment=True).batch(1)[0])


def test_labels_follow_their_images() -> None:
    x, y = make_loader(augment=False).batch(2)
    np.testing.assert_array_equal(x[:, 0, 0, 0], y * 3 * 32 * 32)


def test_stream_matches_direct_batches_and_stops() -> None:
    loader = make_loader()
    streamed = list(loader.stream(2, 6))
    assert len(streamed) == 4
    for (x, y), i in zip(streamed, range(2, 6)):
        np.testing.assert_array_equal(x, loader.batch(i)[0])
        np.testing.assert_array_equal(y, loader.batch(i)[1])


def test_prefetch_passes_errors_through() -> None:
    def broken():  # noqa: ANN202
        yield 1
        raise RuntimeError("augmentation failed")

    stream = prefetched(broken())
    assert next(stream) == 1
    with pytest.raises(RuntimeError, match="augmentation failed"):
        next(stream)


def test_loader_errors() -> None:
    with pytest.raises(ValueError, match="3 images but 2 labels"):
        BatchLoader(np.zeros((3, 3, 4, 4)), np.zeros(2), 2)
    with pytest.raises(ValueError, match="batch_size must be in 1..3"):
        BatchLoader(np.zeros((3, 3, 4, 4)), np.zeros(3), 5)


def test_for_loop_gives_one_epoch_and_len_counts_it() -> None:
    images = np.random.default_rng(0).integers(0, 255, (10, 3, 32, 32)).astype(np.float32)
    labels = np.arange(10)
    loader = BatchLoader(images, labels, batch_size=3, seed=4)
    assert len(loader) == 3  # 10 // 3: the incomplete batch is dropped
    first = [y.tolist() for _, y in loader]
    second = [y.tolist() for _, y in loader]
    assert len(first) == len(second) == 3 and first != second  # a new shuffle each epoch
    streamed = [y.tolist() for _, y in loader.stream(0, 6)]
    assert streamed == first + second
    loader.epoch = 0
    assert [y.tolist() for _, y in loader] == first
