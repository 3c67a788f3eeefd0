import polars as pl

from phenodag.core.compare.summary import HEADLINE_METRICS, activity_scores, comparison_table, encoder_row
from phenodag.core.shared.schemas import (
    ENCODER_CLASSIFICATION_SCHEMA,
    ENCODER_CLUSTERING_SCHEMA,
    ENCODER_MAP_SCHEMA,
    ENCODER_SIMILARITY_SCHEMA,
)


def activity(rows: list[tuple[str, float, bool]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "encoder": "e",
                "kind": "activity",
                "cell_line": "L",
                "group": f"{c}@{x}",
                "compound": c,
                "concentration_um": x,
                "planted": None,
                "map": 0.5,
                "p_value": 0.01,
                "corrected_p_value": 0.02,
                "significant": s,
            }
            for c, x, s in rows
        ],
        schema=ENCODER_MAP_SCHEMA,
    )


def truth(rows: list[tuple[str, float, str]]) -> pl.DataFrame:
    """Planted response types of (compound, concentration, type) conditions of cell line L."""
    return pl.DataFrame(rows, schema=["compound", "concentration_um", "planted"], orient="row").with_columns(
        cell_line=pl.lit("L")
    )


def test_fraction_active_and_false_positive_rate_from_truth() -> None:
    maps = activity([("A", 1.0, True), ("A", 10.0, True), ("B", 1.0, False), ("B", 10.0, True), ("C", 10.0, True)])
    planted = truth([("A", 1.0, "cytotoxic"), ("A", 10.0, "cytotoxic"), ("B", 1.0, "no_effect")])
    planted = pl.concat([planted, truth([("B", 10.0, "cytostatic"), ("C", 10.0, "no_effect")])])
    empty = {
        "encoder_similarity": pl.DataFrame(schema=ENCODER_SIMILARITY_SCHEMA),
        "encoder_clustering": pl.DataFrame(schema=ENCODER_CLUSTERING_SCHEMA),
        "encoder_classification": pl.DataFrame(schema=ENCODER_CLASSIFICATION_SCHEMA),
    }
    row = encoder_row("e", "random:seed0", "{}", {**empty, "encoder_map": maps}, planted)
    assert row["fraction_active"] == 1.0  # A@1, A@10, B@10 all called active
    assert row["false_positive_rate"] == 0.5  # of B@1 and C@10 (planted no_effect), C@10 was called
    assert row["share_called_active"] == 0.8 and row["ari_compound"] is None  # an empty block is null, not 0
    real = encoder_row("e", "w", "{}", {**empty, "encoder_map": maps}, None)
    assert real["fraction_active"] is None and real["share_called_active"] == 0.8  # a real screen has no truth
    table = comparison_table([row, real])
    assert table.height == 2 and set(HEADLINE_METRICS) <= set(table.columns)


def test_morphology_only_conditions_count_as_active_not_as_false_positives() -> None:
    maps = activity([("A", 10.0, True), ("M", 1.0, True), ("M", 10.0, False), ("M", 0.1, False), ("C", 10.0, False)])
    planted = truth([("A", 10.0, "cytotoxic"), ("M", 1.0, "no_effect"), ("M", 10.0, "no_effect")])
    planted = pl.concat([planted, truth([("M", 0.1, "no_effect"), ("C", 10.0, "no_effect")])])
    planted = planted.with_columns(morphology=pl.Series([False, True, True, False, False]))  # M shows from 1 µM
    scores = activity_scores(maps, planted)
    assert scores["fraction_active_growth"] == 1.0
    assert scores["fraction_active_morphology"] == 0.5  # M@1 called, M@10 missed
    assert scores["fraction_active"] == 2 / 3
    assert scores["false_positive_rate"] == 0.0  # M@0.1 and C@10, neither called
    without = activity_scores(maps, planted.drop("morphology"))  # truth without the column: growth only
    assert without["fraction_active_morphology"] is None and without["false_positive_rate"] == 0.25
