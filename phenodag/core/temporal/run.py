"""The temporal stage's driver: trajectories → series → DTW k-means → response types → switches; growth; calls.

The functions the ``temporal`` assets call are defined here or imported from the module
that does the work (listed in ``__all__``); :func:`log_clustering` and :func:`log_growth`
record a result into the MLflow run the caller opened.

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

from phenodag.core.shared.schemas import CONDITION, SCAN_SCHEMA, TEMPORAL_CLUSTERS_SCHEMA
from phenodag.core.temporal.annotate import concentration_switches, effect_size, shape_type
from phenodag.core.temporal.clustering import Clustering, Series, dtw_kmeans, normalise, to_series
from phenodag.core.temporal.combined import response_calls
from phenodag.core.temporal.config import ClusterConfig
from phenodag.core.temporal.evaluate import CALLS, call_agreement, call_confusion, morphology_detection, planted_types
from phenodag.core.temporal.examples import EXAMPLE_COLUMNS, cluster_examples
from phenodag.core.temporal.growth import gr_metrics, gr_over_time, growth_curves
from phenodag.core.temporal.trajectories import trajectories

__all__ = [
    "CALLS",
    "EXAMPLE_COLUMNS",
    "TemporalResult",
    "call_agreement",
    "call_confusion",
    "cluster_examples",
    "cluster_trajectories",
    "gr_metrics",
    "gr_over_time",
    "growth_curves",
    "log_clustering",
    "log_growth",
    "morphology_detection",
    "planted_types",
    "response_calls",
    "trajectories",
]

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


def log_clustering(result: TemporalResult, params: dict[str, object]) -> None:
    """Record a clustering in the active MLflow run: ``params``, the k scan per step (k), the chosen k."""
    import mlflow

    mlflow.log_params({**params, "n_trajectories": result.clusters.height})
    for row in result.scan.iter_rows(named=True):
        mlflow.log_metrics({"inertia": row["inertia"], "silhouette": row["silhouette"]}, step=row["k"])
    mlflow.log_metric("chosen_k", result.clustering.k)


def log_growth(gr: pl.DataFrame, params: dict[str, object]) -> None:
    """Record a growth analysis in the active MLflow run: ``params`` and how many conditions it covers."""
    import mlflow

    mlflow.log_params({**params, "conditions": gr.select(CONDITION).n_unique()})
