"""The CIFAR-10 reader: round trip, archive, search order, refusing bad and malicious files."""

from __future__ import annotations

import hashlib
import http.server
import io
import pickle
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from cifar_files import batch_bytes, write_cifar

from minires import data
from minires.data import CifarFormatError, download, load_cifar10, locate
from minires.errors import InputError, RunError


def test_round_trip_folder_and_archive(tmp_path: Path) -> None:
    write_cifar(tmp_path / "a", per_batch=7, test=5)
    x, y = data.load_cifar10(tmp_path / "a", "train")
    assert x.shape == (35, 3, 32, 32) and x.dtype == np.uint8 and y.dtype == np.int64
    xt, yt = data.load_cifar10(tmp_path / "a", "test")
    assert xt.shape == (5, 3, 32, 32)
    archive = write_cifar(tmp_path / "b", per_batch=7, test=5, archive=True)
    xa, ya = data.load_cifar10(archive, "train")
    np.testing.assert_array_equal(xa, x)
    np.testing.assert_array_equal(ya, y)
    assert data.locate(tmp_path / "b") == archive  # a folder holding the archive


def test_pixel_layout_is_channel_planes(tmp_path: Path) -> None:
    folder = write_cifar(tmp_path, per_batch=2, test=2)
    image = np.zeros((1, 3, 32, 32), np.uint8)
    image[0, 1, 0, 5] = 200  # green plane, row 0, column 5
    (folder / "test_batch").write_bytes(batch_bytes(image, np.array([3])))
    x, y = data.load_cifar10(tmp_path, "test")
    assert x[0, 1, 0, 5] == 200 and x.sum() == 200 and y.tolist() == [3]


def test_search_order_env_then_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_cifar(tmp_path / "env")
    monkeypatch.setenv("MINIRES_DATA", str(tmp_path / "env"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "nocache"))
    assert data.locate() == tmp_path / "env" / "cifar-10-batches-py"
    monkeypatch.delenv("MINIRES_DATA")
    with pytest.raises(FileNotFoundError, match="minires download"):
        data.locate()
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.locate(tmp_path / "nowhere")


def test_truncated_file_is_named(tmp_path: Path) -> None:
    folder = write_cifar(tmp_path)
    blob = (folder / "data_batch_3").read_bytes()
    (folder / "data_batch_3").write_bytes(blob[: len(blob) // 2])
    with pytest.raises(data.CifarFormatError, match="data_batch_3: not a valid CIFAR pickle"):
        data.load_cifar10(tmp_path, "train")


def test_missing_file_is_named(tmp_path: Path) -> None:
    folder = write_cifar(tmp_path)
    (folder / "data_batch_5").unlink()
    with pytest.raises(data.CifarFormatError, match="data_batch_5: missing"):
        data.load_cifar10(tmp_path, "train")


class _RunsCode:
    def __reduce__(self) -> tuple:
        return (print, ("this must never run",))


def test_pickle_that_calls_a_function_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_cifar(tmp_path)
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": _RunsCode(), b"labels": []}, protocol=2))
    with pytest.raises(data.CifarFormatError, match=r"refusing to load (__builtin__|builtins)\.print"):
        data.load_cifar10(tmp_path, "test")
    assert "must never run" not in capsys.readouterr().out


def test_wrong_contents_are_explained(tmp_path: Path) -> None:
    folder = write_cifar(tmp_path)
    (folder / "test_batch").write_bytes(pickle.dumps({b"data": np.zeros((2, 10), np.uint8), b"labels": [1, 2]}))
    with pytest.raises(data.CifarFormatError, match=r"should be a \(N, 3072\) uint8 array, got \(2, 10\)"):
        data.load_cifar10(tmp_path, "test")


def test_embedded_sample() -> None:
    x, y = data.load_sample("test")
    assert x.shape == (1000, 3, 32, 32) and x.dtype == np.uint8
    assert set(np.unique(y)) == set(range(10))
    assert 60 < x.mean() < 180  # real photographs, not blank


def test_download_offline_fails_fast(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import urllib.request

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    with pytest.raises(RuntimeError, match="could not download.*point --data"):
        data.download(tmp_path)
    assert not list(tmp_path.iterdir())


# ---------------------------------------------------------------- download, against a local server


class _Archive(http.server.BaseHTTPRequestHandler):
    """Serves ``blob`` at any path; ``cut`` > 0 sends only that many bytes, then closes the connection."""

    blob = b""
    cut = 0

    def do_GET(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.blob)))
        self.end_headers()
        self.wfile.write(self.blob[: self.cut] if self.cut else self.blob)
        if self.cut:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, type[_Archive]]]:
    archive = write_cifar(tmp_path / "made", per_batch=12, test=20, archive=True)
    handler = type("Handler", (_Archive,), {"blob": archive.read_bytes(), "cut": 0})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/cifar-10-python.tar.gz", handler
    httpd.shutdown()


def test_download_checks_md5_and_writes_atomically(server: tuple[str, type[_Archive]], tmp_path: Path) -> None:
    url, handler = server
    progress = io.StringIO()
    path = download(tmp_path / "data", md5=hashlib.md5(handler.blob).hexdigest(), url=url, stream=progress)
    assert path.read_bytes() == handler.blob and "100.0%" in progress.getvalue()
    assert load_cifar10(tmp_path / "data", "test")[0].shape == (20, 3, 32, 32)
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["cifar-10-python.tar.gz"]


def test_download_with_a_wrong_checksum_keeps_nothing(server: tuple[str, type[_Archive]], tmp_path: Path) -> None:
    url, _ = server
    with pytest.raises(CifarFormatError, match=r"has MD5 \w+, expected 0+ .*nothing was kept"):
        download(tmp_path / "data", md5="0" * 32, url=url, stream=io.StringIO())
    assert list((tmp_path / "data").iterdir()) == []


def test_an_interrupted_download_keeps_nothing(server: tuple[str, type[_Archive]], tmp_path: Path) -> None:
    url, handler = server
    handler.cut = len(handler.blob) // 2
    with pytest.raises(RunError, match="stopped after"):
        download(tmp_path / "data", md5=None, url=url, stream=io.StringIO())
    assert list((tmp_path / "data").iterdir()) == []


def test_offline_download_is_a_clear_error(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RunError, match="could not download .*Connection refused.*point --data"):
        download(tmp_path / "data", url=f"http://127.0.0.1:{port}/x.tar.gz", timeout=5, stream=io.StringIO())
    assert list((tmp_path / "data").iterdir()) == []


def test_cli_download_then_train_finds_it(server: tuple[str, type[_Archive]], tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from minires.cli import main

    url, _ = server
    assert main(["download", str(tmp_path / "data"), "--url", url, "--no-md5"]) == 0
    assert "use it with --data" in capsys.readouterr().out
    assert locate(tmp_path / "data").name == "cifar-10-python.tar.gz"


# ---------------------------------------------------------------- CIFAR-100


def test_cifar100_fine_and_coarse_labels_from_folder_and_archive(tmp_path: Path) -> None:
    from cifar_files import write_cifar100

    write_cifar100(tmp_path / "a", train=30, test=10)
    x, fine = data.load_cifar100(tmp_path / "a", "train")
    _, coarse = data.load_cifar100(tmp_path / "a", "train", labels="coarse")
    assert x.shape == (30, 3, 32, 32) and fine.max() < 100 and np.array_equal(coarse, fine // 5)
    archive = write_cifar100(tmp_path / "b", train=30, test=10, archive=True)
    xa, fa = data.load_cifar100(archive, "train")
    np.testing.assert_array_equal(xa, x)
    np.testing.assert_array_equal(fa, fine)
    assert data.load_cifar100(tmp_path / "a", "test")[0].shape == (10, 3, 32, 32)
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="CIFAR-100 not found.*minires download --dataset cifar100"):
        data.locate(tmp_path / "empty", "cifar100")


def test_cifar100_is_refused_where_cifar10_is_expected_and_labels_are_checked(tmp_path: Path) -> None:
    from cifar_files import write_cifar100

    write_cifar100(tmp_path, train=10, test=5)
    with pytest.raises(FileNotFoundError, match="CIFAR-10 not found"):
        data.load_cifar10(tmp_path, "train")
    with pytest.raises(InputError, match="labels must be 'fine' .* or 'coarse'"):
        data.load_cifar100(tmp_path, "train", labels="medium")
    record = pickle.loads((tmp_path / "cifar-100-python" / "test").read_bytes(), encoding="bytes")
    record[b"fine_labels"] = [100] * 5
    (tmp_path / "cifar-100-python" / "test").write_bytes(pickle.dumps(record, protocol=2))
    with pytest.raises(CifarFormatError, match=r"b'fine_labels' should be 5 integers in 0..99"):
        data.load_cifar100(tmp_path, "test")
