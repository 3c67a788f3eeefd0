"""Cross-validation of one method over ``image_groups``: held-out predictions and their metrics.

Each fold trains a fresh model on the groups of every other fold and predicts only its
own groups, so every stored prediction and every metric is held out. Per fold:

- group predictions: true class and the classes ranked by probability, with their
  probabilities (the full ranking, so its first ten are the top-10 and subset
  accuracies can be computed exactly from the stored rows);
- metrics: top-1/5/10 accuracy and macro F1 of the groups;
- image predictions: each image of a held-out group classified on its own (the model
  applied to a group of one), for the per-configuration F1 (the paper's Table 3).

``restrict_to`` keeps only the configurations of one concentration in every group
(training and test), which is how the paper's "baseline at one concentration" rows
are made.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl
import torch

from phenodag.core.groups.config import GroupCVConfig
from phenodag.core.groups.features import GroupInputs
from phenodag.core.groups.metrics import macro_f1, top_k, top_k_accuracy
from phenodag.core.groups.models import GroupClassifier
from phenodag.core.groups.train import predict_groups, predict_images, train_group_model
from phenodag.core.shared.group_schemas import (
    GROUP_CV_IMAGES_SCHEMA,
    GROUP_CV_METRICS_SCHEMA,
    GROUP_CV_PREDICTIONS_SCHEMA,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CVResult:
    """Held-out predictions (groups and images) and per-fold metrics of one method."""

    predictions: pl.DataFrame
    metrics: pl.DataFrame
    image_predictions: pl.DataFrame
    classes: list[str]


def restrict_groups(groups: pl.DataFrame, concentration_um: float) -> pl.DataFrame:
    """Keep only the configurations of one concentration in every group."""
    prefix = f"{concentration_um:g}uM@"
    rows = []
    for g in groups.iter_rows(named=True):
        keep = [i for i, c in enumerate(g["configurations"]) if c.startswith(prefix)]
        if not keep:
            raise ValueError(f"group {g['group_id']} has no configuration at {concentration_um:g} µM")
        for col in ("configurations", "image_ids", "paths"):
            g[col] = [g[col][i] for i in keep]
        rows.append(g)
    return pl.DataFrame(rows, schema=groups.schema)


def fold_metrics(y: np.ndarray, probs: np.ndarray, n_classes: int) -> dict[str, float]:
    """Top-1/5/10 accuracy and macro F1 of held-out group predictions."""
    return {
        "top1_accuracy": top_k_accuracy(y, probs, 1),
        "top5_accuracy": top_k_accuracy(y, probs, 5),
        "top10_accuracy": top_k_accuracy(y, probs, 10),
        "macro_f1": macro_f1(y, probs.argmax(axis=1)),
    }


def cross_validate(
    groups: pl.DataFrame,
    inputs: GroupInputs,
    method: str,
    config: GroupCVConfig,
    device: str = "cpu",
    variant: str = "all",
    on_fold: Callable[[int, GroupClassifier, dict[str, float]], None] | None = None,
) -> CVResult:
    """Cross-validate ``method`` over the folds of ``groups`` (rows of ``image_groups``).

    Parameters
    ----------
    groups
        ``image_groups`` rows with ``fold`` assigned.
    inputs
        Their images or frozen vectors (:func:`~phenodag.core.groups.features.load_inputs`),
        in the same order; ``inputs.features`` is stored in every row.
    method
        One of :data:`phenodag.core.shared.vocab.GROUP_METHODS`.
    config
        Training settings, the image side and the folds to run (default all).
    device
        Torch device.
    variant
        Stored in the ``variant`` column: ``all`` configurations, or e.g. ``1uM`` for
        groups restricted to one concentration.
    on_fold
        Called with (fold, trained model, metrics) after each fold (MLflow logging).
    """
    classes = sorted(groups["compound"].unique().to_list())
    index = {c: i for i, c in enumerate(classes)}
    y = np.array([index[c] for c in groups["compound"]])
    x, mask, features = inputs.x, inputs.mask, inputs.features
    fold_of = groups["fold"].to_numpy()
    preds, metrics, images = [], [], []
    for fold in config.folds if config.folds is not None else sorted(set(fold_of.tolist())):
        test, train = fold_of == fold, fold_of != fold
        if not test.any() or not train.any():
            raise ValueError(f"fold {fold} has {int(test.sum())} test and {int(train.sum())} training groups")
        tt, tr = torch.as_tensor(test), torch.as_tensor(train)
        model = train_group_model(method, x[tr], mask[tr], y[train], len(classes), config, device)
        probs = predict_groups(model, x[tt], mask[tt])
        m = fold_metrics(y[test], probs, len(classes))
        logger.info(
            "%s/%s fold %d: top-1 %.3f top-5 %.3f", method, variant, fold, m["top1_accuracy"], m["top5_accuracy"]
        )
        metrics.append(
            {"method": method, "features": features, "variant": variant, "fold": fold, "n_groups": int(test.sum()), **m}
        )
        held = groups.filter(pl.Series(test))
        top = top_k(probs, len(classes))  # the full ranking; its first 10 are the top-10
        for i, g in enumerate(held.iter_rows(named=True)):
            preds.append(
                {
                    "method": method,
                    "features": features,
                    "variant": variant,
                    "fold": fold,
                    "group_id": g["group_id"],
                    "true_class": g["compound"],
                    "predicted_classes": [classes[c] for c in top[i]],
                    "probabilities": [float(probs[i, c]) for c in top[i]],
                }
            )
        img = predict_images(model, x[tt], mask[tt])
        for i, g in enumerate(held.iter_rows(named=True)):
            for j, (image_id, conf) in enumerate(zip(g["image_ids"], g["configurations"], strict=True)):
                c = int(np.argmax(img[i, j]))
                images.append(
                    {
                        "method": method,
                        "features": features,
                        "variant": variant,
                        "fold": fold,
                        "group_id": g["group_id"],
                        "image_id": image_id,
                        "configuration": conf,
                        "true_class": g["compound"],
                        "predicted_class": classes[c],
                        "probability": float(img[i, j, c]),
                    }
                )
        if on_fold is not None:
            on_fold(fold, model, m)
    return CVResult(
        pl.DataFrame(preds, schema=GROUP_CV_PREDICTIONS_SCHEMA),
        pl.DataFrame(metrics, schema=GROUP_CV_METRICS_SCHEMA),
        pl.DataFrame(images, schema=GROUP_CV_IMAGES_SCHEMA),
        classes,
    )
