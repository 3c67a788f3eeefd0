"""Profiles: one row per well and late time point, with the well's treatment, and the matrix of their vectors.

The comparison looks where drugs have acted longest: the time points within
``late_window_h`` of each plate's last one. A profile is a ``well_embeddings`` row
(the mean over a well's fields at one time point) joined to the well's treatment.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from phenodag.core.shared.normalise import normalise_profiles
from phenodag.core.shared.vectors import mean_vectors, read_embeddings
from phenodag.core.shared.vocab import PROFILE_NORMALISATIONS

TREATMENT = ["plate_id", "well", "cell_line", "compound", "concentration_um", "is_control", "replicate"]
PROFILE_COLUMNS = [*TREATMENT, "time_h", "vector"]


def late_profiles(
    well_embeddings: pl.DataFrame,
    raw_images: pl.DataFrame,
    late_window_h: float,
    normalisation: str = PROFILE_NORMALISATIONS[0],
) -> pl.DataFrame:
    """Profiles of the late time points of every plate, normalised to their plate's controls.

    Parameters
    ----------
    well_embeddings
        Rows of ``well_embeddings`` of one encoder.
    raw_images
        Rows of ``raw_images`` (their treatment columns are joined on plate and well).
    late_window_h
        Keep time points within this many hours of the plate's last time point.
    normalisation
        How vectors are normalised to their plate's control wells (every time point of
        the plate, before the late ones are kept): see
        :func:`~phenodag.core.shared.normalise.normalise_profiles`.

    Returns
    -------
    polars.DataFrame
        ``PROFILE_COLUMNS``; ``vector`` as a fixed-size float array.
    """
    wells = read_embeddings(well_embeddings)
    if wells.height == 0:
        return pl.DataFrame(schema={**raw_images.select(TREATMENT).schema, "time_h": pl.Float64})
    treatment = raw_images.select(TREATMENT).unique(["plate_id", "well"])
    joined = normalise_profiles(wells.join(treatment, on=["plate_id", "well"], how="inner"), normalisation)
    last = pl.col("time_h").max().over("plate_id")
    return (
        joined.filter(pl.col("time_h") >= last - late_window_h)
        .select(PROFILE_COLUMNS)
        .sort("plate_id", "well", "time_h")
    )


def at_top_concentration(profiles: pl.DataFrame) -> pl.DataFrame:
    """Keep the controls, and each compound's profiles at its highest concentration (per cell line)."""
    top = pl.col("concentration_um").max().over("cell_line", "compound")
    return profiles.filter(pl.col("is_control") | (pl.col("concentration_um") == top))


def well_means(profiles: pl.DataFrame) -> pl.DataFrame:
    """One profile per well: the mean of its late time points (column ``n_time_points`` counts them)."""
    return mean_vectors(profiles, TREATMENT, "n_time_points")


def vectors(profiles: pl.DataFrame) -> np.ndarray:
    """Return the (n, dim) float64 matrix of the profiles' vectors."""
    if profiles.height == 0:
        return np.zeros((0, 0))
    return np.asarray(profiles["vector"].to_numpy(), dtype=np.float64)
