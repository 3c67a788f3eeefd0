import polars as pl
import pytest

from phenodag.core.groups.summary import comparison_table, configuration_f1_table, mean_sd, subset_accuracy_table


def test_subset_accuracy_from_stored_rankings() -> None:
    preds = pl.DataFrame(
        {
            "method": ["product"] * 3,
            "features": ["resnet18"] * 3,
            "variant": ["all"] * 3,
            "fold": [0, 0, 0],
            "group_id": ["g1", "g2", "g3"],
            "true_class": ["tox1", "tox2", "calm"],
            "predicted_classes": [["calm", "tox1", "tox2"], ["tox1", "tox2", "calm"], ["tox1", "calm", "tox2"]],
            "probabilities": [[0.5, 0.3, 0.2], [0.6, 0.3, 0.1], [0.5, 0.4, 0.1]],
        }
    )
    table = subset_accuracy_table(preds, {"tox1": "cytotoxic", "tox2": "cytotoxic", "calm": "no_effect"})
    got = dict(zip(table["subset"], table["accuracy"], strict=True))
    assert got == {"cytotoxic": 0.5, "no_effect": 1.0}  # g1 right (calm zeroed), g2 wrong; g3 alone in its subset


def test_configuration_f1_and_comparison() -> None:
    images = pl.DataFrame(
        {
            "method": ["m"] * 4,
            "features": ["resnet18"] * 4,
            "variant": ["all"] * 4,
            "fold": [0] * 4,
            "configuration": ["a", "a", "b", "b"],
            "true_class": ["x", "y", "x", "y"],
            "predicted_class": ["x", "y", "y", "y"],
        }
    )
    conf = configuration_f1_table(images)
    assert conf["accuracy"].to_list() == [1.0, 0.5] and conf["macro_f1"][0] == 1.0
    metrics = pl.DataFrame(
        {
            "method": ["a", "a", "b", "b"],
            "features": ["resnet18"] * 4,
            "variant": ["all", "all", "1uM", "1uM"],
            "fold": [0, 1, 0, 1],
            "n_groups": [2] * 4,
            "top1_accuracy": [0.5, 0.7, 0.9, 0.9],
            "top5_accuracy": [1.0] * 4,
            "top10_accuracy": [1.0] * 4,
            "macro_f1": [0.4, 0.6, 0.8, 0.8],
        }
    )
    table = comparison_table(metrics)
    assert table["method"].to_list() == ["b@1uM", "a"]
    assert table["top1_accuracy_mean"].to_list() == pytest.approx([0.9, 0.6])
    assert mean_sd(table)["top1_accuracy"][1] == "0.6 ± 0.141"
