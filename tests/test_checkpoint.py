"""The checkpoint format: round trip, atomic writes, no pickles, clear errors."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from helpers import meta, npy_bytes, npz_bytes

import minires
from minires import checkpoint, nn, optim
from minires.checkpoint import CheckpointError


def test_round_trip_model_optimizer_schedule_rng(tmp_path: Path) -> None:
    net = nn.Sequential(nn.Conv2d(3, 4, 3, bias=False), nn.BatchNorm2d(4))
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    sched = optim.LRSchedule(opt, 0.1, [5])
    net(minires.randn(2, 3, 5, 5)).sum().backward()
    opt.step()
    sched.step()
    state = {"model": net.state_dict(), "optimizer": opt.state_dict(), "schedule": sched.state_dict(),
             "rng": minires.get_rng_state(), "note": "hello", "numbers": [1, 2.5]}
    checkpoint.save(tmp_path / "c.npz", state)
    loaded = checkpoint.load(tmp_path / "c.npz")
    assert loaded["note"] == "hello" and loaded["numbers"] == [1, 2.5]
    assert loaded["rng"] == minires.get_rng_state()
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(loaded["model"][k], v.numpy())
    opt2 = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    opt2.load_state_dict(loaded["optimizer"])
    np.testing.assert_array_equal(opt2.state[0]["momentum_buffer"], opt.state[0]["momentum_buffer"])


def test_no_temporary_files_left_and_old_file_survives_a_failed_write(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    checkpoint.save(path, {"a": np.arange(3)})
    with pytest.raises(TypeError):
        checkpoint.save(path, {"a": object()})  # not JSON-serialisable: fails before the rename
    assert list(tmp_path.iterdir()) == [path]
    np.testing.assert_array_equal(checkpoint.load(path)["a"], np.arange(3))


def test_pickled_object_array_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.npz"
    np.savez(path, __meta__=np.frombuffer(b'{"x": {"__array__": "x"}}', np.uint8),
             x=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="not a readable minires checkpoint"):
        checkpoint.load(path)


def test_truncated_and_foreign_files_are_reported(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    checkpoint.save(path, {"a": np.arange(1000)})
    path.write_bytes(path.read_bytes()[:100])
    with pytest.raises(CheckpointError, match="c.npz: expected a .npz archive .* got a truncated or damaged zip"):
        checkpoint.load(path)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.arange(3))
    with pytest.raises(CheckpointError, match="without its __meta__ entry"):
        checkpoint.load(other)
    pickled = tmp_path / "p.npz"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(CheckpointError, match="expected a .npz archive written by minires, got a .*-byte file"):
        checkpoint.load(pickled)
    array = tmp_path / "a.npy"
    np.save(array, np.arange(3))
    with pytest.raises(CheckpointError, match="got a single NumPy .npy array"):
        checkpoint.load(array)
    text = tmp_path / "t.txt"
    text.write_text("weights\n")  # NumPy would suggest allow_pickle=True here: the wrong advice
    with pytest.raises(CheckpointError, match="got a text file"):
        checkpoint.load(text)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        checkpoint.load(tmp_path / "missing.npz")


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    path = tmp_path / "c.npz"
    checkpoint.save(path, {"a": np.arange(3)})
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask
    path.chmod(0o640)  # a file that exists keeps its mode
    checkpoint.save(path, {"a": np.arange(4)})
    assert path.stat().st_mode & 0o777 == 0o640


def test_an_entry_declaring_an_enormous_shape_is_refused_before_allocating(tmp_path: Path) -> None:
    path = tmp_path / "huge.npz"
    path.write_bytes(npz_bytes({"__meta__": meta('{"x": {"__array__": "x"}}'),
                                "x": npy_bytes((10**12,), b"\0" * 16)}))
    with pytest.raises(CheckpointError, match=r"huge.npz: entry 'x.npy' declares a \(1000000000000,\) float32 "
                                              r"array \(4,000,000,000,000 bytes\) but holds 16 bytes"):
        checkpoint.load(path)


def test_what_an_archive_would_unpack_to_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = tmp_path / "small.npz"  # 8 MiB of zeros, deflated to a few kB
    small.write_bytes(npz_bytes({"__meta__": meta('{"x": {"__array__": "x"}}'),
                                 "x": npy_bytes((2**21,), b"\0" * 2**23)}))
    assert small.stat().st_size < 50_000
    monkeypatch.setattr(checkpoint, "MAX_BYTES", 2**20)
    with pytest.raises(CheckpointError, match=r"small.npz would unpack to 8,388,\d{3} bytes, more than the 1,048,576"):
        checkpoint.load(small)
    monkeypatch.undo()
    assert checkpoint.load(small)["x"].shape == (2**21,)
    claims = tmp_path / "claims.npz"  # a directory that claims more than the cap
    claims.write_bytes(npz_bytes({"__meta__": meta("{}")}, claim=2**32 - 1))
    with pytest.raises(CheckpointError, match="would unpack to 4,294,967,295 bytes, more than the 2,147,483,648"):
        checkpoint.load(claims)


def test_deeply_nested_or_non_dict_metadata_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "deep.npz"
    path.write_bytes(npz_bytes({"__meta__": meta("[" * 100_000 + "]" * 100_000)}))
    with pytest.raises(CheckpointError, match="deep.npz: its __meta__ entry is nested too deeply"):
        checkpoint.load(path)
    path.write_bytes(npz_bytes({"__meta__": meta('{"a": ' * 5000 + "1" + "}" * 5000)}))  # deep for _unflatten
    with pytest.raises(CheckpointError, match="nested too deeply"):
        checkpoint.load(path)
    path.write_bytes(npz_bytes({"__meta__": meta("[1, 2]")}))
    with pytest.raises(CheckpointError, match="deep.npz: .* whose __meta__ holds a list, not a dict of state"):
        checkpoint.load(path)
    path.write_bytes(npz_bytes({"__meta__": meta('{"x": {"__array__": [1]}}')}))
    with pytest.raises(CheckpointError, match="not a readable minires checkpoint"):
        checkpoint.load(path)
