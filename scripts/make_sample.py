"""Make the CIFAR-10 sample shipped inside minires (minires/data/sample/cifar10_sample.npz).

The sample is the first 3,000 training and first 1,000 test images of CIFAR-10, taken from
the project's compact JPEG copy (../shared/data/cifar10-jpeg.tar.xz) without re-encoding,
so the package stays small (under 4 MB) and works offline.

    python scripts/make_sample.py ../shared/data/cifar10-jpeg.tar.xz
"""

from __future__ import annotations

import argparse
import io
import tarfile
from pathlib import Path

import numpy as np

from minires.checkpoint import atomic_write_bytes

COUNTS = {"train": 3000, "test": 1000}
OUT = Path(__file__).resolve().parents[1] / "minires" / "data" / "sample" / "cifar10_sample.npz"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="path to cifar10-jpeg.tar.xz")
    args = parser.parse_args()
    blobs: dict[str, dict[int, bytes]] = {"train": {}, "test": {}}
    labels: dict[str, list[int]] = {}
    with tarfile.open(args.source, "r:xz") as tf:
        for member in tf:
            if not member.isfile():
                continue
            parts = member.name.split("/")
            raw = tf.extractfile(member).read()
            if parts[-1].endswith("_labels.txt"):
                labels[parts[-1].removesuffix("_labels.txt")] = [int(c) for c in raw.decode().strip()]
            elif int(parts[-1][:-4]) < COUNTS[parts[-2]]:
                blobs[parts[-2]][int(parts[-1][:-4])] = raw
    arrays = {}
    for split, count in COUNTS.items():
        jpegs = [blobs[split][i] for i in range(count)]
        arrays[f"{split}_jpeg"] = np.frombuffer(b"".join(jpegs), dtype=np.uint8)
        arrays[f"{split}_offsets"] = np.cumsum([0] + [len(j) for j in jpegs]).astype(np.int64)
        arrays[f"{split}_labels"] = np.array(labels[split][:count], dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    atomic_write_bytes(OUT, buffer.getvalue())
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
