"""The clustering stage end to end: trajectories → series → DTW k-means → response types → switches.

Only responders are clustered: a condition whose effect size (see :mod:`.annotate`)
is below ``min_effect`` is ``no_effect`` with ``cluster = -1`` and no centroid
distance. Z-scoring would blow a control-like trajectory's noise up into a shape, and
such shapes would pull the barycenters of the real response clusters towards noise.
With fewer responders than ``max(k_min, 2) + 1``, each responder is its own cluster.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from phenodag.core.shared.schemas import SCAN_SCHEMA, TEMPORAL_CLUSTERS_SCHEMA
from phenodag.core.temporal.annotate import concentration_switches, effect_size, shape_type
from phenodag.core.temporal.clustering import Clustering, Series, dtw_kmeans, normalise, to_series
from phenodag.core.temporal.config import ClusterConfig

NOT_CLUSTERED = -1


@dataclass(frozen=True)
class TemporalResult:
    """Rows of ``temporal_clusters``, the k scan, the switches, and what the figures need.

    ``normalised`` and ``clustering`` cover the responders only (rows with cluster ≥ 0).
    """

    clusters: pl.DataFrame
    scan: pl.DataFrame
    switches: pl.DataFrame
    series: Series
    normalised: np.ndarray
    clustering: Clustering
    cluster_types: list[str]


def cluster_trajectories(traj: pl.DataFrame, encoder: str, config: ClusterConfig | None = None) -> TemporalResult:
    """Cluster one encoder's trajectories and annotate every condition with a response type.

    Parameters
    ----------
    traj
        Rows of ``temporal_trajectories`` of one encoder.
    encoder
        Written into the ``encoder`` column.
    config
        Normalisation, k scan, ``min_effect`` (see :mod:`.annotate`), the value clustered
        (``excess`` falls back to ``distance`` where the table has no such column), the
        k rule and DTW band (see :func:`.clustering.dtw_kmeans`) and the seed.
    """
    cfg = config or ClusterConfig()
    series = to_series(traj, cfg.value)
    effect = effect_size(series.grid, series.raw, series.floor)
    responders = effect >= cfg.min_effect
    x = normalise(series.raw[responders], cfg.normalisation)
    if responders.sum() > max(cfg.k_min, 2):
        clustering = dtw_kmeans(x, range(cfg.k_min, cfg.k_max + 1), cfg.seed, cfg.k_rule, cfg.band, shape_type)
    else:  # too few responders to cluster: each is its own cluster
        n = int(responders.sum())
        clustering = Clustering(np.arange(n), x, np.zeros(n), n, pl.DataFrame(schema=SCAN_SCHEMA))
    cluster_types = [shape_type(b) for b in clustering.barycenters]
    labels = np.full(series.raw.shape[0], NOT_CLUSTERED)
    labels[responders] = clustering.labels
    to_centroid = np.full(series.raw.shape[0], np.nan)
    to_centroid[responders] = clustering.distance_to_centroid
    types = [cluster_types[c] if c >= 0 else "no_effect" for c in labels]  # responders only have c ≥ 0
    clusters = (
        series.keys.with_columns(
            encoder=pl.lit(encoder),
            cluster=pl.Series(labels, dtype=pl.Int32),
            response_type=pl.Series(types),
            distance_to_centroid=pl.Series(to_centroid, nan_to_null=True),
            effect_size=pl.Series(effect),
        )
        .select(list(TEMPORAL_CLUSTERS_SCHEMA))
        .cast(pl.Schema(TEMPORAL_CLUSTERS_SCHEMA))
    )
    scan = clustering.scan.with_columns(encoder=pl.lit(encoder), chosen=pl.col("k") == clustering.k)
    return TemporalResult(clusters, scan, concentration_switches(clusters), series, x, clustering, cluster_types)
