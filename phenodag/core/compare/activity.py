"""Phenotypic activity and consistency with copairs mean average precision (the profiling community's standard).

Activity: for each cell line, compound and concentration, how well its profiles
retrieve each other among the DMSO profiles of the same plate (copairs'
``average_precision`` then ``mean_average_precision`` with a permutation null and
Benjamini-Hochberg correction). Positive pairs are profiles of the same condition from
different wells; negative pairs join a condition's profile and a control profile of
the same plate. A condition is called active when its corrected p-value is below the
threshold.

Consistency: on condition-level consensus profiles (the mean of a condition's
profiles), how well conditions that share a planted response type retrieve each other
against conditions of other types (positive pairs come from different compounds).
It needs the simulator's truth, so real screens have no consistency rows.
"""

from __future__ import annotations

import logging

import numpy as np
import polars as pl

from phenodag.core.compare.profiles import vectors
from phenodag.core.shared.schemas import CONDITION, ENCODER_MAP_SCHEMA
from phenodag.core.shared.vectors import mean_vectors
from phenodag.core.shared.vocab import NO_EFFECT

logger = logging.getLogger(__name__)
REFERENCE = "reference_index"


def _map(
    meta: pl.DataFrame,
    x: np.ndarray,
    pos: tuple[list[str], list[str]],
    neg: tuple[list[str], list[str]],
    sameby: list[str],
    null_size: int,
    threshold: float,
    seed: int,
) -> pl.DataFrame:
    """Copairs AP per profile, then mAP, p-value and corrected p-value per ``sameby`` group."""
    from copairs.map import average_precision, mean_average_precision
    from copairs.matching import UnpairedException

    try:
        ap = average_precision(
            meta.to_pandas(), x, pos[0], pos[1], neg[0], neg[1], distance="cosine", progress_bar=False
        )
    except UnpairedException as exc:  # e.g. no two compounds share a planted type: nothing to score
        logger.info("copairs: %s (%s)", exc, ", ".join(sameby))
        return pl.DataFrame()
    ap = ap.dropna(subset=["average_precision"])
    if ap.empty:
        return pl.DataFrame()
    result = mean_average_precision(ap, sameby, null_size=null_size, threshold=threshold, seed=seed, progress_bar=False)
    return pl.from_pandas(result)


def phenotypic_activity(
    profiles: pl.DataFrame, encoder: str, null_size: int = 10000, threshold: float = 0.05, seed: int = 0
) -> pl.DataFrame:
    """Rows of ``encoder_map`` of kind ``activity``: one per treated condition with replicate wells."""
    meta = profiles.select(
        "cell_line",
        "plate_id",
        "compound",
        "concentration_um",
        "is_control",
        well_id=pl.col("plate_id") + "/" + pl.col("well"),
        condition=pl.when(pl.col("is_control"))
        .then(pl.lit("control"))
        .otherwise(pl.col("compound") + "@" + pl.col("concentration_um").cast(pl.String)),
    ).with_row_index(REFERENCE)
    # copairs' reference-index idiom: each control gets its own index, treated profiles share -1, so
    # positives are treated-treated pairs and negatives treated-control pairs
    meta = meta.with_columns(
        pl.when(pl.col("is_control")).then(pl.col(REFERENCE).cast(pl.Int64)).otherwise(-1).alias(REFERENCE)
    )
    result = _map(
        meta,
        vectors(profiles),
        (["cell_line", "condition", REFERENCE], ["well_id"]),
        (["cell_line", "plate_id"], ["condition", REFERENCE]),
        ["cell_line", "compound", "concentration_um"],
        null_size,
        threshold,
        seed,
    )
    return _rows(result, encoder, "activity")


def consistency(
    profiles: pl.DataFrame,
    planted: pl.DataFrame,
    encoder: str,
    null_size: int = 10000,
    threshold: float = 0.05,
    seed: int = 0,
) -> pl.DataFrame:
    """Rows of ``encoder_map`` of kind ``consistency``: one per cell line and planted response type (not no_effect)."""
    treated = profiles.filter(~pl.col("is_control")).join(planted, on=CONDITION, how="inner")
    treated = treated.filter(pl.col("planted") != NO_EFFECT)
    if treated.height == 0:
        return _rows(pl.DataFrame(), encoder, "consistency")
    consensus = mean_vectors(treated, [*CONDITION, "planted"], "n_profiles")
    result = _map(
        consensus.drop("vector"),
        vectors(consensus),
        (["cell_line", "planted"], ["compound"]),
        (["cell_line"], ["planted"]),
        ["cell_line", "planted"],
        null_size,
        threshold,
        seed,
    )
    return _rows(result, encoder, "consistency")


def _rows(result: pl.DataFrame, encoder: str, kind: str) -> pl.DataFrame:
    if result.height == 0:
        return pl.DataFrame(schema=ENCODER_MAP_SCHEMA)
    group = (
        pl.col("planted")
        if kind == "consistency"
        else pl.col("compound") + "@" + pl.col("concentration_um").cast(pl.String)
    )
    out = result.with_columns(encoder=pl.lit(encoder), kind=pl.lit(kind), group=group)
    for col in ("compound", "concentration_um", "planted"):
        if col not in out.columns:
            out = out.with_columns(pl.lit(None).alias(col))
    return (
        out.rename({"mean_average_precision": "map", "below_corrected_p": "significant"})
        .select(list(ENCODER_MAP_SCHEMA))
        .cast(pl.Schema(ENCODER_MAP_SCHEMA))
    )
