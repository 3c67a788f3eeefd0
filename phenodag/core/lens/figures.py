"""Figures of the lens stage as PNG bytes: the accuracy-vs-α curve and image | lensed | map triptychs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from phenodag.core.shared.figures import png_bytes

if TYPE_CHECKING:
    from phenodag.core.lens.run import AlphaResult


def accuracy_curve(metrics: pl.DataFrame) -> bytes:
    """Held-out top-1 and top-3 accuracy with and without the lens, against α (one point per α present)."""
    m = metrics.sort("alpha")
    fig, ax = plt.subplots(figsize=(5.0, 3.0))
    for col, style, label in (
        ("top1_lensed", "o-", "top-1, lensed"),
        ("top3_lensed", "s-", "top-3, lensed"),
        ("top1_original", "o--", "top-1, no lens"),
        ("top3_original", "s--", "top-3, no lens"),
    ):
        ax.plot(m["alpha"], m[col], style, label=label, ms=4, lw=1.2)
    ax.set_xlabel("α (L = L_rec − α·L_disc)")
    ax.set_ylabel("held-out accuracy")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    return png_bytes(fig)


def triptychs(images: np.ndarray, lensed: np.ndarray, maps: np.ndarray, titles: list[str]) -> bytes:
    """One row per image: the image, the lensed image and the importance map (its own colour scale, with its bar)."""
    n = len(images)
    if n == 0:
        fig, ax = plt.subplots(figsize=(4.0, 1.2))
        ax.text(0.5, 0.5, "no mined correction at this α", ha="center", va="center")
        ax.set_axis_off()
        return png_bytes(fig)
    fig, axes = plt.subplots(n, 3, figsize=(7.2, 2.3 * n), squeeze=False, layout="constrained")
    for i in range(n):
        for j, (img, cmap, name) in enumerate(
            ((images[i], "gray", "image"), (lensed[i], "gray", "lensed"), (maps[i], "magma", "map"))
        ):
            shown = axes[i][j].imshow(img, cmap=cmap, vmin=0 if j < 2 else None, vmax=1 if j < 2 else None)
            axes[i][j].set_axis_off()
            if j == 2:
                fig.colorbar(shown, ax=axes[i][j], fraction=0.046).set_label("importance", fontsize=7)
            axes[i][j].set_title(name if j else f"{name}: {titles[i]}", fontsize=7, loc="left")
    return png_bytes(fig)


def correction_triptychs(result: AlphaResult, n: int = 4) -> bytes:
    """Image | lensed | map of the ``n`` corrections with the largest gain (distinct images) of one α's run."""
    top = result.corrections.sort("gain", descending=True).unique("path", keep="first", maintain_order=True).head(n)
    index = {p: i for i, p in enumerate(result.maps["path"])}
    picked = [index[p] for p in top["path"]]
    titles = [
        f"{r['case']} {r['class_name']}: p {r['p_true_original']:.2f} -> {r['p_true_lensed']:.2f}"
        for r in top.iter_rows(named=True)
    ]
    return triptychs(
        result.images[picked, 0].numpy(), result.lensed[picked, 0].numpy(), result.importance[picked], titles
    )
