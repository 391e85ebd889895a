"""Splitting loops over cores: shares, results, the BLAS's thread count (threadpoolctl), errors, fork."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from minires import parallel

needs_openblas = pytest.mark.skipif(
    parallel._blas is None, reason="NumPy's OpenBLAS not found: minires runs its loops on one thread"
)


def test_finds_numpys_openblas_where_numpy_was_built_on_it() -> None:
    # without it every convolution silently runs on one core
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except TypeError:  # NumPy < 1.25 cannot say
        pytest.skip("this NumPy does not report its BLAS")
    if not any(name in blas["name"] for name in ("openblas", "mkl", "blis")):
        pytest.skip(f"NumPy's BLAS here is {blas['name']}, which threadpoolctl cannot hold to one thread")
    assert parallel._blas is not None and parallel._blas.get_threads() >= 1


def test_blas_info_says_which_library_kernel_and_threads(workers: None) -> None:
    info = parallel.blas_info()
    assert set(info) == {"library", "version", "architecture", "threads", "threading_layer", "filepath",
                         "minires_workers"}
    if parallel._blas is None:
        assert info["library"] is None and info["threads"] == 1
        return
    assert info["library"] in ("openblas", "mkl", "blis") and isinstance(info["version"], str)
    if info["library"] == "openblas":
        assert isinstance(info["architecture"], str) and info["architecture"]  # e.g. SkylakeX, Haswell
    parallel.set_num_threads(1)
    assert parallel.blas_info()["threads"] == 1 and parallel.blas_info()["minires_workers"] == 1


class _FakeController:
    def __init__(self, filepath: str) -> None:
        self.filepath, self.threads = filepath, 4

    def get_num_threads(self) -> int:
        return self.threads

    def set_num_threads(self, count: int) -> None:
        self.threads = count


def test_the_blas_held_is_numpys_own_not_another_librarys(monkeypatch: pytest.MonkeyPatch) -> None:
    import threadpoolctl

    theirs, ours = _FakeController("/x/torch/lib/libopenblas.so"), _FakeController("/x/numpy.libs/libscipy_openblas.so")

    class Controller:
        def __init__(self, found: list) -> None:
            self.lib_controllers = found

        def select(self, **kw: str) -> Controller:
            return self

    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", lambda: Controller([theirs, ours]))
    blas = parallel._find_blas()
    assert blas is not None and blas.controllers == [ours]
    blas.set_threads(1)
    assert ours.threads == 1 and theirs.threads == 4  # another library's pool is left alone
    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", lambda: Controller([theirs]))
    assert parallel._find_blas().controllers == [theirs]  # a NumPy on the system's BLAS: the one there is
    monkeypatch.setattr(threadpoolctl, "ThreadpoolController", lambda: Controller([]))
    assert parallel._find_blas() is None  # e.g. Apple's Accelerate: one worker
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)
    assert parallel._find_blas() is None


def test_one_worker_runs_the_plain_loop_here(workers: None) -> None:
    parallel.set_num_threads(1)
    seen = []

    def task(items: Sequence[int]) -> int:
        seen.append((list(items), threading.current_thread()))
        return len(items)

    assert parallel.run(task, range(0, 10, 3)) == [4]
    assert seen == [([0, 3, 6, 9], threading.current_thread())]


@needs_openblas
def test_shares_are_round_robin_with_one_blas_thread_each(workers: None) -> None:
    parallel.set_num_threads(3)
    blas_before = parallel._blas.get_threads()
    threads, blas_inside = {}, []

    def task(items: Sequence[int]) -> list[int]:
        threads[items[0]] = threading.current_thread().name
        blas_inside.append(parallel._blas.get_threads())
        return list(items)

    assert parallel.run(task, range(0, 70, 10)) == [[0, 30, 60], [10, 40], [20, 50]]
    # the caller takes the first share; the pool's threads the others
    assert threads[0] == threading.current_thread().name
    assert threads[10].startswith("minires") and threads[20].startswith("minires")
    assert blas_inside == [1, 1, 1] and parallel._blas.get_threads() == blas_before
    # fewer items than workers: one share per item, none empty
    assert parallel.run(task, range(2)) == [[0], [1]]


@needs_openblas
def test_a_failing_share_raises_and_restores_blas_threads(workers: None) -> None:
    parallel.set_num_threads(2)
    blas_before = parallel._blas.get_threads()

    def task(items: Sequence[int]) -> None:
        if 1 in items:
            raise KeyError("share with item 1")

    with pytest.raises(KeyError, match="share with item 1"):
        parallel.run(task, range(4))
    assert parallel._blas.get_threads() == blas_before


@pytest.mark.parametrize("count", [0, -2, 1.5, True, "2"])
def test_set_num_threads_rejects_bad_counts(count: object) -> None:
    with pytest.raises(ValueError, match=r"expected a whole number of threads >= 1, got"):
        parallel.set_num_threads(count)  # type: ignore[arg-type]


def test_without_a_blas_to_hold_more_than_one_thread_is_refused(workers: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # (workers first: its teardown must run after monkeypatch has put OpenBLAS back)
    monkeypatch.setattr(parallel, "_blas", None)
    with pytest.raises(RuntimeError, match="found no BLAS"):
        parallel.set_num_threads(2)
    parallel.set_num_threads(1)
    assert parallel.get_num_threads() == 1


@needs_openblas
def test_a_forked_child_starts_its_own_pool() -> None:
    # the parent's pool threads do not exist in a forked child; without a fresh pool the
    # child's first split loop would wait forever for them
    code = """
import os, sys
from minires import parallel
parallel.set_num_threads(2)
assert parallel.run(len, range(4)) == [2, 2]  # the pool now has a thread
pid = os.fork()
if pid == 0:
    os._exit(0 if parallel.run(len, range(4)) == [2, 2] else 1)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""
    result = subprocess.run([sys.executable, "-c", code], timeout=60, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@needs_openblas
def test_a_share_that_splits_again_runs_its_loop_inline(workers: None) -> None:
    # with 2 workers the pool has one thread; a share on it that waited for the pool would
    # wait forever, so an inner run() must not split
    parallel.set_num_threads(2)
    results = []

    def outer(items: Sequence[int]) -> list[list[int]]:
        return parallel.run(list, range(3))

    caller = threading.Thread(target=lambda: results.extend(parallel.run(outer, range(2))), daemon=True)
    caller.start()
    caller.join(timeout=30)
    assert not caller.is_alive(), "a nested run() is waiting for a busy pool"
    assert results == [[[0, 1, 2]], [[0, 1, 2]]]  # each inner loop in one piece
    assert parallel.run(list, range(3)) == [[0, 2], [1]]  # outside any share, splitting works again


@needs_openblas
def test_run_blocks_gives_each_worker_one_block_and_keeps_their_order(workers: None) -> None:
    parallel.set_num_threads(2)
    seen = []

    def task(start: int, stop: int) -> tuple[int, int]:
        seen.append(threading.current_thread())
        return start, stop

    assert parallel.run_blocks(task, 7, values=parallel.BLOCK_MIN_VALUES) == [(0, 3), (3, 7)]
    assert len(set(seen)) == 2
    assert parallel.run_blocks(task, 7, values=parallel.BLOCK_MIN_VALUES - 1) == [(0, 7)]  # too small to share
    assert parallel.run_blocks(task, 1, values=10**9) == [(0, 1)]
    parallel.set_num_threads(1)
    assert parallel.run_blocks(task, 7, values=10**9) == [(0, 7)]


@needs_openblas
@pytest.mark.parametrize("layout", ["C", "channel-major"])
def test_batch_norm_relu_and_add_shared_over_cores_are_bitwise_one_cores(layout: str, workers: None,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    import minires
    from minires.nn import functional as F

    monkeypatch.setattr(parallel, "BLOCK_MIN_VALUES", 0)  # share even these small arrays
    rng = np.random.default_rng(0)
    x0 = rng.standard_normal((6, 5, 4, 3)).astype(np.float32)
    if layout == "channel-major":
        x0 = np.ascontiguousarray(x0.transpose(1, 0, 2, 3)).transpose(1, 0, 2, 3)
    skip = rng.standard_normal(x0.shape).astype(np.float32)
    gamma0 = rng.uniform(0.5, 1.5, 5).astype(np.float32)
    grad_out = rng.standard_normal(x0.shape).astype(np.float32)
    results = []
    for threads in (1, 2):
        parallel.set_num_threads(threads)
        x = minires.tensor(x0.copy(), requires_grad=True)
        gamma = minires.tensor(gamma0.copy(), requires_grad=True)
        beta = minires.tensor(np.linspace(-1, 1, 5, dtype=np.float32), requires_grad=True)
        mean, var = np.zeros(5, np.float32), np.ones(5, np.float32)
        y = F.batch_norm(x, mean, var, gamma, beta, training=True)
        z = (y + minires.tensor(skip)).relu()
        z.backward(minires.tensor(grad_out))
        with minires.no_grad():
            evaluated = F.batch_norm(minires.tensor(x0), mean, var, gamma, beta, training=False)
        results.append([z.numpy(), x.grad.numpy(), gamma.grad.numpy(), beta.grad.numpy(), mean, var,
                        evaluated.numpy()])
    for one, two in zip(*results):
        assert one.tobytes() == two.tobytes()
