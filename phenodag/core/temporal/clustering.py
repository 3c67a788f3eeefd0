"""Clustering trajectories with DTW k-means (tslearn), k chosen by a k scan.

- Series: one per condition, on a common time grid, of ``excess`` (the distance above
  the noise floor, see :mod:`.trajectories`) by default, or of ``distance``. When every condition has the same
  time points they are the grid; otherwise the grid spans the times all conditions
  share, at the median step, and each series is linearly interpolated onto it.
- Normalisation per trajectory: ``zscore`` (default) or ``minmax``; a constant
  trajectory becomes all zeros.
- k: the paper increased k until the expected patterns were covered. Operationally,
  k runs over ``k_range``; the default rule ``coverage`` takes the smallest k whose
  barycenters show as many distinct response shapes as any k of the scan (so a k that
  only splits a shape in two is not taken), ``silhouette`` the k with the highest DTW
  silhouette (ties go to the smaller k). The scan (inertia, silhouette and number of
  shapes per k) is returned and stored.
- DTW runs inside a Sakoe-Chiba band (10 % of the series by default): a response's
  timing is part of its shape, and unconstrained warping can fold a mixed response's
  dip away until it looks cytotoxic.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from phenodag.core.shared.schemas import CONDITION, SCAN_SCHEMA
from phenodag.core.shared.vocab import NORMALISATIONS

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Series:
    """Trajectories on a common grid: raw values (n, T), noise floors (n, T; NaN unknown), conditions."""

    keys: pl.DataFrame
    grid: np.ndarray
    raw: np.ndarray
    floor: np.ndarray


@dataclass(frozen=True)
class Clustering:
    """DTW k-means result: labels, barycenters (k, T), DTW distance of each series to its centroid, k scan."""

    labels: np.ndarray
    barycenters: np.ndarray
    distance_to_centroid: np.ndarray
    k: int
    scan: pl.DataFrame


def to_series(traj: pl.DataFrame, value: str = "excess") -> Series:
    """Put every condition's ``value`` (``excess`` or ``distance``) on a common time grid (module docstring).

    A table without the ``value`` column (e.g. without noise floors) uses ``distance``.

    Raises
    ------
    ValueError
        If fewer than two time points are shared by all conditions.
    """
    value = value if value in traj.columns else "distance"
    keys = traj.select(CONDITION).unique(maintain_order=True).sort(CONDITION)
    per = {k: g.sort("time_h") for k, g in traj.group_by(CONDITION, maintain_order=True)}
    time_sets = {tuple(g["time_h"].to_list()) for g in per.values()}
    if len(time_sets) == 1:
        grid = np.array(next(iter(time_sets)), dtype=float)
    else:
        start = max(g["time_h"].min() for g in per.values())  # type: ignore[type-var]
        end = min(g["time_h"].max() for g in per.values())  # type: ignore[type-var]
        steps = np.concatenate([np.diff(g["time_h"].to_numpy()) for g in per.values()])
        step = float(np.median(steps)) if steps.size else 0.0
        grid = np.arange(float(start), float(end) + 1e-9, step) if step > 0 else np.array([start])  # type: ignore[arg-type]
    if grid.size < 2:
        raise ValueError(f"trajectories share {grid.size} time point(s); clustering needs at least two")

    def on_grid(column: str) -> np.ndarray:
        return np.stack(
            [
                np.interp(grid, per[k]["time_h"].to_numpy(), per[k][column].fill_null(np.nan).to_numpy())
                for k in keys.iter_rows()
            ]
        )

    floor = on_grid("noise_floor") if "noise_floor" in traj.columns else np.full((keys.height, grid.size), np.nan)
    return Series(keys=keys, grid=grid, raw=on_grid(value), floor=floor)


def normalise(raw: np.ndarray, method: str = "zscore") -> np.ndarray:
    """Normalise each row with tslearn's scalers: z-score or min-max; constant rows become zeros."""
    from tslearn.preprocessing import TimeSeriesScalerMeanVariance, TimeSeriesScalerMinMax

    if method not in NORMALISATIONS:
        raise ValueError(f"normalisation {method!r}; expected one of {NORMALISATIONS}")
    scaler = TimeSeriesScalerMeanVariance() if method == "zscore" else TimeSeriesScalerMinMax()
    return np.asarray(scaler.fit_transform(raw))[..., 0]


def dtw_kmeans(
    x: np.ndarray,
    k_range: range,
    seed: int = 0,
    rule: str = "coverage",
    band: float = 0.1,
    shape_of: Callable[[np.ndarray], str] | None = None,
) -> Clustering:
    """Cluster rows of ``x`` (n, T) with DTW k-means for each k and keep one k by ``rule``.

    Parameters
    ----------
    rule
        ``silhouette``: the k with the best DTW silhouette; ``coverage``: the smallest k
        whose barycenters show as many distinct shapes (``shape_of``) as any k of the
        scan, ties by silhouette (the paper's "increase k until the expected patterns
        are covered").
    band
        Sakoe-Chiba radius as a fraction of the series length (0: unconstrained DTW).
        A response's timing is part of its shape, so warping is kept local.

    Raises
    ------
    ValueError
        If there are fewer series than the smallest k.
    """
    from tslearn.clustering import TimeSeriesKMeans, silhouette_score
    from tslearn.metrics import dtw

    n = x.shape[0]
    ks = [k for k in k_range if 2 <= k < n]
    if not ks:
        raise ValueError(f"{n} trajectories are too few to cluster into k in {list(k_range)}")
    data = x[:, :, None]
    params = {"global_constraint": "sakoe_chiba", "sakoe_chiba_radius": max(1, round(band * x.shape[1]))}
    metric_params = params if band > 0 else None
    rows, fits = [], {}
    for k in ks:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            km = TimeSeriesKMeans(
                n_clusters=k, metric="dtw", metric_params=metric_params, random_state=seed, n_init=3, max_iter=50
            ).fit(data)
        labels = km.labels_
        sil = (
            float(silhouette_score(data, labels, metric="dtw", metric_params=metric_params))
            if len(set(labels)) > 1
            else -1.0
        )
        shapes = len({shape_of(c) for c in km.cluster_centers_[:, :, 0]}) if shape_of else 0
        rows.append({"k": k, "inertia": float(km.inertia_), "silhouette": sil, "shapes": shapes})
        fits[k] = km
    scan = pl.DataFrame(rows, schema=SCAN_SCHEMA)
    if rule == "coverage" and shape_of is not None:
        ranked = scan.filter(pl.col("shapes") == pl.col("shapes").max()).sort(
            ["k", "silhouette"], descending=[False, True]
        )
    elif rule in ("silhouette", "coverage"):
        ranked = scan.sort(["silhouette", "k"], descending=[True, False])
    else:
        raise ValueError(f"rule {rule!r}; expected 'coverage' or 'silhouette'")
    best = int(ranked["k"][0])
    km = fits[best]
    centers = km.cluster_centers_[:, :, 0]
    dist = np.array([dtw(x[i], centers[km.labels_[i]], **(metric_params or {})) for i in range(n)])
    logger.info("DTW k-means: k scan %s → k = %d", scan.rows(), best)
    return Clustering(labels=np.asarray(km.labels_), barycenters=centers, distance_to_centroid=dist, k=best, scan=scan)
