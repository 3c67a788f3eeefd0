"""Classification metrics on held-out predictions: top-k accuracy, F1, subsets, configurations.

All functions take class indices and probability matrices; ties in top-k are broken
by class order (stable sort), as scikit-learn's ``top_k_accuracy_score`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def top_k(probs: np.ndarray, k: int) -> np.ndarray:
    """Return the indices of the ``k`` most probable classes per row, most probable first (G, k)."""
    return np.argsort(-probs, axis=1, kind="stable")[:, :k]


def top_k_accuracy(y: np.ndarray, probs: np.ndarray, k: int) -> float:
    """Fraction of rows whose true class is among the ``k`` most probable."""
    if len(y) == 0:
        return float("nan")
    k = min(k, probs.shape[1])
    return float(np.mean(np.any(top_k(probs, k) == np.asarray(y)[:, None], axis=1)))


def top_k_curve(y: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Top-k accuracy for k = 1..K."""
    rank = np.argsort(np.argsort(-probs, axis=1, kind="stable"), axis=1)[np.arange(len(y)), np.asarray(y)]
    return np.array([float(np.mean(rank < k)) for k in range(1, probs.shape[1] + 1)])


def per_class_f1(y: np.ndarray, pred: np.ndarray, n_classes: int) -> np.ndarray:
    """F1 of each class (0 where a class is neither true nor predicted, as scikit-learn's zero_division=0)."""
    y, pred = np.asarray(y), np.asarray(pred)
    f1 = np.zeros(n_classes)
    for c in range(n_classes):
        tp = np.sum((y == c) & (pred == c))
        denom = np.sum(y == c) + np.sum(pred == c)
        f1[c] = 2 * tp / denom if denom else 0.0
    return f1


def macro_f1(y: np.ndarray, pred: np.ndarray, n_classes: int | None = None) -> float:
    """Mean F1 over the classes present in ``y`` or ``pred`` (scikit-learn's default labels)."""
    labels = np.union1d(np.asarray(y), np.asarray(pred)).astype(int)
    if labels.size == 0:
        return float("nan")
    f1 = per_class_f1(y, pred, int(max(labels.max() + 1, n_classes or 0)))
    return float(f1[labels].mean())


def subset_accuracy(y: np.ndarray, probs: np.ndarray, subset: Sequence[int]) -> tuple[float, int]:
    """Top-1 accuracy among the ``subset`` classes, by zeroing the other classes' probabilities.

    Only rows whose true class is in the subset count (the paper's cytotoxic vs
    non-cytotoxic accuracies). Returns (accuracy, rows counted).
    """
    keep = np.isin(y, subset)
    if not keep.any():
        return float("nan"), 0
    masked = np.zeros_like(probs[keep])
    cols = np.asarray(subset, dtype=int)
    masked[:, cols] = probs[keep][:, cols]
    return top_k_accuracy(np.asarray(y)[keep], masked, 1), int(keep.sum())
