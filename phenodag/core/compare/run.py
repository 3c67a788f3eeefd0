"""The compare stage's driver: all comparison blocks of one encoder, the judge's scores, one row per encoder.

The functions the ``compare`` assets (and the ConvAE training's judge) call, defined here
or imported from the module that does the work; :func:`log_encoder_run` records an
encoder's headline into the MLflow run the caller opened.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from phenodag.core.compare.activity import consistency, phenotypic_activity
from phenodag.core.compare.classification import drug_vs_control
from phenodag.core.compare.clustering import cluster_sweep
from phenodag.core.compare.config import CompareConfig
from phenodag.core.compare.judge import judge_scores
from phenodag.core.compare.profiles import late_profiles
from phenodag.core.compare.similarity import replicate_similarity
from phenodag.core.compare.summary import HEADLINE_METRICS, comparison_table, encoder_row
from phenodag.core.shared.schemas import CONDITION

__all__ = ["Blocks", "compare_blocks", "comparison_table", "encoder_row", "judge_scores", "log_encoder_run"]


@dataclass(frozen=True)
class Blocks:
    """Rows of the four block tables by name, and the UMAP coordinates of the best sweep point per cell line."""

    tables: dict[str, pl.DataFrame]
    coordinates: dict[str, tuple[np.ndarray, pl.DataFrame]]


def compare_blocks(
    well_embeddings: pl.DataFrame,
    raw_images: pl.DataFrame,
    planted: pl.DataFrame | None,
    encoder: str,
    config: CompareConfig | None = None,
) -> Blocks:
    """Replicate similarity, clustering sweep, drug vs control, and copairs activity / consistency.

    Parameters
    ----------
    well_embeddings
        The encoder's ``well_embeddings`` rows.
    raw_images
        ``raw_images`` rows of the plates (treatments).
    planted
        The simulator's planted response type per condition (``planted`` column), or None
        for real screens: the metrics that need truth are then absent.
    encoder
        Written into every row.
    config
        Late window, metrics, sweep grid, mAP null size and threshold, seed.
    """
    cfg = config or CompareConfig()
    profiles = late_profiles(well_embeddings, raw_images, cfg.late_window_h, cfg.normalisation)
    if planted is not None:
        profiles = profiles.join(planted, on=CONDITION, how="left")
    sweep = cluster_sweep(profiles, encoder, cfg.cluster_grid, cfg.seed)
    maps = [phenotypic_activity(profiles, encoder, cfg.null_size, cfg.q_threshold, cfg.seed)]
    if planted is not None:
        maps.append(consistency(profiles, planted, encoder, cfg.null_size, cfg.q_threshold, cfg.seed))
    tables = {
        "encoder_similarity": replicate_similarity(profiles, encoder, cfg.metrics),
        "encoder_clustering": sweep.rows,
        "encoder_classification": drug_vs_control(profiles, encoder, cfg.seed),
        "encoder_map": pl.concat(maps),
    }
    return Blocks(tables, sweep.coordinates)


def log_encoder_run(row: dict[str, object]) -> None:
    """Record one encoder's comparison row in the active MLflow run: its source as params, the headline as metrics.

    Every encoder's run carries the same metric names (:data:`HEADLINE_METRICS`), so the
    MLflow UI compares them side by side; a metric without a value (no planted truth) is
    left out.
    """
    import mlflow

    mlflow.log_params({"encoder": row["encoder"], "weights_id": row["weights_id"], "preprocess": row["preprocess"]})
    mlflow.log_metrics({m: float(v) for m in HEADLINE_METRICS if isinstance(v := row[m], int | float)})
