"""Example images beside the temporal clusters: one condition per response type, over time, and a control."""

from __future__ import annotations

import polars as pl

from phenodag.core.ingest.sheet import condition_label, well_over_time
from phenodag.core.shared.thumbnails import SheetRow

EXAMPLE_COLUMNS = (
    "plate_id",
    "well",
    "site",
    "cell_line",
    "compound",
    "concentration_um",
    "is_control",
    "time_h",
    "path",
)
"""The ``raw_images`` columns :func:`cluster_examples` reads."""


def cluster_examples(clusters: pl.DataFrame, raw: pl.DataFrame, n_times: int = 5) -> list[SheetRow]:
    """Pick one example condition per response type (its largest effect) and a control of the same cell line.

    Parameters
    ----------
    clusters
        ``temporal_clusters`` rows of one encoder.
    raw
        ``raw_images`` rows of the plates clustered.
    n_times
        Time points shown per row, spread from the first to the last.
    """
    rows: list[SheetRow] = []
    if clusters.height == 0 or raw.height == 0:
        return rows
    best = clusters.sort("effect_size", descending=True).unique("response_type", keep="first").sort("response_type")
    line = best["cell_line"][0]
    control = raw.filter(pl.col("is_control") & (pl.col("cell_line") == line))
    if control.height:
        rows.append(SheetRow(f"control|{control['compound'][0]}", well_over_time(control, n_times)))
    for c in best.iter_rows(named=True):
        shown = raw.filter(
            (pl.col("cell_line") == c["cell_line"])
            & (pl.col("compound") == c["compound"])
            & (pl.col("concentration_um") == c["concentration_um"])
        )
        if shown.height:
            label = f"{c['response_type']}|{condition_label(c['compound'], c['concentration_um'], False)}"
            rows.append(SheetRow(f"{label}|effect {c['effect_size']:.2f}", well_over_time(shown, n_times)))
    return rows
