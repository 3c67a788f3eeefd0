"""Delta tables of the lake: partition-scoped overwrite, append, filtered reads, history.

Every table lives at ``<lake>/<table_name>``. The lake is a local folder or an
object-store URI understood by deltalake (``s3://``, ``az://``, ``gs://``); storage
options pass straight through (for ``s3://`` they come from
:func:`~phenodag.core.shared.settings.lake_storage_options`: endpoint, region and
conditional-put commits, so concurrent writers of one table never lose a commit).
Writes are atomic Delta commits: a failed write leaves the previous version intact,
and a partition overwrite replaces only the rows that match its predicate.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import polars as pl
from deltalake import DeltaTable, write_deltalake
from deltalake.exceptions import DeltaError

logger = logging.getLogger(__name__)

PartitionValue = str | int | float | bool


class LakeError(RuntimeError):
    """A table of the lake cannot be read; the message names it and says how to recover."""

    def __init__(self, name: str, uri: str, exc: BaseException) -> None:
        cause = " ".join(str(exc).split())[:300]
        super().__init__(
            f"table {name!r} at {uri} cannot be read ({type(exc).__name__}: {cause}). "
            "Run 'phenodag lake check' to see which files or commits are damaged, and 'phenodag lake repair' "
            "to restore the table's last good version and re-ingest the plates whose files are gone."
        )
        self.name = name
        self.uri = uri


@dataclass(frozen=True)
class WriteInfo:
    """Outcome of one write: where, which Delta version, how many rows were written."""

    uri: str
    version: int
    rows: int


def table_uri(lake: str, name: str) -> str:
    """Return the URI of table ``name`` in ``lake``.

    Parameters
    ----------
    lake
        Lake root: a local path or an object-store URI.
    name
        Table name; letters, digits and underscores only.

    Returns
    -------
    str
        ``<lake>/<name>``.
    """
    if not name or not all(c.isalnum() or c == "_" for c in name):
        raise ValueError(f"table name {name!r} must be letters, digits and underscores")
    return f"{lake.rstrip('/')}/{name}"


def _sql_literal(value: PartitionValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def partition_predicate(partition: Mapping[str, PartitionValue]) -> str:
    """Return the SQL predicate selecting one partition, e.g. ``plate_id = 'P1'``."""
    if not partition:
        raise ValueError("a partition needs at least one column")
    return " AND ".join(f"{col} = {_sql_literal(val)}" for col, val in partition.items())


def table_exists(lake: str, name: str, storage_options: Mapping[str, str] | None = None) -> bool:
    """Tell whether ``name`` is a Delta table in ``lake``."""
    return DeltaTable.is_deltatable(table_uri(lake, name), storage_options=dict(storage_options or {}))


def _check_partition_rows(df: pl.DataFrame, partition: Mapping[str, PartitionValue], name: str) -> None:
    for col, val in partition.items():
        if col not in df.columns:
            raise ValueError(f"table {name}: partition column {col!r} is missing from the data")
        stray = df.filter(pl.col(col) != val).height
        if stray:
            raise ValueError(
                f"table {name}: {stray} row(s) have {col} != {val!r}; "
                "a partition write may only hold rows of that partition"
            )


def write_partition(
    lake: str,
    name: str,
    df: pl.DataFrame,
    partition: Mapping[str, PartitionValue],
    storage_options: Mapping[str, str] | None = None,
) -> WriteInfo:
    """Replace one partition of a table with ``df``, leaving every other partition alone.

    Parameters
    ----------
    lake, name
        Where the table lives (created on first write, partitioned by the keys of
        ``partition``).
    df
        The partition's complete new content. Every row must carry the partition's
        values; an empty frame deletes the partition's rows.
    partition
        Column → value of the partition, e.g. ``{"plate_id": "P1"}``.
    storage_options
        Passed to deltalake for object stores.

    Returns
    -------
    WriteInfo
        URI, new Delta version and rows written.
    """
    uri = table_uri(lake, name)
    opts = dict(storage_options or {})
    _check_partition_rows(df, partition, name)
    predicate = partition_predicate(partition)
    if df.height == 0 and DeltaTable.is_deltatable(uri, storage_options=opts):
        dt = DeltaTable(uri, storage_options=opts)
        dt.delete(predicate)
        logger.info("cleared partition %s of %s", predicate, uri)
        return WriteInfo(uri=uri, version=dt.version(), rows=0)
    return _write(uri, df, opts, mode="overwrite", partition_by=list(partition), predicate=predicate)


def delta_compatible(df: pl.DataFrame) -> pl.DataFrame:
    """Cast fixed-size array columns to lists: Delta has no fixed-size list type.

    Vectors keep their length; readers that want ``pl.Array`` cast back (see
    :func:`phenodag.core.embed.pipeline.read_embeddings`).
    """
    casts: dict[str, pl.DataType] = {
        c: pl.List(t.inner) for c, t in df.schema.items() if isinstance(t, pl.Array) and t.inner is not None
    }
    return df.cast(casts) if casts else df  # type: ignore[arg-type]


def _write(uri: str, df: pl.DataFrame, opts: dict[str, str], **kwargs: Any) -> WriteInfo:
    write_deltalake(uri, delta_compatible(df).to_arrow(), storage_options=opts, **kwargs)
    version = DeltaTable(uri, storage_options=opts).version()
    logger.info("%s: %d rows to %s (version %d)", kwargs["mode"], df.height, uri, version)
    return WriteInfo(uri=uri, version=version, rows=df.height)


def write_table(
    lake: str,
    name: str,
    df: pl.DataFrame,
    storage_options: Mapping[str, str] | None = None,
) -> WriteInfo:
    """Overwrite a whole unpartitioned table (derived tables such as SQL models), schema included."""
    return _write(table_uri(lake, name), df, dict(storage_options or {}), mode="overwrite", schema_mode="overwrite")


def read_table(
    lake: str,
    name: str,
    filters: Mapping[str, PartitionValue | Sequence[PartitionValue]] | None = None,
    columns: Sequence[str] | None = None,
    version: int | None = None,
    storage_options: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Read a table, keeping only rows whose columns match ``filters``.

    Parameters
    ----------
    filters
        Column → value or list of values; filters on partition columns prune files,
        so reading several plates at once reads only their partitions.
    columns
        Columns to return (all by default).
    version
        A past Delta version to read (time travel); the latest by default.

    Returns
    -------
    polars.DataFrame
        The matching rows.

    Raises
    ------
    FileNotFoundError
        If the table does not exist.
    LakeError
        If the table exists but its log or a data file it needs is damaged or gone.
    """
    uri = table_uri(lake, name)
    opts = dict(storage_options or {})
    if not DeltaTable.is_deltatable(uri, storage_options=opts):
        raise FileNotFoundError(f"no Delta table {name!r} at {uri}")
    try:
        lf = pl.scan_delta(uri, version=version, storage_options=opts or None)
        for col, val in (filters or {}).items():
            values: list[Any] = list(val) if isinstance(val, list | tuple | set) else [val]
            lf = lf.filter(pl.col(col).is_in(values))
        if columns is not None:
            lf = lf.select(list(columns))
        return lf.collect()
    except (OSError, pl.exceptions.PolarsError, DeltaError) as exc:
        raise LakeError(name, uri, exc) from exc


def read_table_or_empty(
    lake: str,
    name: str,
    schema: Mapping[str, pl.DataType | type[pl.DataType]],
    filters: Mapping[str, PartitionValue | Sequence[PartitionValue]] | None = None,
    storage_options: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Like :func:`read_table`, but an absent table reads as an empty frame of ``schema``."""
    if not table_exists(lake, name, storage_options):
        return pl.DataFrame(schema=dict(schema))
    return read_table(lake, name, filters=filters, storage_options=storage_options)


def list_versions(lake: str, name: str, storage_options: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Return the table's commit history, newest first (version, timestamp, operation, ...)."""
    dt = DeltaTable(table_uri(lake, name), storage_options=dict(storage_options or {}))
    return list(dt.history())
