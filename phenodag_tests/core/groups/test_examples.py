import polars as pl

from phenodag.core.groups.examples import prediction_examples


def test_examples_alternate_right_and_wrong_groups_with_their_images() -> None:
    predictions = pl.DataFrame(
        {
            "group_id": ["g1", "g2", "g3"],
            "true_class": ["A", "B", "A"],
            "predicted_classes": [["A", "B"], ["A", "B"], ["A", "B"]],
            "fold": [0, 0, 1],
        }
    )
    groups = pl.DataFrame(
        {
            "group_id": ["g1", "g2", "g3"],
            "paths": [["a.tif", "b.tif"], ["c.tif"], ["d.tif"]],
            "configurations": [["1uM@24h", "10uM@24h"], ["1uM@24h"], ["1uM@24h"]],
        }
    )
    rows = prediction_examples(predictions, groups, n=3)
    assert [r.label.split("|")[0] for r in rows] == ["right: A", "wrong: A", "right: A"]
    assert "true: B" in rows[1].label
    assert list(rows[0].tiles) == [("a.tif", "1uM@24h"), ("b.tif", "10uM@24h")]
    assert prediction_examples(predictions.clear(), groups) == []
