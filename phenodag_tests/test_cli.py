import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from phenodag.cli import main
from phenodag.core import lake
from phenodag.core.settings import Settings
from phenodag.core.toy_plate import write_toy_plate


@pytest.fixture(autouse=True)
def _restore_dagster_home(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DAGSTER_HOME", raising=False)  # the CLI sets it for its own instance


def test_help_lists_commands() -> None:
    out = subprocess.run([sys.executable, "-m", "phenodag.cli", "--help"], capture_output=True, text=True, check=True)
    assert "demo" in out.stdout and "ingest" in out.stdout


def test_ingest_command_uses_the_asset_path(tmp_path: Path) -> None:
    folder = write_toy_plate(tmp_path / "drop", "CLI_P1", sites=1)
    home = tmp_path / "home"
    assert main(["ingest", str(folder), "--home", str(home)]) == 0
    s = Settings.from_env(home)
    assert set(lake.read_table(s.lake, "raw_images")["plate_id"]) == {"CLI_P1"}
    with dg.DagsterInstance.from_config(str(s.dagster_home)) as instance:  # the run is recorded for the UI
        runs = instance.get_runs()
    assert [r.job_name for r in runs] == ["ingest_plate_job"] and runs[0].tags["dagster/partition"] == "CLI_P1"


def test_ingest_command_fails_on_rejected_plate(tmp_path: Path) -> None:
    folder = write_toy_plate(tmp_path / "drop", "BAD", sites=1)
    (folder / "platemap.csv").unlink()
    assert main(["ingest", str(folder), "--home", str(tmp_path / "home")]) == 1
    assert main(["ingest", str(tmp_path / "nope"), "--home", str(tmp_path / "home")]) == 2


def test_demo_materialises_tables(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    home = tmp_path / "home"
    assert main(["demo", "--home", str(home), "--plates", "1", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "plates: 1, images: 32, quarantined files: 0" in out
    summary = lake.read_table(Settings.from_env(home).lake, "plate_summary")
    assert summary.select("plate_id", "n_images").rows() == [("DEMO_P1", 32)]
    course = lake.read_table(Settings.from_env(home).lake, "well_timecourse")
    assert course.filter(pl.col("n_images") != 2).height == 0
