"""Figures of the temporal analysis as PNG bytes (matplotlib, Agg backend)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from phenodag.core.shared.figures import png_bytes


def cluster_plot(
    grid: np.ndarray, x: np.ndarray, labels: np.ndarray, barycenters: np.ndarray, cluster_types: list[str]
) -> bytes:
    """One panel per cluster: member trajectories (thin) and the DTW barycenter (thick), titled with its type.

    Without responders (every condition below ``min_effect``) there is no cluster: one
    empty panel says so.
    """
    k = barycenters.shape[0]
    if k == 0:
        fig, ax = plt.subplots(figsize=(4.0, 2.6))
        ax.text(0.5, 0.5, "no responder above min_effect:\nevery condition is no_effect", ha="center", va="center")
        ax.set_axis_off()
        return png_bytes(fig)
    fig, axes = plt.subplots(1, k, figsize=(3.2 * k, 2.8), sharey=True, squeeze=False, layout="constrained")
    for c, ax in enumerate(axes[0]):
        members = x[labels == c]
        for row in members:
            ax.plot(grid, row, color="0.6", lw=0.6)
        ax.plot(grid, barycenters[c], color="C3", lw=2.2)
        ax.set_title(f"cluster {c}: {cluster_types[c]} (n={len(members)})", fontsize=9)
        ax.set_xlabel("time since treatment (h)", fontsize=8)
    axes[0][0].set_ylabel("normalised distance to control", fontsize=8)
    return png_bytes(fig)


def dose_time_heatmaps(traj: pl.DataFrame, max_compounds: int = 12) -> bytes:
    """Per compound, a concentration x time heat-map of the raw distance to control, with one shared colour bar.

    Every panel has its axes labelled (time since treatment in h, concentration in µM)
    and the same colour scale (0 to the largest distance), so panels compare.
    """
    compounds = traj["compound"].unique().sort().to_list()[:max_compounds]
    cols = min(3, len(compounds)) or 1
    rows = -(-len(compounds) // cols) or 1
    vmax = float(traj["distance"].max() or 1.0)  # type: ignore[arg-type]
    fig, axes = plt.subplots(
        rows, cols, figsize=(3.6 * cols + 1.0, 2.4 * rows + 0.4), squeeze=False, layout="constrained"
    )
    for ax in axes.ravel()[len(compounds) :]:
        ax.axis("off")
    image = None
    for ax, compound in zip(axes.ravel(), compounds, strict=False):
        sub = traj.filter(pl.col("compound") == compound)
        pivot = sub.pivot(on="time_h", index="concentration_um", values="distance", aggregate_function="mean").sort(
            "concentration_um"
        )
        times = [c for c in pivot.columns if c != "concentration_um"]
        image = ax.imshow(
            pivot.select(times).to_numpy(), aspect="auto", cmap="magma", vmin=0, vmax=vmax, origin="lower"
        )
        ax.set_yticks(range(pivot.height), [f"{c:g}" for c in pivot["concentration_um"]], fontsize=7)
        step = max(1, len(times) // 6)
        ax.set_xticks(range(0, len(times), step), [f"{float(t):g}" for t in times[::step]], fontsize=7)
        ax.set_title(compound, fontsize=9)
        ax.set_xlabel("time since treatment (h)", fontsize=7)
        ax.set_ylabel("concentration (µM)", fontsize=7)
    if image is not None:
        bar = fig.colorbar(image, ax=axes.ravel().tolist(), shrink=0.9)
        bar.set_label("distance to control wells", fontsize=8)
    fig.suptitle("Dose x time: how far each condition's wells are from the controls", fontsize=10)
    return png_bytes(fig)


def growth_plot(curves: pl.DataFrame, gr: pl.DataFrame, max_plates: int = 4) -> bytes:
    """Per plate, confluence over time of each condition (controls black), as Incucyte plots it; then GR per dose.

    Left panels: mean confluence (%) of each compound x concentration's wells over time,
    the plate's controls in black. Right panel: GR at the last time point against
    concentration per compound (GR = 1 no effect, 0 cytostatic, < 0 cytotoxic).
    """
    plates = sorted(set(curves["plate_id"]))[:max_plates]
    if not plates:
        fig, ax = plt.subplots(figsize=(4.0, 2.6))
        ax.text(0.5, 0.5, "no growth curves (embed with the classical encoder)", ha="center", va="center")
        ax.set_axis_off()
        return png_bytes(fig)
    fig, axes = plt.subplots(1, len(plates) + 1, figsize=(3.4 * (len(plates) + 1), 3.0), layout="constrained")
    compounds = sorted(set(curves.filter(~pl.col("is_control"))["compound"]))
    colours = {c: f"C{i % 10}" for i, c in enumerate(compounds)}
    for ax, plate in zip(axes[:-1], plates, strict=True):
        mean = (
            curves.filter(pl.col("plate_id") == plate)
            .group_by("compound", "concentration_um", "is_control", "time_h")
            .agg(pl.col("confluence").mean())
            .sort("time_h")
        )
        for (compound, conc, control), part in mean.group_by(
            ["compound", "concentration_um", "is_control"], maintain_order=True
        ):
            colour = "black" if control else colours[str(compound)]
            top = mean.filter(pl.col("compound") == compound)["concentration_um"].max()
            alpha = 1.0 if control or conc == top else 0.45
            ax.plot(part["time_h"], 100 * part["confluence"], color=colour, alpha=alpha, lw=1.8 if control else 1.0)
        ax.set_title(f"{plate}: confluence", fontsize=9)
        ax.set_xlabel("time (h)", fontsize=8)
        ax.set_ylabel("confluence (%)", fontsize=8)
    ax = axes[-1]
    last = gr.filter(pl.col("time_h") == pl.col("time_h").max().over("plate_id")).drop_nulls("gr")
    for compound in compounds:
        part = last.filter(pl.col("compound") == compound).group_by("concentration_um").agg(pl.col("gr").mean())
        part = part.sort("concentration_um")
        ax.plot(part["concentration_um"], part["gr"], "o-", color=colours[compound], label=compound, ms=3)
    ax.axhline(0, color="0.5", lw=0.6)
    ax.set_xscale("log")
    ax.set_xlabel("concentration (µM)", fontsize=8)
    ax.set_ylabel("GR at the last time point", fontsize=8)
    ax.set_title("GR per dose (1: none, 0: cytostatic, <0: cytotoxic)", fontsize=8)
    if compounds:
        ax.legend(fontsize=6)
    return png_bytes(fig)
