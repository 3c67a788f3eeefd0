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

import logging
import os
import re
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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
from phenodag.core.shared.files import sha256_file
from phenodag.core.shared.images import IMAGE_SUFFIXES, ImageDecodeError, decode_image, image_info
from phenodag.core.shared.schemas import RAW_IMAGES_SCHEMA

logger = logging.getLogger(__name__)

TIME_DECIMALS = 4
WELL_COLUMNS = ("cell_line", "compound", "concentration_um", "is_control", "replicate")


@dataclass(frozen=True)
class _Candidate:
    path: Path
    parsed: ParsedName


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
    sha256: str
    info: dict[str, Any]
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
    """Parse every file name with the layout; returns the candidates and the count of other channels skipped."""
    candidates: list[_Candidate] = []
    n_skipped = 0
    for path in plan.files:
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


def hash_and_decode(
    candidates: list[_Candidate], reuse: dict[str, dict[str, Any]], workers: int
) -> list[tuple[str, dict[str, Any] | None, str | None]]:
    """Hash every candidate and decode the new or changed ones, in ``workers`` threads."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda c: _hash_and_decode(c.path, reuse), candidates))


def locate(
    candidates: list[_Candidate],
    decoded: list[tuple[str, dict[str, Any] | None, str | None]],
    plan: _Plan,
    q: Quarantine,
) -> list[_Located]:
    """Join each decoded image to its plate-map well and resolve its hours since treatment."""
    wells = {r["well"]: r for r in plan.platemap.iter_rows(named=True)}
    located: list[_Located] = []
    for cand, (digest, info, error) in zip(candidates, decoded, strict=True):
        if error is not None or info is None:
            q.add(cand.path, "decode", error or "cannot decode")
            continue
        well_row = wells.get(cand.parsed.well)
        if well_row is None:
            q.add(cand.path, "unmapped_well", f"well {cand.parsed.well} is not in {plan.config.platemap}")
            continue
        try:
            time_h = round(_resolve_time(cand.parsed, well_row, plan.config), TIME_DECIMALS)
        except ValueError as exc:
            q.add(cand.path, "time", f"{cand.path.name}: {exc}")
            continue
        located.append(_Located(cand, digest, info, well_row, time_h))
    return located


def image_rows(
    located: list[_Located], plan: _Plan, reuse: dict[str, dict[str, Any]], q: Quarantine
) -> tuple[pl.DataFrame, int]:
    """Rows of ``raw_images``: images off the plate's size and duplicates are quarantined.

    Returns
    -------
    images, n_new
        The rows sorted by well, site, time and path, and how many were not in ``reuse``.
    """
    sizes = Counter((loc.info["width"], loc.info["height"]) for loc in located)
    expected = plan.config.image_size or (sizes.most_common(1)[0][0] if sizes else None)
    by_hash: dict[str, Path] = {}
    by_key: dict[tuple[str, int, float], Path] = {}
    rows: list[dict[str, Any]] = []
    n_new = 0
    for loc in located:
        cand, info = loc.candidate, loc.info
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
        key = (cand.parsed.well, cand.parsed.site, loc.time_h)
        first = by_hash.get(loc.sha256) or by_key.get(key)
        if first is not None:
            q.add(cand.path, "duplicate", f"duplicate of {first} (same content or same well, site and time)")
            continue
        by_hash[loc.sha256] = by_key[key] = cand.path
        n_new += str(cand.path) not in reuse or reuse[str(cand.path)]["sha256"] != loc.sha256
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
                "sha256": loc.sha256,
                "width": info["width"],
                "height": info["height"],
                "bit_depth": info["bit_depth"],
                "status": "ok",
            }
        )
    return pl.DataFrame(rows, schema=RAW_IMAGES_SCHEMA).sort("well", "site", "time_h", "path"), n_new


def ingest_plate(
    folder: str | Path | None,
    plate_id: str | None = None,
    previous: pl.DataFrame | None = None,
    previous_quarantine: pl.DataFrame | None = None,
    workers: int = 2,
    now: datetime | None = None,
    fingerprint: str | None = None,
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

    Returns
    -------
    IngestResult
        The plate's rows; ``images`` sorted by well, site, time.
    """
    now = now or datetime.now(UTC)
    where = Path(folder).resolve() if folder is not None else Path(plate_id or ".")
    try:
        if plate_id is not None:
            validate_plate_id(plate_id, where)
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
    decoded = hash_and_decode(candidates, reuse, workers)
    images, n_new = image_rows(locate(candidates, decoded, plan, q), plan, reuse, q)
    quarantine = q.frame()
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
    return IngestResult(plan.config.plate_id, plan.layout, images, quarantine, plate)
