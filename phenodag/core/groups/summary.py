"""What is computed from stored held-out predictions, without retraining.

- :func:`subset_accuracy_table`: the paper's subset accuracies (e.g. cytotoxic vs
  non-cytotoxic): within each subset of classes, the probabilities of the other classes
  are zeroed before the top-1 decision; only groups of that subset count.
- :func:`configuration_f1_table`: macro F1 of image-level predictions per
  configuration (the paper's Table 3).
- :func:`comparison_table`: mean ± sd over folds of every method's metrics.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from phenodag.core.groups.metrics import macro_f1, subset_accuracy
from phenodag.core.shared.group_schemas import GROUP_CV_CONFIGURATIONS_SCHEMA, GROUP_CV_SUBSETS_SCHEMA

METRIC_COLUMNS = ["top1_accuracy", "top5_accuracy", "top10_accuracy", "macro_f1"]


def probability_matrix(predictions: pl.DataFrame, classes: list[str]) -> np.ndarray:
    """(G, K) probabilities of stored prediction rows over ``classes`` (unlisted classes 0)."""
    index = {c: i for i, c in enumerate(classes)}
    probs = np.zeros((predictions.height, len(classes)))
    for r, (names, p) in enumerate(zip(predictions["predicted_classes"], predictions["probabilities"], strict=True)):
        for name, value in zip(names, p, strict=True):
            probs[r, index[name]] = value
    return probs


def subset_accuracy_table(predictions: pl.DataFrame, class_subset: dict[str, str]) -> pl.DataFrame:
    """Subset accuracy per method, fold and subset from rows of ``group_cv_predictions``.

    Parameters
    ----------
    class_subset
        Subset name of each class (e.g. compound → planted response type); classes
        missing from it form no subset.
    """
    rows = []
    classes = sorted(set(predictions["true_class"].to_list()) | set(class_subset))
    index = {c: i for i, c in enumerate(classes)}
    subsets = sorted(set(class_subset.values()))
    keys = ["method", "features", "variant", "fold"]
    for (method, features, variant, fold), g in predictions.group_by(keys, maintain_order=True):
        probs = probability_matrix(g, classes)
        y = np.array([index[c] for c in g["true_class"]])
        for name in subsets:
            members = [index[c] for c, s in class_subset.items() if s == name]
            acc, n = subset_accuracy(y, probs, members)
            if n:
                rows.append(
                    {
                        "method": method,
                        "features": features,
                        "variant": variant,
                        "fold": fold,
                        "subset": name,
                        "n_groups": n,
                        "accuracy": acc,
                    }
                )
    return pl.DataFrame(rows, schema=GROUP_CV_SUBSETS_SCHEMA).sort(*keys, "subset")


def configuration_f1_table(image_predictions: pl.DataFrame) -> pl.DataFrame:
    """Accuracy and macro F1 of image-level predictions per method, fold and configuration."""
    rows = []
    keys = ["method", "features", "variant", "fold", "configuration"]
    for (method, features, variant, fold, conf), g in image_predictions.group_by(keys, maintain_order=True):
        classes = sorted(set(g["true_class"].to_list()) | set(g["predicted_class"].to_list()))
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[c] for c in g["true_class"]])
        pred = np.array([index[c] for c in g["predicted_class"]])
        rows.append(
            {
                "method": method,
                "features": features,
                "variant": variant,
                "fold": fold,
                "configuration": conf,
                "n_images": g.height,
                "accuracy": float(np.mean(y == pred)),
                "macro_f1": macro_f1(y, pred),
            }
        )
    return pl.DataFrame(rows, schema=GROUP_CV_CONFIGURATIONS_SCHEMA).sort(keys)


def comparison_table(metrics: pl.DataFrame) -> pl.DataFrame:
    """Mean and sample sd over folds of each method and variant, best top-1 first.

    The ``method`` column of the result names the variant too (``baseline@1uM``);
    ``features`` is the feature source of the rows.
    """
    aggs = [pl.len().alias("folds")]
    for col in METRIC_COLUMNS:
        aggs += [pl.col(col).mean().alias(f"{col}_mean"), pl.col(col).std().alias(f"{col}_sd")]
    label = (
        pl.when(pl.col("variant") == "all").then(pl.col("method")).otherwise(pl.format("{}@{}", "method", "variant"))
    )
    return (
        metrics.group_by("method", "features", "variant")
        .agg(aggs)
        .with_columns(label.alias("method"))
        .drop("variant")
        .sort("top1_accuracy_mean", "method", descending=[True, False])
    )


def mean_sd(table: pl.DataFrame) -> pl.DataFrame:
    """Return the comparison table with ``mean ± sd`` strings, for markdown."""
    cols = [
        pl.format("{} ± {}", pl.col(f"{c}_mean").round(3), pl.col(f"{c}_sd").round(3).fill_null(0.0)).alias(c)
        for c in METRIC_COLUMNS
    ]
    return table.select("method", "features", "folds", *cols)
