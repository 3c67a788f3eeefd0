"""The combined response call: growth decides growth effects, the embedding adds what growth cannot see.

Per condition, two calls sit side by side: the embedding trajectory's (``response_type``
with its ``effect_size``, :mod:`.pipeline`) and the growth curve's (``growth_type``,
:mod:`.growth_types`). The combined call is

- the growth type, where growth shows an effect (cytostatic, cytotoxic, mixed): cell
  numbers are what these words mean; except that growth's ``cytostatic`` becomes
  ``mixed`` where the embedding's trajectory is ``mixed`` (rise, partial return, rise):
  the late death of a mixed response falls where wells are full and GR is not read
  (:mod:`.growth_types`), and on the training seeds growth alone typed 9 of 12 mixed
  conditions cytostatic, while the images still show it;
- :data:`MORPHOLOGICAL`, where growth shows none but the embedding does (its effect size is
  at least ``min_effect``): the cells look different and grow as the controls do, which
  the paper's typing would force into a growth category;
- ``no_effect`` otherwise.

Concentration switches (the paper's Cladribine finding) are then read from the combined
calls, so a compound that turns cytotoxic at its top dose from cytostatic below is one.
"""

from __future__ import annotations

import polars as pl

from phenodag.core.shared.schemas import CONDITION, RESPONSE_CALLS_SCHEMA
from phenodag.core.shared.vocab import MORPHOLOGICAL, NO_EFFECT
from phenodag.core.temporal.annotate import concentration_switches
from phenodag.core.temporal.config import ResponseCallsConfig
from phenodag.core.temporal.growth_types import growth_types

COMBINED_TYPES = ("no_effect", "cytostatic", "cytotoxic", "mixed", MORPHOLOGICAL)
"""What the combined call can say: the response types, and a morphology-only effect."""


def combined_calls(clusters: pl.DataFrame, growth: pl.DataFrame, min_effect: float) -> pl.DataFrame:
    """Join the embedding's and the growth curve's calls per condition and add the combined one.

    Parameters
    ----------
    clusters
        ``temporal_clusters`` rows of one encoder (condition, ``response_type``, ``effect_size``).
    growth
        :func:`~phenodag.core.temporal.growth_types.growth_types` rows.
    min_effect
        The embedding's effect size from which it calls a condition changed.

    Returns
    -------
    polars.DataFrame
        The condition, ``embedding_type``, ``effect_size``, ``growth_type``, ``min_gr_window``,
        ``combined_type``; a condition without a growth call (no GR) keeps its embedding call
        as ``combined_type`` where that is an effect.
    """
    embedding = clusters.select(*CONDITION, pl.col("response_type").alias("embedding_type"), "effect_size")
    joined = embedding.join(growth.drop("embedding_type", strict=False), on=CONDITION, how="left")
    growth_effect = pl.col("growth_type").is_not_null() & (pl.col("growth_type") != NO_EFFECT)
    seen = pl.col("effect_size") >= min_effect
    relapse_seen = (pl.col("growth_type") == "cytostatic") & (pl.col("embedding_type") == "mixed") & seen
    combined = (
        pl.when(relapse_seen)
        .then(pl.lit("mixed"))
        .when(growth_effect)
        .then(pl.col("growth_type"))
        .when(pl.col("growth_type").is_null() & seen)
        .then(pl.col("embedding_type"))
        .when(seen)
        .then(pl.lit(MORPHOLOGICAL))
        .otherwise(pl.lit(NO_EFFECT))
    )
    return joined.with_columns(combined_type=combined).sort(CONDITION)


def response_calls(
    clusters: pl.DataFrame, gr: pl.DataFrame, config: ResponseCallsConfig | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return the three calls of every condition of one encoder and the switches of the combined call.

    Parameters
    ----------
    clusters
        ``temporal_clusters`` rows of one encoder.
    gr
        ``growth_gr`` rows (empty where growth was not computed: the growth columns are then null
        and the combined call is the embedding's).
    config
        Growth thresholds and the embedding's effect floor.

    Returns
    -------
    tuple of polars.DataFrame
        ``response_calls`` rows and ``response_switches`` rows (``response_type`` read as the
        combined call).
    """
    cfg = config or ResponseCallsConfig()
    growth = growth_types(gr, cfg)
    calls = combined_calls(clusters, growth, cfg.min_effect).join(
        clusters.select(*CONDITION, "encoder", "cluster"), on=CONDITION, how="left"
    )
    calls = calls.select(list(RESPONSE_CALLS_SCHEMA)).cast(pl.Schema(RESPONSE_CALLS_SCHEMA))
    switches = concentration_switches(calls.rename({"combined_type": "response_type"}))
    return calls, switches
