"""Several trainings at once on a local Dask cluster: same results as one after another, a killed worker survived."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

import minires
from minires import checkpoint
from minires.errors import InputError, RunError
from minires.experiments.grid import run_grid
from minires.train import TrainConfig

# Each test here starts or reaches Dask processes over the network stack and takes seconds: one that has not
# finished in 3 minutes is waiting on a connection that will never answer.
pytestmark = pytest.mark.timeout(180)

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


# Another process on the machine tries the cluster, one child process per way in: certificates of its own, none,
# or plain TCP to the same port.  Each prints what happened (which exception says "no" is Dask's business).  One
# process per try, because within one process a Dask Client refused for want of a TLS context can hang the next
# Client's start when the garbage collector frees it there (this test once held CI that way; a loop of such tries
# in one process hung within 120 tries, every time).  A child still waiting at its deadline never got a
# connection either: it is stopped and counted as refused.
INTRUDER = """
import sys
import distributed
way, address = sys.argv[1:]
security = distributed.Security.temporary() if way == "own certificates" else None
at = address.replace("tls://", "tcp://") if way == "plain tcp" else address
try:
    distributed.Client(at, security=security, timeout="5s").close()
    print("connected", flush=True)
except Exception as err:
    print("refused", type(err).__name__, flush=True)
"""


def intrude(address: str, ways: Sequence[str], deadline: float = 60.0) -> dict[str, str]:
    """way -> what the child process trying it printed ("refused ..." / "connected"), all tried at once."""
    children = {way: subprocess.Popen([sys.executable, "-c", INTRUDER, way, address], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for way in ways}
    said = {}
    for way, child in children.items():
        try:
            out, err = child.communicate(timeout=deadline)
            said[way] = out.strip() or f"no answer (exit {child.returncode}): {err[-500:]}"
        except subprocess.TimeoutExpired:
            child.kill()
            child.communicate()
            said[way] = f"refused (no connection within {deadline:.0f} s)"
    return said


@pytest.mark.slow
def test_the_local_cluster_refuses_a_client_without_its_certificates() -> None:
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("cryptography")
    from minires.experiments.grid import local_cluster

    cluster = local_cluster(1)
    try:
        address = cluster.scheduler_address
        assert address.startswith("tls://127.0.0.1:")
        with distributed.Client(cluster) as own:  # this process, with the cluster's certificates: it works
            assert own.submit(sum, [1, 2]).result() == 3
        said = intrude(address, ("own certificates", "no certificates", "plain tcp"))
    finally:
        cluster.close(timeout=30)
    assert all(answer.startswith("refused") for answer in said.values()), said


@pytest.mark.slow
def test_runs_go_to_a_tls_scheduler_given_its_certificate_files(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    pytest.importorskip("cryptography")
    from minires.experiments.grid import tls_security

    throwaway = distributed.Security.temporary()  # in memory: written to files as a cluster's admin would hand out
    files = {}
    for name in ("tls_ca_file", "tls_client_cert", "tls_client_key"):
        files[name] = tmp_path / f"{name}.pem"
        files[name].write_text(getattr(throwaway, name))
    cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None, security=throwaway)
    try:
        run = [replace(BASE, model="resnet8", iterations=4, milestones=[2], eval_every=4, checkpoint_every=4,
                       out=str(tmp_path / "runs" / "resnet8"))]
        with pytest.raises(InputError, match="speaks TLS: give its CA certificate"):
            run_grid(run, scheduler=cluster.scheduler_address)
        security = tls_security(*(str(files[n]) for n in ("tls_ca_file", "tls_client_cert", "tls_client_key")))
        results = run_grid(run, scheduler=cluster.scheduler_address, security=security, threads_per_run=1)
    finally:
        cluster.close()
    assert [r["status"] for r in results] == ["finished"]


def test_scheduler_addresses_and_certificates_that_cannot_work_are_one_line(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from minires.experiments.grid import tls_security

    cases = [
        (dict(scheduler="ucx://127.0.0.1:1"), "expected a tcp:// or tls:// address"),
        (dict(scheduler="tls://127.0.0.1:1"), "speaks TLS: give its CA certificate and a client certificate"),
    ]
    for kw, message in cases:
        with pytest.raises(InputError, match=message):
            run_grid(configs(tmp_path), **kw)
    with pytest.raises(InputError, match="the CA certificate .*nope.pem does not exist"):
        tls_security(str(tmp_path / "nope.pem"), str(tmp_path / "nope.pem"))
    (tmp_path / "ca.pem").write_text("not a certificate\n")
    security = tls_security(str(tmp_path / "ca.pem"), str(tmp_path / "ca.pem"))
    with pytest.raises(InputError, match="is plain tcp://; use tls://"):
        run_grid(configs(tmp_path), scheduler="tcp://127.0.0.1:9", security=security)
    with pytest.raises(InputError, match="cannot reach the Dask scheduler at 'tls://127.0.0.1:1'"):
        run_grid(configs(tmp_path), scheduler="tls://127.0.0.1:1", security=security)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.pem"]
