"""Growth curves and normalised growth-rate inhibition (GR; Hafner et al., Nat Methods 2016).

The growth-curve answer an Incucyte user reads, beside the embedding trajectories.

**Growth curves.** Per plate, well and time point, the mean confluence and the mean
cell count of the well's fields (the ``classical`` encoder's ``confluence`` and
``blobs_per_10k_px``: cell-sized blobs per 10,000 pixels), with the well's treatment.

**GR over time.** Per plate, cell line, compound and concentration, with ``x`` the mean
cell count (or confluence: ``value``, :data:`~phenodag.core.shared.vocab.GR_SOURCES`) of
the condition's wells and ``x0`` the mean of the same plate's control wells (same cell
line, same time point)::

    GR(c, t) = 2 ** (log2(x_c(t) / x_c(t0)) / log2(x0(t) / x0(t0))) - 1

which is ``2 ** (k(c) / k(0)) - 1`` with ``k`` the growth rate over ``[t0, t]``. Two
intervals are reported: from the first time point (``gr``) and over the last
``window_h`` hours (``gr_window``; the time-resolved form of Hafner et al. 2017, which
shows arrest followed by recovery or death). GR ≈ 1: no effect; 0 < GR < 1: partial
inhibition; GR ≈ 0: cytostatic; GR < 0: cytotoxic (fewer cells than at ``t0``). Where the
controls grew by less than ``MIN_CONTROL_DOUBLINGS`` doublings over the interval, GR is
undefined (null): confluence saturates, and a ratio of two near-zero rates is noise.
Both are proxies of cell number. Confluence stops rising once fields are full; the blob
count goes on rising longer, and on the training seeds it typed growth better (share
right 0.852 against 0.843, ARI 0.86 against 0.68, no false arrest against 2 of 60;
``benchmarks/growth_thresholds.py --gr-from``), so it is the default.

**Dose response.** Per cell line and compound, the GR values at the last time point
(averaged over plates) are fitted across concentrations with Hafner's sigmoid::

    GR(c) = GRinf + (1 - GRinf) / (1 + (c / GEC50) ** h)

by scipy's bounded least squares (``scipy.optimize.curve_fit``: no maintained package
of the GR metrics fits this dependency set; the formula is three lines).
``GR50`` is the concentration where the fit crosses 0.5 (infinite where it never does),
``GRmax`` the observed GR at the highest concentration, and ``GR_AOC`` the area over
the observed GR values (``1 - GR``, trapezoids over log10 concentration, divided by the
log10 range). With fewer than 3 concentrations the sigmoid is not fitted.
"""

from __future__ import annotations

import logging
import math
import warnings

import numpy as np
import polars as pl

from phenodag.core.shared.schemas import (
    CONDITION,
    GROWTH_CURVES_SCHEMA,
    GROWTH_GR_SCHEMA,
    GROWTH_METRICS_SCHEMA,
    WELL_TREATMENT,
)
from phenodag.core.shared.vectors import read_embeddings
from phenodag.core.shared.vocab import GR_SOURCES, one_of

logger = logging.getLogger(__name__)

MIN_CONTROL_DOUBLINGS = 0.1
"""Least growth of the controls over an interval (log2 fold change) for GR to be defined."""


def growth_curves(embeddings: pl.DataFrame, raw_images: pl.DataFrame) -> pl.DataFrame:
    """Per plate, well and time point: the mean confluence and cell count of the well's fields, with its treatment.

    Parameters
    ----------
    embeddings
        Rows of ``embeddings`` of the ``classical`` encoder (confluence and the blob count are
        its first two features, :data:`~phenodag.core.embed.classical.CLASSICAL_FEATURES`).
    raw_images
        Rows of ``raw_images`` (treatment and time of each image, joined on ``sha256``).
    """
    if embeddings.height == 0:
        return pl.DataFrame(schema=GROWTH_CURVES_SCHEMA)
    images = raw_images.select("sha256", "time_h", *WELL_TREATMENT).unique("sha256")
    vector = pl.col("vector")
    per_image = read_embeddings(embeddings).select(
        "sha256", vector.arr.get(0).alias("confluence"), vector.arr.get(1).alias("cell_count")
    )
    joined = per_image.join(images, on="sha256", how="inner")
    return (
        joined.group_by([*WELL_TREATMENT, "time_h"])
        .agg(pl.col("confluence", "cell_count").mean(), pl.len().cast(pl.UInt32).alias("n_fields"))
        .select(list(GROWTH_CURVES_SCHEMA))
        .cast(pl.Schema(GROWTH_CURVES_SCHEMA))
        .sort("plate_id", "well", "time_h")
    )


def _gr(x_t: np.ndarray, x_0: np.ndarray, c_t: np.ndarray, c_0: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        drug = np.log2(x_t / x_0)
        control = np.log2(c_t / c_0)
        gr = np.exp2(drug / control) - 1.0
    ok = np.isfinite(gr) & (control >= MIN_CONTROL_DOUBLINGS) & (x_0 > 0) & (c_0 > 0)
    return np.where(ok, gr, np.nan)


def gr_over_time(curves: pl.DataFrame, window_h: float = 12.0, value: str = GR_SOURCES[0]) -> pl.DataFrame:
    """GR of every condition at every time point of its plate, from the start and over the last ``window_h`` hours.

    Parameters
    ----------
    curves
        Rows of ``growth_curves``.
    window_h
        Length of the moving interval of ``gr_window`` (the nearest earlier time point at
        least this far back is its start).
    value
        The growth readout GR is computed from: ``cell_count`` or ``confluence``.
    """
    one_of("GR source", value, GR_SOURCES)
    if curves.height == 0:
        return pl.DataFrame(schema=GROWTH_GR_SCHEMA)
    keys = ["plate_id", "cell_line"]
    means = curves.group_by([*keys, "compound", "concentration_um", "is_control", "time_h"]).agg(
        pl.col("confluence", "cell_count").mean(), pl.len().cast(pl.UInt32).alias("n_wells")
    )
    controls = means.filter(pl.col("is_control")).select(
        *keys,
        "time_h",
        pl.col("confluence").alias("control_confluence"),
        pl.col("cell_count").alias("control_cell_count"),
        pl.col("n_wells").alias("n_control_wells"),
    )
    drugs = means.filter(~pl.col("is_control")).join(controls, on=[*keys, "time_h"], how="inner")
    rows = []
    for _, group in drugs.sort("time_h").group_by([*keys, "compound", "concentration_um"], maintain_order=True):
        t = group["time_h"].to_numpy()
        x = group[value].to_numpy()
        c = group[f"control_{value}"].to_numpy()
        start = np.searchsorted(t, t - window_h, side="right") - 1  # last time point at least window_h earlier
        has_start = start >= 0
        start = np.clip(start, 0, None)
        gr_window = np.where(has_start, _gr(x, x[start], c, c[start]), np.nan)
        rows.append(group.with_columns(gr=pl.Series(_gr(x, x[0], c, c[0])), gr_window=pl.Series(gr_window)))
    out = pl.concat(rows) if rows else pl.DataFrame(schema=GROWTH_GR_SCHEMA)
    return (
        out.with_columns(pl.col("gr", "gr_window").fill_nan(None))
        .select(list(GROWTH_GR_SCHEMA))
        .cast(pl.Schema(GROWTH_GR_SCHEMA))
        .sort([*CONDITION, "plate_id", "time_h"])
    )


def gr_sigmoid(c: np.ndarray, gr_inf: float, log_gec50: float, h: float) -> np.ndarray:
    """Hafner's dose response: ``GRinf + (1 - GRinf) / (1 + (c / GEC50) ** h)``, GEC50 = 10 ** log_gec50."""
    return gr_inf + (1.0 - gr_inf) / (1.0 + (c / 10.0**log_gec50) ** h)


def fit_gr(conc: np.ndarray, gr: np.ndarray) -> dict[str, float]:
    """GR50, GRmax, GR_AOC, GRinf, GEC50 and the Hill slope of one compound (see module docstring).

    Parameters
    ----------
    conc
        Concentrations (µM, > 0).
    gr
        GR at each concentration (finite).
    """
    order = np.argsort(conc)
    conc, gr = np.asarray(conc, float)[order], np.asarray(gr, float)[order]
    logc = np.log10(conc)
    span = float(logc[-1] - logc[0])
    aoc = float(np.trapezoid(1.0 - gr, logc) / span) if span > 0 else float(1.0 - gr.mean())
    out = {"gr_max": float(gr[-1]), "gr_aoc": aoc, "gr_inf": math.nan, "gec50_um": math.nan, "hill": math.nan}
    out["gr50_um"] = math.nan
    if len(conc) < 3:
        return out
    from scipy.optimize import curve_fit

    lo, hi = logc[0] - 2.0, logc[-1] + 2.0
    p0 = [float(np.clip(gr.min(), -1.0, 1.0)), float(np.median(logc)), 1.0]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            (gr_inf, log_gec50, h), _ = curve_fit(
                gr_sigmoid, conc, gr, p0=p0, bounds=([-1.0, lo, 0.1], [1.0, hi, 5.0]), maxfev=5000
            )
    except (RuntimeError, ValueError) as exc:
        logger.info("GR sigmoid not fitted (%s)", exc)
        return out
    gec50 = 10.0**log_gec50
    gr50 = gec50 * ((1.0 - gr_inf) / (0.5 - gr_inf) - 1.0) ** (1.0 / h) if gr_inf < 0.5 else math.inf
    out.update(gr_inf=float(gr_inf), gec50_um=float(gec50), hill=float(h), gr50_um=float(gr50))
    return out


def gr_metrics(gr: pl.DataFrame) -> pl.DataFrame:
    """Per cell line and compound: GR50 / GRmax / GR_AOC (and the fit) from GR at each plate's last time point."""
    if gr.height == 0:
        return pl.DataFrame(schema=GROWTH_METRICS_SCHEMA)
    last = gr.filter(pl.col("time_h") == pl.col("time_h").max().over("plate_id")).drop_nulls("gr")
    per_dose = last.group_by(CONDITION).agg(pl.col("gr").mean(), pl.col("time_h").mean())
    rows = []
    for (line, compound), group in per_dose.sort("concentration_um").group_by(
        ["cell_line", "compound"], maintain_order=True
    ):
        group = group.filter(pl.col("concentration_um") > 0)
        if group.height == 0:
            continue
        fit = fit_gr(group["concentration_um"].to_numpy(), group["gr"].to_numpy())
        rows.append(
            {"cell_line": line, "compound": compound, "time_h": group["time_h"].mean(), "n_doses": group.height, **fit}
        )
    return (
        pl.DataFrame(rows, schema=GROWTH_METRICS_SCHEMA).sort("cell_line", "compound")
        if rows
        else pl.DataFrame(schema=GROWTH_METRICS_SCHEMA)
    )
