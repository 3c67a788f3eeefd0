"""What an ingestion returns: the plate's rows, the quarantine collector, a rejected plate, time-point gaps."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from phenodag.core.ingest.platemap import PlateError
from phenodag.core.shared.schemas import PLATES_SCHEMA, QUARANTINE_SCHEMA, RAW_IMAGES_SCHEMA

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestResult:
    """Rows for one plate; ``images`` is None when the plate was rejected as a whole.

    ``unimaged_wells`` lists plate-map wells that have no image (a warning, not an error).
    """

    plate_id: str
    layout: str | None
    images: pl.DataFrame | None
    quarantine: pl.DataFrame
    plate: pl.DataFrame
    unimaged_wells: tuple[str, ...] = ()

    @property
    def rejected(self) -> bool:
        """True when a plate-level problem kept every image out."""
        return self.images is None


class Quarantine:
    """Collects quarantine rows, logging each one."""

    def __init__(self, plate_id: str, now: datetime, previous: pl.DataFrame | None) -> None:
        self.plate_id = plate_id
        self.now = now
        self.rows: list[dict[str, Any]] = []
        self._seen: dict[tuple[str, str], datetime] = {}
        if previous is not None and previous.height:
            for rec in previous.select("path", "reason", "detected_at").iter_rows():
                self._seen[(rec[0], rec[1])] = rec[2]

    def add(self, path: Path | str, kind: str, reason: str) -> None:
        """Quarantine ``path`` with its kind and reason (a problem seen before keeps its first time)."""
        logger.warning("quarantined %s (%s): %s", path, kind, reason)
        first = self._seen.get((str(path), reason), self.now)
        self.rows.append(
            {"plate_id": self.plate_id, "path": str(path), "kind": kind, "reason": reason, "detected_at": first}
        )

    def frame(self) -> pl.DataFrame:
        """Return the collected rows as a ``quarantine`` frame."""
        return pl.DataFrame(self.rows, schema=QUARANTINE_SCHEMA)


def plate_row(
    config_id: str,
    status: str,
    layout: str | None,
    folder: Path,
    images: pl.DataFrame | None,
    n_new: int,
    n_quarantined: int,
    n_skipped: int,
    now: datetime,
    fp: str | None,
) -> pl.DataFrame:
    """Return the one ``plates`` row of an ingestion (its counts come from ``images``; none when rejected)."""
    imgs = images if images is not None else pl.DataFrame(schema=RAW_IMAGES_SCHEMA)
    row = {
        "plate_id": config_id,
        "status": status,
        "layout": layout,
        "source_dir": str(folder),
        "n_images": imgs.height,
        "n_new": n_new,
        "n_quarantined": n_quarantined,
        "n_skipped": n_skipped,
        "n_wells": imgs["well"].n_unique(),
        "n_sites": imgs.select("well", "site").n_unique() if imgs.height else 0,
        "n_timepoints": imgs["time_h"].n_unique(),
        "fingerprint": fp,
        "ingested_at": now,
    }
    return pl.DataFrame([row], schema=PLATES_SCHEMA)


def rejected_plate(
    folder: Path,
    plate_id: str,
    err: PlateError,
    now: datetime | None = None,
    previous_quarantine: pl.DataFrame | None = None,
    fp: str | None = None,
) -> IngestResult:
    """Return the result of a plate rejected as a whole: one quarantine row, no images.

    Parameters
    ----------
    folder
        The plate folder (or where it was looked for).
    plate_id
        The plate id (partition key) the rejection is filed under.
    err
        The plate-level problem; its path and reason fill the quarantine row.
    """
    now = now or datetime.now(UTC)
    q = Quarantine(plate_id, now, previous_quarantine)
    q.add(err.path, "plate", err.reason)
    plate = plate_row(q.plate_id, "rejected", None, folder, None, 0, 1, 0, now, fp)
    return IngestResult(plate_id=q.plate_id, layout=None, images=None, quarantine=q.frame(), plate=plate)


def missing_timepoints(images: pl.DataFrame) -> pl.DataFrame:
    """Return the (well, site) fields that lack some of the plate's time points.

    Returns
    -------
    polars.DataFrame
        Columns well, site, n_timepoints, expected; empty when every field has every
        time point.
    """
    expected = images["time_h"].n_unique()
    return (
        images.group_by("well", "site")
        .agg(n_timepoints=pl.col("time_h").n_unique())
        .filter(pl.col("n_timepoints") < expected)
        .with_columns(expected=pl.lit(expected))
        .sort("well", "site")
    )
