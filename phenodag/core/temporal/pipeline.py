"""The clustering stage end to end: trajectories → series → DTW k-means → response types → switches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from phenodag.core.temporal.annotate import annotate, concentration_switches, shape_type
from phenodag.core.temporal.clustering import Clustering, Series, dtw_kmeans, normalise, to_series

CLUSTERS_SCHEMA = {
    "cell_line": pl.String,
    "compound": pl.String,
    "concentration_um": pl.Float64,
    "encoder": pl.String,
    "cluster": pl.Int32,
    "response_type": pl.String,
    "cluster_type": pl.String,
    "distance_to_centroid": pl.Float64,
    "effect_size": pl.Float64,
}


@dataclass(frozen=True)
class TemporalResult:
    """Rows of ``temporal_clusters``, the k scan, the switches, and what the figures need."""

    clusters: pl.DataFrame
    scan: pl.DataFrame
    switches: pl.DataFrame
    series: Series
    normalised: np.ndarray
    clustering: Clustering
    cluster_types: list[str]


def cluster_trajectories(
    traj: pl.DataFrame,
    encoder: str,
    normalisation: str = "zscore",
    k_min: int = 2,
    k_max: int = 6,
    min_effect: float = 0.5,
    value: str = "excess",
    seed: int = 0,
) -> TemporalResult:
    """Cluster one encoder's trajectories and annotate every condition with a response type.

    Parameters
    ----------
    traj
        Rows of ``temporal_trajectories`` of one encoder.
    normalisation
        ``zscore`` or ``minmax`` per trajectory.
    k_min, k_max
        The k scan (inclusive).
    min_effect
        Effect size below which a condition is ``no_effect`` (see :mod:`.annotate`).
    value
        ``excess`` (distance above the noise floor; ``distance`` where the table has
        no such column) or ``distance``.
    seed
        Seed of the k-means initialisations.
    """
    series = to_series(traj, value if value in traj.columns else "distance")
    x = normalise(series.raw, normalisation)
    clustering = dtw_kmeans(x, range(k_min, k_max + 1), seed)
    types, effect = annotate(
        clustering.labels, clustering.barycenters, series.grid, series.raw, min_effect, series.floor
    )
    cluster_types = [shape_type(b) for b in clustering.barycenters]
    clusters = (
        series.keys.with_columns(
            encoder=pl.lit(encoder),
            cluster=pl.Series(clustering.labels, dtype=pl.Int32),
            response_type=pl.Series(types),
            cluster_type=pl.Series([cluster_types[c] for c in clustering.labels]),
            distance_to_centroid=pl.Series(clustering.distance_to_centroid),
            effect_size=pl.Series(effect),
        )
        .select(list(CLUSTERS_SCHEMA))
        .cast(pl.Schema(CLUSTERS_SCHEMA))
    )
    scan = clustering.scan.with_columns(encoder=pl.lit(encoder), chosen=pl.col("k") == clustering.k)
    return TemporalResult(clusters, scan, concentration_switches(clusters), series, x, clustering, cluster_types)
