import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from phenodag.cli import main
from phenodag.core.shared import lake
from phenodag.defs.ingest import INGEST_PLATE_JOB
from phenodag.defs.shared.settings import DagsterSettings
from phenodag_tests.toy_plate import write_toy_plate


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
    s = DagsterSettings.from_env(home)
    assert set(lake.read_table(s.lake, "raw_images")["plate_id"]) == {"CLI_P1"}
    with dg.DagsterInstance.from_config(str(s.dagster_home)) as instance:  # the run is recorded for the UI
        runs = instance.get_runs()
    assert [r.job_name for r in runs] == [INGEST_PLATE_JOB] and runs[0].tags["dagster/partition"] == "CLI_P1"


def test_ingest_command_fails_on_rejected_plate(tmp_path: Path) -> None:
    folder = write_toy_plate(tmp_path / "drop", "BAD", sites=1)
    (folder / "platemap.csv").unlink()
    assert main(["ingest", str(folder), "--home", str(tmp_path / "home")]) == 1
    assert main(["ingest", str(tmp_path / "nope"), "--home", str(tmp_path / "home")]) == 2


def test_simulate_preview_and_folders(tmp_path: Path) -> None:
    assert main(["simulate", "--preview", str(tmp_path / "sheet.png"), "--size", "64", "--days", "1"]) == 0
    assert (tmp_path / "sheet.png").stat().st_size > 1000
    out = tmp_path / "screen"
    assert (
        main(
            [
                "simulate",
                "--out",
                str(out),
                "--kind",
                "endpoint",
                "--compounds",
                "2",
                "--plates",
                "1",
                "--size",
                "48",
                "--layout",
                "cv8000",
                "--workers",
                "1",
            ]
        )
        == 0
    )
    (plate,) = out.iterdir()
    assert len(list(plate.glob("*.tif"))) == (2 * 3 + 4) * 2 and (plate / "timepoints.csv").exists()


def test_embed_command_writes_parquet(tmp_path: Path) -> None:
    import numpy as np
    import torch

    from phenodag.core.embed.convae import ConvAE
    from phenodag.core.simulate.plate_writer import write_image

    torch.save(ConvAE().state_dict(), tmp_path / "ae.pt")
    imgs = [str(write_image(tmp_path / f"i{k}.png", np.full((64, 64), 40 * k, np.uint8))) for k in range(3)]
    out = tmp_path / "vectors.parquet"
    assert (
        main(
            [
                "embed",
                *imgs,
                "--encoder",
                "convae",
                "--weights",
                str(tmp_path / "ae.pt"),
                "--out",
                str(out),
                "--batch-size",
                "2",
                "--readout",
                "latent",
            ]
        )
        == 0
    )
    df = pl.read_parquet(out)
    assert df.columns == ["path", "sha256", "tile", "encoder", "weights_id", "preprocess", "vector"]
    assert df.height == 3 and df.schema["vector"] == pl.Array(pl.Float32, 4096)  # the published latent readout
    assert df["path"].to_list() == [str(Path(p).resolve()) for p in imgs]
    assert main(["embed", str(tmp_path / "nope.tif"), "--out", str(out)]) == 2


def test_export_without_profiles_fails_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["export", "--encoder", "convae", "--out", str(tmp_path / "p.csv"), "--home", str(tmp_path / "h")])
    assert code != 0
    assert not (tmp_path / "p.csv").exists()
