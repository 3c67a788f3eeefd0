"""The combined response call: growth decides growth effects, the embedding adds what growth cannot see.

Per condition, three pieces of evidence sit side by side: the embedding trajectory's
type (``response_type`` with its ``effect_size``, :mod:`.run`), the growth curve's
type (``growth_type``, :mod:`.growth_types`) and the compare stage's phenotypic activity
of the same encoder (``encoder_map`` rows of kind ``activity``: the condition's wells
retrieve each other against the plate's controls, mean average precision with a
permutation p-value corrected over conditions, ``significant`` at 0.05;
:mod:`phenodag.core.compare`). The combined call is

- the growth type, where growth shows an effect (cytostatic, cytotoxic, mixed): cell
  numbers are what these words mean; except that growth's ``cytostatic`` becomes
  ``mixed`` where the embedding's trajectory is ``mixed`` (rise, partial return, rise) and
  the condition is active: the late death of a mixed response falls where wells are full
  and GR is not read (:mod:`.growth_types`), and on the training seeds growth alone
  typed 9 of 12 mixed conditions cytostatic, while the images still show it;
- :data:`MORPHOLOGICAL`, where growth shows no effect and the condition is active: the
  cells look different and grow as the controls do, which the paper's typing would force
  into a growth category;
- the embedding's type, where there is no growth call (no GR) and the condition is active;
- ``no_effect`` otherwise.

Activity, not the trajectory's effect size, says whether the images changed: on
normalised pooled profiles the effect size (peak over the noise floor) of untreated
conditions reached 3-6 on the demo's screen, where the activity test kept its false
positive rate at 0 (docs/results.md). Without activity rows (the compare stage has not
run for the encoder) no condition is active: the combined call is then growth's alone.

Concentration switches (the paper's Cladribine finding) are then read from the combined
calls, so a compound that turns cytotoxic at its top dose from cytostatic below is one.
"""

from __future__ import annotations

import polars as pl

from phenodag.core.shared.schemas import CONDITION, RESPONSE_CALLS_SCHEMA
from phenodag.core.shared.vocab import MORPHOLOGICAL, NO_EFFECT
from phenodag.core.temporal.annotate import concentration_switches
from phenodag.core.temporal.config import GrowthTypingConfig
from phenodag.core.temporal.growth_types import growth_types

COMBINED_TYPES = ("no_effect", "cytostatic", "cytotoxic", "mixed", MORPHOLOGICAL)
"""What the combined call can say: the response types, and a morphology-only effect."""


def combined_calls(clusters: pl.DataFrame, growth: pl.DataFrame, activity: pl.DataFrame) -> pl.DataFrame:
    """Join the embedding's and the growth curve's calls and the activity per condition; add the combined call.

    Parameters
    ----------
    clusters
        ``temporal_clusters`` rows of one encoder (condition, ``response_type``, ``effect_size``).
    growth
        :func:`~phenodag.core.temporal.growth_types.growth_types` rows.
    activity
        The condition, ``activity_map`` and ``active`` (see :func:`activity_of`).

    Returns
    -------
    polars.DataFrame
        The condition, ``embedding_type``, ``effect_size``, ``activity_map``, ``active``, the
        growth columns and ``combined_type``.
    """
    embedding = clusters.select(*CONDITION, pl.col("response_type").alias("embedding_type"), "effect_size")
    joined = embedding.join(growth, on=CONDITION, how="left").join(activity, on=CONDITION, how="left")
    joined = joined.with_columns(pl.col("active").fill_null(False))
    growth_effect = pl.col("growth_type").is_not_null() & (pl.col("growth_type") != NO_EFFECT)
    active = pl.col("active")
    relapse_seen = (pl.col("growth_type") == "cytostatic") & (pl.col("embedding_type") == "mixed") & active
    combined = (
        pl.when(relapse_seen)
        .then(pl.lit("mixed"))
        .when(growth_effect)
        .then(pl.col("growth_type"))
        .when(pl.col("growth_type").is_null() & active)
        .then(pl.col("embedding_type"))
        .when(active)
        .then(pl.lit(MORPHOLOGICAL))
        .otherwise(pl.lit(NO_EFFECT))
    )
    return joined.with_columns(combined_type=combined).sort(CONDITION)


def activity_of(encoder_map: pl.DataFrame) -> pl.DataFrame:
    """Per condition: its activity mAP and whether it is significant, from ``encoder_map`` rows of one encoder."""
    return encoder_map.filter(pl.col("kind") == "activity").select(
        *CONDITION, pl.col("map").alias("activity_map"), pl.col("significant").alias("active")
    )


def response_calls(
    clusters: pl.DataFrame,
    gr: pl.DataFrame,
    encoder_map: pl.DataFrame,
    config: GrowthTypingConfig | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Return the three calls of every condition of one encoder and the switches of the combined call.

    Parameters
    ----------
    clusters
        ``temporal_clusters`` rows of one encoder.
    gr
        ``growth_gr`` rows (empty where growth was not computed: the growth columns are then null).
    encoder_map
        ``encoder_map`` rows of the same encoder (empty where the compare stage has not run: no
        condition is then active).
    config
        Growth thresholds.

    Returns
    -------
    tuple of polars.DataFrame
        ``response_calls`` rows and ``response_switches`` rows (``response_type`` read as the
        combined call).
    """
    growth = growth_types(gr, config)
    calls = combined_calls(clusters, growth, activity_of(encoder_map)).join(
        clusters.select(*CONDITION, "encoder", "cluster"), on=CONDITION, how="left"
    )
    calls = calls.select(list(RESPONSE_CALLS_SCHEMA)).cast(pl.Schema(RESPONSE_CALLS_SCHEMA))
    switches = concentration_switches(calls.rename({"combined_type": "response_type"}))
    return calls, switches
