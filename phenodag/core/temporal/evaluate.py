"""Assigned response types next to the simulator's planted ones (simulated screens only)."""

from __future__ import annotations

import polars as pl

from phenodag.core.shared.schemas import CONDITION
from phenodag.core.shared.vocab import NO_EFFECT


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
