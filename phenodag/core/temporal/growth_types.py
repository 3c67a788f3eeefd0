"""Response types from growth alone: arrest, recovery and death read off GR over time.

The second source of evidence beside the embedding trajectories (:mod:`.annotate`): a
condition's ``gr_window`` series (GR over the last ``window_h`` hours, :mod:`.growth`),
averaged over its plates, after treatment (t > 0). With three thresholds,

- **arrest** from a time point on: ``gr_window < arrest`` there and at the next
  ``persist - 1`` points (the population grows at well under the controls' rate);
- **death**: likewise ``gr_window < death`` (below 0: fewer cells than ``window_h`` hours
  before);
- **recovery**: after the first arrest, ``gr_window > recover`` again,

a condition is

- ``mixed``: arrest, recovery, then arrest (or death) again: a relapse;
- ``cytotoxic``: death without such a relapse;
- ``cytostatic``: arrest without death (with or without recovery by the end);
- ``no_effect``: neither arrest nor death.

GR is not read where the condition's wells are full (confluence ≥ ``saturation``): a
confluent well grows slowly whatever the drug, and on the training seeds untreated
conditions that overtook their controls were typed arrested there. A condition needs
``min_points`` defined GR values after treatment (GR is also undefined where the
controls barely grew; see :mod:`.growth`), else it is typed ``no_effect`` with
``evidence`` saying so. The thresholds are in
:class:`~phenodag.core.temporal.config.GrowthTypingConfig` and are
derived on training seeds only (``benchmarks/growth_thresholds.py``).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from phenodag.core.shared.schemas import CONDITION, RESPONSE_CALLS_SCHEMA
from phenodag.core.shared.vocab import NO_EFFECT
from phenodag.core.temporal.config import GrowthTypingConfig

GROWTH_COLUMNS = ("growth_type", "min_gr_window", "last_gr_window", "growth_evidence")
"""The growth call's columns of ``response_calls`` (types from its schema)."""


def _lasting(mask: np.ndarray, k: int) -> np.ndarray:
    """Return the indices where a run of at least ``k`` consecutive True values starts."""
    if k <= 1:
        return np.flatnonzero(mask)
    windows = np.lib.stride_tricks.sliding_window_view(mask, k) if mask.size >= k else np.zeros((0, k), bool)
    return np.flatnonzero(windows.all(axis=1))


def growth_type(gr_window: np.ndarray, config: GrowthTypingConfig | None = None) -> tuple[str, str]:
    """Type one condition from its ``gr_window`` values after treatment, in time order; return (type, evidence).

    Undefined values (NaN) are skipped.
    """
    cfg = config or GrowthTypingConfig()
    w = np.asarray(gr_window, dtype=float)
    w = w[np.isfinite(w)]
    if w.size < cfg.min_points:
        return NO_EFFECT, f"{w.size} defined GR values (< {cfg.min_points})"
    arrested = _lasting(w < cfg.arrest, cfg.persist)
    dead = _lasting(w < cfg.death, cfg.persist)
    low = f"min GR {w.min():.2f}"
    if not arrested.size:  # death implies arrest: death < arrest
        return NO_EFFECT, low
    first = int(arrested[0])
    recovered = np.flatnonzero(w[first:] > cfg.recover)
    if recovered.size:  # a relapse: arrested or dying again after the recovery
        back = first + int(recovered[0])
        relapse = arrested[arrested > back]
        if relapse.size:
            return "mixed", f"{low}; arrest at point {first}, recovery at {back}, arrest again at {int(relapse[0])}"
    if dead.size:
        return "cytotoxic", f"{low}; death at point {int(dead[0])}"
    return "cytostatic", f"{low}; arrest at point {first}, last GR {w[-1]:.2f}"


def growth_types(gr: pl.DataFrame, config: GrowthTypingConfig | None = None) -> pl.DataFrame:
    """One growth type per condition from ``growth_gr`` rows (averaged over plates per time point).

    Returns
    -------
    polars.DataFrame
        cell_line, compound, concentration_um, ``growth_type``, ``min_gr_window``,
        ``last_gr_window`` and ``growth_evidence``, sorted by condition.
    """
    schema = {c: RESPONSE_CALLS_SCHEMA[c] for c in (*CONDITION, *GROWTH_COLUMNS)}
    if gr.height == 0:
        return pl.DataFrame(schema=schema)
    cfg = config or GrowthTypingConfig()
    full = pl.col("confluence") >= cfg.saturation  # a full well grows slowly whatever the drug
    series = (
        gr.filter(pl.col("time_h") > 0)
        .with_columns(gr_window=pl.when(full).then(None).otherwise(pl.col("gr_window")))
        .group_by([*CONDITION, "time_h"])
        .agg(pl.col("gr_window").mean())
        .sort([*CONDITION, "time_h"])
        .group_by(CONDITION, maintain_order=True)
        .agg(pl.col("gr_window"))
    )
    rows = []
    for row in series.iter_rows(named=True):
        values = np.array([np.nan if v is None else v for v in row["gr_window"]], dtype=float)
        kind, evidence = growth_type(values, cfg)
        finite = values[np.isfinite(values)]
        rows.append(
            {
                **{k: row[k] for k in CONDITION},
                "growth_type": kind,
                "min_gr_window": float(finite.min()) if finite.size else None,
                "last_gr_window": float(finite[-1]) if finite.size else None,
                "growth_evidence": evidence,
            }
        )
    return pl.DataFrame(rows, schema=schema).sort(CONDITION)
