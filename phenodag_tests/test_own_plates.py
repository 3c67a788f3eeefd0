"""A biologist's own plate in a new home: real T98G frames named as an Incucyte elapsed-time export,
a grid-form .xlsx plate map, then what automation may run, the report and the export.

Reads ../shared (real frames, the published pheno-ml weights) and skips where it is absent.
"""

import shutil
from pathlib import Path

import polars as pl
import pytest
from openpyxl import Workbook

from phenodag.core.embed.export import export_profiles, write_profiles
from phenodag.core.embed.readiness import encoder_readiness
from phenodag.core.shared import lake
from phenodag.core.shared.units import hours_label
from phenodag.defs.embed import EMBED_JOB
from phenodag.defs.report import REPORT_JOB
from phenodag.defs.shared.partitions import embedding_key
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import Runner, open_runner
from phenodag_tests.conftest import PHENOML, T98G_FRAMES, shared_file

MINUTES_PER_FRAME = 10.2  # the Usiigaci series: one original frame every 10.2 min (its README)


def _grid_platemap(path: Path) -> None:
    """A 96-well grid-form workbook: one block per variable, only B02 filled (the one imaged well)."""
    book = Workbook()
    sheet = book.active
    for name, value in (("Cell Line", "T98G"), ("Compound", "DMSO"), ("Concentration (µM)", 0), ("Replicate", 1)):
        sheet.append([name, *range(1, 13)])
        for letter in "ABCDEFGH":
            sheet.append([letter, *(value if (letter, c) == ("B", 2) else None for c in range(1, 13))])
        sheet.append([])
    book.save(path)


def _plate(inbox: Path) -> Path:
    """The T98G frames renamed into the Incucyte elapsed layout (``VID99_B2_1_00d00h41m.tif``), map, marker."""
    folder = inbox / "T98G_REAL"
    folder.mkdir(parents=True)
    for frame in sorted(shared_file(T98G_FRAMES, "real T98G frames").glob("*.tif")):
        minutes = round((int(frame.stem.rsplit("t", 1)[1]) - 1) * MINUTES_PER_FRAME)
        name = f"VID99_B2_1_{minutes // 1440:02d}d{minutes % 1440 // 60:02d}h{minutes % 60:02d}m.tif"
        shutil.copyfile(frame, folder / name)
    _grid_platemap(folder / "PlateMap.xlsx")
    (folder / "COMPLETE").touch()
    return folder


def test_real_frames_from_a_new_home_to_report_and_export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    weights = shared_file(PHENOML / "convae_trained_model.torch", "the published pheno-ml weights")
    monkeypatch.setenv("PHENODAG_PHENOML_WEIGHTS", str(weights))  # run workers read the home's settings anew
    settings = DagsterSettings.from_env(tmp_path / "home").ensure()
    folder = _plate(settings.inbox)
    with open_runner(settings) as runner:
        _run(runner, settings, folder, tmp_path)


def _run(runner: Runner, settings: DagsterSettings, folder: Path, tmp_path: Path) -> None:
    assert runner.ingest(folder).success
    raw = lake.read_table(settings.lake, "raw_images").sort("time_h")
    assert raw.height == 10 and set(raw["compound"]) == {"DMSO"} and raw["is_control"].all()
    assert hours_label(raw["time_h"].max()) == "6.1 h"  # 367 min, read as people say it

    # what automation may run in this home: no trained ConvAE yet, the published weights named
    ready = encoder_readiness(("classical", "convae-random", "convae-phenoml", "convae"), settings)
    assert [name for name, why in ready.items() if why is None] == ["classical", "convae-random", "convae-phenoml"]
    for encoder in ("classical", "convae-phenoml"):
        assert runner.run(EMBED_JOB, embedding_key(encoder, "T98G_REAL")).success

    report = runner.run(REPORT_JOB)
    assert report.success
    meta = report.asset_materializations_for_node("screen_report")[0].metadata  # type: ignore[union-attr]
    page = Path(str(meta["path"].value)).read_text()
    assert "1 plate(s): T98G_REAL; 10 images, 1 compounds." in page
    assert "materialise growth_job" in page  # sections without their tables say how to get them

    wells = lake.read_table(settings.lake, "well_embeddings", filters={"encoder": "classical"})
    profiles = export_profiles(wells, raw, normalisation="none")
    assert profiles.height == 10 and profiles["Metadata_Compound"].unique().to_list() == ["DMSO"]
    confluence = profiles.sort("Metadata_TimeH")["classical_confluence"]
    assert 0.05 < confluence[0] < 0.95  # a real field, neither empty nor full
    back = pl.read_parquet(write_profiles(profiles, tmp_path / "t98g.parquet"))
    assert back.equals(profiles)
