"""Figures of the group cross-validation as PNG bytes: per-class F1 histogram and top-k curves."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from phenodag.core.shared.figures import png_bytes


def f1_histogram(f1: np.ndarray, method: str) -> bytes:
    """Histogram of the per-class F1 scores of one method (held-out groups, all folds)."""
    fig, ax = plt.subplots(figsize=(4, 2.6))
    ax.hist(f1, bins=list(np.linspace(0, 1, 11)), color="tab:blue", edgecolor="white")
    ax.set_xlabel("per-class F1")
    ax.set_ylabel("classes")
    ax.set_title(f"{method}: {len(f1)} classes, mean F1 {np.mean(f1):.2f}", fontsize=9)
    return png_bytes(fig)


def top_k_curves(curves: dict[str, np.ndarray]) -> bytes:
    """Top-k accuracy against k = 1..K, one line per method."""
    fig, ax = plt.subplots(figsize=(4.5, 3))
    for method, curve in sorted(curves.items()):
        ax.plot(np.arange(1, len(curve) + 1), curve, marker=".", label=method)
    ax.set_xlabel("k")
    ax.set_ylabel("top-k accuracy")
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    return png_bytes(fig)
