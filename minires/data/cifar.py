"""CIFAR-10 and CIFAR-100 in their official Python layouts, read safely.

The official CIFAR-10 archive (``cifar-10-python.tar.gz``) holds
``cifar-10-batches-py/`` with five training batches, a test batch and
``batches.meta``: Python-2 pickles of dicts with ``b"data"`` (10000, 3072) uint8
and ``b"labels"``.  CIFAR-100 (``cifar-100-python.tar.gz``) holds
``cifar-100-python/train`` and ``test`` (50,000 and 10,000 images), each with
``b"fine_labels"`` (100 classes) and ``b"coarse_labels"`` (20 superclasses).

Pickle can run arbitrary code, so this reader uses an unpickler that only
rebuilds plain containers and NumPy arrays: a crafted file that tries to
call anything else is refused with an error naming the file.

Where the data is looked for, in order: the ``data`` argument (``--data``),
``$MINIRES_DATA``, then the cache folder ``~/.cache/minires``.  Each may be
a folder holding ``cifar-10-batches-py/`` (``cifar-100-python/``), that folder
itself, or the ``.tar.gz`` archive (or a folder holding it).
"""

from __future__ import annotations

import hashlib
import http.client
import io
import os
import pickle
import sys
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from minires.errors import InputError, RunError

CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


@dataclass(frozen=True)
class Layout:
    """Where a CIFAR data set's files are and what their dicts hold."""

    name: str  # as --dataset says it
    title: str
    folder: str
    archive: str
    url: str
    md5: str
    megabytes: int
    train_files: tuple[str, ...]
    test_files: tuple[str, ...]
    label_key: bytes
    classes: int

    def how_to_supply(self) -> str:
        flag = "" if self.name == "cifar10" else f" --dataset {self.name}"
        return (f"get it with 'minires download{flag}' ({self.megabytes} MB, into ~/.cache/minires) or "
                f"'minires train --download ...', or point --data DIR or $MINIRES_DATA at a folder holding "
                f"{self.folder}/ or {self.archive}")


_CIFAR100 = dict(title="CIFAR-100", folder="cifar-100-python", archive="cifar-100-python.tar.gz",
                 url="https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz",
                 md5="eb9058c3a382ffc7106e4002c42a8d85", megabytes=161, train_files=("train",),
                 test_files=("test",))
LAYOUTS = {
    "cifar10": Layout("cifar10", "CIFAR-10", "cifar-10-batches-py", "cifar-10-python.tar.gz",
                      "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz", "c58f30108f718f92721af3b95e74349a",
                      163, tuple(f"data_batch_{i}" for i in range(1, 6)), ("test_batch",), b"labels", 10),
    "cifar100": Layout("cifar100", **_CIFAR100, label_key=b"fine_labels", classes=100),  # type: ignore[arg-type]
    "cifar100-coarse": Layout("cifar100-coarse", **_CIFAR100, label_key=b"coarse_labels",  # type: ignore[arg-type]
                              classes=20),
}
DATASETS = tuple(LAYOUTS)
URL, OFFICIAL_MD5 = LAYOUTS["cifar10"].url, LAYOUTS["cifar10"].md5
FOLDER, ARCHIVE = LAYOUTS["cifar10"].folder, LAYOUTS["cifar10"].archive
HOW_TO_SUPPLY = LAYOUTS["cifar10"].how_to_supply()


def layout(dataset: str) -> Layout:
    """The layout of ``dataset`` ('cifar10', 'cifar100' or 'cifar100-coarse')."""
    if dataset not in LAYOUTS:
        raise InputError(f"unknown dataset {dataset!r}: expected one of {', '.join(DATASETS)}")
    return LAYOUTS[dataset]


class CifarFormatError(InputError):
    """A CIFAR file is missing, truncated, corrupt or not in the expected format."""


def default_cache() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "minires"


# The only globals a CIFAR pickle needs: NumPy's array reconstruction, and the codec
# call that Python 3 uses to write ``bytes`` in protocol 2 (it only turns text into bytes).
_ALLOWED = {
    ("_codecs", "encode"),
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
}


class _RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: a CIFAR file needs only NumPy arrays")


def safe_unpickle(data: bytes, source: str) -> Any:
    """Unpickle ``data`` allowing only plain containers and NumPy arrays."""
    try:
        return _RestrictedUnpickler(io.BytesIO(data), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
            KeyError, MemoryError) as err:
        raise CifarFormatError(f"{source}: not a valid CIFAR pickle ({err})") from None


def _parse_batch(obj: Any, source: str, key: bytes = b"labels", classes: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Check one unpickled batch and return images (N, 3, 32, 32) uint8 and labels (N,) int64."""
    if not isinstance(obj, dict) or b"data" not in obj or key not in obj:
        raise CifarFormatError(f"{source}: expected a dict with b'data' and {key!r}, got {type(obj).__name__}"
                               + (f" with keys {sorted(obj)[:5]}" if isinstance(obj, dict) else ""))
    data, labels = obj[b"data"], np.asarray(obj[key])
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        shape = getattr(data, "shape", None)
        raise CifarFormatError(f"{source}: b'data' should be a (N, 3072) uint8 array, got {shape}")
    if labels.dtype.kind not in "iu":  # strings, floats, None: refused before any comparison or cast
        raise CifarFormatError(f"{source}: {key!r} should be {data.shape[0]} integers in 0..{classes - 1}, got "
                               f"{labels.dtype} values")
    if labels.shape != (data.shape[0],) or labels.size and (labels.min() < 0 or labels.max() >= classes):
        raise CifarFormatError(f"{source}: {key!r} should be {data.shape[0]} integers in 0..{classes - 1}")
    return data.reshape(-1, 3, 32, 32), labels.astype(np.int64)


def locate(data: str | os.PathLike[str] | None = None, dataset: str = "cifar10") -> Path:
    """Find a data set's files: its folder (``cifar-10-batches-py``, ``cifar-100-python``) or its archive."""
    lay = layout(dataset)
    tried = []
    candidates = [data] if data is not None else [os.environ.get("MINIRES_DATA"), default_cache()]
    for base in candidates:
        if not base:
            continue
        base = Path(base).expanduser()
        for path in (base / lay.folder, base, base / lay.archive):
            tried.append(str(path))
            if path.is_dir() and (path / lay.test_files[0]).exists():
                return path
            if path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
                return path
        if data is not None and not base.exists():
            raise FileNotFoundError(f"{lay.title} data path {base} does not exist; {lay.how_to_supply()}")
    raise FileNotFoundError(f"{lay.title} not found (looked in: {', '.join(tried) or 'nothing'}); "
                            f"{lay.how_to_supply()}")


def _read_members(path: Path, names: tuple[str, ...], lay: Layout) -> dict[str, bytes]:
    if path.is_dir():
        out = {}
        for name in names:
            file = path / name
            if not file.is_file():
                raise CifarFormatError(f"{file}: missing; {lay.how_to_supply()}")
            out[name] = file.read_bytes()
        return out
    try:
        with tarfile.open(path, "r:gz") as archive:
            members = {Path(m.name).name: m for m in archive.getmembers() if m.isfile()}
            out = {}
            for name in names:
                if name not in members:
                    raise CifarFormatError(f"{path}: the archive has no {lay.folder}/{name}")
                out[name] = archive.extractfile(members[name]).read()  # type: ignore[union-attr]
            return out
    except (tarfile.TarError, EOFError, OSError) as err:
        raise CifarFormatError(f"{path}: not a readable .tar.gz archive ({err})") from None


def load_cifar(data: str | os.PathLike[str] | None = None, split: str = "train",
               dataset: str = "cifar10") -> tuple[np.ndarray, np.ndarray]:
    """Read a split of CIFAR-10 or CIFAR-100.

    Args:
        data: where to look (see the module docstring); None for $MINIRES_DATA / the cache.
        split: 'train' (50,000 images) or 'test' (10,000).
        dataset: 'cifar10', 'cifar100' (100 fine labels) or 'cifar100-coarse' (20 superclasses).

    Returns:
        images (N, 3, 32, 32) uint8 and labels (N,) int64.
    """
    lay = layout(dataset)
    if split not in ("train", "test"):
        raise InputError(f"split must be 'train' or 'test', got {split!r}")
    path = locate(data, dataset)
    names = lay.train_files if split == "train" else lay.test_files
    parts = [_parse_batch(safe_unpickle(blob, f"{path}/{name}"), f"{path}/{name}", lay.label_key, lay.classes)
             for name, blob in _read_members(path, names, lay).items()]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def load_cifar10(data: str | os.PathLike[str] | None = None, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Read a split of CIFAR-10: images (N, 3, 32, 32) uint8 and labels (N,) int64 (see ``load_cifar``)."""
    return load_cifar(data, split, "cifar10")


def load_cifar100(data: str | os.PathLike[str] | None = None, split: str = "train",
                  labels: str = "fine") -> tuple[np.ndarray, np.ndarray]:
    """Read a split of CIFAR-100 with its 100 ``fine`` labels or its 20 ``coarse`` ones (see ``load_cifar``)."""
    if labels not in ("fine", "coarse"):
        raise InputError(f"labels must be 'fine' (100 classes) or 'coarse' (20), got {labels!r}")
    return load_cifar(data, split, "cifar100" if labels == "fine" else "cifar100-coarse")


def load_sample(split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """The small real CIFAR-10 sample shipped with minires (3,000 train / 1,000 test images).

    Stored as the JPEG bytes of the project's CIFAR-10 copy; decoded with
    Pillow (installed with matplotlib).
    """
    if split not in ("train", "test"):
        raise InputError(f"split must be 'train' or 'test', got {split!r}")
    try:
        from PIL import Image
    except ImportError:
        raise RunError("the embedded sample is stored as JPEG and needs Pillow to decode it, which is not "
                       "installed; install it with: pip install pillow") from None

    with np.load(Path(__file__).with_name("sample") / "cifar10_sample.npz", allow_pickle=False) as archive:
        blob, offsets = archive[f"{split}_jpeg"].tobytes(), archive[f"{split}_offsets"]
        labels = archive[f"{split}_labels"].astype(np.int64)
    images = np.empty((len(labels), 3, 32, 32), dtype=np.uint8)
    for i in range(len(labels)):
        with Image.open(io.BytesIO(blob[offsets[i] : offsets[i + 1]])) as img:
            images[i] = np.asarray(img.convert("RGB")).transpose(2, 0, 1)
    return images, labels


def download(dest: str | os.PathLike[str] | None = None, md5: str | None = "official", timeout: float = 30,
             url: str | None = None, stream: TextIO | None = None, dataset: str = "cifar10") -> Path:
    """Fetch a data set's official archive into ``dest`` (default: the cache folder), showing progress.

    The archive (163 MB for CIFAR-10, 161 MB for CIFAR-100) is written to a temporary file
    beside its destination and renamed into place only once it is complete and its MD5 matches,
    so an interrupted or corrupted
    transfer never leaves a file that looks like the data set.  An archive already there is
    kept.  ``md5=None`` skips the checksum (for mirrors or rebuilt copies); ``url`` picks a mirror.

    Returns:
        the path of the archive (e.g. ``cifar-10-python.tar.gz``), ready for ``--data``.
    """
    lay = layout(dataset)
    md5 = lay.md5 if md5 == "official" else md5
    url = url or lay.url
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("http", "https", "ftp", "file") or not (parts.netloc or parts.scheme == "file"):
        raise InputError(f"url must be an address such as https://host/{lay.archive} (http, https, ftp or file), "
                         f"got {url!r}")
    dest = Path(dest).expanduser() if dest is not None else default_cache()
    target = dest / lay.archive
    if target.exists():
        return target
    stream = stream or sys.stderr
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create the download folder {dest} ({err.strerror or err})") from None
    fd, tmp = tempfile.mkstemp(prefix=f".{lay.archive}.", suffix=".tmp", dir=dest)
    digest, done, started = hashlib.md5(), 0, time.perf_counter()
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0)
            while chunk := response.read(1 << 20):
                out.write(chunk)
                digest.update(chunk)
                done += len(chunk)
                rate = done / max(time.perf_counter() - started, 1e-9) / 1e6
                shown = f"{done / total:6.1%} of {total / 1e6:.0f} MB" if total else f"{done / 1e6:.0f} MB"
                stream.write(f"\rdownloading {lay.title}: {shown}, {rate:.1f} MB/s")
                stream.flush()
            stream.write("\n")
            if total and done != total:
                raise RunError(f"the download of {url} stopped after {done:,} of {total:,} bytes; run it again")
        if md5 is not None and digest.hexdigest() != md5:
            raise CifarFormatError(f"the file downloaded from {url} has MD5 {digest.hexdigest()}, expected {md5} "
                                   f"(a damaged transfer or another file); nothing was kept")
        os.replace(tmp, target)
    except http.client.IncompleteRead as err:
        raise RunError(f"the download of {url} stopped after {done + len(err.partial):,} bytes (the connection "
                       f"closed early); nothing was kept, run it again") from None
    except (OSError, http.client.HTTPException) as err:
        reason = getattr(err, "reason", None) or getattr(err, "strerror", None) or err
        raise RunError(f"could not download {url} ({reason}); without internet, copy {lay.archive} from a machine "
                       f"that has it and point --data DIR (or $MINIRES_DATA) at its folder") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target
