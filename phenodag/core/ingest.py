"""Ingestion of one plate folder into rows of ``raw_images``, ``quarantine`` and ``plates``.

:func:`ingest_plate` is pure with respect to the lake: it reads the folder (and the
plate's previous rows, passed in) and returns the three tables' rows for the plate;
the caller writes them. Rules:

- Every image file is hashed (sha256) and decoded once; files whose path and sha256
  are already in the previous rows are reused without decoding, so a plate that grows
  costs only its new files and re-ingesting an unchanged plate returns the same rows.
- A file that cannot land gets a quarantine row (``kind`` and a ``reason`` naming the
  file) and a warning in the log; the plate's other images still land.
- A plate-level problem (unsafe plate id, bad ``plate.yaml``, missing or malformed
  plate map, unknown layout) rejects the plate: one quarantine row, ``images`` is None
  and the caller leaves the plate's previous ``raw_images`` rows untouched.
- Duplicates: a file with the same sha256 as an earlier one (in path order), or the
  same well, site and time, is quarantined as a duplicate of the first.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from phenodag.core.images import IMAGE_SUFFIXES, ImageDecodeError, decode_image, image_info
from phenodag.core.inbox import fingerprint
from phenodag.core.layouts import LayoutError, ParsedName, detect_layout, layout_regex, parse_name
from phenodag.core.platemap import (
    PLATE_YAML,
    PlateConfig,
    PlateError,
    parse_treatment_time,
    read_plate_config,
    read_platemap,
)
from phenodag.core.tables import PLATES_SCHEMA, QUARANTINE_SCHEMA, RAW_IMAGES_SCHEMA

logger = logging.getLogger("phenodag.ingest")

TIME_DECIMALS = 4


@dataclass(frozen=True)
class IngestResult:
    """Rows for one plate; ``images`` is None when the plate was rejected as a whole."""

    plate_id: str
    layout: str | None
    images: pl.DataFrame | None
    quarantine: pl.DataFrame
    plate: pl.DataFrame

    @property
    def rejected(self) -> bool:
        """True when a plate-level problem kept every image out."""
        return self.images is None


@dataclass(frozen=True)
class _Candidate:
    path: Path
    parsed: ParsedName


class _Quarantine:
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
        logger.warning("quarantined %s (%s): %s", path, kind, reason)
        first = self._seen.get((str(path), reason), self.now)
        self.rows.append(
            {"plate_id": self.plate_id, "path": str(path), "kind": kind, "reason": reason, "detected_at": first}
        )

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(self.rows, schema=QUARANTINE_SCHEMA)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    """Return the hex sha256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def iter_image_files(folder: Path) -> Iterator[Path]:
    """Yield the image files below ``folder`` (recursively, sorted, hidden files skipped)."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith(".") and Path(name).suffix.lower() in IMAGE_SUFFIXES:
                yield Path(root) / name


def _resolve_time(parsed: ParsedName, well_row: dict[str, Any], config: PlateConfig) -> float:
    """Hours since treatment of one image, or ValueError saying what is missing."""
    if parsed.time_h is not None:
        return parsed.time_h
    treatment = parse_treatment_time(well_row.get("treatment_time") or config.treatment_time, config.folder)
    if parsed.acquired_at is not None:
        if not isinstance(treatment, datetime):
            raise ValueError(
                f"absolute timestamps need a treatment_time date-time for well {parsed.well} "
                "(plate map column or plate.yaml)"
            )
        return (parsed.acquired_at - treatment.replace(tzinfo=None)).total_seconds() / 3600.0
    if parsed.elapsed_h is not None:
        if isinstance(treatment, datetime):
            raise ValueError("elapsed-time names need treatment_time in elapsed hours, not a date-time")
        return parsed.elapsed_h - (treatment or 0.0)
    if parsed.timepoint is not None:
        if parsed.timepoint in config.timepoints:
            return config.timepoints[parsed.timepoint]
        if well_row.get("time_h") is not None:
            return float(well_row["time_h"])
        raise ValueError(
            f"time point T{parsed.timepoint:04d} has no hours (timepoints.csv, plate.yaml "
            "'timepoints' or a plate map time_h column)"
        )
    raise ValueError("file name carries no time")


def _hash_and_decode(path: Path, reuse: dict[str, dict[str, Any]]) -> tuple[str, dict[str, Any] | None, str | None]:
    """Return (sha256, reused row or info dict, error message)."""
    digest = sha256_file(path)
    prev = reuse.get(str(path))
    if prev is not None and prev["sha256"] == digest:
        return digest, prev, None
    try:
        info = image_info(decode_image(path))
    except ImageDecodeError as exc:
        return digest, None, str(exc)
    return digest, {"width": info.width, "height": info.height, "bit_depth": info.bit_depth}, None


def _plate_row(
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
    q = _Quarantine(plate_id, now, previous_quarantine)
    q.add(err.path, "plate", err.reason)
    plate = _plate_row(q.plate_id, "rejected", None, folder, None, 0, 1, 0, now, fp)
    return IngestResult(plate_id=q.plate_id, layout=None, images=None, quarantine=q.frame(), plate=plate)


def ingest_plate(
    folder: str | Path,
    plate_id: str | None = None,
    previous: pl.DataFrame | None = None,
    previous_quarantine: pl.DataFrame | None = None,
    workers: int = 2,
    now: datetime | None = None,
) -> IngestResult:
    """Read one plate folder into the rows of ``raw_images``, ``quarantine`` and ``plates``.

    Parameters
    ----------
    folder
        The plate folder: images as exported, ``platemap.csv``, optional ``plate.yaml``.
    plate_id
        The requested plate id (partition key): replaces the folder name and must
        agree with ``plate.yaml``. A rejected plate's quarantine row is filed under
        it (else under ``plate.yaml``'s id or the folder name).
    previous
        The plate's current ``raw_images`` rows; unchanged files are reused from them.
    previous_quarantine
        The plate's current ``quarantine`` rows; a problem seen before keeps its
        first ``detected_at``.
    workers
        Threads that hash and decode images.
    now
        Time stamp of this ingestion (UTC now by default).

    Returns
    -------
    IngestResult
        The plate's rows; ``images`` sorted by well, site, time.
    """
    folder = Path(folder).resolve()
    now = now or datetime.now(UTC)
    requested = plate_id or folder.name
    if not folder.is_dir():
        return rejected_plate(
            folder, requested, PlateError(folder, "plate folder does not exist"), now, previous_quarantine, None
        )
    fp = fingerprint(folder)
    try:
        config = read_plate_config(folder, plate_id)
        platemap = read_platemap(config)
        files = list(iter_image_files(folder))
        layout = config.layout or detect_layout(f.name for f in files)
        rx = layout_regex(layout, config.pattern)
    except LayoutError as exc:
        return rejected_plate(
            folder, requested, PlateError(folder / PLATE_YAML, str(exc)), now, previous_quarantine, fp
        )
    except PlateError as exc:
        return rejected_plate(folder, plate_id or exc.plate_id or folder.name, exc, now, previous_quarantine, fp)

    q = _Quarantine(config.plate_id, now, previous_quarantine)
    candidates: list[_Candidate] = []
    n_skipped = 0
    for path in files:
        try:
            parsed = parse_name(path.name, rx)
        except ValueError as exc:
            q.add(path, "name", f"{path.name}: {exc}")
            continue
        if parsed is None:
            q.add(path, "name", f"{path.name} does not match the {layout} layout")
            continue
        if parsed.channel is not None and parsed.channel != config.channel:
            n_skipped += 1
            continue
        candidates.append(_Candidate(path, parsed))
    if n_skipped:
        logger.info("%s: skipped %d file(s) of channels other than %d", config.plate_id, n_skipped, config.channel)

    reuse: dict[str, dict[str, Any]] = {}
    if previous is not None and previous.height:
        reuse = {r["path"]: r for r in previous.iter_rows(named=True)}
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        decoded = list(pool.map(lambda c: _hash_and_decode(c.path, reuse), candidates))

    wells = {r["well"]: r for r in platemap.iter_rows(named=True)}
    ok: list[tuple[_Candidate, str, dict[str, Any], float]] = []
    for cand, (digest, info, error) in zip(candidates, decoded, strict=True):
        if error is not None or info is None:
            q.add(cand.path, "decode", error or "cannot decode")
            continue
        well_row = wells.get(cand.parsed.well)
        if well_row is None:
            q.add(cand.path, "unmapped_well", f"well {cand.parsed.well} is not in {config.platemap}")
            continue
        try:
            time_h = round(_resolve_time(cand.parsed, well_row, config), TIME_DECIMALS)
        except ValueError as exc:
            q.add(cand.path, "time", f"{cand.path.name}: {exc}")
            continue
        ok.append((cand, digest, info, time_h))

    sizes = Counter((info["width"], info["height"]) for _, _, info, _ in ok)
    expected = config.image_size or (sizes.most_common(1)[0][0] if sizes else None)
    by_hash: dict[str, Path] = {}
    by_key: dict[tuple[str, int, float], Path] = {}
    rows: list[dict[str, Any]] = []
    n_new = 0
    for cand, digest, info, time_h in ok:
        size = (info["width"], info["height"])
        if size != expected:
            q.add(
                cand.path,
                "size",
                f"image is {size[0]}x{size[1]}, the plate's images are {expected[0]}x{expected[1]}"
                if expected
                else "image size unknown",
            )
            continue
        key = (cand.parsed.well, cand.parsed.site, time_h)
        first = by_hash.get(digest) or by_key.get(key)
        if first is not None:
            q.add(cand.path, "duplicate", f"duplicate of {first} (same content or same well, site and time)")
            continue
        by_hash[digest] = by_key[key] = cand.path
        n_new += str(cand.path) not in reuse or reuse[str(cand.path)]["sha256"] != digest
        well_row = wells[cand.parsed.well]
        rows.append(
            {
                "plate_id": config.plate_id,
                "well": cand.parsed.well,
                "row": cand.parsed.row,
                "col": cand.parsed.col,
                "site": cand.parsed.site,
                "cell_line": well_row["cell_line"],
                "compound": well_row["compound"],
                "concentration_um": well_row["concentration_um"],
                "is_control": well_row["is_control"],
                "replicate": well_row["replicate"],
                "time_h": time_h,
                "acquired_at": cand.parsed.acquired_at,
                "path": str(cand.path),
                "sha256": digest,
                "width": info["width"],
                "height": info["height"],
                "bit_depth": info["bit_depth"],
                "status": "ok",
            }
        )
    images = pl.DataFrame(rows, schema=RAW_IMAGES_SCHEMA).sort("well", "site", "time_h", "path")
    quarantine = q.frame()
    plate = _plate_row(
        config.plate_id, "ingested", layout, folder, images, n_new, quarantine.height, n_skipped, now, fp
    )
    logger.info(
        "%s: %d images (%d new), %d quarantined, layout %s",
        config.plate_id,
        images.height,
        n_new,
        quarantine.height,
        layout,
    )
    return IngestResult(plate_id=config.plate_id, layout=layout, images=images, quarantine=quarantine, plate=plate)


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
