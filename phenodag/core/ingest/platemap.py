"""A plate folder's own description: ``plate.yaml`` (optional) and its plate map CSV.

``plate.yaml`` keys, all optional:

``plate_id``
    Defaults to the folder name.
``layout``
    One of :data:`phenodag.core.ingest.layouts.LAYOUTS`; auto-detected when absent.
``pattern``
    The regex of the ``regex`` layout.
``platemap``
    Plate map file name relative to the folder (default ``platemap.csv``).
``treatment_time``
    Plate-level treatment time: an ISO date-time for absolute timestamps, or hours
    of elapsed imaging time for elapsed layouts. A ``treatment_time`` column in the
    plate map takes precedence per well.
``timepoints`` / ``timepoints_file``
    Time-point index → hours since treatment (CV8000): a mapping here, or a CSV with
    columns ``timepoint,time_h`` (default ``timepoints.csv`` when present). Without
    either, a plate map column ``time_h`` gives each well's time (end-point plates).
``channel``
    The phase-contrast channel of multi-channel exports (default 1); files of other
    channels are skipped and counted, not quarantined.
``image_size``
    ``[width, height]`` every image must have; by default the most common size of
    the plate's images.
``control_compounds``
    Compound names that mark control wells when the plate map has no ``is_control``
    column (default DMSO, PBS, control, untreated, none; case-insensitive).
``allow_outside_links``
    ``true`` lets image files be symbolic links that resolve outside the plate
    folder (for instruments that write links into a shared store); by default such
    links are quarantined. Links inside the folder are always followed.

Values are checked against :class:`PlateYaml` (a wrong type rejects the plate with
the key named); an unknown key (``layuot``) is logged as a warning with the nearest
known key.
"""

from __future__ import annotations

import csv
import difflib
import logging
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import polars as pl
import yaml
from pydantic import BaseModel, ConfigDict, Field, PositiveInt, ValidationError, field_validator

from phenodag.core.ingest.layouts import LAYOUTS, normalize_well
from phenodag.core.ingest.platemap_text import WHERE, PlatemapTextError, find_platemap, read_platemap_text

logger = logging.getLogger(__name__)

PLATE_YAML = "plate.yaml"
DEFAULT_PLATEMAP = "platemap.csv"
DEFAULT_TIMEPOINTS = "timepoints.csv"
DEFAULT_CONTROLS = ("dmso", "pbs", "control", "untreated", "none")
REQUIRED_COLUMNS = ("well", "cell_line", "compound", "concentration_um", "replicate")
MAX_PLATE_ID = 128
"""Longest plate id: a partition folder name ``plate_id=<id>`` must fit the file system's 255 bytes."""
_PLATE_ID = re.compile(rf"^[A-Za-z0-9][A-Za-z0-9_.\- ]{{0,{MAX_PLATE_ID - 1}}}$")

PLATEMAP_SCHEMA: dict[str, Any] = {
    "well": pl.String,
    "cell_line": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "replicate": pl.Int32,
    "is_control": pl.Boolean,
    "treatment_time": pl.String,
    "time_h": pl.Float64,
    "problem": pl.String,
}
"""Columns of a read plate map; ``problem`` says why a well cannot land (null when it can)."""
WELL_FIELDS = ("cell_line", "compound", "replicate")
"""Plate-map cells every well must fill; a blank one keeps that well's images out."""


class PlateError(ValueError):
    """A plate-level problem (config, plate map, plate id); nothing of the plate can land."""

    def __init__(self, path: Path | str, reason: str, plate_id: str | None = None) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason
        self.plate_id = plate_id


def validate_plate_id(plate_id: str, source: Path | str) -> str:
    """Return ``plate_id`` if it is a safe partition key, else raise :class:`PlateError`.

    Safe ids start with a letter or digit and hold only letters, digits, ``_ . -``
    and spaces (at most 128 characters), so they never name a path outside the lake
    or inbox (``../x``, ``a/b``).
    """
    if not _PLATE_ID.fullmatch(plate_id) or ".." in plate_id:
        shown = repr(plate_id) if len(plate_id) <= 60 else f"{plate_id[:40]!r}... ({len(plate_id)} characters)"
        raise PlateError(
            source,
            f"plate id {shown} is not allowed (letters, digits, '_', '.', '-', space; no '..' or '/'; "
            f"at most {MAX_PLATE_ID} characters)",
            plate_id=plate_id,
        )
    return plate_id


class PlateYaml(BaseModel):
    """The schema of ``plate.yaml`` (see the module docstring); types are checked, unknown keys warned."""

    model_config = ConfigDict(extra="allow", frozen=True)

    plate_id: str | None = None
    layout: str | None = None
    pattern: str | None = None
    platemap: str = DEFAULT_PLATEMAP
    treatment_time: str | float | datetime | None = None
    timepoints: dict[int, float] | None = None
    timepoints_file: str | None = None
    channel: int = Field(default=1, ge=0)
    image_size: tuple[PositiveInt, PositiveInt] | None = None
    control_compounds: tuple[str, ...] = DEFAULT_CONTROLS
    allow_outside_links: bool = False

    @field_validator("plate_id", "pattern", "platemap", "timepoints_file", mode="before")
    @classmethod
    def _text(cls, value: Any) -> Any:
        return None if value is None else str(value)


PLATE_YAML_KEYS = tuple(PlateYaml.model_fields)


class PlateConfig(PlateYaml):
    """A plate folder's ``plate.yaml`` resolved: its folder and plate id, time points read, names settled.

    The keys are :class:`PlateYaml`'s, defined there once; resolving makes ``plate_id``
    the partition key, reads ``timepoints`` (inline or from the timepoints file), writes
    ``treatment_time`` as text and lower-cases the control compound names.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    folder: Path
    plate_id: str
    treatment_time: str | None = None
    timepoints: dict[int, float] = Field(default_factory=dict)


def _unknown_keys(raw: dict[str, Any], path: Path) -> None:
    for key in raw:
        if key not in PLATE_YAML_KEYS:
            near = difflib.get_close_matches(str(key), PLATE_YAML_KEYS, n=1)
            hint = f" (did you mean {near[0]!r}?)" if near else ""
            logger.warning("%s: unknown key %r ignored%s; known keys: %s", path, key, hint, ", ".join(PLATE_YAML_KEYS))


def _validated(raw: dict[str, Any], path: Path) -> PlateYaml:
    try:
        parsed = PlateYaml.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'plate.yaml'}: {err['msg']} (got {err.get('input')!r:.60})"
            for err in exc.errors()
        )
        raise PlateError(path, f"invalid plate.yaml: {problems}") from None
    _unknown_keys(raw, path)
    return parsed


def _timepoints(folder: Path, cfg: PlateYaml) -> dict[int, float]:
    if cfg.timepoints:
        return dict(cfg.timepoints)
    path = folder / (cfg.timepoints_file or DEFAULT_TIMEPOINTS)
    if not path.exists():
        if cfg.timepoints_file is not None:
            raise PlateError(path, "timepoints file named in plate.yaml does not exist")
        return {}
    try:
        df = pl.read_csv(path)
        return dict(zip(df["timepoint"].cast(pl.Int64).to_list(), df["time_h"].cast(pl.Float64).to_list(), strict=True))
    except Exception as exc:
        raise PlateError(path, f"cannot read time points (columns timepoint,time_h): {exc}") from exc


def read_plate_config(folder: Path, plate_id: str | None = None) -> PlateConfig:
    """Read ``plate.yaml`` of ``folder`` (if any) into a :class:`PlateConfig`.

    Parameters
    ----------
    folder
        The plate folder.
    plate_id
        The requested plate id (a partition key); replaces the folder name, and must
        agree with ``plate.yaml``'s ``plate_id`` where that is given.

    Raises
    ------
    PlateError
        If plate.yaml is malformed or fails its schema (:class:`PlateYaml`; unknown
        keys are only warned, by name), names an unknown layout, a plate id is
        unsafe, or the requested id disagrees with plate.yaml.
    """
    path = folder / PLATE_YAML
    raw: dict[str, Any] = {}
    if path.is_file():
        try:
            loaded = yaml.safe_load(path.read_text())
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise PlateError(path, f"invalid YAML: {exc}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise PlateError(path, "must be a mapping of keys to values")
        raw = loaded or {}
    elif path.exists() or path.is_symlink():
        raise PlateError(path, "plate.yaml is not a regular file")
    cfg = _validated(raw, path)
    source = path if path.exists() else folder
    if cfg.plate_id is not None:
        validate_plate_id(cfg.plate_id, path)
    pid = validate_plate_id(str(plate_id or cfg.plate_id or folder.name), source)
    if cfg.plate_id is not None and plate_id is not None and cfg.plate_id != plate_id:
        raise PlateError(
            path, f"plate.yaml names plate_id {cfg.plate_id!r}, but plate {plate_id!r} was requested", plate_id
        )
    if cfg.layout is not None and cfg.layout not in LAYOUTS:
        raise PlateError(path, f"unknown layout {cfg.layout!r}; expected one of {list(LAYOUTS)}")
    treatment = cfg.treatment_time
    if isinstance(treatment, datetime):
        treatment = treatment.isoformat()
    known = cfg.model_dump(
        include=set(PLATE_YAML_KEYS) - {"plate_id", "treatment_time", "timepoints", "control_compounds"}
    )
    return PlateConfig(
        **known,
        folder=folder,
        plate_id=pid,
        treatment_time=None if treatment is None else str(treatment),
        timepoints=_timepoints(folder, cfg),
        control_compounds=tuple(c.lower() for c in cfg.control_compounds),
    )


def read_platemap(config: PlateConfig) -> pl.DataFrame:
    """Read and check the plate map: one row per well, canonical well names.

    Returns
    -------
    polars.DataFrame
        Columns of :data:`PLATEMAP_SCHEMA`; ``is_control`` derived from the compound
        name when the file has no such column; absent optional columns are null.

    Raises
    ------
    PlateError
        If the file is missing or unreadable, lacks a required column, has an
        invalid or repeated well, or an invalid number.
    """
    found = find_platemap(config.folder, config.platemap)
    path = found or config.folder / config.platemap
    if found is None:
        raise PlateError(path, "plate map not found (name another file with 'platemap' in plate.yaml)")
    try:
        df = read_platemap_text(found)
    except PlatemapTextError as exc:
        raise PlateError(path, str(exc)) from None
    except (OSError, csv.Error) as exc:
        raise PlateError(path, f"cannot read plate map: {exc}") from exc
    missing = [c for c in REQUIRED_COLUMNS if c not in df.columns]
    if missing:
        raise PlateError(path, f"plate map lacks column(s) {missing}; it has {df.columns}")
    wells: dict[str, str] = {}
    canonical = []
    for line, well in zip(df[WHERE].to_list(), df["well"].to_list(), strict=True):
        try:
            name = normalize_well(well or "")[0]
        except ValueError as exc:
            raise PlateError(path, f"{line}: {exc}") from exc
        if name in wells:
            raise PlateError(path, f"well {name} appears on {wells[name]} and {line}; one row per well")
        wells[name] = line
        canonical.append(name)
    df = df.with_columns(pl.Series("well", canonical))
    if "is_control" not in df.columns:
        controls = list(config.control_compounds)
        df = df.with_columns(
            is_control=pl.col("compound").str.strip_chars().str.to_lowercase().is_in(controls).fill_null(False)
        )
    else:
        df = df.with_columns(
            is_control=pl.col("is_control").str.strip_chars().str.to_lowercase().is_in(["1", "true", "yes"])
        )
    df = df.with_columns(problem=_well_problems(df, path))
    for col in PLATEMAP_SCHEMA:
        if col not in df.columns:
            df = df.with_columns(pl.lit(None).alias(col))
    for column, dtype in PLATEMAP_SCHEMA.items():
        _check_numbers(df, column, dtype, path)
    return df.select(
        [pl.col(c).cast(t, strict=False) if t != pl.Boolean else pl.col(c) for c, t in PLATEMAP_SCHEMA.items()]
    )


NUMBER_WORDS = {pl.Int32: "a whole number (e.g. 1)", pl.Float64: "a number (e.g. 0.5)"}
"""What a numeric plate-map column expects, in words."""


def _check_numbers(df: pl.DataFrame, column: str, dtype: Any, path: Path) -> None:
    """Raise :class:`PlateError` naming the first cell of a numeric ``column`` that is not a number of ``dtype``."""
    if dtype not in NUMBER_WORDS or df.schema[column] != pl.String:
        return
    text = df[column].str.strip_chars()
    cast = text.cast(dtype, strict=False)
    bad = (text.is_not_null() & (text != "") & cast.is_null()).arg_true()
    if bad.len():
        i = int(bad[0])
        raise PlateError(path, f"{df[WHERE][i]}, column {column!r}: {text[i]!r} is not {NUMBER_WORDS[dtype]}")


def _well_problems(df: pl.DataFrame, path: Path) -> pl.Series:
    """Why each plate-map row cannot land: a blank required cell, or a treated well without concentration.

    ``df`` holds the plate map's text cells and its settled boolean ``is_control``.
    """
    problems: list[str | None] = []
    for row in df.iter_rows(named=True):
        blank = [c for c in WELL_FIELDS if not (row.get(c) or "").strip()]
        if (
            (row.get("compound") or "").strip()
            and not row["is_control"]
            and not (row.get("concentration_um") or "").strip()
        ):
            blank.append("concentration_um")
        problems.append(f"{path.name} {row[WHERE]}: well {row['well']} has no {', '.join(blank)}" if blank else None)
    return pl.Series("problem", problems, dtype=pl.String)


def parse_treatment_time(value: str | None, source: Path | str) -> datetime | float | None:
    """Read a treatment time: hours (a number) or an ISO date-time; None when absent."""
    if value is None or value == "":
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value)
    except ValueError as exc:
        raise PlateError(source, f"treatment_time {value!r} is neither hours nor an ISO date-time") from exc
