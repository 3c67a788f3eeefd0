"""Figures of the temporal analysis as PNG bytes (matplotlib, Agg backend)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from phenodag.core.shared.figures import markdown_image, png_bytes, png_image

__all__ = ["cluster_plot", "dose_time_heatmaps", "markdown_image", "png_image"]


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
