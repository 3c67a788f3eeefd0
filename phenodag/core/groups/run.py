"""The groups stage's driver: one method's cross-validation as the platform runs it, and the verbs around it.

The ``groups`` assets call what ``__all__`` lists: groups from images (:func:`build_groups`),
the cross-validation below, transfer and robustness of the saved fold models
(:func:`run_transfer`, :func:`run_robustness`, in :mod:`.reuse`) and the tables they show.

The caller opens the method's parent MLflow run; here every fold gets a nested run
(parameters, held-out metrics and, with ``log_models``, the model in pickle format, see
:mod:`phenodag.core.embed.tracking`), and the parent gets the mean and sd over folds of
every variant and the comparison table (:func:`log_summary`); the figures are logged by
the asset, which also links them in its metadata. ``baseline`` additionally runs
one variant per concentration (variant ``<c>uM``, shown as ``baseline@<c>uM``: trained and tested on the
configurations of that concentration only) unless ``restricted_baselines`` is off.
"""

from __future__ import annotations

import logging
from pathlib import Path

import mlflow
import numpy as np
import polars as pl

from phenodag.core.embed.tracking import log_torch_model
from phenodag.core.groups.config import GroupCVConfig
from phenodag.core.groups.cv import CVResult, cross_validate, restrict_groups
from phenodag.core.groups.examples import prediction_examples
from phenodag.core.groups.features import GroupInputs, load_inputs
from phenodag.core.groups.grouping import build_groups, parse_configuration
from phenodag.core.groups.metrics import per_class_f1, top_k_curve
from phenodag.core.groups.models import FEATURE_DIM, GroupClassifier
from phenodag.core.groups.reuse import run_robustness, run_transfer
from phenodag.core.groups.store import FoldModelInfo, save_fold_model
from phenodag.core.groups.summary import (
    METRIC_COLUMNS,
    comparison_table,
    configuration_f1_table,
    mean_sd,
    probability_matrix,
    subset_accuracy_table,
)

__all__ = [
    "build_groups",
    "class_subsets",
    "comparison_table",
    "log_summary",
    "mean_sd",
    "pooled_class_f1",
    "pooled_curves",
    "prediction_examples",
    "run_method_cv",
    "run_robustness",
    "run_transfer",
    "summaries",
]
logger = logging.getLogger(__name__)


def concentrations(groups: pl.DataFrame) -> list[float]:
    """Concentrations present in the groups' configurations, ascending."""
    labels = groups["configurations"].explode().unique().to_list()
    return sorted({parse_configuration(c)[0] for c in labels})


def run_method_cv(
    groups: pl.DataFrame,
    method: str,
    config: GroupCVConfig,
    device: str = "cpu",
    threads: int = 2,
    embeddings: pl.DataFrame | None = None,
    model_dir: str | Path | None = None,
) -> CVResult:
    """Cross-validate ``method`` (and, for ``baseline``, its per-concentration variants) inside an MLflow run.

    Parameters
    ----------
    groups
        ``image_groups`` rows of the ``screen`` set.
    embeddings
        Rows of ``embeddings`` of the encoder named by ``config.features`` (frozen mode).
    model_dir
        Where the fold models of the ``all`` variant are saved (:mod:`.store`); none: not saved.
    """
    variants: list[tuple[float | None, str]] = [(None, "all")]
    if method == "baseline" and config.restricted_baselines:
        variants += [(c, f"{c:g}uM") for c in concentrations(groups)]
    results = []
    for conc, variant in variants:
        subset = groups if conc is None else restrict_groups(groups, conc)
        inputs = load_inputs(subset, config.features, config.image_size, embeddings, threads, config.normalisation)
        classes = sorted(subset["compound"].unique().to_list())

        def on_fold(
            fold: int,
            model: GroupClassifier,
            metrics: dict[str, float],
            variant: str = variant,
            inputs: GroupInputs = inputs,
            classes: list[str] = classes,
        ) -> None:
            parent = mlflow.active_run()
            exp = parent.info.experiment_id if parent else None
            with mlflow.start_run(run_name=f"{method}-{variant}-fold{fold}", nested=True, experiment_id=exp):
                params = {**config.model_dump(), "method": method, "variant": variant, "fold": fold}
                mlflow.log_params({**params, "weights_id": inputs.weights_id})
                mlflow.log_metrics(metrics)
                if config.log_models:
                    log_torch_model(model)
            if model_dir is not None and variant == "all":
                dim = inputs.x.shape[-1] if inputs.x.ndim == 3 else FEATURE_DIM
                info = FoldModelInfo(
                    method,
                    fold,
                    classes,
                    inputs.features,
                    inputs.weights_id,
                    dim,
                    config.image_size,
                    config.normalisation if inputs.x.ndim == 3 else "none",
                )
                save_fold_model(model_dir, model, info)

        results.append(cross_validate(subset, inputs, method, config, device, variant, on_fold))
    combined = CVResult(
        pl.concat([r.predictions for r in results]),
        pl.concat([r.metrics for r in results]),
        pl.concat([r.image_predictions for r in results]),
        results[0].classes,
    )
    for row in comparison_table(combined.metrics).iter_rows(named=True):
        name = row["method"].replace("@", ":")  # MLflow metric names allow no "@"
        for col in METRIC_COLUMNS:
            mlflow.log_metric(f"{name}.{col}_mean", row[f"{col}_mean"])
            if row[f"{col}_sd"] is not None:
                mlflow.log_metric(f"{name}.{col}_sd", row[f"{col}_sd"])
    return combined


def class_subsets(sim_truth: pl.DataFrame) -> dict[str, str]:
    """Compound → planted response type at its highest concentration (the simulated class attribute)."""
    top = (
        sim_truth.filter(~pl.col("is_control"))
        .sort("concentration_um")
        .group_by("compound")
        .agg(pl.col("response_type").last())
    )
    return dict(zip(top["compound"], top["response_type"], strict=True))


def summaries(result: CVResult, subsets: dict[str, str]) -> dict[str, pl.DataFrame]:
    """Return the five ``group_cv_*`` tables of one method's result."""
    return {
        "group_cv_predictions": result.predictions,
        "group_cv_metrics": result.metrics,
        "group_cv_images": result.image_predictions,
        "group_cv_configurations": configuration_f1_table(result.image_predictions),
        "group_cv_subsets": subset_accuracy_table(result.predictions, subsets),
    }


def pooled_curves(predictions: pl.DataFrame) -> dict[str, np.ndarray]:
    """Top-k curve of each method (all configurations) over all its folds' held-out groups."""
    curves = {}
    for (method,), g in predictions.filter(pl.col("variant") == "all").group_by(["method"], maintain_order=True):
        classes = sorted(set(g["true_class"].to_list()) | set(g["predicted_classes"].explode().to_list()))
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[c] for c in g["true_class"]])
        curves[str(method)] = top_k_curve(y, probability_matrix(g, classes))
    return curves


def pooled_class_f1(predictions: pl.DataFrame) -> np.ndarray:
    """Per-class F1 of top-1 predictions over all folds of one method's rows."""
    classes = sorted(set(predictions["true_class"].to_list()) | set(predictions["predicted_classes"].explode()))
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in predictions["true_class"]])
    pred = np.array([index[p[0]] for p in predictions["predicted_classes"]])
    return per_class_f1(y, pred, len(classes))


def log_summary(comparison: pl.DataFrame) -> None:
    """Log the comparison table to the active MLflow run (the figures are logged with their links by the asset)."""
    mlflow.log_table(comparison.to_pandas(), "comparison.json")
