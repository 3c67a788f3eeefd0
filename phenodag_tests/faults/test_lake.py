"""Fault 8 and the lake behaviours that already held: a damaged lake, idempotent and growing plates."""

from pathlib import Path

import numpy as np
import pytest

from phenodag.cli import main
from phenodag.core.shared import lake
from phenodag.core.shared.lake import LakeError
from phenodag.core.simulate.plate_writer import write_image
from phenodag.defs.shared.settings import DagsterSettings
from phenodag_tests.faults.conftest import N_IMAGES, image_name, ingest, readable_counts, toy
from phenodag_tests.toy_plate import toy_image


def _two_plates(home: DagsterSettings) -> None:
    for plate in ("P1", "P2"):
        assert ingest(home, toy(home, plate)) == 0


def _lake(home: DagsterSettings, *args: str) -> int:
    return main(["lake", *args, "--home", str(home.home)])


def test_lost_data_file_names_the_table_and_repair_reingests(home: DagsterSettings) -> None:
    _two_plates(home)
    next(Path(home.lake, "raw_images", "plate_id=P1").glob("*.parquet")).unlink()
    with pytest.raises(LakeError, match=r"table 'raw_images'.*phenodag lake check.*phenodag lake repair"):
        lake.read_table(home.lake, "raw_images")
    assert lake.read_table(home.lake, "raw_images", filters={"plate_id": "P2"}).height == N_IMAGES  # others read
    assert _lake(home, "check") == 1
    assert _lake(home, "repair") == 0
    assert _lake(home, "check") == 0
    assert readable_counts(home) == {"raw_images": 2 * N_IMAGES, "quarantine": 0, "plates": 2}


def test_reingesting_a_plate_whose_file_is_lost_mends_it(home: DagsterSettings) -> None:
    _two_plates(home)
    next(Path(home.lake, "raw_images", "plate_id=P1").glob("*.parquet")).unlink()
    assert ingest(home, home.inbox / "P1") == 0  # unreadable previous rows: ingested afresh
    assert readable_counts(home)["raw_images"] == 2 * N_IMAGES


def test_truncated_commit_names_the_table_and_repair_restores(home: DagsterSettings) -> None:
    _two_plates(home)
    log = Path(home.lake, "raw_images", "_delta_log")
    newest = sorted(log.glob("*.json"))[-1]
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    with pytest.raises(LakeError, match=r"table 'raw_images'"):
        lake.read_table(home.lake, "raw_images")
    assert _lake(home, "check") == 1
    assert _lake(home, "repair") == 0  # commit set aside, P2 (whose rows it held) re-ingested
    assert (log.parent / "_delta_log.damaged" / newest.name).exists()
    assert readable_counts(home) == {"raw_images": 2 * N_IMAGES, "quarantine": 0, "plates": 2}


def test_restore_goes_back_to_an_earlier_version(home: DagsterSettings) -> None:
    _two_plates(home)
    assert _lake(home, "repair", "--table", "raw_images", "--version", "0", "--no-reingest") == 0
    assert set(lake.read_table(home.lake, "raw_images")["plate_id"]) == {"P1"}


def test_reingestion_is_idempotent(home: DagsterSettings) -> None:
    folder = toy(home)
    assert ingest(home, folder) == 0
    first = lake.read_table(home.lake, "raw_images").sort("path")
    assert ingest(home, folder) == 0
    assert lake.read_table(home.lake, "raw_images").sort("path").equals(first)
    assert lake.read_table(home.lake, "plates")["n_new"].to_list() == [0]


def test_growing_plate_gains_only_its_new_rows(home: DagsterSettings) -> None:
    folder = toy(home)
    assert ingest(home, folder) == 0
    write_image(folder / image_name(well="B02", hours=36.0), toy_image(np.random.default_rng(1), 20))
    assert ingest(home, folder) == 0
    assert readable_counts(home)["raw_images"] == N_IMAGES + 1
    assert lake.read_table(home.lake, "plates")["n_new"].to_list() == [1]
