import numpy as np
import pytest
from sklearn.metrics import f1_score, top_k_accuracy_score

from phenodag.core.groups.metrics import (
    macro_f1,
    per_class_f1,
    subset_accuracy,
    top_k,
    top_k_accuracy,
    top_k_curve,
)

RNG = np.random.default_rng(0)
Y = RNG.integers(0, 6, 60)
PROBS = RNG.dirichlet(np.ones(6), 60)
PROBS[:20, :] = PROBS[:20, :] * 0.2 + 0.8 * np.eye(6)[Y[:20]]  # some signal


@pytest.mark.parametrize("k", [1, 2, 5])
def test_top_k_accuracy_matches_sklearn(k: int) -> None:
    assert top_k_accuracy(Y, PROBS, k) == pytest.approx(top_k_accuracy_score(Y, PROBS, k=k, labels=range(6)))


def test_top_k_curve_is_each_k_and_ends_at_one() -> None:
    curve = top_k_curve(Y, PROBS)
    assert curve == pytest.approx([top_k_accuracy(Y, PROBS, k) for k in range(1, 7)])
    assert curve[-1] == 1.0 and np.all(np.diff(curve) >= 0)


def test_f1_matches_sklearn() -> None:
    pred = PROBS.argmax(axis=1)
    assert macro_f1(Y, pred) == pytest.approx(f1_score(Y, pred, average="macro"))
    assert per_class_f1(Y, pred, 6) == pytest.approx(f1_score(Y, pred, average=None, labels=range(6), zero_division=0))


def test_subset_accuracy_zeroes_other_classes() -> None:
    y = np.array([0, 1, 2])
    probs = np.array([[0.1, 0.5, 0.4], [0.2, 0.7, 0.1], [0.6, 0.1, 0.3]])
    acc, n = subset_accuracy(y, probs, [0, 2])  # rows 0 and 2 count; row 0: 0.1 vs 0.4 → 2 (wrong); row 2 → 0 (wrong)
    assert (acc, n) == (0.0, 2)
    acc, n = subset_accuracy(y, probs, [1, 2])  # rows 1, 2: row 1 → 1 (right), row 2: 0.1 vs 0.3 → 2 (right)
    assert (acc, n) == (1.0, 2)


def test_top_k_orders_by_probability() -> None:
    assert top_k(np.array([[0.1, 0.7, 0.2]]), 2).tolist() == [[1, 2]]
