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

Profiles are normalised to each plate's control wells first (``robust_z`` by default,
as every phenodag analysis reads them; ``none`` keeps the encoder's values, e.g. the
classical features in their own units), named in ``Metadata_Normalisation``. The
readout is the one the well embeddings were made with (``Metadata_WeightsId`` says
which weights).

:func:`write_profiles` writes Parquet (``.parquet``), CSV (``.csv``) or AnnData
(``.h5ad``: features in ``X``, the ``Metadata_*`` columns in ``obs``, the feature names
in ``var``; needs the optional ``anndata`` extra).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from phenodag.core.shared.normalise import normalise_profiles
from phenodag.core.shared.schemas import WELL_TREATMENT
from phenodag.core.shared.vectors import read_embeddings
from phenodag.core.shared.vocab import PROFILE_NORMALISATIONS, one_of

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
    "normalisation": "Metadata_Normalisation",
}
"""phenodag's columns and their names in the profiling tools' ``Metadata_*`` convention."""
FORMATS = (".parquet", ".csv", ".h5ad")


def feature_names(encoder: str, dim: int) -> list[str]:
    """Return the exported feature column names of ``encoder``'s ``dim``-long vectors."""
    from phenodag.core.embed.classical import CLASSICAL_FEATURES

    if encoder == "classical" and dim == len(CLASSICAL_FEATURES):
        return [f"classical_{name}" for name in CLASSICAL_FEATURES]
    return [f"{encoder}_{i:04d}" for i in range(dim)]


def export_profiles(
    well_embeddings: pl.DataFrame, raw_images: pl.DataFrame, normalisation: str = PROFILE_NORMALISATIONS[0]
) -> pl.DataFrame:
    """Return well profiles of one encoder as ``Metadata_*`` columns and one column per feature.

    Parameters
    ----------
    well_embeddings
        Rows of ``well_embeddings`` of one encoder.
    raw_images
        Rows of ``raw_images`` of the same plates (the wells' treatments).
    normalisation
        One of ``PROFILE_NORMALISATIONS``, fitted on each plate's control wells.

    Raises
    ------
    ValueError
        If the rows hold more than one encoder (their features would not line up).
    """
    one_of("normalisation", normalisation, PROFILE_NORMALISATIONS)
    encoders = well_embeddings["encoder"].unique().to_list()
    if len(encoders) > 1:
        raise ValueError(f"profiles of one encoder at a time; these rows hold {sorted(encoders)}")
    treatment = raw_images.select(WELL_TREATMENT).unique(["plate_id", "well"])
    wells = read_embeddings(well_embeddings).join(treatment, on=["plate_id", "well"], how="left")
    if wells.height == 0:
        return pl.DataFrame(schema={name: pl.String for name in METADATA.values()})
    wells = normalise_profiles(wells.with_columns(pl.col("is_control").fill_null(False)), normalisation)
    wells = wells.with_columns(normalisation=pl.lit(normalisation))
    dim = wells.schema["vector"].size  # type: ignore[attr-defined]
    names = feature_names(encoders[0], dim)
    features = wells.select(pl.col("vector").arr.to_struct(fields=names)).unnest("vector")
    meta = wells.select([pl.col(c).alias(alias) for c, alias in METADATA.items()])
    return pl.concat([meta, features], how="horizontal").sort("Metadata_Plate", "Metadata_Well", "Metadata_TimeH")


def write_profiles(profiles: pl.DataFrame, out: Path) -> Path:
    """Write exported profiles as Parquet, CSV or AnnData, by ``out``'s suffix; return ``out``.

    Raises
    ------
    ValueError
        For another suffix, or ``.h5ad`` without the ``anndata`` package (``pip install
        'phenodag[anndata]'``).
    """
    suffix = out.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{out}: write profiles as {', '.join(FORMATS)}, not {out.suffix or 'no suffix'!r}")
    out.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        profiles.write_csv(out)
    elif suffix == ".h5ad":
        _write_h5ad(profiles, out)
    else:
        profiles.write_parquet(out)
    return out


def export_uri(lake_root: str, encoder: str, normalisation: str) -> str:
    """Return where ``profile_export`` writes profiles: ``<lake>/exports/profiles_<encoder>_<norm>.parquet``."""
    return f"{lake_root.rstrip('/')}/exports/profiles_{encoder}_{normalisation}.parquet"


def write_profiles_uri(profiles: pl.DataFrame, uri: str, storage_options: dict[str, str] | None = None) -> str:
    """Write profiles as Parquet to a folder path or an object-store URI (the lake's storage options); return it."""
    if "://" in uri:
        profiles.write_parquet(uri, storage_options=storage_options or None)
        return uri
    return str(write_profiles(profiles, Path(uri)))


def _write_h5ad(profiles: pl.DataFrame, out: Path) -> None:
    """AnnData with the features in ``X`` (float32), ``Metadata_*`` in ``obs`` (one row per well and time)."""
    try:
        import anndata
    except ImportError:
        raise ValueError(f"{out}: writing .h5ad needs the anndata package: pip install 'phenodag[anndata]'") from None
    meta = [c for c in profiles.columns if c.startswith("Metadata_")]
    features = [c for c in profiles.columns if c not in meta]
    import pandas as pd

    # pandas 3 stores text as Arrow strings, which anndata's writer refuses: plain objects here
    keys = profiles.select("Metadata_Plate", "Metadata_Well", "Metadata_TimeH").iter_rows()
    obs = pd.DataFrame(
        {c: profiles[c].to_list() for c in meta},
        index=pd.Index([f"{p}:{w}:{t:g}" for p, w, t in keys], dtype=object),
    )
    for column in obs.columns:
        if profiles.schema[column] == pl.String:
            obs[column] = obs[column].astype(object)
    var = pd.DataFrame(index=pd.Index(features, dtype=object))
    matrix = profiles.select(features).to_numpy().astype("float32")
    anndata.AnnData(X=matrix, obs=obs, var=var).write_h5ad(out)
