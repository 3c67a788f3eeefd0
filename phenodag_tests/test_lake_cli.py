from pathlib import Path

import polars as pl

from phenodag.cli import main
from phenodag.core.shared import lake
from phenodag.core.shared.lake_health import plates_to_reingest
from phenodag.core.shared.schemas import PLATES_SCHEMA
from phenodag.defs.shared.settings import DagsterSettings


def _plates(settings: DagsterSettings, counts: dict[str, int]) -> None:
    for plate, n in counts.items():
        row = {c: None for c in PLATES_SCHEMA} | {"plate_id": plate, "status": "ingested", "n_images": n}
        lake.write_partition(settings.lake, "plates", pl.DataFrame([row], schema=PLATES_SCHEMA), {"plate_id": plate})


def test_plates_whose_rows_do_not_match_are_listed(tmp_path: Path) -> None:
    settings = DagsterSettings.from_env(tmp_path / "home").ensure()
    _plates(settings, {"P1": 2, "P2": 1, "P3": 1})
    assert plates_to_reingest(settings.lake) == ["P1", "P2", "P3"]  # no raw_images at all
    images = pl.DataFrame({"plate_id": ["P1", "P1", "P2"], "x": [1, 2, 3]})
    for plate in ("P1", "P2"):
        lake.write_partition(
            settings.lake, "raw_images", images.filter(pl.col("plate_id") == plate), {"plate_id": plate}
        )
    assert plates_to_reingest(settings.lake) == ["P3"]
    assert main(["lake", "check", "--home", str(settings.home)]) == 0
    assert main(["lake", "repair", "--home", str(settings.home), "--no-reingest"]) == 0  # nothing to mend
    assert main(["lake", "repair", "--home", str(settings.home), "--version", "0"]) == 2  # needs --table
