"""Fault 10 and the crash behaviours that already held: killed runs, crashes between commits, concurrency."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

import phenodag.defs.ingest as ingest_defs
from phenodag.core.shared import lake
from phenodag.defs.ingest import INGEST_PLATE_JOB
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import HOST_TAG, PID_TAG, fail_stale_runs, open_runner
from phenodag_tests.faults.conftest import N_IMAGES, ingest, readable_counts, toy


def _cli(home: DagsterSettings, folder: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "phenodag.cli", "ingest", str(folder), "--home", str(home.home)]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_crash_between_commits_is_counted_right_on_rerun(
    home: DagsterSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = toy(home)
    real = ingest_defs.LakeResource.write_partition

    def crash_on_plates(self: object, name: str, df: pl.DataFrame, part: dict[str, str]) -> object:
        if name == "plates":
            raise OSError("simulated crash before the plates commit")
        return real(self, name, df, part)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest_defs.LakeResource, "write_partition", crash_on_plates)
    assert ingest(home, folder) == 1
    assert readable_counts(home) == {"raw_images": N_IMAGES, "quarantine": 0}  # rows, but no plates row yet
    monkeypatch.undo()
    assert ingest(home, folder) == 0
    plates = lake.read_table(home.lake, "plates")
    assert plates["n_new"].to_list() == [N_IMAGES] and plates["n_images"].to_list() == [N_IMAGES]


def test_run_of_a_killed_process_is_marked_failed(home: DagsterSettings) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with open_runner(home) as runner:
        job = runner.defs.resolve_job_def(INGEST_PLATE_JOB)
        tags = {PID_TAG: str(dead.pid), HOST_TAG: socket.gethostname()}
        run = runner.instance.create_run_for_job(job, tags=tags, status=dg.DagsterRunStatus.STARTED)
        mine = runner.instance.create_run_for_job(
            job, tags={PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}, status=dg.DagsterRunStatus.STARTED
        )
        assert fail_stale_runs(runner.instance) == [run.run_id]
        assert runner.instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE  # type: ignore[union-attr]
        assert runner.instance.get_run_by_id(mine.run_id).status == dg.DagsterRunStatus.STARTED  # type: ignore[union-attr]


def test_kill_9_mid_ingest_leaves_readable_tables_and_a_rerun_is_exact(home: DagsterSettings) -> None:
    folder = toy(home)
    proc = _cli(home, folder)
    deadline = time.monotonic() + 120
    while not Path(home.lake, "raw_images").exists() and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    if proc.poll() is None:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    readable_counts(home)  # whatever landed reads whole
    assert ingest(home, folder) == 0
    images = lake.read_table(home.lake, "raw_images")
    assert images.height == N_IMAGES and images["path"].n_unique() == N_IMAGES
    with open_runner(home) as runner:  # the killed run no longer shows as STARTED
        started = runner.instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
    assert started == []


@pytest.mark.slow
def test_two_plates_ingested_at_once_in_two_processes(home: DagsterSettings) -> None:
    folders = [toy(home, "P1"), toy(home, "P2", seed=1)]
    procs = [_cli(home, f) for f in folders]
    assert [p.wait(timeout=300) for p in procs] == [0, 0]
    assert readable_counts(home) == {"raw_images": 2 * N_IMAGES, "quarantine": 0, "plates": 2}
