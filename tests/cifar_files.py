"""Write tiny CIFAR-10 data sets in the official Python layout, for tests."""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np


def batch_bytes(images: np.ndarray, labels: np.ndarray) -> bytes:
    """One batch file: a protocol-2 pickle of the official dict (bytes keys)."""
    record = {b"batch_label": b"test", b"labels": [int(v) for v in labels],
              b"data": images.reshape(len(images), -1).astype(np.uint8),
              b"filenames": [b"x.png"] * len(labels)}
    return pickle.dumps(record, protocol=2)


def write_cifar(root: Path, per_batch: int = 20, test: int = 20, seed: int = 0, archive: bool = False) -> Path:
    """root/cifar-10-batches-py with 5 training batches of ``per_batch`` images and a test batch.

    Images are class-dependent colours plus noise, so a network can learn them.
    """
    rng = np.random.default_rng(seed)
    files = {}

    def make(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, 10, n)
        base = (labels[:, None, None, None] * 25 + np.array([0, 80, 160])[None, :, None, None]) % 256
        images = np.clip(base + rng.normal(0, 30, (n, 3, 32, 32)), 0, 255).astype(np.uint8)
        return images, labels

    for i in range(1, 6):
        files[f"data_batch_{i}"] = batch_bytes(*make(per_batch))
    files["test_batch"] = batch_bytes(*make(test))
    files["batches.meta"] = pickle.dumps({b"label_names": [b"c"] * 10}, protocol=2)
    return _write(root, "cifar-10-batches-py", "cifar-10-python.tar.gz", files, archive)


def write_cifar100(root: Path, train: int = 40, test: int = 20, seed: int = 0, archive: bool = False) -> Path:
    """root/cifar-100-python/{train,test,meta} in the official format (fine and coarse labels)."""
    rng = np.random.default_rng(seed)
    files = {}
    for name, n in (("train", train), ("test", test)):
        fine = rng.integers(0, 100, n)
        images = np.clip((fine[:, None, None, None] * 2.5) + rng.normal(0, 20, (n, 3, 32, 32)), 0, 255)
        record = {b"filenames": [b"x.png"] * n, b"batch_label": name.encode(), b"fine_labels": [int(v) for v in fine],
                  b"coarse_labels": [int(v) // 5 for v in fine],
                  b"data": images.reshape(n, -1).astype(np.uint8)}
        files[name] = pickle.dumps(record, protocol=2)
    files["meta"] = pickle.dumps({b"fine_label_names": [b"c"] * 100, b"coarse_label_names": [b"s"] * 20}, protocol=2)
    return _write(root, "cifar-100-python", "cifar-100-python.tar.gz", files, archive)


def _write(root: Path, folder: str, archive_name: str, files: dict[str, bytes], archive: bool) -> Path:
    """Write ``files`` as root/folder/NAME, or as the .tar.gz archive holding folder/NAME; returns it."""
    if archive:
        root.mkdir(parents=True, exist_ok=True)
        with tarfile.open(root / archive_name, "w:gz") as tf:
            for name, blob in files.items():
                info = tarfile.TarInfo(f"{folder}/{name}")
                info.size = len(blob)
                tf.addfile(info, io.BytesIO(blob))
        return root / archive_name
    (root / folder).mkdir(parents=True, exist_ok=True)
    for name, blob in files.items():
        (root / folder / name).write_bytes(blob)
    return root / folder
