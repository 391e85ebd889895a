"""One checkpoint format for models, optimizers, schedules and runs: a pickle-free ``.npz``.

A checkpoint is a nested dict of state (``model.state_dict()``,
``optimizer.state_dict()``, numbers, strings...).  Arrays are stored as
``.npz`` entries; everything else is stored as JSON in one more entry,
where each array is replaced by ``{"__array__": key}``.  Loading uses
``allow_pickle=False``, so a checkpoint can never run code.

Writes are atomic: the file is written beside its destination under a
temporary name, flushed to disk, then renamed over the destination, so a
crash leaves either the old checkpoint or the new one, never half a file.
"""

from __future__ import annotations

import io
import json
import math
import os
import re
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from minires import backend
from minires.errors import InputError
from minires.tensor import Tensor

META_KEY = "__meta__"
MAX_BYTES = 2**31  # what a file may unpack to: ResNet-1202 with momentum is 0.16 GB, ImageNet ResNet-152 0.5 GB


class CheckpointError(InputError):
    """A file given as a checkpoint is missing, corrupt, or not a minires checkpoint."""


def _flatten(value: Any, arrays: dict[str, np.ndarray], path: str) -> Any:
    """Replace arrays in a nested structure by references, collecting them in ``arrays``."""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray) or backend.is_gpu(backend.device_of(value)):
        key = path or "value"
        arrays[key] = backend.to_numpy(value)
        return {"__array__": key}
    if isinstance(value, dict):
        return {str(k): _flatten(v, arrays, f"{path}/{k}" if path else str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_flatten(v, arrays, f"{path}/{i}") for i, v in enumerate(value)]
    if isinstance(value, np.generic):
        return value.item()
    return value


def _unflatten(value: Any, arrays: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__array__"}:
            return arrays[value["__array__"]]
        return {k: _unflatten(v, arrays) for k, v in value.items()}
    if isinstance(value, list):
        return [_unflatten(v, arrays) for v in value]
    return value


def _umask() -> int:
    """The process's file-creation mask (read without changing it where Linux allows)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except OSError:
        pass
    return 0o022


def is_temporary(name: str, of: str) -> bool:
    """Whether ``name`` is the temporary file ``atomic_write_bytes`` writes for a file named ``of``.

    ``.NAME.XXXXXXXX.tmp``: mkstemp's 8 random characters between our prefix and suffix.
    """
    return re.fullmatch(rf"\.{re.escape(of)}\.[a-z0-9_]{{8}}\.tmp", name) is not None


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never a part.

    A process killed while writing leaves its temporary file (see ``is_temporary``) behind.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        # mkstemp makes the file private (0600); give it the mode a plain open() would have
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(path: str | Path, state: dict[str, Any]) -> None:
    """Save a nested dict of state (arrays, tensors, numbers, strings, lists) atomically."""
    arrays: dict[str, np.ndarray] = {}
    meta = _flatten(state, arrays, "")
    if META_KEY in arrays:
        raise ValueError(f"checkpoint: the key {META_KEY!r} is reserved")
    buffer = io.BytesIO()
    np.savez(buffer, **arrays, **{META_KEY: np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)})
    atomic_write_bytes(path, buffer.getvalue())


def _describe(path: Path) -> str:
    """What a file that is not a zip archive looks like, for an error message."""
    head = path.read_bytes()[:512]
    if not head:
        return "an empty file"
    if head.startswith(b"PK\x03\x04"):
        return "a truncated or damaged zip archive"
    if head.startswith(b"\x93NUMPY"):
        return "a single NumPy .npy array"
    try:
        head.decode("utf-8")
        return "a text file"
    except UnicodeDecodeError:
        return f"a {path.stat().st_size:,}-byte file of another format"


def load(path: str | Path) -> dict[str, Any]:
    """Load what ``save`` wrote; arrays come back as NumPy arrays.  Never unpickles.

    Raises ``CheckpointError`` (one line: what was expected, what came in) for a
    missing, truncated or corrupt file and for files that are not minires checkpoints.
    """
    path = Path(path)
    if not path.is_file():
        if path.is_dir():
            raise CheckpointError(f"checkpoint {path}: expected a .npz file, got a folder")
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    expected = "expected a .npz archive written by minires"
    if not zipfile.is_zipfile(path):
        raise CheckpointError(f"checkpoint {path}: {expected}, got {_describe(path)}")
    try:
        _check_sizes(path)
        with np.load(path, allow_pickle=False) as archive:
            arrays = {k: archive[k] for k in archive.files}
        if META_KEY not in arrays:
            raise CheckpointError(f"checkpoint {path}: {expected}, got a .npz archive without its "
                                  f"{META_KEY} entry (saved by NumPy directly?)")
        meta = json.loads(arrays.pop(META_KEY).tobytes().decode())
        state = _unflatten(meta, arrays)
    except RecursionError:
        raise CheckpointError(f"checkpoint {path}: its {META_KEY} entry is nested too deeply to be a minires "
                              f"checkpoint") from None
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, TypeError, UnicodeDecodeError) as err:
        if isinstance(err, CheckpointError):
            raise
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CheckpointError(f"checkpoint {path} is not a readable minires checkpoint: truncated, corrupt or "
                              f"not written by minires ({reason[:200]})") from None
    if not isinstance(state, dict):
        raise CheckpointError(f"checkpoint {path}: {expected}, got one whose {META_KEY} holds a "
                              f"{type(state).__name__}, not a dict of state")
    return state


def _check_sizes(path: Path) -> None:
    """Refuse, before reading any of it, an archive that claims more than it can hold or than we will unpack.

    A zip entry declares its unpacked size, and a ``.npy`` header its array's shape; NumPy
    allocates what the header says before reading the data.  So a small file could ask for
    terabytes -- by a huge shape, or by a tiny compressed entry that inflates enormously.
    """
    with zipfile.ZipFile(path) as archive:
        entries = archive.infolist()
        total = sum(e.file_size for e in entries)
        if total > MAX_BYTES:
            raise CheckpointError(f"checkpoint {path} would unpack to {total:,} bytes, more than the "
                                  f"{MAX_BYTES:,} a minires checkpoint may hold")
        for entry in entries:
            with archive.open(entry) as f:
                version = np.lib.format.read_magic(f)
                read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                    np.lib.format.read_array_header_2_0
                shape, _, dtype = read_header(f, max_header_size=10_000)
                declared = math.prod(shape) * dtype.itemsize
                if declared > entry.file_size - f.tell():
                    raise CheckpointError(f"checkpoint {path}: entry {entry.filename!r} declares a {shape} "
                                          f"{dtype} array ({declared:,} bytes) but holds "
                                          f"{entry.file_size - f.tell():,} bytes")
