from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from phenodag.core.ingest.outcome import missing_timepoints, rejected_plate
from phenodag.core.ingest.platemap import PlateError


def test_missing_timepoints_lists_incomplete_fields() -> None:
    df = pl.DataFrame({"well": ["B03", "B03", "B04"], "site": [1, 1, 1], "time_h": [0.0, 2.0, 0.0]})
    gaps = missing_timepoints(df)
    assert gaps.select("well", "n_timepoints", "expected").rows() == [("B04", 1, 2)]


def test_rejected_plate_has_one_quarantine_row_and_keeps_first_detection(tmp_path: Path) -> None:
    first = datetime(2024, 1, 1, tzinfo=UTC)
    r = rejected_plate(tmp_path, "P1", PlateError(tmp_path / "platemap.csv", "missing"), now=first)
    assert r.rejected and r.images is None and r.plate["status"].to_list() == ["rejected"]
    again = rejected_plate(
        tmp_path, "P1", PlateError(tmp_path / "platemap.csv", "missing"), previous_quarantine=r.quarantine
    )
    assert again.quarantine.select("kind", "reason", "detected_at").rows() == [("plate", "missing", first)]
