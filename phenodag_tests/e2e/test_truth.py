"""The demo's design at test size writes its truth block, and its answers beat chance where the design can show it."""

import polars as pl
import pytest

from phenodag.defs.shared.settings import DagsterSettings
from phenodag.demo import demo_truth
from phenodag_tests.conftest import Demo


@pytest.mark.e2e
def test_the_demo_design_at_test_size_writes_a_truth_block_above_chance(small_demo: Demo) -> None:
    text = (small_demo.home / "truth.md").read_text()
    assert (
        text.startswith("## Agreement with the planted truth") and "| stage | metric | value | chance | goal |" in text
    )
    block = demo_truth(DagsterSettings.from_env(small_demo.home))
    assert set(block["stage"]) == {"temporal", "morphology", "compare", "lens", "groups", "transfer", "robustness"}
    value = dict(zip(block["metric"], block["value"], strict=True))
    chance = dict(zip(block["metric"], block["chance"], strict=True))
    # growth typing needs no training: it must beat always calling the commonest type
    assert value["growth ARI"] > 0.2
    assert value["growth share right"] > chance["growth share right"]
    roc = block.filter(pl.col("metric").str.starts_with("drug vs control ROC-AUC"))["value"]
    assert roc.max() > 0.6  # some encoder tells treated wells from controls
    assert value["top-dose morphology-only called active"] is not None
    assert block["value"].drop_nulls().n_unique() > 10  # answers, not a constant
