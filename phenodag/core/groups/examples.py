"""Example held-out groups beside the group-CV figures: what the model saw, what it said, and the truth."""

from __future__ import annotations

import polars as pl

from phenodag.core.shared.thumbnails import SheetRow


def prediction_examples(predictions: pl.DataFrame, groups: pl.DataFrame, n: int = 4, images: int = 6) -> list[SheetRow]:
    """Pick up to ``n`` held-out groups, right and wrong ones alternating, with their images.

    Parameters
    ----------
    predictions
        ``group_cv_predictions`` rows of one method and variant (held-out groups only).
    groups
        ``image_groups`` rows (``paths`` and ``configurations`` per group).
    n
        Groups shown (rows).
    images
        Images shown per group (columns), each captioned with its configuration.
    """
    if predictions.height == 0:
        return []
    top = predictions.with_columns(pl.col("predicted_classes").list.first().alias("predicted"))
    top = top.with_columns((pl.col("predicted") == pl.col("true_class")).alias("right")).sort("group_id")
    right, wrong = top.filter(pl.col("right")), top.filter(~pl.col("right"))
    picked = []
    for i in range(n):
        source = right if i % 2 == 0 else wrong
        if source.height <= i // 2:
            source = wrong if source is right else right
        if source.height > i // 2:
            picked.append(source.row(i // 2, named=True))
    by_id = {g["group_id"]: g for g in groups.select("group_id", "paths", "configurations").iter_rows(named=True)}
    rows = []
    for p in picked:
        group = by_id.get(p["group_id"])
        if group is None:
            continue
        verdict = "right" if p["right"] else "wrong"
        tiles = list(zip(group["paths"], group["configurations"], strict=True))[:images]
        rows.append(SheetRow(f"{verdict}: {p['predicted']}|true: {p['true_class']}|fold {p['fold']}", list(tiles)))
    return rows
