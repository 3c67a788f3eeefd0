"""The group stage's driver helpers: concentrations, class subsets and the pooled curves and F1 over folds."""

import numpy as np
import polars as pl
import pytest

from phenodag.core.groups.run import class_subsets, concentrations, pooled_class_f1, pooled_curves


def test_concentrations_come_from_the_configuration_labels() -> None:
    groups = pl.DataFrame({"configurations": [["1uM@24h", "10uM@24h"], ["0.1uM@48h", "10uM@48h"]]})
    assert concentrations(groups) == [0.1, 1.0, 10.0]


def test_each_compound_takes_its_response_type_at_the_top_dose() -> None:
    truth = pl.DataFrame(
        {
            "compound": ["A", "A", "B", "DMSO"],
            "concentration_um": [0.1, 10.0, 1.0, 0.0],
            "is_control": [False, False, False, True],
            "response_type": ["no_effect", "cytotoxic", "cytostatic", "no_effect"],
        }
    )
    assert class_subsets(truth) == {"A": "cytotoxic", "B": "cytostatic"}


def test_pooled_top_k_curve_and_class_f1_over_folds() -> None:
    predictions = pl.DataFrame(
        {
            "method": "product",
            "variant": ["all", "all", "all", "all", "1uM"],
            "true_class": ["A", "B", "C", "A", "C"],
            "predicted_classes": [["A", "B", "C"], ["C", "B", "A"], ["C", "A", "B"], ["B", "A", "C"], ["A", "B", "C"]],
            "probabilities": [[0.6, 0.3, 0.1], [0.5, 0.4, 0.1], [0.7, 0.2, 0.1], [0.5, 0.4, 0.1], [0.9, 0.05, 0.05]],
        }
    )
    curves = pooled_curves(predictions)
    assert list(curves) == ["product"]  # only the 'all' variant pools
    assert curves["product"] == pytest.approx([0.5, 1.0, 1.0])  # top-1: A, C right; top-2 catches B and the second A
    f1 = pooled_class_f1(predictions.filter(pl.col("variant") == "all"))
    assert np.allclose(f1, [2 / 3, 0.0, 2 / 3])  # A: 1 of 2 found, 1 of 1 right; B never right; C: 1 of 2 called C
