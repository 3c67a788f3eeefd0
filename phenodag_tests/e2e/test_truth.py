"""The demo's design at test size writes its truth block, and its answers beat chance where the design can show it."""

import contextlib
import io
from pathlib import Path

import polars as pl
import pytest

from phenodag.cli import main
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.demo import demo_truth

TEST_SIZE = [
    *("--plates", "2", "--sites", "1", "--workers", "2"),  # the demo's screen (5 + 2 compounds, 2 days) on 2 plates
    *("--train-steps", "60", "--train-images", "64", "--lens-steps", "4", "--lens-images", "24"),
    *(
        "--group-epochs",
        "5",
    ),
]
"""The demo's screen design on fewer plates and fields, with small training budgets."""


@pytest.mark.e2e
def test_the_demo_design_at_test_size_writes_a_truth_block_above_chance(tmp_path: Path) -> None:
    home = tmp_path / "home"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["demo", "--home", str(home), *TEST_SIZE]) == 0, out.getvalue()[-3000:]
    text = (home / "truth.md").read_text()
    assert (
        text.startswith("## Agreement with the planted truth") and "| stage | metric | value | chance | goal |" in text
    )
    block = demo_truth(DagsterSettings.from_env(home))
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
