"""Held-out classification metrics of the drug classifier, with and without the lens."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score, precision_score, recall_score, top_k_accuracy_score


def classification_metrics(labels: np.ndarray, probs: np.ndarray) -> dict[str, float]:
    """Top-1 and top-3 accuracy, and macro F1, recall and precision over the classes present.

    Parameters
    ----------
    labels
        True class indices (N,).
    probs
        Class probabilities (N, K).
    """
    k = probs.shape[1]
    classes = np.arange(k)
    pred = probs.argmax(1)
    present = np.unique(labels)
    return {
        "top1": float(np.mean(pred == labels)),
        "top3": float(top_k_accuracy_score(labels, probs, k=3, labels=classes)) if k > 3 else 1.0,
        "f1": float(f1_score(labels, pred, labels=present, average="macro", zero_division=0)),
        "recall": float(recall_score(labels, pred, labels=present, average="macro", zero_division=0)),
        "precision": float(precision_score(labels, pred, labels=present, average="macro", zero_division=0)),
    }
