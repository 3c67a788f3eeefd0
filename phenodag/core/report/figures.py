"""The screen report's figures, each with axes, units and a legend; PNG bytes in, nothing else out.

Every function takes the rows of one phenodag table and returns a PNG (or None where
the rows hold nothing to draw). Times on axes are hours since treatment; tick labels
of days read as :func:`~phenodag.core.shared.units.hours_label` says them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import polars as pl

from phenodag.core.shared.figures import plt, png_bytes
from phenodag.core.shared.units import hours_label

MAX_PANELS = 12
"""Compounds drawn per growth figure (the commonest first by name); the tables below hold them all."""
TYPE_COLOURS = {
    "no_effect": "#d9d9d9",
    "cytostatic": "#4c78a8",
    "cytotoxic": "#e45756",
    "mixed": "#b279a2",
    "morphological": "#f2a541",
}
"""One colour per combined response type (the legend of the response grid)."""


TICK_STEPS_H = (1, 2, 4, 6, 12, 24, 48, 72, 96, 168)


def _time_ticks(ax: plt.Axes, times: list[float]) -> None:
    """Put at most six time ticks on whole multiples of a round step, labelled as people say them."""
    if not times:
        return
    lo, hi = min(times), max(times)
    step = next((s for s in TICK_STEPS_H if (hi - lo) / s <= 5), TICK_STEPS_H[-1])
    ticks = np.arange(math.ceil(lo / step) * step, hi + 1e-9, step)
    ax.set_xticks(ticks, [hours_label(t) for t in ticks], fontsize=7, rotation=30)


def _panels(n: int) -> tuple[plt.Figure, list[plt.Axes]]:
    cols = min(4, n)
    rows = math.ceil(n / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(3.4 * cols, 2.6 * rows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n:]:
        ax.set_visible(False)
    return fig, flat[:n]


def _dose_lines(ax: plt.Axes, rows: pl.DataFrame, value: str) -> None:
    """Draw ``value`` over time for each dose of one compound's rows (mean per time point), low to high in viridis."""
    doses = sorted(set(rows["concentration_um"].drop_nulls()))
    colours = plt.cm.viridis(np.linspace(0.1, 0.9, max(len(doses), 1)))
    for dose, colour in zip(doses, colours, strict=False):
        line = (
            rows.filter(pl.col("concentration_um") == dose).group_by("time_h").agg(pl.col(value).mean()).sort("time_h")
        )
        ax.plot(line["time_h"], line[value], color=colour, label=f"{dose:g} µM")


def _compound_panels(rows: pl.DataFrame, value: str, ylabel: str, decorate: Callable[[plt.Axes], None]) -> bytes:
    """One panel per compound (at most :data:`MAX_PANELS`): ``value`` per dose over time, then ``decorate(ax)``."""
    compounds = sorted(set(rows["compound"]))[:MAX_PANELS]
    fig, axes = _panels(len(compounds))
    for ax, compound in zip(axes, compounds, strict=True):
        _dose_lines(ax, rows.filter(pl.col("compound") == compound), value)
        decorate(ax)
        ax.set_title(compound, fontsize=9)
        ax.set_ylabel(ylabel, fontsize=7)
        _time_ticks(ax, rows["time_h"].to_list())
        ax.legend(fontsize=6)
    fig.supxlabel("time since treatment")
    fig.tight_layout()
    return png_bytes(fig)


def growth_curves(curves: pl.DataFrame, value: str = "cell_count") -> bytes | None:
    """Per compound: ``value`` per dose over time (mean over wells and plates), the controls in black.

    Parameters
    ----------
    curves
        Rows of ``growth_curves``.
    value
        ``cell_count`` (blob count per field) or ``confluence`` (fraction of the field).
    """
    treated = curves.filter(~pl.col("is_control"))
    if treated.height == 0:
        return None
    controls = curves.filter(pl.col("is_control")).group_by("time_h").agg(pl.col(value).mean()).sort("time_h")

    def with_controls(ax: plt.Axes) -> None:
        if controls.height:
            ax.plot(controls["time_h"], controls[value], color="black", lw=2, label="controls")

    unit = "cells per field (blob count)" if value == "cell_count" else "confluence (fraction of field)"
    return _compound_panels(treated, value, unit, with_controls)


def gr_per_dose(gr: pl.DataFrame) -> bytes | None:
    """Per compound: the windowed GR value per dose over time (1 = grows like controls, 0 = arrest, < 0 = death)."""
    if gr.height == 0:
        return None

    def with_levels(ax: plt.Axes) -> None:
        for level, style in ((1.0, ":"), (0.0, "--")):
            ax.axhline(level, color="grey", lw=0.8, ls=style)
        ax.set_ylim(-1.05, 1.3)

    column = "gr_window" if gr["gr_window"].drop_nulls().len() else "gr"
    return _compound_panels(gr, column, "GR value", with_levels)


def response_grid(calls: pl.DataFrame) -> bytes | None:
    """Compound x dose grid coloured by the combined response type; a dot marks an active condition."""
    if calls.height == 0:
        return None
    compounds = sorted(set(calls["compound"]))
    doses = sorted(set(calls["concentration_um"].drop_nulls()))
    types = list(TYPE_COLOURS)
    grid = np.full((len(compounds), len(doses)), np.nan)
    fig, ax = plt.subplots(figsize=(1.2 + 0.9 * len(doses), 0.9 + 0.38 * len(compounds)))
    for r in calls.iter_rows(named=True):
        if r["concentration_um"] is None or r["combined_type"] not in TYPE_COLOURS:
            continue
        i, j = compounds.index(r["compound"]), doses.index(r["concentration_um"])
        grid[i, j] = types.index(r["combined_type"])
        if r["active"]:
            ax.plot(j, i, "k.", ms=5)
    cmap = plt.matplotlib.colors.ListedColormap([TYPE_COLOURS[t] for t in types])
    ax.imshow(grid, cmap=cmap, vmin=-0.5, vmax=len(types) - 0.5, aspect="auto")
    ax.set_xticks(range(len(doses)), [f"{d:g}" for d in doses], fontsize=7)
    ax.set_yticks(range(len(compounds)), compounds, fontsize=7)
    ax.set_xlabel("concentration (µM)")
    handles = [plt.matplotlib.patches.Patch(color=TYPE_COLOURS[t], label=t) for t in types]
    ax.legend(handles=handles, fontsize=6, loc="upper left", bbox_to_anchor=(1.01, 1))
    return png_bytes(fig)


def confusion(predictions: pl.DataFrame) -> bytes | None:
    """Row-normalised confusion of the held-out groups' true compound against the top prediction."""
    rows = predictions.filter(pl.col("predicted_classes").list.len() > 0)
    if rows.height == 0:
        return None
    pairs = rows.select("true_class", pl.col("predicted_classes").list.first().alias("predicted"))
    classes = sorted(set(pairs["true_class"]) | set(pairs["predicted"]))
    counts = np.zeros((len(classes), len(classes)))
    for true, predicted in pairs.iter_rows():
        counts[classes.index(true), classes.index(predicted)] += 1
    share = counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
    side = 1.5 + 0.45 * len(classes)
    fig, ax = plt.subplots(figsize=(side + 1, side))
    shown = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    ax.set_xticks(range(len(classes)), classes, fontsize=7, rotation=60, ha="right")
    ax.set_yticks(range(len(classes)), classes, fontsize=7)
    ax.set_xlabel("predicted compound (top 1)")
    ax.set_ylabel("true compound")
    fig.colorbar(shown, ax=ax, label="share of the true compound's held-out groups")
    return png_bytes(fig)


def lens_examples(images: list[np.ndarray], maps: list[np.ndarray], titles: list[str]) -> bytes | None:
    """Each image beside its lens map laid over it (the map upsampled to the image, hot = changed by the lens)."""
    if not images:
        return None
    fig, axes = plt.subplots(2, len(images), figsize=(2.4 * len(images), 5), squeeze=False)
    for j, (image, heat, title) in enumerate(zip(images, maps, titles, strict=True)):
        axes[0][j].imshow(image, cmap="gray")
        axes[0][j].set_title(title, fontsize=7)
        axes[1][j].imshow(image, cmap="gray")
        extent = (-0.5, image.shape[1] - 0.5, image.shape[0] - 0.5, -0.5)
        axes[1][j].imshow(heat, cmap="inferno", alpha=0.55, extent=extent, interpolation="bilinear")
        for ax in (axes[0][j], axes[1][j]):
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0][0].set_ylabel("image", fontsize=8)
    axes[1][0].set_ylabel("lens map over it", fontsize=8)
    return png_bytes(fig)
