"""Several trainings at once on a local Dask cluster: same results as one after another, a killed worker survived."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import minires
from minires import checkpoint
from minires.errors import InputError, RunError
from minires.experiments.grid import run_grid
from minires.train import TrainConfig

BASE = TrainConfig(model="resnet8", data="sample", batch_size=16, iterations=16, milestones=[12], eval_every=8,
                   checkpoint_every=2, eval_subset=100)


def configs(root: Path) -> list[TrainConfig]:
    return [replace(BASE, model=m, seed=s, out=str(root / f"{m}-seed{s}"))
            for m in ("plain8", "resnet8") for s in (0, 1)]


def outcome(folder: Path) -> tuple[dict, list]:
    weights = checkpoint.load(folder / "checkpoint.npz")["model"]
    rows = [json.loads(x) for x in (folder / "metrics.jsonl").read_text().splitlines()]
    return weights, [{k: v for k, v in r.items() if k != "wall_time"} for r in rows]


def assert_same_runs(a: Path, b: Path) -> None:
    for ca, cb in zip(configs(a), configs(b)):
        (wa, ra), (wb, rb) = outcome(Path(ca.out)), outcome(Path(cb.out))
        assert ra == rb, ca.out
        assert all(np.array_equal(wa[k], wb[k]) for k in wa), ca.out


@pytest.fixture(scope="module")
def sequential(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sequential")
    before = minires.get_num_threads()
    minires.set_num_threads(1)  # the cluster's runs get one core each: the same arithmetic
    try:
        results = run_grid(configs(root), workers=1)
    finally:
        minires.set_num_threads(before)
    assert [r["status"] for r in results] == ["finished"] * 4
    return root


@pytest.mark.slow
def test_two_workers_give_the_same_runs_as_one_after_another(sequential: Path, tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    results = run_grid(configs(tmp_path), workers=2, threads_per_run=1)
    assert [r["status"] for r in results] == ["finished"] * 4
    assert_same_runs(sequential, tmp_path)
    assert "training resnet8" in (tmp_path / "resnet8-seed1" / "train.log").read_text()


@pytest.mark.slow
def test_a_killed_worker_costs_only_the_work_since_the_last_checkpoint(sequential: Path, tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    client = distributed.Client(cluster)
    try:
        box: dict = {}
        thread = threading.Thread(target=lambda: box.update(results=run_grid(
            configs(tmp_path), scheduler=cluster.scheduler_address, threads_per_run=1)))
        thread.start()
        first = Path(configs(tmp_path)[0].out) / "checkpoint.npz"
        deadline = time.time() + 120
        while not first.exists() and time.time() < deadline:
            time.sleep(0.05)
        pids = client.run(os.getpid)  # worker address -> process id
        victim = next(iter(pids.values()))
        os.kill(victim, signal.SIGKILL)  # mid-run: the nanny starts a new worker, Dask re-runs its task
        thread.join(timeout=300)
        assert not thread.is_alive()
    finally:
        client.close()
        cluster.close()
    assert [r["status"] for r in box["results"]] == ["finished"] * 4
    assert_same_runs(sequential, tmp_path)  # resumed exactly: nothing trained twice at once, nothing half-written


def test_a_bad_scheduler_address_is_one_error_before_any_run(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with pytest.raises(InputError, match="cannot reach the Dask scheduler at 'tcp://127.0.0.1:9'"):
        run_grid(configs(tmp_path), scheduler="tcp://127.0.0.1:9")
    assert not list(tmp_path.iterdir())


def test_bad_settings_and_missing_dask_are_clear(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="workers must be a whole number >= 1, got 0"):
        run_grid(configs(tmp_path), workers=0)
    with pytest.raises(InputError, match="lr must be"):
        run_grid([replace(configs(tmp_path)[0], lr=-1.0)], workers=2)

    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    with pytest.raises(RunError, match=r"needs Dask, which is not installed; .*minires\[cluster\]"):
        run_grid(configs(tmp_path), workers=2)
    assert not list(tmp_path.iterdir())
