"""Classification metrics on held-out predictions: top-k accuracy, F1, subsets, configurations.

All functions take class indices and probability matrices. F1 is scikit-learn's. Top-k
stays here: it breaks ties by class order (a stable sort; scikit-learn's
``top_k_accuracy_score`` breaks them the other way and refuses two-column scores of a
two-class fold), and it also gives the whole top-k curve and the per-row top-k lists.
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
    """F1 of each class 0..n_classes-1 (scikit-learn's ``f1_score``; 0 where a class is neither true nor predicted)."""
    from sklearn.metrics import f1_score

    return np.asarray(f1_score(y, pred, labels=np.arange(n_classes), average=None, zero_division=0.0))


def macro_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean F1 over the classes present in ``y`` or ``pred`` (scikit-learn's ``f1_score``, macro average)."""
    from sklearn.metrics import f1_score

    if len(y) == 0:
        return float("nan")
    return float(f1_score(y, pred, average="macro", zero_division=0.0))


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
