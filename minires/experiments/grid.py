"""Many training runs at once: on this machine's cores, or on a Dask cluster.

An experiment such as Fig. 6 is a grid of independent runs (network × seed), each
one resumable run folder.  minires does not schedule them itself: it hands them to
Dask (``pip install "minires[cluster]"``), which scientific Python already runs on
laptops, lab machines and Slurm/PBS clusters (``dask-jobqueue``).

* ``workers=1`` (the default) trains the runs one after another in this process;
  Dask is not needed.
* ``workers=N`` starts a local Dask cluster of N single-threaded worker processes,
  bound to the loopback address only and speaking TLS with throwaway certificates
  made for this call (Dask's ``Security.temporary()``): another process on the
  machine cannot submit work to it.  It trains N runs at a time.
* ``scheduler="tcp://host:8786"`` (or ``tls://...``) sends the runs to an existing
  cluster.  Every worker must see the run folders (a shared filesystem) and the data.
  A ``tls://`` scheduler needs the cluster's CA certificate and a client certificate
  and key: ``security=tls_security(ca_file, cert, key)`` (``--tls-ca-file``,
  ``--tls-cert``, ``--tls-key``), or Dask's own configuration
  (``DASK_DISTRIBUTED__COMM__TLS__CA_FILE``, ``..._TLS__CLIENT__CERT``,
  ``..._TLS__CLIENT__KEY``, or the same keys in a Dask config file).

Each run is told how many cores it may use (``threads_per_run``), so N runs do not
fight over BLAS threads.  A run folder is locked while a worker trains it, so the same
run is never trained twice at once; a worker that dies costs only the work since the
run's last checkpoint: Dask gives the run to another worker, which resumes it.  At
the same thread count per run, results do not depend on where a run ran.

Dask's worker processes import the calling script again: call ``run_grid`` from under
``if __name__ == "__main__":``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from minires.data import locate
from minires.errors import InputError, RunError
from minires.train import TrainConfig, train

RETRIES = 3  # how many times a run whose worker died is handed to another one


def _train_in_worker(values: dict[str, Any], threads: int, time_limit: float | None) -> dict[str, Any]:
    """What a worker runs: one training run (resumed where it stopped), on ``threads`` cores."""
    import minires
    from minires.train.lock import RunLocked

    minires.set_num_threads(threads)
    config = TrainConfig.from_dict(values)
    Path(config.out).mkdir(parents=True, exist_ok=True)
    with open(Path(config.out) / "train.log", "a") as log:
        try:
            return train(config, resume=True, stream=log, time_limit=time_limit)
        except RunLocked as err:  # another worker holds it (a retried task whose first worker lives on)
            return {"status": "locked", "model": config.model, "message": str(err)}


def _dask() -> Any:
    try:
        import distributed
    except ImportError:
        raise RunError("running several trainings at once needs Dask, which is not installed; install it with: "
                       "pip install 'minires[cluster]' (or use --workers 1)") from None
    return distributed


def tls_security(ca_file: str, cert: str, key: str | None = None) -> Any:
    """Dask ``Security`` for a client of a ``tls://`` scheduler, from PEM files (the key may sit in ``cert``)."""
    for what, path in (("CA certificate", ca_file), ("client certificate", cert), ("client key", key)):
        if path is not None and not Path(path).is_file():
            raise InputError(f"the {what} {path} does not exist")
    return _dask().Security(tls_ca_file=ca_file, tls_client_cert=cert, tls_client_key=key,
                            require_encryption=True)


def local_cluster(workers: int) -> Any:
    """A Dask cluster of ``workers`` single-threaded processes on the loopback address, for this process only.

    It speaks TLS with certificates made for it and kept in memory (``cluster.security``):
    a client without them -- any other process on the machine -- is refused.
    """
    distributed = _dask()
    try:
        security = distributed.Security.temporary()
    except ImportError:
        raise RunError("the local cluster secures itself with throwaway TLS certificates, which needs the "
                       "'cryptography' package: pip install 'minires[cluster]'") from None
    return distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                                    dashboard_address=None, security=security)


def connect(scheduler: str, security: Any = None) -> Any:
    """A Dask client of the scheduler at ``scheduler``; ``InputError`` (one line) for what is wrong or missing."""
    distributed = _dask()
    scheme = scheduler.split("://", 1)[0] if "://" in scheduler else "tcp"
    if scheme not in ("tcp", "tls"):
        raise InputError(f"scheduler {scheduler!r}: expected a tcp:// or tls:// address (minires does not set up "
                         f"Dask's {scheme}:// transport)")
    if scheme == "tls":
        if security is None:
            security = distributed.Security()  # Dask's own configuration: DASK_DISTRIBUTED__COMM__TLS__*
        if not (security.tls_ca_file and security.tls_client_cert):
            raise InputError(f"the scheduler {scheduler!r} speaks TLS: give its CA certificate and a client "
                             "certificate and key (--tls-ca-file, --tls-cert, --tls-key, or Dask's "
                             "DASK_DISTRIBUTED__COMM__TLS__CA_FILE, ..._TLS__CLIENT__CERT, ..._TLS__CLIENT__KEY)")
    elif security is not None and security.require_encryption:
        raise InputError(f"certificates were given, but the scheduler address {scheduler!r} is plain tcp://; "
                         f"use tls://")
    try:
        return distributed.Client(scheduler, timeout="10s", security=security)
    except (OSError, TimeoutError, ValueError, TypeError) as err:  # ssl.SSLError is an OSError
        raise InputError(f"cannot reach the Dask scheduler at {scheduler!r} ({err})") from None


def run_grid(configs: Sequence[TrainConfig], workers: int = 1, scheduler: str | None = None,
             threads_per_run: int | None = None, time_limit: float | None = None,
             security: Any = None) -> list[dict[str, Any]]:
    """Train (resume, or skip) every run in ``configs``; returns their results in the same order.

    Args:
        configs: one per run; each ``out`` is its run folder.
        workers: runs at a time on this machine (a local Dask cluster when > 1).
        scheduler: the address of an existing Dask scheduler instead of a local cluster.
        threads_per_run: cores per run (default: this machine's cores ÷ workers, at least 1).
        time_limit: seconds each run may train in this call before it pauses with a checkpoint.
        security: Dask ``Security`` for a ``tls://`` scheduler (see ``tls_security``; default:
            Dask's configuration).
    """
    if not isinstance(workers, int) or workers < 1:
        raise InputError(f"workers must be a whole number >= 1, got {workers!r}")
    if threads_per_run is None:
        threads_per_run = max(1, (os.cpu_count() or 1) // workers)
    if threads_per_run < 1:
        raise InputError(f"threads_per_run must be >= 1, got {threads_per_run}")
    for config in configs:  # every setting and the data, before any run starts anywhere
        config.validate()
        if config.data != "sample":
            locate(config.data, config.dataset)
    if workers == 1 and scheduler is None:
        results = []
        for config in configs:
            result = train(config, resume=True, time_limit=time_limit)
            results.append(result)
            if result["status"] == "interrupted":
                break
        return results

    distributed = _dask()
    if scheduler is not None:
        client, cluster = connect(scheduler, security), None
    else:
        cluster = local_cluster(workers)
        client = distributed.Client(cluster)  # with the cluster's own certificates
    try:
        futures = [client.submit(_train_in_worker, c.to_dict(), threads_per_run, time_limit, pure=False,
                                 retries=RETRIES, key=f"minires-{Path(c.out).name}-{i}")
                   for i, c in enumerate(configs)]
        return client.gather(futures)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
