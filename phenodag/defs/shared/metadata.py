"""Metadata helpers shared by assets: table previews and write outcomes for the UI."""

from typing import Any

import dagster as dg
import polars as pl

from phenodag.core.shared.lake import WriteInfo


def markdown_table(df: pl.DataFrame, limit: int = 10) -> str:
    """Render the first ``limit`` rows of ``df`` as a markdown table."""
    head = df.head(limit)
    cells = [[("" if v is None else str(v)).replace("|", "\\|") for v in row] for row in head.iter_rows()]
    lines = ["| " + " | ".join(head.columns) + " |", "|" + "---|" * len(head.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells]
    if df.height > limit:
        lines.append(f"\n… {df.height - limit} more rows")
    return "\n".join(lines)


def write_metadata(info: WriteInfo, df: pl.DataFrame) -> dict[str, Any]:
    """Metadata of one Delta write: rows, version, where the table is and a preview.

    A table of a local lake is named by its path relative to the lake root
    (``PHENODAG_LAKE``), so the metadata stays right when the home moves; an object
    store's table by its URI.
    """
    where = (
        {"uri": dg.MetadataValue.url(info.uri)}
        if "://" in info.uri
        else {"table_in_lake": dg.MetadataValue.path(info.uri.rstrip("/").rsplit("/", 1)[-1])}
    )
    return {
        "dagster/row_count": dg.MetadataValue.int(info.rows),
        "delta_version": dg.MetadataValue.int(info.version),
        **where,
        "preview": dg.MetadataValue.md(markdown_table(df)),
    }


def markdown_image(png: bytes, alt: str) -> str:
    """Embed a PNG in markdown metadata as a data URI (drawn behind the UI's "Show Markdown")."""
    import base64

    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"
