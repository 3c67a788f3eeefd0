"""One row per encoder: the headline of every comparison block.

``fraction_active`` is the share of truly active conditions (a planted response type
other than ``no_effect``, or a morphology-only signature showing at the condition's
concentration) that copairs calls active at the corrected-p threshold, also split
into ``fraction_active_growth`` and ``fraction_active_morphology``;
``false_positive_rate`` the same share among conditions with neither. All need the
simulator's truth and are null on real screens, where ``share_called_active`` (over
all conditions) is the number to read.
"""

from __future__ import annotations

import polars as pl

from phenodag.core.shared.schemas import CONDITION, ENCODER_COMPARISON_SCHEMA
from phenodag.core.shared.vocab import NO_EFFECT

HEADLINE_METRICS = [c for c, t in ENCODER_COMPARISON_SCHEMA.items() if t == pl.Float64]
"""The numeric columns of ``encoder_comparison``: the metric names of every encoder's MLflow run."""


def column_mean(df: pl.DataFrame, column: str) -> float | None:
    """Mean of a numeric column over its non-null, non-NaN values (None when there are none)."""
    value = df[column].drop_nulls().drop_nans().mean() if df.height else None
    return float(value) if isinstance(value, int | float) else None


def _max(df: pl.DataFrame, column: str) -> float | None:
    value = df[column].drop_nulls().drop_nans().max() if df.height else None
    return float(value) if isinstance(value, int | float) else None


def activity_scores(activity: pl.DataFrame, planted: pl.DataFrame | None) -> dict[str, float | None]:
    """Mean activity mAP, share called active, and (with truth) how many truly active conditions were called.

    A condition is truly active when it has a growth response or, with no growth
    response, its compound's signature shows at its concentration (``morphology``);
    truly inactive when it has neither.

    Parameters
    ----------
    activity
        ``encoder_map`` rows of kind ``activity``.
    planted
        cell_line, compound, concentration_um, planted, and optionally morphology (the
        simulator's truth, :func:`phenodag.core.temporal.evaluate.planted_types`), or None.

    Returns
    -------
    dict
        ``activity_map``, ``share_called_active``; with truth ``fraction_active`` (share of
        truly active conditions called active), ``false_positive_rate`` (share of truly
        inactive ones called active), ``fraction_active_growth`` and
        ``fraction_active_morphology`` (the same share within each kind of effect; None
        where the screen planted none of that kind).
    """
    flagged = activity.with_columns(pl.col("significant").cast(pl.Float64))
    scores: dict[str, float | None] = {
        "activity_map": column_mean(activity, "map"),
        "share_called_active": column_mean(flagged, "significant"),
        "fraction_active": None,
        "false_positive_rate": None,
        "fraction_active_growth": None,
        "fraction_active_morphology": None,
    }
    if planted is not None and planted.height and activity.height:
        if "morphology" not in planted.columns:
            planted = planted.with_columns(morphology=pl.lit(False))
        called = flagged.drop("planted", "morphology", strict=False).join(planted, on=CONDITION, how="inner")
        growth = pl.col("planted") != NO_EFFECT
        morphology = pl.col("morphology") & ~growth
        scores["fraction_active"] = column_mean(called.filter(growth | morphology), "significant")
        scores["false_positive_rate"] = column_mean(called.filter(~growth & ~morphology), "significant")
        scores["fraction_active_growth"] = column_mean(called.filter(growth), "significant")
        scores["fraction_active_morphology"] = column_mean(called.filter(morphology), "significant")
    return scores


def encoder_row(
    encoder: str,
    weights_id: str,
    preprocess: str,
    tables: dict[str, pl.DataFrame],
    planted: pl.DataFrame | None,
) -> dict[str, object]:
    """Build the ``encoder_comparison`` row of one encoder from its rows of the four block tables.

    Parameters
    ----------
    tables
        ``encoder_similarity``, ``encoder_clustering``, ``encoder_classification`` and
        ``encoder_map`` rows of this encoder, by table name.
    planted
        cell_line, compound, concentration_um, planted (the simulator's truth), or None.
    """
    sim = tables["encoder_similarity"].filter(pl.col("metric") == "cosine")
    clu = tables["encoder_clustering"]
    cls = tables["encoder_classification"]
    maps = tables["encoder_map"]
    activity = maps.filter(pl.col("kind") == "activity")
    best = clu.sort("ari_compound", descending=True, nulls_last=True).head(1)
    row: dict[str, object] = {
        "encoder": encoder,
        "weights_id": weights_id,
        "preprocess": preprocess,
        "replicate_similarity_cosine": column_mean(sim, "similarity"),
        "best_silhouette": _max(clu, "silhouette"),
        "ari_compound": _max(clu, "ari_compound"),
        "ari_response": _max(clu, "ari_response"),
        "noise_fraction": column_mean(best, "noise_fraction"),
        "drug_control_accuracy": column_mean(cls, "accuracy"),
        "drug_control_f1": column_mean(cls, "f1"),
        "drug_control_roc_auc": column_mean(cls, "roc_auc"),
        **activity_scores(activity, planted),
        "consistency_map": column_mean(maps.filter(pl.col("kind") == "consistency"), "map"),
    }
    return row


def comparison_table(rows: list[dict[str, object]]) -> pl.DataFrame:
    """Rows of ``encoder_comparison``, sorted by encoder."""
    return pl.DataFrame(rows, schema=ENCODER_COMPARISON_SCHEMA).sort("encoder")
