"""Ingestion and embedding of two plates through ``dagster-dask``'s executor on a loopback Dask cluster."""

import os
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from phenodag.core.shared import lake
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import open_runner
from phenodag_tests.toy_plate import write_toy_plate

distributed = pytest.importorskip("distributed", reason="dagster-dask's distributed is not installed")

PLATES = ("DASK1", "DASK2")
VOLATILE = ("landed_at", "ingested_at")
"""Columns that record when a row was written; every other column must match."""


@pytest.fixture(scope="module")
def cluster() -> Iterator["distributed.LocalCluster"]:
    """A Dask cluster of 2 worker processes on loopback (one thread each, as Dagster's steps need)."""
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as c:
        yield c


def _ingest_and_embed(settings: DagsterSettings, inbox: Path) -> list[int]:
    """Ingest both plates and embed them with the untrained ConvAE; return the pids that executed the steps."""
    pids: list[int] = []
    with open_runner(settings) as runner:
        for plate in PLATES:
            assert runner.ingest(inbox / plate).success
        assert runner.embed("convae-random", list(PLATES))
        for record in runner.instance.get_run_records():
            events = runner.instance.all_logs(record.dagster_run.run_id)
            pids += [e.dagster_event.pid for e in events if e.dagster_event and e.dagster_event.is_step_success]
    return pids


def _table(settings: DagsterSettings, name: str) -> pl.DataFrame:
    df = lake.read_table(settings.lake, name)
    keys = [c for c in ("plate_id", "sha256", "well", "time_h") if c in df.columns]
    return df.drop([c for c in VOLATILE if c in df.columns]).sort(keys)


def test_dask_executor_writes_the_tables_of_an_in_process_run(
    cluster: "distributed.LocalCluster", tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = tmp_path / "plates"
    for i, plate in enumerate(PLATES):
        write_toy_plate(inbox, plate, seed=i, sites=1, size=64)
    local = DagsterSettings.from_env(tmp_path / "local").ensure()
    local_pids = _ingest_and_embed(local, inbox)

    home = tmp_path / "dask"
    for var, value in {
        "PHENODAG_HOME": str(home),
        "PHENODAG_EXECUTOR": "dask",
        "PHENODAG_DASK_SCHEDULER": cluster.scheduler_address,
    }.items():
        monkeypatch.setenv(var, value)
    with distributed.Client(cluster) as client:
        # the workers get this environment, as a deployment's would (a lambda: a bound os.environ.update would
        # travel as a copy of os.environ and update the copy)
        client.run(lambda values: os.environ.update(values), dict(os.environ))
        worker_pids = set(client.run(os.getpid).values())
    settings = DagsterSettings.from_env().ensure()
    assert settings.executor == "dask"
    dask_pids = _ingest_and_embed(settings, inbox)

    assert set(local_pids) == {os.getpid()}
    assert dask_pids and set(dask_pids) <= worker_pids  # every step ran on a Dask worker
    for name in ("plates", "raw_images", "embeddings", "well_embeddings"):
        ours, theirs = _table(settings, name), _table(local, name)
        assert ours.height > 0
        assert ours.equals(theirs), name
