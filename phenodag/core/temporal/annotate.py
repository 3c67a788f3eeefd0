"""Response types from trajectory shapes, and concentration switches.

Shape rules, applied to a cluster's DTW barycenter ``b`` (normalised, on the common
grid) with range ``r = max(b) - min(b)``; peaks are found with
``scipy.signal.find_peaks`` at prominence ≥ ``0.2 r``:

- ``cytostatic`` (rise, then return): an interior peak after which ``b`` falls by
  ≥ 0.4 r and does not rise again by more than 0.2 r;
- ``mixed`` (rise, partial return, rise): an interior peak, a fall of ≥ 0.2 r after
  it, then a rise of ≥ 0.2 r towards the end;
- ``cytotoxic`` (monotonic rise): no such peak, and time and ``b`` correlate with
  Spearman ρ ≥ 0.6;
- ``no_effect`` (flat or decaying): anything else.

Raw amplitude counts too, because z-scoring inflates noise: a trajectory whose effect
size is below ``min_effect`` is ``no_effect`` whatever its cluster. The effect size is
the largest value after treatment (t > 0) over the trajectory's noise level: the
median noise floor after treatment where floors are known (see
:mod:`.trajectories`; values are then ``excess`` distances, so a control-like
condition scores 0.2-0.4 and ``min_effect`` defaults to 0.5), otherwise its mean
before treatment (t ≤ 0), where drug and control wells are still alike, or without
pre-treatment points the median over all trajectories of their smallest value.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy.signal import find_peaks
from scipy.stats import spearmanr

from phenodag.core.shared.schemas import CONDITION, TEMPORAL_SWITCHES_SCHEMA


def shape_type(b: np.ndarray) -> str:
    """Classify one normalised curve by the rules in the module docstring."""
    b = np.asarray(b, dtype=float)
    r = float(b.max() - b.min())
    if b.size < 3 or r < 1e-9:
        return "no_effect"
    peaks, _ = find_peaks(b, prominence=0.2 * r)
    interior = [p for p in peaks if 0 < p < b.size - 1]
    if interior:
        p = interior[0]
        after = b[p:]
        trough = int(np.argmin(after)) + p
        fall = (b[p] - b[trough]) / r
        rise_again = (b[-1] - b[trough]) / r
        if fall >= 0.2 and rise_again >= 0.2 and trough < b.size - 1:
            return "mixed"
        if fall >= 0.4:
            return "cytostatic"
    rho = spearmanr(np.arange(b.size), b).statistic
    if np.isfinite(rho) and rho >= 0.6:
        return "cytotoxic"
    return "no_effect"


def effect_size(grid: np.ndarray, raw: np.ndarray, floor: np.ndarray | None = None) -> np.ndarray:
    """Largest value after treatment over each trajectory's noise level (module docstring)."""
    pre, post = grid <= 0, grid > 0
    if not post.any():
        post = np.ones_like(grid, dtype=bool)
    baseline = raw[:, pre].mean(axis=1) if pre.any() else np.full(raw.shape[0], np.median(raw.min(axis=1)))
    if floor is not None:
        known = np.isfinite(floor[:, post]).all(axis=1)
        if known.any():
            baseline = np.where(known, np.median(np.nan_to_num(floor[:, post]), axis=1), baseline)
    return raw[:, post].max(axis=1) / np.maximum(baseline, 1e-12)


def concentration_switches(clusters: pl.DataFrame) -> pl.DataFrame:
    """Compounds whose response type changes with concentration (the paper's Cladribine finding).

    Parameters
    ----------
    clusters
        cell_line, compound, concentration_um, encoder, response_type.

    Returns
    -------
    polars.DataFrame
        cell_line, compound, encoder, types_by_concentration (``0.1: no_effect; 1: ...``)
        and switch (the distinct effect types in concentration order, e.g.
        ``cytostatic→cytotoxic``); only compounds with two or more effect types.
    """
    rows = []
    for (line, compound, encoder), g in clusters.sort("concentration_um").group_by(
        ["cell_line", "compound", "encoder"], maintain_order=True
    ):
        types = g["response_type"].to_list()
        effects = list(dict.fromkeys(t for t in types if t != "no_effect"))
        if len(effects) > 1:
            rows.append(
                {
                    "cell_line": line,
                    "compound": compound,
                    "encoder": encoder,
                    "types_by_concentration": "; ".join(
                        f"{c:g}: {t}" for c, t in zip(g["concentration_um"], types, strict=True)
                    ),
                    "switch": "→".join(effects),
                }
            )
    return pl.DataFrame(rows, schema=TEMPORAL_SWITCHES_SCHEMA).sort(CONDITION[:2])
