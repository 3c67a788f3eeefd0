"""Schemas of the lake tables that ingestion writes: a public contract other tools read.

``raw_images``, ``quarantine`` and ``plates`` live at ``<lake>/<name>`` and are
partitioned on disk by ``plate_id``. Column names are snake_case; exports for
pycytominer/copairs rename them to their ``Metadata_*`` convention.
"""

from typing import Any

import polars as pl

RAW_IMAGES_SCHEMA: dict[str, Any] = {
    "plate_id": pl.String,
    "well": pl.String,
    "row": pl.String,
    "col": pl.Int32,
    "site": pl.Int32,
    "cell_line": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "is_control": pl.Boolean,
    "replicate": pl.Int32,
    "time_h": pl.Float64,
    "acquired_at": pl.Datetime("us"),
    "path": pl.String,
    "sha256": pl.String,
    "width": pl.Int32,
    "height": pl.Int32,
    "bit_depth": pl.Int32,
    "status": pl.String,
}
QUARANTINE_SCHEMA: dict[str, Any] = {
    "plate_id": pl.String,
    "path": pl.String,
    "kind": pl.String,
    "reason": pl.String,
    "detected_at": pl.Datetime("us", "UTC"),
}
PLATES_SCHEMA: dict[str, Any] = {
    "plate_id": pl.String,
    "status": pl.String,
    "layout": pl.String,
    "source_dir": pl.String,
    "n_images": pl.Int32,
    "n_new": pl.Int32,
    "n_quarantined": pl.Int32,
    "n_skipped": pl.Int32,
    "n_wells": pl.Int32,
    "n_sites": pl.Int32,
    "n_timepoints": pl.Int32,
    "fingerprint": pl.String,
    "ingested_at": pl.Datetime("us", "UTC"),
}
