"""Clustering of profiles (pheno-ml Table 1, second block): UMAP, then HDBSCAN, over a parameter sweep.

Per cell line, the late profiles (every well and late time point, controls included)
are embedded with UMAP (2 components, ``n_neighbors = n``) and clustered with HDBSCAN
(``min_cluster_size = n``, ``min_samples = 1``) for every ``n`` of the sweep, with a fixed
seed. Every sweep point is a row, also when it finds fewer than two clusters (its
cluster-quality scores are then null, not dropped). Scores on the UMAP coordinates of
clustered (non-noise) points: silhouette, Davies-Bouldin, Calinski-Harabasz; the share
of noise points; and, beyond the paper, the adjusted Rand index of the clusters
(noise as one more label) against the compound and against the planted response type.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass

import numpy as np
import polars as pl
from sklearn.metrics import adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score, silhouette_score

from phenodag.core.compare.profiles import vectors
from phenodag.core.shared.schemas import ENCODER_CLUSTERING_SCHEMA

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Sweep:
    """Rows of ``encoder_clustering`` and, per cell line, the 2-D coordinates of the best sweep point."""

    rows: pl.DataFrame
    coordinates: dict[str, tuple[np.ndarray, pl.DataFrame]]


def _scores(xy: np.ndarray, labels: np.ndarray) -> tuple[float | None, float | None, float | None]:
    keep = labels >= 0
    if len(set(labels[keep].tolist())) < 2 or keep.sum() < 3:
        return None, None, None
    x, y = xy[keep], labels[keep]
    return float(silhouette_score(x, y)), float(davies_bouldin_score(x, y)), float(calinski_harabasz_score(x, y))


def cluster_sweep(profiles: pl.DataFrame, encoder: str, grid: list[int], seed: int = 0) -> Sweep:
    """Run the UMAP + HDBSCAN sweep on every cell line's late profiles.

    Parameters
    ----------
    profiles
        Late profiles (see :mod:`.profiles`); a ``planted`` column (response type) is
        used for the ARI against truth where present.
    encoder
        Written into the ``encoder`` column.
    grid
        Values of ``n``; those ≥ the number of a cell line's profiles are skipped.
    seed
        UMAP's random state.
    """
    import hdbscan
    import umap

    rows, coordinates = [], {}
    for (line,), g in profiles.group_by(["cell_line"], maintain_order=True):
        x = vectors(g)
        best: tuple[float, np.ndarray] | None = None
        for n in grid:
            if n >= g.height or n < 2:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # umap warns that a random_state disables parallelism
                xy = umap.UMAP(n_neighbors=n, n_components=2, min_dist=0.0, random_state=seed).fit_transform(x)
            labels = hdbscan.HDBSCAN(min_cluster_size=n, min_samples=1).fit_predict(xy)
            sil, dbi, chi = _scores(xy, labels)
            ari_compound = float(adjusted_rand_score(g["compound"].to_list(), labels))
            ari_response = (
                float(adjusted_rand_score(g["planted"].fill_null("none").to_list(), labels))
                if "planted" in g.columns
                else None
            )
            n_clusters = len(set(labels.tolist()) - {-1})
            rows.append(
                {
                    "encoder": encoder,
                    "cell_line": line,
                    "n_neighbors": n,
                    "n_profiles": g.height,
                    "n_clusters": n_clusters,
                    "noise_fraction": float(np.mean(labels < 0)),
                    "silhouette": sil,
                    "davies_bouldin": dbi,
                    "calinski_harabasz": chi,
                    "ari_compound": ari_compound,
                    "ari_response": ari_response,
                }
            )
            if best is None or ari_compound > best[0]:
                best = (ari_compound, xy)
        if best is not None:
            coordinates[str(line)] = (best[1], g.drop("vector"))
    logger.info("%s: %d UMAP + HDBSCAN sweep points", encoder, len(rows))
    return Sweep(pl.DataFrame(rows, schema=ENCODER_CLUSTERING_SCHEMA), coordinates)
