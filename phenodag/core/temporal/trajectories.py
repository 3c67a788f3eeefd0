"""Distance-to-control trajectories (pheno-ml section 4.4), with the time matching done right.

Per cell line, compound and concentration, well vectors (already averaged over sites)
are averaged over replicate wells at each time point; controls (``is_control``) of
the same cell line are averaged the same way. Replicate plates rarely image at the
same second, so times are first grouped: sorted times within ``time_bin_h`` (default
0.5 h) of a group's first time join that group and take its mean time.
Each drug time point is then matched to the **nearest** control time point of its
cell line within ``tolerance_h`` (default 1 h; the published code always took the
earlier one); points without a control that close are dropped and counted, as are
conditions whose cell line has no controls at all.

**Noise floor.** A distance between two averages of a few wells is never zero, and
it grows as the variation between wells grows (denser fields look more different
from field to field). Reading that growth as a drug effect makes every trajectory
rise. So each point also gets ``noise_floor``: the root-mean-square distance, in the
same metric, between the mean of ``n_wells`` control wells and the mean of the
other controls at that time, over every split of the controls (at most 64, seeded
draws beyond), i.e. the distance the condition would have if it were a control.
``excess = sqrt(max(distance² - noise_floor², 0))`` is what the clustering uses: for
the euclidean metric the bias of a squared distance between means is additive, so
``excess`` estimates the distance between the true means; for the other metrics it
is an approximation (as is the rescaling). The floor is null, with
``excess = distance``, where there are no more control wells than drug wells to split.
"""

from __future__ import annotations

import itertools
import logging
import math
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from phenodag.core.shared.normalise import normalise_profiles
from phenodag.core.shared.schemas import CONDITION, TEMPORAL_TRAJECTORIES_SCHEMA
from phenodag.core.shared.vectors import mean_vectors, read_embeddings
from phenodag.core.shared.vocab import DISTANCE_METRICS
from phenodag.core.temporal.config import TrajectoryConfig

logger = logging.getLogger(__name__)

MAX_SPLITS = 64


@dataclass
class TrajectoryStats:
    """What was dropped while building trajectories."""

    unmatched_points: int = 0
    conditions_without_controls: list[tuple[str, str, float]] = field(default_factory=list)


def row_distance(a: np.ndarray, b: np.ndarray, metric: str = "euclidean") -> np.ndarray:
    """Distance between matching rows of ``a`` and ``b`` (n, d).

    ``cosine`` is 1 - cosine similarity, ``correlation`` 1 - Pearson correlation,
    ``braycurtis`` sum|a-b| / sum|a+b| (as in scipy).
    """
    if metric == "euclidean":
        return np.linalg.norm(a - b, axis=1)
    if metric == "cosine":
        num = np.sum(a * b, axis=1)
        return 1.0 - num / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1) + 1e-12)
    if metric == "correlation":
        return row_distance(a - a.mean(axis=1, keepdims=True), b - b.mean(axis=1, keepdims=True), "cosine")
    if metric == "braycurtis":
        return np.sum(np.abs(a - b), axis=1) / (np.sum(np.abs(a + b), axis=1) + 1e-12)
    raise ValueError(f"metric {metric!r}; expected one of {DISTANCE_METRICS}")


def snap_times(times: pl.Series, window_h: float) -> pl.Series:
    """Map each time to the mean of its group (sorted times within ``window_h`` of the group's first)."""
    uniq = np.unique(times.to_numpy())
    groups: list[list[float]] = []
    for t in uniq:
        if groups and t - groups[-1][0] <= window_h:
            groups[-1].append(float(t))
        else:
            groups.append([float(t)])
    value = {t: round(float(np.mean(g)), 4) for g in groups for t in g}
    return times.replace_strict(value, return_dtype=pl.Float64)


def _snapped(wells: pl.DataFrame, time_bin_h: float) -> pl.DataFrame:
    dim = len(wells["vector"][0])
    return wells.with_columns(
        snap_times(wells["time_h"], time_bin_h).alias("time_h"),
        pl.col("vector").cast(pl.Array(pl.Float64, dim)),
    )


def noise_floor(controls: np.ndarray, n_wells: int, metric: str = "euclidean", seed: int = 0) -> float | None:
    """RMS distance between the mean of ``n_wells`` control wells and the mean of the rest (module docstring).

    Parameters
    ----------
    controls
        Control well vectors at one time (n_c, d).
    n_wells
        Wells averaged on the drug side.

    Returns
    -------
    float or None
        None where ``n_c <= n_wells`` (nothing left to compare with).
    """
    n_c = controls.shape[0]
    if n_c <= n_wells or n_wells < 1:
        return None
    if math.comb(n_c, n_wells) <= MAX_SPLITS:
        splits = [np.array(c) for c in itertools.combinations(range(n_c), n_wells)]
    else:
        rng = np.random.default_rng(seed)
        splits = [rng.choice(n_c, n_wells, replace=False) for _ in range(MAX_SPLITS)]
    a = np.stack([controls[idx].mean(axis=0) for idx in splits])
    rest = np.stack([np.delete(controls, idx, axis=0).mean(axis=0) for idx in splits])
    scale = math.sqrt((1 / n_wells + 1 / n_c) / (1 / n_wells + 1 / (n_c - n_wells)))
    return scale * float(np.sqrt(np.mean(row_distance(a, rest, metric) ** 2)))


def condition_means(wells: pl.DataFrame, time_bin_h: float = 0.5) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Average well vectors per condition and time bin; controls per cell line and time bin.

    Parameters
    ----------
    wells
        One row per plate/well/time with cell_line, compound, concentration_um,
        is_control, time_h and vector (fixed-size array or list).
    time_bin_h
        Window of :func:`snap_times`, applied before averaging across plates.

    Returns
    -------
    drugs, controls
        ``drugs``: cell_line, compound, concentration_um, time_h, n_wells, vector;
        ``controls``: cell_line, time_h, n_control_wells, vector.
    """
    wells = _snapped(wells, time_bin_h)
    drugs = mean_vectors(wells.filter(~pl.col("is_control")), [*CONDITION, "time_h"], "n_wells")
    controls = mean_vectors(wells.filter(pl.col("is_control")), ["cell_line", "time_h"], "n_control_wells")
    return drugs.sort([*CONDITION, "time_h"]), controls.sort("cell_line", "time_h")


def trajectories(
    wells: pl.DataFrame,
    encoder: str,
    config: TrajectoryConfig | None = None,
) -> tuple[pl.DataFrame, TrajectoryStats]:
    """Distance of every condition to its cell line's controls at the nearest control time.

    Parameters
    ----------
    wells
        Rows of ``well_embeddings`` joined to their wells' treatment.
    encoder
        Written into the ``encoder`` column.
    config
        Distance metric, control-matching tolerance, time binning and the normalisation
        of the well vectors to their plate's controls (defaults if None).

    Returns
    -------
    trajectories, stats
        Rows of :data:`TEMPORAL_TRAJECTORIES_SCHEMA`, and what was dropped (see module docstring).
    """
    config = config or TrajectoryConfig()
    metric, tolerance_h, time_bin_h = config.metric, config.tolerance_h, config.time_bin_h
    if metric not in DISTANCE_METRICS:
        raise ValueError(f"metric {metric!r}; expected one of {DISTANCE_METRICS}")
    stats = TrajectoryStats()
    if wells.height == 0:
        return pl.DataFrame(schema=TEMPORAL_TRAJECTORIES_SCHEMA), stats
    wells = normalise_profiles(read_embeddings(wells), config.profile_normalisation)
    drugs, controls = condition_means(wells, time_bin_h)
    lines_with_controls = set(controls["cell_line"])
    no_ctrl = drugs.filter(~pl.col("cell_line").is_in(list(lines_with_controls)))
    stats.conditions_without_controls = sorted(no_ctrl.select(CONDITION).unique().iter_rows())
    drugs = drugs.filter(pl.col("cell_line").is_in(list(lines_with_controls)))
    if drugs.height == 0:
        return pl.DataFrame(schema=TEMPORAL_TRAJECTORIES_SCHEMA), stats
    ctrl = controls.select(
        "cell_line",
        pl.col("time_h").alias("control_time_h"),
        "n_control_wells",
        pl.col("vector").alias("control_vector"),
    )
    matched = drugs.sort("time_h").join_asof(
        ctrl.sort("control_time_h"),
        left_on="time_h",
        right_on="control_time_h",
        by="cell_line",
        strategy="nearest",
        tolerance=tolerance_h,
        check_sortedness=False,
    )
    stats.unmatched_points = int(matched["control_time_h"].null_count())
    matched = matched.filter(pl.col("control_time_h").is_not_null())
    if stats.unmatched_points:
        logger.info("dropped %d time points without a control within %.2f h", stats.unmatched_points, tolerance_h)
    if stats.conditions_without_controls:
        logger.warning("%d condition(s) have no controls in their cell line", len(stats.conditions_without_controls))
    dist = (
        row_distance(matched["vector"].to_numpy(), matched["control_vector"].to_numpy(), metric)
        if matched.height
        else np.zeros(0)
    )
    snapped = _snapped(wells, time_bin_h).filter(pl.col("is_control"))  # the times condition_means matched
    control_wells = {
        (line, t): np.asarray(g["vector"].to_numpy(), dtype=float)
        for (line, t), g in snapped.group_by(["cell_line", "time_h"], maintain_order=True)
    }
    floors = {
        key: noise_floor(control_wells[key[:2]], key[2], metric)
        for key in set(zip(matched["cell_line"], matched["control_time_h"], matched["n_wells"], strict=True))
    }
    floor = np.array(
        [
            floors[k] if floors[k] is not None else np.nan
            for k in zip(matched["cell_line"], matched["control_time_h"], matched["n_wells"], strict=True)
        ],
        dtype=float,
    )
    excess = np.where(np.isnan(floor), dist, np.sqrt(np.clip(dist**2 - np.nan_to_num(floor) ** 2, 0.0, None)))
    out = matched.select(*CONDITION, "time_h", "n_wells", "n_control_wells", "control_time_h").with_columns(
        encoder=pl.lit(encoder),
        distance=pl.Series(dist, dtype=pl.Float64),
        noise_floor=pl.Series(floor, dtype=pl.Float64, nan_to_null=True),
        excess=pl.Series(excess, dtype=pl.Float64),
    )
    return out.select(list(TEMPORAL_TRAJECTORIES_SCHEMA)).cast(pl.Schema(TEMPORAL_TRAJECTORIES_SCHEMA)).sort(
        [*CONDITION, "time_h"]
    ), stats
