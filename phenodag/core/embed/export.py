"""Profiles that leave in the field's format: one row per well and time, ``Metadata_*`` columns, one column per feature.

The profiling tools (pycytominer, copairs, CytoTable outputs) read a flat table whose
metadata columns start with ``Metadata_`` and whose other columns are features. phenodag
keeps a well's profile as one vector column (``well_embeddings``); :func:`export_profiles`
spreads it into named feature columns and joins the well's treatment:

- ``Metadata_Plate``, ``Metadata_Well``, ``Metadata_TimeH``, ``Metadata_CellLine``,
  ``Metadata_Compound``, ``Metadata_ConcentrationUM``, ``Metadata_IsControl``,
  ``Metadata_Encoder``, ``Metadata_WeightsId``, ``Metadata_NFields``;
- features named after the classical encoder's features (``classical_confluence``...)
  or, for learned encoders, ``<encoder>_0000``, ``<encoder>_0001``...

:func:`write_profiles` writes Parquet (``.parquet``) or CSV (``.csv``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from phenodag.core.shared.schemas import WELL_TREATMENT
from phenodag.core.shared.vectors import read_embeddings

METADATA = {
    "plate_id": "Metadata_Plate",
    "well": "Metadata_Well",
    "time_h": "Metadata_TimeH",
    "cell_line": "Metadata_CellLine",
    "compound": "Metadata_Compound",
    "concentration_um": "Metadata_ConcentrationUM",
    "is_control": "Metadata_IsControl",
    "encoder": "Metadata_Encoder",
    "weights_id": "Metadata_WeightsId",
    "n_fields": "Metadata_NFields",
}
"""phenodag's columns and their names in the profiling tools' ``Metadata_*`` convention."""
FORMATS = (".parquet", ".csv")


def feature_names(encoder: str, dim: int) -> list[str]:
    """Return the exported feature column names of ``encoder``'s ``dim``-long vectors."""
    from phenodag.core.embed.classical import CLASSICAL_FEATURES

    if encoder == "classical" and dim == len(CLASSICAL_FEATURES):
        return [f"classical_{name}" for name in CLASSICAL_FEATURES]
    return [f"{encoder}_{i:04d}" for i in range(dim)]


def export_profiles(well_embeddings: pl.DataFrame, raw_images: pl.DataFrame) -> pl.DataFrame:
    """Return well profiles of one encoder as ``Metadata_*`` columns and one column per feature.

    Parameters
    ----------
    well_embeddings
        Rows of ``well_embeddings`` of one encoder.
    raw_images
        Rows of ``raw_images`` of the same plates (the wells' treatments).

    Raises
    ------
    ValueError
        If the rows hold more than one encoder (their features would not line up).
    """
    encoders = well_embeddings["encoder"].unique().to_list()
    if len(encoders) > 1:
        raise ValueError(f"profiles of one encoder at a time; these rows hold {sorted(encoders)}")
    treatment = raw_images.select(WELL_TREATMENT).unique(["plate_id", "well"])
    wells = read_embeddings(well_embeddings).join(treatment, on=["plate_id", "well"], how="left")
    if wells.height == 0:
        return pl.DataFrame(schema={name: pl.String for name in METADATA.values()})
    dim = wells.schema["vector"].size  # type: ignore[attr-defined]
    names = feature_names(encoders[0], dim)
    features = wells.select(pl.col("vector").arr.to_struct(fields=names)).unnest("vector")
    meta = wells.select([pl.col(c).alias(alias) for c, alias in METADATA.items()])
    return pl.concat([meta, features], how="horizontal").sort("Metadata_Plate", "Metadata_Well", "Metadata_TimeH")


def write_profiles(profiles: pl.DataFrame, out: Path) -> Path:
    """Write exported profiles as Parquet or CSV, by ``out``'s suffix; return ``out``."""
    if out.suffix.lower() not in FORMATS:
        raise ValueError(f"{out}: write profiles as {' or '.join(FORMATS)}, not {out.suffix or 'no suffix'!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        profiles.write_csv(out)
    else:
        profiles.write_parquet(out)
    return out
