"""The lake on an S3 API (moto on loopback): every stage's writes, partition scoping, concurrent writers."""

import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from phenodag.core.shared import lake
from phenodag.core.simulate import simulate_screen, timelapse_design
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.defs.temporal import TEMPORAL_JOB
from phenodag.runner import open_runner
from phenodag_tests.s3 import S3


def _home(s3: S3, prefix: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DagsterSettings:
    monkeypatch.setenv("PHENODAG_HOME", str(tmp_path / "home"))
    for var, value in s3.env(prefix).items():
        monkeypatch.setenv(var, value)
    settings = DagsterSettings.from_env().ensure()
    assert settings.lake == f"s3://{s3.bucket}/{prefix}" and settings.lake_storage_options["conditional_put"] == "etag"
    return settings


def test_ingest_embed_temporal_on_an_s3_lake(s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = _home(s3, "e2e", tmp_path, monkeypatch)
    opts = settings.lake_storage_options
    design = timelapse_design(n_compounds=2, days=0.5, every_h=4, image_size=48, replicates=2, control_wells=2)
    plates = [f.name for f in simulate_screen(design, settings.inbox, seed=0)]
    with open_runner(settings) as runner:
        for plate in plates:
            assert runner.ingest(settings.inbox / plate).success
        assert runner.embed("convae-random", plates)
        assert runner.run(TEMPORAL_JOB, "convae-random").success

        keys = s3.keys("e2e/")
        for table in ("raw_images", "plates", "embeddings", "well_embeddings", "temporal_clusters"):
            assert any(k.startswith(f"e2e/{table}/_delta_log/") for k in keys), table
        assert not (Path(settings.home) / "lake").exists()  # nothing went to a local folder
        clusters = lake.read_table(settings.lake, "temporal_clusters", storage_options=opts)
        assert clusters.height == 6

        # a partition overwrite touches only its partition: re-embedding plate 0 leaves plate 1's files alone
        first, second = plates
        other_files = [k for k in keys if f"plate_id={second}/" in k and k.startswith("e2e/embeddings/")]
        before = lake.read_table(settings.lake, "embeddings", storage_options=opts)
        assert runner.embed("convae-random", [first])
        after = lake.read_table(settings.lake, "embeddings", storage_options=opts)
    assert set(other_files) <= set(s3.keys("e2e/embeddings/"))
    version_rows = lake.list_versions(settings.lake, "embeddings", opts)
    assert version_rows[0]["operationParameters"]["predicate"].count(first) == 1
    key = ["plate_id", "path"]
    assert (
        after.filter(pl.col("plate_id") == second)
        .sort(key)
        .equals(before.filter(pl.col("plate_id") == second).sort(key))
    )
    assert after.height == before.height


WRITER = """
import sys
import polars as pl
from phenodag.core.shared import lake
from phenodag.defs.shared.settings import DagsterSettings

settings, plate, n = DagsterSettings.from_env(), sys.argv[1], int(sys.argv[2])
for i in range(n):
    df = pl.DataFrame({"plate_id": [plate] * 3, "round": [i] * 3, "x": [0.5, 1.5, 2.5]})
    lake.write_partition(settings.lake, "contended", df, {"plate_id": plate}, settings.lake_storage_options)
"""


def test_two_processes_write_different_partitions_of_one_table_without_losing_a_commit(
    s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = _home(s3, "concurrent", tmp_path, monkeypatch)
    rounds = 8
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, plate, str(rounds)], stderr=subprocess.PIPE)
        for plate in ("P1", "P2")
    ]
    errors = [(w.wait(timeout=300), w.stderr.read().decode()[-2000:] if w.stderr else "") for w in writers]
    assert all(rc == 0 for rc, _ in errors), errors
    history = lake.list_versions(settings.lake, "contended", settings.lake_storage_options)
    assert len(history) == 2 * rounds  # every commit of both writers is in the log, none overwritten
    assert sorted(h["version"] for h in history) == list(range(2 * rounds))
    table = lake.read_table(settings.lake, "contended", storage_options=settings.lake_storage_options)
    assert table.group_by("plate_id").agg(pl.col("round").max(), pl.len()).sort("plate_id").rows() == [
        ("P1", rounds - 1, 3),
        ("P2", rounds - 1, 3),
    ]
