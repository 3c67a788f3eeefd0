"""Figures of the comparison: the UMAP of the best sweep point, coloured by compound and by planted response."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import polars as pl

from phenodag.core.shared.figures import png_bytes


def umap_scatter(xy: np.ndarray, meta: pl.DataFrame, title: str) -> bytes:
    """Two panels of the same 2-D UMAP: points coloured by compound, and by planted response where known."""
    columns = ["compound"] + (["planted"] if "planted" in meta.columns else [])
    fig, axes = plt.subplots(1, len(columns), figsize=(5.5 * len(columns), 4.5), squeeze=False)
    for ax, column in zip(axes[0], columns, strict=True):
        labels = meta[column].fill_null("control").to_list()
        for i, value in enumerate(sorted(set(labels))):
            mask = np.array([label == value for label in labels])
            ax.scatter(xy[mask, 0], xy[mask, 1], s=10, color=plt.cm.tab10(i % 10), label=value)
        ax.set_title(f"{title}: by {'planted response' if column == 'planted' else column}")
        ax.set_xlabel("UMAP 1")
        ax.set_ylabel("UMAP 2")
        ax.legend(fontsize=7, markerscale=1.5, loc="best")
    return png_bytes(fig)
