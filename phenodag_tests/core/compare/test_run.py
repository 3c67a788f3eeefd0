"""All comparison blocks of one encoder from its well profiles: every table filled, the active compound called."""

import polars as pl
import pytest

from phenodag.core.compare.config import CompareConfig
from phenodag.core.compare.run import compare_blocks
from phenodag_tests.core.compare.synthetic import profiles


@pytest.mark.slow
def test_every_block_table_is_filled_and_the_active_compound_is_called() -> None:
    mechanism = {"A1": "a", "A2": "a", "B1": "b", "B2": "b"}  # two planted types of two compounds each
    effects = {"A1": 4.0, "A2": 4.0, "B1": 4.0, "B2": 4.0, "INERT": 0.0}
    df = profiles(effects, plates=3, controls=4, mechanism=mechanism)
    wells = df.select("plate_id", "well", "time_h", "vector").with_columns(
        encoder=pl.lit("e"), weights_id=pl.lit("w"), n_fields=pl.lit(1, dtype=pl.UInt32)
    )
    raw = df.drop("vector", "time_h").unique(["plate_id", "well"])
    planted = pl.DataFrame(
        {
            "cell_line": "HCT 15",
            "compound": ["A1", "A2", "B1", "B2", "INERT"],
            "concentration_um": 10.0,
            "planted": ["cytotoxic", "cytotoxic", "cytostatic", "cytostatic", "no_effect"],
        }
    )
    config = CompareConfig(cluster_grid=[10], null_size=500)
    blocks = compare_blocks(wells, raw, planted, "e", config)
    assert set(blocks.tables) == {"encoder_similarity", "encoder_clustering", "encoder_classification", "encoder_map"}
    assert all(t.height and set(t["encoder"]) == {"e"} for t in blocks.tables.values())
    activity = blocks.tables["encoder_map"].filter(pl.col("kind") == "activity").sort("compound")
    assert activity["significant"].to_list() == [True, True, True, True, False]  # A1, A2, B1, B2, INERT
    assert set(blocks.tables["encoder_map"]["kind"]) == {"activity", "consistency"}  # planted truth given
    without_truth = compare_blocks(wells, raw, None, "e", config).tables["encoder_map"]
    assert set(without_truth["kind"]) == {"activity"}  # consistency needs the planted types
    assert "HCT 15" in blocks.coordinates
