"""CIFAR-10 in its official Python layout, read safely.

The official archive (``cifar-10-python.tar.gz``) holds ``cifar-10-batches-py/``
with five training batches, a test batch and ``batches.meta``: Python-2
pickles of dicts with ``b"data"`` (10000, 3072) uint8 and ``b"labels"``.

Pickle can run arbitrary code, so this reader uses an unpickler that only
rebuilds plain containers and NumPy arrays: a crafted file that tries to
call anything else is refused with an error naming the file.

Where the data is looked for, in order: the ``data`` argument (``--data``),
``$MINIRES_DATA``, then the cache folder ``~/.cache/minires``.  Each may be
a folder holding ``cifar-10-batches-py/``, that folder itself, or the
``.tar.gz`` archive (or a folder holding it).
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
import urllib.request
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from minires.errors import InputError, RunError

URL = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
OFFICIAL_MD5 = "c58f30108f718f92721af3b95e74349a"
FOLDER = "cifar-10-batches-py"
ARCHIVE = "cifar-10-python.tar.gz"
TRAIN_FILES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_FILES = ("test_batch",)
CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
HOW_TO_SUPPLY = (
    "get it with 'minires download' (163 MB, into ~/.cache/minires) or 'minires train --download ...', "
    "or point --data DIR or $MINIRES_DATA at a folder holding cifar-10-batches-py/ or cifar-10-python.tar.gz"
)


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
        raise CifarFormatError(f"{source}: not a valid CIFAR-10 pickle ({err})") from None


def _parse_batch(obj: Any, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Check one unpickled batch and return images (N, 3, 32, 32) uint8 and labels (N,) int64."""
    if not isinstance(obj, dict) or b"data" not in obj or b"labels" not in obj:
        raise CifarFormatError(f"{source}: expected a dict with b'data' and b'labels', got {type(obj).__name__}")
    data, labels = obj[b"data"], np.asarray(obj[b"labels"])
    if not isinstance(data, np.ndarray) or data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        shape = getattr(data, "shape", None)
        raise CifarFormatError(f"{source}: b'data' should be a (N, 3072) uint8 array, got {shape}")
    if labels.shape != (data.shape[0],) or labels.size and (labels.min() < 0 or labels.max() > 9):
        raise CifarFormatError(f"{source}: b'labels' should be {data.shape[0]} integers in 0..9")
    return data.reshape(-1, 3, 32, 32), labels.astype(np.int64)


def locate(data: str | os.PathLike[str] | None = None) -> Path:
    """Find the CIFAR-10 files: a ``cifar-10-batches-py`` folder or the ``.tar.gz`` archive."""
    tried = []
    candidates = [data] if data is not None else [os.environ.get("MINIRES_DATA"), default_cache()]
    for base in candidates:
        if not base:
            continue
        base = Path(base).expanduser()
        for path in (base / FOLDER, base, base / ARCHIVE):
            tried.append(str(path))
            if path.is_dir() and (path / TEST_FILES[0]).exists():
                return path
            if path.is_file() and path.name.endswith((".tar.gz", ".tgz")):
                return path
        if data is not None and not base.exists():
            raise FileNotFoundError(f"CIFAR-10 data path {base} does not exist; {HOW_TO_SUPPLY}")
    raise FileNotFoundError(f"CIFAR-10 not found (looked in: {', '.join(tried) or 'nothing'}); {HOW_TO_SUPPLY}")


def _read_members(path: Path, names: tuple[str, ...]) -> dict[str, bytes]:
    if path.is_dir():
        out = {}
        for name in names:
            file = path / name
            if not file.is_file():
                raise CifarFormatError(f"{file}: missing; {HOW_TO_SUPPLY}")
            out[name] = file.read_bytes()
        return out
    try:
        with tarfile.open(path, "r:gz") as archive:
            members = {Path(m.name).name: m for m in archive.getmembers() if m.isfile()}
            out = {}
            for name in names:
                if name not in members:
                    raise CifarFormatError(f"{path}: the archive has no {FOLDER}/{name}")
                out[name] = archive.extractfile(members[name]).read()  # type: ignore[union-attr]
            return out
    except (tarfile.TarError, EOFError, OSError) as err:
        raise CifarFormatError(f"{path}: not a readable .tar.gz archive ({err})") from None


def load_cifar10(data: str | os.PathLike[str] | None = None, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Read a split of CIFAR-10.

    Args:
        data: where to look (see the module docstring); None for $MINIRES_DATA / the cache.
        split: 'train' (50,000 images) or 'test' (10,000).

    Returns:
        images (N, 3, 32, 32) uint8 and labels (N,) int64.
    """
    if split not in ("train", "test"):
        raise InputError(f"split must be 'train' or 'test', got {split!r}")
    path = locate(data)
    names = TRAIN_FILES if split == "train" else TEST_FILES
    parts = [_parse_batch(safe_unpickle(blob, f"{path}/{name}"), f"{path}/{name}")
             for name, blob in _read_members(path, names).items()]
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


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


def download(dest: str | os.PathLike[str] | None = None, md5: str | None = OFFICIAL_MD5, timeout: float = 30,
             url: str = URL, stream: TextIO | None = None) -> Path:
    """Fetch the official archive into ``dest`` (default: the cache folder), showing progress.

    The archive (163 MB) is written to a temporary file beside its destination and renamed
    into place only once it is complete and its MD5 matches, so an interrupted or corrupted
    transfer never leaves a file that looks like the data set.  An archive already there is
    kept.  ``md5=None`` skips the checksum (for mirrors or rebuilt copies); ``url`` picks a mirror.

    Returns:
        the path of ``cifar-10-python.tar.gz``, ready for ``--data``.
    """
    dest = Path(dest).expanduser() if dest is not None else default_cache()
    target = dest / ARCHIVE
    if target.exists():
        return target
    stream = stream or sys.stderr
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"cannot create the download folder {dest} ({err.strerror or err})") from None
    fd, tmp = tempfile.mkstemp(prefix=f".{ARCHIVE}.", suffix=".tmp", dir=dest)
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
                stream.write(f"\rdownloading CIFAR-10: {shown}, {rate:.1f} MB/s")
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
        raise RunError(f"could not download {url} ({reason}); without internet, copy {ARCHIVE} from a machine "
                       f"that has it and point --data DIR (or $MINIRES_DATA) at its folder") from None
    finally:
        Path(tmp).unlink(missing_ok=True)
    return target
