"""Faults 5-7 and the plate-level faults that already held: plate.yaml, plate map, plate ids."""

import logging
from pathlib import Path

import polars as pl
import pytest

from phenodag.core.shared import lake
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import open_runner
from phenodag_tests.faults.conftest import N_IMAGES, image_name, ingest, quarantine, readable_counts, toy


def _rejected(home: DagsterSettings, words: tuple[str, ...]) -> None:
    q = quarantine(home)
    assert q["kind"].to_list() == ["plate"]
    assert all(w in q["reason"][0] for w in words), q["reason"][0]
    assert readable_counts(home) == {"quarantine": 1, "plates": 1}
    assert lake.read_table(home.lake, "plates")["status"].to_list() == ["rejected"]


@pytest.mark.parametrize(
    ("yaml_text", "words"),
    [
        ("channel: abc\n", ("channel", "integer", "abc")),
        ("image_size: 256\n", ("image_size",)),
        ("layout: nikon\n", ("unknown layout", "nikon")),
        ("timepoints: [1, 2\n", ("invalid YAML",)),
        ("- just\n- a list\n", ("mapping",)),
    ],
)
def test_bad_plate_yaml_rejects_the_plate_with_a_reason(
    home: DagsterSettings, yaml_text: str, words: tuple[str, ...], caplog: pytest.LogCaptureFixture
) -> None:
    folder = toy(home)
    (folder / "plate.yaml").write_text(yaml_text)
    assert ingest(home, folder) == 1  # a clear failure, no traceback
    assert "Traceback" not in caplog.text
    _rejected(home, words)


def test_unknown_plate_yaml_key_is_warned_by_name(home: DagsterSettings, caplog: pytest.LogCaptureFixture) -> None:
    folder = toy(home)
    (folder / "plate.yaml").write_text("layuot: incucyte\n")
    with caplog.at_level(logging.WARNING):
        assert ingest(home, folder) == 0
    assert "'layuot'" in caplog.text and "did you mean 'layout'" in caplog.text
    assert readable_counts(home) == {"raw_images": N_IMAGES, "quarantine": 0, "plates": 1}


def test_missing_plate_map_rejects_the_plate(home: DagsterSettings) -> None:
    folder = toy(home)
    (folder / "platemap.csv").unlink()
    assert ingest(home, folder) == 1
    _rejected(home, ("plate map not found",))


def test_blank_compound_rejects_that_well(home: DagsterSettings) -> None:
    folder = toy(home)
    pm = pl.read_csv(folder / "platemap.csv")
    pm.with_columns(compound=pl.when(pl.col("well") == "B03").then(None).otherwise(pl.col("compound"))).write_csv(
        folder / "platemap.csv"
    )
    assert ingest(home, folder) == 0
    q = quarantine(home)
    assert set(q["kind"]) == {"platemap"} and q.height == 4  # the well's four time points
    assert "well B03 has no compound" in q["reason"][0] and "line 3" in q["reason"][0]
    images = lake.read_table(home.lake, "raw_images")
    assert images.height == N_IMAGES - 4 and images["compound"].null_count() == 0
    assert images.filter(pl.col("is_control"))["compound"].str.to_lowercase().unique().to_list() == ["dmso"]


def test_platemap_well_without_images_is_reported(home: DagsterSettings, caplog: pytest.LogCaptureFixture) -> None:
    folder = toy(home)
    for t in (-2.0, 0.0, 12.0, 24.0):
        (folder / image_name(well="C03", hours=t)).unlink()
    with caplog.at_level(logging.INFO):
        assert ingest(home, folder) == 0
    assert "without images: C03" in caplog.text
    assert "check platemap_wells_imaged: FAILED (WARN)" in caplog.text


def test_overlong_plate_id_in_plate_yaml_is_filed_under_the_folder(home: DagsterSettings) -> None:
    folder = toy(home)
    (folder / "plate.yaml").write_text(f"plate_id: {'X' * 300}\n")
    assert ingest(home, folder) == 1
    _rejected(home, ("300 characters", "at most 128"))
    assert lake.read_table(home.lake, "plates")["plate_id"].to_list() == ["P1"]


def test_overlong_plate_id_on_the_command_line_records_nothing(home: DagsterSettings) -> None:
    folder = toy(home)
    assert ingest(home, folder, "--plate-id", "Y" * 300) == 2
    assert readable_counts(home) == {}
    with open_runner(home) as runner:
        assert runner.instance.get_dynamic_partitions("plates") == []
        assert runner.instance.get_runs() == []


def test_unsafe_folder_name_records_nothing(home: DagsterSettings, tmp_path: Path) -> None:
    folder = toy(home)
    odd = folder.rename(folder.parent / "P1;rm -rf")
    assert ingest(home, odd) == 2
    assert readable_counts(home) == {}
    assert ingest(home, odd, "--plate-id", "P1") == 0  # named explicitly, it lands
    assert readable_counts(home)["raw_images"] == N_IMAGES
