"""The columns and polars types of the group stage's lake tables (groups, cross-validation, reuse).

Split from :mod:`phenodag.core.shared.schemas`, whose conventions they follow; registered in
:mod:`phenodag.core.shared.tables` like every other table.
"""

from __future__ import annotations

import polars as pl

from phenodag.core.shared.schemas import Schema

IMAGE_GROUPS_SCHEMA: Schema = {
    "group_id": pl.String,
    "cell_line": pl.String,
    "compound": pl.String,
    "replicate": pl.Int32,
    "plate_id": pl.String,
    "site": pl.Int32,
    "slot": pl.Int32,
    "configurations": pl.List(pl.String),
    "image_ids": pl.List(pl.String),
    "paths": pl.List(pl.String),
    "group_set": pl.String,
    "fold": pl.Int32,
}
GROUP_CV_PREDICTIONS_SCHEMA: Schema = {
    "method": pl.String,
    "features": pl.String,
    "variant": pl.String,
    "fold": pl.Int32,
    "group_id": pl.String,
    "true_class": pl.String,
    "predicted_classes": pl.List(pl.String),
    "probabilities": pl.List(pl.Float64),
}
GROUP_CV_METRICS_SCHEMA: Schema = {
    "method": pl.String,
    "features": pl.String,
    "variant": pl.String,
    "fold": pl.Int32,
    "n_groups": pl.Int32,
    "top1_accuracy": pl.Float64,
    "top5_accuracy": pl.Float64,
    "top10_accuracy": pl.Float64,
    "macro_f1": pl.Float64,
}
GROUP_CV_IMAGES_SCHEMA: Schema = {
    "method": pl.String,
    "features": pl.String,
    "variant": pl.String,
    "fold": pl.Int32,
    "group_id": pl.String,
    "image_id": pl.String,
    "configuration": pl.String,
    "true_class": pl.String,
    "predicted_class": pl.String,
    "probability": pl.Float64,
}
GROUP_CV_CONFIGURATIONS_SCHEMA: Schema = {
    "method": pl.String,
    "features": pl.String,
    "variant": pl.String,
    "fold": pl.Int32,
    "configuration": pl.String,
    "n_images": pl.Int32,
    "accuracy": pl.Float64,
    "macro_f1": pl.Float64,
}
GROUP_CV_SUBSETS_SCHEMA: Schema = {
    "method": pl.String,
    "features": pl.String,
    "variant": pl.String,
    "fold": pl.Int32,
    "subset": pl.String,
    "n_groups": pl.Int32,
    "accuracy": pl.Float64,
}

GROUP_TRANSFER_SCHEMA: Schema = {
    "method": pl.String,
    "features": pl.String,
    "task": pl.String,
    "fold": pl.Int32,
    "n_train": pl.Int32,
    "n_test": pl.Int32,
    "metric": pl.String,
    "value": pl.Float64,
}
GROUP_ROBUSTNESS_SCHEMA: Schema = {
    "method": pl.String,
    "features": pl.String,
    "perturbation": pl.String,
    "level": pl.Float64,
    "fold": pl.Int32,
    "n_groups": pl.Int32,
    "accuracy": pl.Float64,
    "retained": pl.Float64,
}
