"""Judging a ConvAE version by its features' activity calls on real files of a plate."""

from pathlib import Path

import polars as pl
import torch

from phenodag.core.compare.config import CompareConfig
from phenodag.core.compare.judge import judge_scores
from phenodag.core.embed.convae import ConvAE
from phenodag.core.ingest.plate import ingest_plate
from phenodag_tests.toy_plate import write_toy_plate


def test_a_version_is_scored_by_activity_and_by_planted_truth_when_given(tmp_path: Path) -> None:
    folder = write_toy_plate(tmp_path, "P1", sites=1, size=64, wells=("B02", "B03", "B04", "B05", "C02", "C03"))
    raw = ingest_plate(folder).images
    assert raw is not None
    torch.manual_seed(0)
    config = CompareConfig(null_size=200)
    scores = judge_scores(ConvAE().eval(), raw, None, config)
    assert set(scores) == {"activity_map"} and 0.0 <= scores["activity_map"] <= 1.0
    planted = pl.DataFrame(
        {"cell_line": "HCT 15", "compound": ["toxin"], "concentration_um": [10.0], "planted": ["cytotoxic"]}
    )
    with_truth = judge_scores(ConvAE().eval(), raw, planted, config)
    assert set(with_truth) == {"activity_map", "fraction_active"} and 0.0 <= with_truth["fraction_active"] <= 1.0
