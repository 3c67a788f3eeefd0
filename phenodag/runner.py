"""Running phenodag's jobs in process against a home's persistent Dagster instance.

The CLI, the benchmarks and the tests run jobs through :class:`Runner`, so a run
started from a terminal is the same run the sensor would request and shows up in the
Dagster UI of that home. Only jobs that the code location defines are run, so every
run the UI lists can be opened and re-launched there.

The instance's ``dagster.yaml`` (written once by :func:`ensure_instance`) has Dagster
capture the ``phenodag`` Python loggers (``python_logs.managed_python_loggers``): the
core modules' progress lines appear once in each run's event log, from the CLI and
from ``make dev`` alike.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from phenodag.core.ingest.inbox import Arrival, arrival
from phenodag.core.ingest.platemap import PlateError, validate_plate_id
from phenodag.core.shared.files import file_lock
from phenodag.defs.embed import EMBED_JOB
from phenodag.defs.ingest import INGEST_PLATE_JOB, run_request
from phenodag.defs.shared.partitions import embedding_key, plates_partitions
from phenodag.defs.shared.settings import DagsterSettings

logger = logging.getLogger(__name__)

MAX_CONCURRENT_RUNS = 2
"""Runs the daemon starts at once: each run trains or embeds with every core, so more only thrash memory."""
INSTANCE_CONFIG: dict[str, Any] = {
    "python_logs": {"python_log_level": "INFO", "managed_python_loggers": ["phenodag"]},
    "telemetry": {"enabled": False},
    "run_monitoring": {
        "enabled": True,
        "start_timeout_seconds": 180,
        "poll_interval_seconds": 60,
        "free_slots_after_run_end_seconds": 60,
    },
    "concurrency": {
        "runs": {"max_concurrent_runs": MAX_CONCURRENT_RUNS},
        "pools": {"default_limit": 1},
    },
}
"""What :func:`ensure_instance` writes into a new home's ``dagster.yaml``.

``run_monitoring`` has the daemon fail runs it launched whose worker died (``make dev``);
runs executed in process by the CLI are covered by :func:`fail_stale_runs`. The run
queue starts at most :data:`MAX_CONCURRENT_RUNS` runs at once; the rest wait queued (a
backfill of N plates is N queued runs). Each pool, and phenodag uses one
(:data:`~phenodag.defs.shared.placement.TORCH_POOL`), runs one step at a time across all
runs of the home; the daemon frees the slot of a run that died holding it after
``free_slots_after_run_end_seconds``.
"""
PID_TAG = "phenodag/pid"
HOST_TAG = "phenodag/host"
"""Tags of in-process runs: the process that executes them, so a killed one can be told from a live one."""

CONSOLE: dict[str, Any] = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
"""Run config of in-process runs: Dagster's console logger shows warnings and errors only.

The event log still stores every event and every captured ``phenodag`` line; on the
terminal, core's progress lines come once, through the caller's own logging handler.
"""


def ensure_instance(settings: DagsterSettings) -> Path:
    """Create the home's folders and its ``dagster.yaml`` (left alone when it exists); return the file."""
    settings.ensure()
    path = settings.dagster_home / "dagster.yaml"
    if not path.exists():
        path.write_text(yaml.safe_dump(INSTANCE_CONFIG, sort_keys=False))
        logger.info("wrote %s", path)
    return path


def folder_arrival(folder: Path, plate_id: str | None = None) -> Arrival:
    """Return the plate id and fingerprint of ``folder`` as the inbox sensor would see them.

    A folder whose id is refused keeps ``plate_id`` or its name, so that its run files
    the rejection in ``quarantine``.
    """
    try:
        found = arrival(folder)
    except PlateError as exc:
        return Arrival(plate_id or folder.name, folder.resolve(), "", str(exc))
    return Arrival(plate_id or found.plate_id, found.path, found.fingerprint, found.problem)


def _worker_home(settings: DagsterSettings) -> str | None:
    """Return the ``home`` argument of :func:`home_job` that gives a worker these settings.

    None when they are the environment's own (the workers share the environment, so
    ``PHENODAG_LAKE``, ``MLFLOW_TRACKING_URI``… hold there too); the home folder when
    they were built for an explicit home (``--home``), whose paths ignore the environment.
    """
    return None if settings == DagsterSettings.from_env() else str(settings.home)


def home_job(home: str | None, job: str) -> dg.JobDefinition:
    """Job ``job`` of the Definitions of ``home`` (``PHENODAG_HOME`` when None), as an executor's worker rebuilds it."""
    from phenodag.definitions import build_definitions

    return build_definitions(DagsterSettings.from_env(home)).resolve_job_def(job)


class Runner:
    """Jobs of one Definitions object, executed from this process on one Dagster instance.

    A run's steps execute in this process, or, with ``distributed`` (a home whose
    executor is ``dask``), through the job's executor: each step on a worker that
    rebuilds the job with :func:`home_job` of ``worker_home``. :func:`open_runner` gives the runner of a home
    (its persistent instance); tests build one over an ephemeral instance.
    """

    def __init__(
        self,
        defs: dg.Definitions,
        instance: dg.DagsterInstance,
        distributed: bool = False,
        worker_home: str | None = None,
    ) -> None:
        self.defs = defs
        self.instance = instance
        self.distributed = distributed
        self.worker_home = worker_home
        self.seconds: dict[str, float] = {}
        """Wall time spent in each job so far, by job name (the demo prints it)."""

    def run(
        self, job: str, partition_key: str | dg.MultiPartitionKey | None = None, config: Mapping[str, Any] | None = None
    ) -> dg.ExecuteInProcessResult | dg.ExecuteJobResult:
        """Execute job ``job`` of the Definitions (one partition, optional run config); never raises on failure."""
        run_config = {**CONSOLE, **(config or {})}
        tags = {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}
        start = time.perf_counter()
        try:
            job_def = self.defs.resolve_job_def(job)
            if not self.distributed:
                return job_def.execute_in_process(
                    run_config=run_config,
                    partition_key=partition_key,
                    instance=self.instance,
                    raise_on_error=False,
                    tags=tags,
                )
            if partition_key is not None:
                tags.update(job_def.get_tags_for_partition_key(partition_key, None))
            recon = dg.build_reconstructable_job(
                __name__, home_job.__name__, reconstructable_kwargs={"home": self.worker_home, "job": job}
            )
            with dg.execute_job(recon, self.instance, run_config=run_config, tags=tags) as result:
                return result
        finally:
            self.seconds[job] = self.seconds.get(job, 0.0) + time.perf_counter() - start

    def ingest_partition(self, plate_id: str, config: Mapping[str, Any] | None = None) -> dg.ExecuteInProcessResult:
        """Add plate ``plate_id`` as a partition and run its ingestion with ``config`` (run config)."""
        self.instance.add_dynamic_partitions(plates_partitions.name or "plates", [plate_id])
        return self.run(INGEST_PLATE_JOB, plate_id, config)

    def ingest(self, folder: Path, plate_id: str | None = None) -> dg.ExecuteInProcessResult:
        """Ingest one plate folder with the run the inbox sensor would request for it.

        Raises
        ------
        PlateError
            If the plate id (``plate_id``, ``plate.yaml``'s or the folder name) is not
            a safe partition key: nothing is recorded and no partition is added.
        """
        found = folder_arrival(folder, plate_id)
        validate_plate_id(found.plate_id, folder)
        request = run_request(found)
        return self.ingest_partition(str(request.partition_key), request.run_config)

    def embed(self, encoder: str, plates: list[str]) -> bool:
        """Embed each plate with ``encoder`` and average per well; True when every run succeeded."""
        for plate in plates:
            logger.info("embedding %s with %s", plate, encoder)
            if not self.run(EMBED_JOB, embedding_key(encoder, plate)).success:
                return False
        return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def fail_stale_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark FAILED the in-process runs left STARTED by a process of this host that is gone (``kill -9``).

    Returns
    -------
    list of str
        The run ids marked failed.
    """
    host = socket.gethostname()
    stale = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])):
        pid = run.tags.get(PID_TAG)
        if pid is None or run.tags.get(HOST_TAG) != host or _alive(int(pid)):
            continue
        instance.report_run_failed(run, f"process {pid} on {host} ended without finishing the run (killed)")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)  # its torch slot, if it held one
        logger.warning("run %s (%s) was left STARTED by process %s, now gone: failed", run.run_id, run.job_name, pid)
        stale.append(run.run_id)
    return stale


@contextlib.contextmanager
def _initialised_instance(dagster_home: Path) -> Iterator[dg.DagsterInstance]:
    """Open the home's Dagster instance, creating its SQLite storages under a file lock.

    Two processes opening a new home at once (two ``phenodag ingest`` started together)
    would otherwise both create and migrate the same SQLite tables, and one fails
    (``table ... already exists``, two alembic heads). The lock is held only while the
    storages are first touched.
    """
    with file_lock(dagster_home / ".phenodag-init.lock"):
        instance = dg.DagsterInstance.from_config(str(dagster_home))
        instance.get_runs(limit=1)  # run storage
        instance.get_dynamic_partitions(plates_partitions.name or "plates")  # event log storage and its index
    with instance:
        yield instance


@contextlib.contextmanager
def open_runner(settings: DagsterSettings, resources: dict[str, Any] | None = None) -> Iterator[Runner]:
    """Open the runner of a home: its Definitions and its persistent instance (``dagster.yaml`` ensured).

    Parameters
    ----------
    settings
        The home.
    resources
        Resources replaced by key (e.g. an ``EncodersResource`` with weights); in process
        only, since executor workers rebuild the home's own.

    Raises
    ------
    ValueError
        If ``resources`` are given for a home whose executor is ``dask``.
    """
    from phenodag.definitions import build_definitions

    if resources and settings.executor == "dask":
        raise ValueError(
            f"resources {', '.join(resources)} replace the home's own only in process: Dask workers rebuild the "
            "home's resources from its settings (set PHENODAG_PHENOML_WEIGHTS, PHENODAG_WEIGHTS_DIR, ...) "
            "or unset PHENODAG_EXECUTOR"
        )
    ensure_instance(settings)
    defs = build_definitions(settings, resources)
    with _initialised_instance(settings.dagster_home) as instance:
        fail_stale_runs(instance)
        distributed = settings.executor == "dask"
        yield Runner(defs, instance, distributed, _worker_home(settings) if distributed else None)
