"""Held-out lens metrics on a hand-made case."""

import numpy as np

from phenodag.core.lens.metrics import classification_metrics


def test_top1_and_top3() -> None:
    labels = np.array([0, 1, 2, 3])
    probs = np.array(
        [[0.7, 0.1, 0.1, 0.1], [0.5, 0.3, 0.1, 0.1], [0.4, 0.1, 0.3, 0.2], [0.1, 0.2, 0.3, 0.4]], dtype=float
    )
    m = classification_metrics(labels, probs)
    assert m["top1"] == 0.5
    assert m["top3"] == 1.0
    assert 0 < m["f1"] < 1 and 0 < m["precision"] <= 1 and m["recall"] == 0.5
