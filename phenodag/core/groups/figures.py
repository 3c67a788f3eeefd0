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


def roc_pr_curves(y: np.ndarray, score: np.ndarray, title: str) -> bytes:
    """ROC and precision-recall curves of held-out scores ``score`` for the positive class ``y == 1``."""
    from sklearn.metrics import auc, precision_recall_curve, roc_curve

    fig, (roc, pr) = plt.subplots(1, 2, figsize=(7, 3))
    fpr, tpr, _ = roc_curve(y, score)
    roc.plot(fpr, tpr, color="tab:blue")
    roc.plot([0, 1], [0, 1], color="grey", lw=0.8, ls="--")
    roc.set(xlabel="false positive rate", ylabel="true positive rate", title=f"ROC (AUC {auc(fpr, tpr):.3f})")
    precision, recall, _ = precision_recall_curve(y, score)
    pr.plot(recall, precision, color="tab:orange")
    pr.axhline(float(np.mean(y)), color="grey", lw=0.8, ls="--")
    pr.set(xlabel="recall", ylabel="precision", title="precision-recall", ylim=(0, 1.02))
    fig.suptitle(title, fontsize=9)
    return png_bytes(fig)


def robustness_lines(table: dict[str, dict[str, tuple[list[float], list[float]]]]) -> dict[str, bytes]:
    """One line plot per perturbation: mean held-out top-1 against its level, one line per method.

    ``table`` maps perturbation → method → (levels, accuracies).
    """
    out = {}
    for kind, methods in table.items():
        fig, ax = plt.subplots(figsize=(4.5, 3))
        for method, (levels, acc) in sorted(methods.items()):
            ax.plot(levels, acc, marker="o", label=method)
        ax.set_xlabel({"blur": "kernel size (px)", "noise": "noise sd (x image sd)"}.get(kind, "copies inserted"))
        ax.set_ylabel("held-out top-1")
        ax.set_ylim(0, 1.02)
        ax.set_title(kind, fontsize=9)
        ax.legend(fontsize=7)
        out[kind] = png_bytes(fig)
    return out
