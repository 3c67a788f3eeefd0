"""Checking and repairing the lake's Delta tables: damaged commits, lost data files, time travel.

Two kinds of damage are found and mended, table by table:

- **A damaged commit** (a truncated or garbled ``_delta_log/<version>.json``, e.g. a
  disk that filled up mid-write): every read of the table fails. Repair moves that
  entry and any later ones out of ``_delta_log`` into ``_delta_log.damaged/`` (kept,
  never deleted), so the table is back at its last good version; the rows of the
  dropped commits are gone and their plates are re-ingested.
- **Lost data files** (a parquet file deleted or never synced): reads that touch it
  fail. Repair runs Delta's own file-system check (``DeltaTable.repair``), which
  commits the removal of the missing files; the partitions they belonged to are
  listed so that their plates can be re-ingested.

:func:`restore` goes back to any earlier version (Delta time travel) as a new commit.
Only local lakes can have their log entries moved aside; on object stores a damaged
commit is reported with the version to restore.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deltalake import DeltaTable

from phenodag.core.shared.lake import table_exists, table_uri

logger = logging.getLogger(__name__)

DAMAGED = "_delta_log.damaged"
"""Folder beside ``_delta_log`` where repair moves damaged commit entries."""


@dataclass
class TableHealth:
    """What :func:`check_table` found in one table."""

    name: str
    version: int | None = None
    damaged_versions: list[int] = field(default_factory=list)
    missing_files: list[str] = field(default_factory=list)
    partitions: list[dict[str, str]] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the table reads whole."""
        return not (self.damaged_versions or self.missing_files or self.error)

    def summary(self) -> str:
        """One line for the terminal."""
        if self.ok:
            return f"{self.name}: ok (version {self.version})"
        parts = []
        if self.damaged_versions:
            parts.append(f"damaged commit(s) {self.damaged_versions}")
        if self.missing_files:
            parts.append(f"{len(self.missing_files)} missing data file(s) in {self.partitions}")
        if self.error:
            parts.append(self.error)
        return f"{self.name}: " + "; ".join(parts)


def _log_dir(lake: str, name: str) -> Path:
    return Path(table_uri(lake, name)) / "_delta_log"


def damaged_versions(lake: str, name: str) -> list[int]:
    """Return the versions whose commit entry is not valid JSON lines (local lakes only)."""
    bad = []
    for entry in sorted(_log_dir(lake, name).glob("*.json")):
        try:
            for line in entry.read_text().splitlines():
                if line.strip():
                    json.loads(line)
        except (ValueError, UnicodeDecodeError):
            bad.append(int(entry.stem))
    return bad


def partitions_of(paths: list[str]) -> list[dict[str, str]]:
    """Return the distinct Hive partitions (``col=value`` folders) of data-file paths."""
    seen: list[dict[str, str]] = []
    for path in paths:
        part = dict(seg.split("=", 1) for seg in path.replace("\\", "/").split("/") if "=" in seg)
        if part and part not in seen:
            seen.append(part)
    return seen


def _local(lake: str) -> bool:
    return "://" not in lake or lake.startswith("file://")


def check_table(lake: str, name: str, storage_options: Mapping[str, str] | None = None) -> TableHealth:
    """Verify one table: its commit log parses and every data file it references exists."""
    health = TableHealth(name)
    opts = dict(storage_options or {})
    if _local(lake):
        health.damaged_versions = damaged_versions(lake, name)
    if health.damaged_versions:
        return health
    try:
        dt = DeltaTable(table_uri(lake, name), storage_options=opts)
        health.version = dt.version()
        report: dict[str, Any] = dt.repair(dry_run=True)
    except Exception as exc:  # the Delta kernel raises several types for a log it cannot read
        health.error = f"cannot open ({type(exc).__name__}: {' '.join(str(exc).split())[:200]})"
        return health
    health.missing_files = [str(f) for f in report.get("files_removed", [])]
    health.partitions = partitions_of(health.missing_files)
    return health


def check_lake(lake: str, names: list[str], storage_options: Mapping[str, str] | None = None) -> list[TableHealth]:
    """Check every existing table of ``names``."""
    return [check_table(lake, n, storage_options) for n in names if table_exists(lake, n, storage_options)]


def _drop_commits(lake: str, name: str, versions: list[int]) -> list[int]:
    """Move log entries from the first damaged version on into :data:`DAMAGED`; return the moved versions."""
    first = min(versions)
    log = _log_dir(lake, name)
    aside = log.parent / DAMAGED
    aside.mkdir(exist_ok=True)
    moved = []
    for entry in sorted(log.glob("*.json")) + sorted(log.glob("*.checkpoint*.parquet")):
        version = int(entry.name.split(".")[0])
        if version >= first:
            shutil.move(str(entry), aside / entry.name)
            moved.append(version)
    last = log / "_last_checkpoint"
    if last.exists():
        try:
            stale = json.loads(last.read_text()).get("version", -1) >= first
        except ValueError:
            stale = True
        if stale:
            shutil.move(str(last), aside / last.name)
    logger.warning("%s: moved commit(s) %s to %s; the table is back at version %d", name, moved, aside, first - 1)
    return sorted(set(moved))


def repair_table(lake: str, name: str, storage_options: Mapping[str, str] | None = None) -> TableHealth:
    """Mend one table (see the module docstring) and return what was found before mending.

    Raises
    ------
    RuntimeError
        If a damaged commit sits on an object store (restore a version instead), or
        the table still cannot be opened after its damaged commits are set aside.
    """
    health = check_table(lake, name, storage_options)
    if health.ok:
        return health
    opts = dict(storage_options or {})
    if health.damaged_versions:
        if not _local(lake):
            raise RuntimeError(f"{name}: damaged commit(s) {health.damaged_versions}; restore an earlier version")
        _drop_commits(lake, name, health.damaged_versions)
    after = check_table(lake, name, storage_options)
    if after.error:
        raise RuntimeError(f"{name}: still unreadable after setting damaged commits aside: {after.error}")
    if after.missing_files:
        DeltaTable(table_uri(lake, name), storage_options=opts).repair()
        logger.warning("%s: removed %d missing data file(s) from the log", name, len(after.missing_files))
        health.missing_files, health.partitions = after.missing_files, after.partitions
    return health


def restore(lake: str, name: str, version: int, storage_options: Mapping[str, str] | None = None) -> int:
    """Restore table ``name`` to ``version`` (Delta time travel, committed as a new version); return it."""
    dt = DeltaTable(table_uri(lake, name), storage_options=dict(storage_options or {}))
    dt.restore(version)
    logger.info("%s restored to version %d as version %d", name, version, dt.version())
    return dt.version()


def plates_to_reingest(lake: str, storage_options: Mapping[str, str] | None = None) -> list[str]:
    """Return the ingested plates whose ``raw_images`` rows no longer match the count in their ``plates`` row."""
    import polars as pl

    from phenodag.core.shared.lake import read_table
    from phenodag.core.shared.tables import read_known

    plates = read_known(lake, "plates", storage_options=storage_options).filter(pl.col("status") == "ingested")
    if not table_exists(lake, "raw_images", storage_options):
        return sorted(plates["plate_id"].to_list())
    counts = (
        read_table(lake, "raw_images", columns=["plate_id"], storage_options=storage_options).group_by("plate_id").len()
    )
    joined = plates.join(counts, on="plate_id", how="left").with_columns(pl.col("len").fill_null(0))
    return sorted(joined.filter(pl.col("len") != pl.col("n_images"))["plate_id"].to_list())
