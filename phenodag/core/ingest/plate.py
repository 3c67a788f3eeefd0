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
- Only regular files are opened: a FIFO, socket or device named like an image, a
  dangling link, or a link that resolves outside the plate folder (unless
  ``plate.yaml`` sets ``allow_outside_links``) is quarantined without being read.
- Headers come before pixels: every image's declared size and bit depth are read
  first; an image above the pixel budget (``max_pixels``), off the plate's size or
  off its bit depth is quarantined without being decoded.
- A plate-map well with a blank required cell keeps its images out (quarantined with
  the plate-map line); a plate-map well without images is reported.
- Each row keeps ``landed_at``, the time it first landed; ``n_new`` counts rows that
  landed after the plate's previous ``plates`` row, so a run that crashed between the
  ``raw_images`` and ``plates`` commits is counted right when it is re-run.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from phenodag.core.ingest.inbox import fingerprint as folder_fingerprint
from phenodag.core.ingest.layouts import LayoutError, ParsedName, detect_layout, layout_regex, parse_name
from phenodag.core.ingest.outcome import IngestResult, Quarantine, plate_row, rejected_plate
from phenodag.core.ingest.platemap import (
    PLATE_YAML,
    PlateConfig,
    PlateError,
    parse_treatment_time,
    read_plate_config,
    read_platemap,
    validate_plate_id,
)
from phenodag.core.ingest.reading import (
    Read,
    file_problem,
    hash_and_decode,
    iter_image_files,
    off_plate,
)
from phenodag.core.shared.images import MAX_PIXELS
from phenodag.core.shared.schemas import RAW_IMAGES_SCHEMA

logger = logging.getLogger(__name__)

TIME_DECIMALS = 4
WELL_COLUMNS = ("cell_line", "compound", "concentration_um", "is_control", "replicate")


@dataclass(frozen=True)
class _Candidate:
    path: Path
    parsed: ParsedName


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


@dataclass(frozen=True)
class _Plan:
    """What the folder says about itself: config, plate map, image files, layout (the discover step)."""

    config: PlateConfig
    platemap: pl.DataFrame
    files: list[Path]
    layout: str
    regex: re.Pattern[str]


@dataclass(frozen=True)
class _Located:
    """A decoded image joined to its plate-map row, with its hours since treatment."""

    candidate: _Candidate
    read: Read
    well_row: dict[str, Any]
    time_h: float


def discover(folder: Path, plate_id: str | None) -> _Plan:
    """Read plate.yaml and the plate map, list the image files and settle the layout.

    Raises
    ------
    PlateError
        For any plate-level problem (including a layout that is unknown or undetectable).
    """
    config = read_plate_config(folder, plate_id)
    platemap = read_platemap(config)
    files = list(iter_image_files(folder))
    try:
        layout = config.layout or detect_layout(f.name for f in files)
        regex = layout_regex(layout, config.pattern)
    except LayoutError as exc:
        raise PlateError(folder / PLATE_YAML, str(exc), plate_id) from exc
    return _Plan(config, platemap, files, layout, regex)


def parse_names(plan: _Plan, q: Quarantine) -> tuple[list[_Candidate], int]:
    """Admit regular files (:func:`file_problem`) and parse their names with the layout.

    Returns the candidates and the count of files of other channels skipped.
    """
    candidates: list[_Candidate] = []
    n_skipped = 0
    for path in plan.files:
        problem = file_problem(path, plan.config.folder, plan.config.allow_outside_links)
        if problem is not None:
            q.add(path, *problem)
            continue
        try:
            parsed = parse_name(path.name, plan.regex)
        except ValueError as exc:
            q.add(path, "name", f"{path.name}: {exc}")
            continue
        if parsed is None:
            q.add(path, "name", f"{path.name} does not match the {plan.layout} layout")
            continue
        if parsed.channel is not None and parsed.channel != plan.config.channel:
            n_skipped += 1
            continue
        candidates.append(_Candidate(path, parsed))
    if n_skipped:
        logger.info(
            "%s: skipped %d file(s) of channels other than %d", plan.config.plate_id, n_skipped, plan.config.channel
        )
    return candidates, n_skipped


def locate(candidates: list[_Candidate], reads: list[Read], plan: _Plan, q: Quarantine) -> list[_Located]:
    """Join each read image to its plate-map well and resolve its hours since treatment."""
    wells = {r["well"]: r for r in plan.platemap.iter_rows(named=True)}
    located: list[_Located] = []
    for cand, read in zip(candidates, reads, strict=True):
        if read.error is not None or read.info is None:
            q.add(cand.path, "decode", read.error or "cannot decode")
            continue
        well_row = wells.get(cand.parsed.well)
        if well_row is None:
            q.add(cand.path, "unmapped_well", f"well {cand.parsed.well} is not in {plan.config.platemap}")
            continue
        if well_row["problem"]:
            q.add(cand.path, "platemap", well_row["problem"])
            continue
        try:
            time_h = round(_resolve_time(cand.parsed, well_row, plan.config), TIME_DECIMALS)
        except ValueError as exc:
            q.add(cand.path, "time", f"{cand.path.name}: {exc}")
            continue
        located.append(_Located(cand, read, well_row, time_h))
    return located


def image_rows(
    located: list[_Located],
    plan: _Plan,
    size: tuple[int, int] | None,
    depth: int | None,
    q: Quarantine,
    now: datetime,
    since: datetime | None = None,
) -> tuple[pl.DataFrame, int]:
    """Rows of ``raw_images``: images off the plate's size or depth, and duplicates, are quarantined.

    Parameters
    ----------
    size, depth
        The plate's image size and bit depth (see :func:`hash_and_decode`).
    now
        ``landed_at`` of rows that were not in the previous rows.
    since
        ``ingested_at`` of the plate's previous ``plates`` row; rows that landed after
        it (or every row, when None) count as new.

    Returns
    -------
    images, n_new
        The rows sorted by well, site, time and path, and how many are new.
    """
    by_hash: dict[str, Path] = {}
    by_key: dict[tuple[str, int, float], Path] = {}
    rows: list[dict[str, Any]] = []
    n_new = 0
    for loc in located:
        cand, read = loc.candidate, loc.read
        info = read.info or {}
        off = off_plate(info, size, depth)
        if off is not None:
            q.add(cand.path, *off)
            continue
        key = (cand.parsed.well, cand.parsed.site, loc.time_h)
        first = by_hash.get(read.sha256) or by_key.get(key)
        if first is not None:
            q.add(cand.path, "duplicate", f"duplicate of {first} (same content or same well, site and time)")
            continue
        by_hash[read.sha256] = by_key[key] = cand.path
        landed = info.get("landed_at") if read.reused else None
        landed = landed or now
        n_new += since is None or landed > since
        rows.append(
            {
                "plate_id": plan.config.plate_id,
                "well": cand.parsed.well,
                "row": cand.parsed.row,
                "col": cand.parsed.col,
                "site": cand.parsed.site,
                **{k: loc.well_row[k] for k in WELL_COLUMNS},
                "time_h": loc.time_h,
                "acquired_at": cand.parsed.acquired_at,
                "path": str(cand.path),
                "sha256": read.sha256,
                "width": info["width"],
                "height": info["height"],
                "bit_depth": info["bit_depth"],
                "status": "ok",
                "landed_at": landed,
            }
        )
    return pl.DataFrame(rows, schema=RAW_IMAGES_SCHEMA).sort("well", "site", "time_h", "path"), n_new


def unimaged_wells(platemap: pl.DataFrame, images: pl.DataFrame) -> list[str]:
    """Plate-map wells (without a problem of their own) that have no image on the plate."""
    usable = platemap.filter(pl.col("problem").is_null())["well"].to_list()
    imaged = set(images["well"].to_list())
    return [w for w in usable if w not in imaged]


def ingest_plate(
    folder: str | Path | None,
    plate_id: str | None = None,
    previous: pl.DataFrame | None = None,
    previous_quarantine: pl.DataFrame | None = None,
    workers: int = 2,
    now: datetime | None = None,
    fingerprint: str | None = None,
    since: datetime | None = None,
    max_pixels: int | None = MAX_PIXELS,
) -> IngestResult:
    """Read one plate folder into the rows of ``raw_images``, ``quarantine`` and ``plates``.

    The steps: :func:`discover` → :func:`parse_names` → :func:`hash_and_decode` →
    :func:`locate` (plate map and times) → :func:`image_rows`.

    Parameters
    ----------
    folder
        The plate folder: images as exported, ``platemap.csv``, optional ``plate.yaml``;
        None when no folder was found for ``plate_id`` (the plate is rejected).
    plate_id
        The requested plate id (partition key): replaces the folder name and must
        agree with ``plate.yaml``; an unsafe id is rejected before the folder is read.
        A rejected plate's quarantine row is filed under it (else under
        ``plate.yaml``'s id or the folder name).
    previous
        The plate's current ``raw_images`` rows; unchanged files are reused from them.
    previous_quarantine
        The plate's current ``quarantine`` rows; a problem seen before keeps its
        first ``detected_at``.
    workers
        Threads that hash and decode images.
    now
        Time stamp of this ingestion (UTC now by default).
    fingerprint
        The folder's fingerprint as the inbox scan saw it (recorded in ``plates``);
        computed here when not given.
    since
        ``ingested_at`` of the plate's previous ``plates`` row (None: never ingested);
        rows that landed after it count in ``n_new``.
    max_pixels
        Pixel budget of one image, checked on its header before decoding.

    Returns
    -------
    IngestResult
        The plate's rows; ``images`` sorted by well, site, time.

    Raises
    ------
    PlateError
        If ``plate_id`` itself is unsafe: there is no partition to file the
        rejection under, so nothing may be written.
    """
    now = now or datetime.now(UTC)
    where = Path(folder).resolve() if folder is not None else Path(plate_id or ".")
    if plate_id is not None:
        validate_plate_id(plate_id, where)
    try:
        if folder is None:
            raise PlateError(where, "no complete plate folder carries this plate id", plate_id)
        if not where.is_dir():
            raise PlateError(where, "plate folder does not exist", plate_id)
    except PlateError as exc:
        return rejected_plate(where, plate_id or where.name, exc, now, previous_quarantine, None)
    folder = where
    fp = fingerprint or folder_fingerprint(folder)
    try:
        plan = discover(folder, plate_id)
    except PlateError as exc:
        return rejected_plate(folder, plate_id or exc.plate_id or folder.name, exc, now, previous_quarantine, fp)
    q = Quarantine(plan.config.plate_id, now, previous_quarantine)
    reuse = {r["path"]: r for r in previous.iter_rows(named=True)} if previous is not None else {}
    candidates, n_skipped = parse_names(plan, q)
    paths = [c.path for c in candidates]
    reads, size, depth = hash_and_decode(paths, reuse, workers, plan.config.image_size, max_pixels)
    images, n_new = image_rows(locate(candidates, reads, plan, q), plan, size, depth, q, now, since)
    quarantine = q.frame()
    unimaged = unimaged_wells(plan.platemap, images)
    if unimaged:
        logger.warning("%s: plate-map well(s) without images: %s", plan.config.plate_id, ", ".join(unimaged))
    plate = plate_row(
        plan.config.plate_id, "ingested", plan.layout, folder, images, n_new, quarantine.height, n_skipped, now, fp
    )
    logger.info(
        "%s: %d images (%d new), %d quarantined, layout %s",
        plan.config.plate_id,
        images.height,
        n_new,
        quarantine.height,
        plan.layout,
    )
    return IngestResult(plan.config.plate_id, plan.layout, images, quarantine, plate, tuple(unimaged))
