"""Assigned response types next to the simulator's planted ones (simulated screens only)."""

from __future__ import annotations

import polars as pl

from phenodag.core.shared.schemas import CONDITION
from phenodag.core.shared.vocab import MORPHOLOGICAL, NO_EFFECT


def planted_types(sim_truth: pl.DataFrame) -> pl.DataFrame:
    """One row per treated condition: its planted response type and whether only its morphology changes.

    Returns
    -------
    polars.DataFrame
        cell_line, compound, concentration_um, ``planted`` (the response type) and
        ``morphology``: True where the condition has no growth response but its
        compound's signature shows at its concentration (a morphology-only effect,
        truly active for the compare stage, ``no_effect`` for growth typing).
    """
    shows = pl.col("signature_min_conc_um").is_not_null() & (
        pl.col("concentration_um") >= pl.col("signature_min_conc_um")
    )
    return (
        sim_truth.filter(~pl.col("is_control"))
        .unique(CONDITION, keep="first", maintain_order=True)
        .select(
            *CONDITION,
            pl.col("response_type").alias("planted"),
            ((pl.col("response_type") == NO_EFFECT) & shows).alias("morphology"),
        )
    )


def planted_vs_assigned(clusters: pl.DataFrame, sim_truth: pl.DataFrame) -> pl.DataFrame:
    """Rows of ``temporal_clusters`` with the planted type of their condition (null where none was planted).

    Returns
    -------
    polars.DataFrame
        cell_line, compound, concentration_um, cluster, response_type, planted,
        effect_size, sorted by compound and concentration.
    """
    return (
        clusters.join(planted_types(sim_truth), on=CONDITION, how="left")
        .select(*CONDITION, "cluster", "response_type", "planted", "effect_size")
        .sort("compound", "concentration_um", "cell_line")
    )


def planted_counts(sim_truth: pl.DataFrame) -> pl.DataFrame:
    """How many treated conditions were planted with each response type."""
    return planted_types(sim_truth).group_by("planted").agg(conditions=pl.len()).sort("planted")


CALLS = {"embedding": "embedding_type", "growth": "growth_type", "combined": "combined_type"}
"""The three calls of ``response_calls``, by name, and their columns."""


def with_planted(calls: pl.DataFrame, sim_truth: pl.DataFrame) -> pl.DataFrame:
    """``response_calls`` rows of planted conditions with ``planted`` and ``planted_combined``.

    ``planted_combined`` is what the combined call should say: the planted response type, or
    :data:`~phenodag.core.shared.vocab.MORPHOLOGICAL` for a morphology-only condition.
    """
    planted = planted_types(sim_truth)
    return calls.join(planted, on=CONDITION, how="inner").with_columns(
        planted_combined=pl.when(pl.col("morphology")).then(pl.lit(MORPHOLOGICAL)).otherwise(pl.col("planted"))
    )


def _truth_of(call: str) -> str:
    return "planted_combined" if call == "combined" else "planted"


def call_agreement(calls: pl.DataFrame, sim_truth: pl.DataFrame) -> pl.DataFrame:
    """Agreement of each call with the planted types: ARI, share right and its chance level.

    The embedding and growth calls are scored against the planted response type, the combined
    call against the planted type or ``morphological``. Chance of the share right is the share of
    the most common planted type (always calling it); chance of the ARI is 0.

    Returns
    -------
    polars.DataFrame
        call, conditions, ari, share_right, chance_share_right.
    """
    from sklearn.metrics import adjusted_rand_score

    joined = with_planted(calls, sim_truth)
    rows = []
    for call, column in CALLS.items():
        scored = joined.drop_nulls(column)
        truth = scored[_truth_of(call)].to_list()
        said = scored[column].to_list()
        n = len(truth)
        rows.append(
            {
                "call": call,
                "conditions": n,
                "ari": float(adjusted_rand_score(truth, said)) if n else None,
                "share_right": sum(t == s for t, s in zip(truth, said, strict=True)) / n if n else None,
                "chance_share_right": max(truth.count(t) for t in set(truth)) / n if n else None,
            }
        )
    return pl.DataFrame(rows, schema_overrides={"ari": pl.Float64, "share_right": pl.Float64})


def call_confusion(calls: pl.DataFrame, sim_truth: pl.DataFrame, call: str) -> pl.DataFrame:
    """Confusion matrix of one call (``embedding``, ``growth``, ``combined``): planted rows, called columns."""
    column, truth = CALLS[call], _truth_of(call)
    joined = with_planted(calls, sim_truth).drop_nulls(column)
    if joined.height == 0:
        return pl.DataFrame({"planted": []}, schema={"planted": pl.String})
    return (
        joined.group_by(truth, column)
        .agg(pl.len())
        .pivot(on=column, index=truth, values="len", sort_columns=True)
        .fill_null(0)
        .rename({truth: "planted"})
        .sort("planted")
    )


def morphology_detection(calls: pl.DataFrame, sim_truth: pl.DataFrame) -> dict[str, float | None]:
    """Morphology-only conditions at their compound's top dose called active, and planted no-effect ones called active.

    Active is any combined call but ``no_effect``. Returns ``detected`` (share of the top-dose
    morphology-only conditions) and ``false_positive`` (share of the planted no-effect
    conditions without a signature); None where the screen has none of either.
    """
    joined = with_planted(calls, sim_truth).with_columns(
        top=pl.col("concentration_um") == pl.col("concentration_um").max().over("cell_line", "compound"),
        active=pl.col("combined_type") != NO_EFFECT,
    )
    morph = joined.filter(pl.col("morphology") & pl.col("top"))
    inert = joined.filter((pl.col("planted") == NO_EFFECT) & ~pl.col("morphology"))
    return {
        "detected": float(morph["active"].mean()) if morph.height else None,  # type: ignore[arg-type]
        "false_positive": float(inert["active"].mean()) if inert.height else None,  # type: ignore[arg-type]
    }
