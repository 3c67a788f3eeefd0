"""The embedded demo: every stage's tables from one small run, and the stage defaults it leaves in its home."""

from pathlib import Path

import polars as pl
import pytest

from phenodag.cli import build_parser
from phenodag.core.shared import lake
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.defs.shared.stage_config import read_stage_config
from phenodag.demo import DemoOptions, demo_stage_config, keep_stage_config
from phenodag_tests.conftest import SMALL_DEMO, Demo


@pytest.mark.e2e
def test_demo_simulates_and_materialises_tables(small_demo: Demo) -> None:
    home, out = small_demo.home, small_demo.out
    # 2 plates of 7 compounds x 3 concentrations + 4 DMSO wells, 1 site, 14 times (-4 to 48 h every 4 h)
    assert "plates: 2, images: 700, quarantined files: 0" in out
    assert "cytostatic" in out  # the planted response table
    lake_root = DagsterSettings.from_env(home).lake
    screen = pl.col("plate_id").str.starts_with("SIM_TL")
    # the browser test may have refreshed plate_summary after the library landed: look at the screen's plates
    summary = lake.read_table(lake_root, "plate_summary").filter(screen).sort("plate_id")
    assert summary.select("plate_id", "n_images").rows() == [("SIM_TL_HCT15_R1", 350), ("SIM_TL_HCT15_R2", 350)]
    assert lake.read_table(lake_root, "well_timecourse").filter(pl.col("n_images") != 1).height == 0
    assert lake.read_table(lake_root, "sim_truth").filter(screen).height == 2 * (7 * 3 + 1)
    embeddings = lake.read_table(lake_root, "embeddings").filter(screen)
    assert embeddings.group_by("encoder").len().sort("encoder").rows() == [
        ("classical", 700),
        ("convae", 700),
        ("convae-random", 700),
    ]
    comparison = lake.read_table(lake_root, "encoder_comparison")
    assert comparison["encoder"].to_list() == ["classical", "convae", "convae-random"]
    growth = lake.read_table(lake_root, "growth_gr").filter(screen)
    assert growth.select("compound", "concentration_um").n_unique() == 7 * 3  # every treated condition has its GR
    assert "GR metrics per compound" in out
    assert "encoder comparison" in out and "random:seed0" in out
    assert "well x time embeddings (convae): 814" in out  # the screen's 700 and the library's 2 x 19 wells x 3 times
    assert "response calls (encoder convae" in out
    clusters = lake.read_table(lake_root, "temporal_clusters")
    assert clusters.height == 7 * 3 and set(clusters["encoder"]) == {"convae"}
    calls = lake.read_table(lake_root, "response_calls")
    assert calls.height == 7 * 3 and calls["growth_type"].null_count() < calls.height  # growth ran before
    assert "every stage against the planted truth" in out and (home / "truth.md").exists()
    groups = lake.read_table(lake_root, "image_groups")
    assert set(groups["group_set"]) >= {"screen", "library"}  # the second library landed after the lens
    assert set(groups["configurations"].list.len()) == {6}  # 3 doses x 24 and 48 h
    metrics = lake.read_table(lake_root, "group_cv_metrics")
    assert set(metrics["method"]) == {"product", "amil", "mi_net", "mi_net_inst", "baseline"}
    assert set(metrics["features"]) == {"embeddings:convae"}
    assert set(lake.read_table(lake_root, "group_transfer")["task"]) == {"moa", "treated_vs_control", "library"}
    assert lake.read_table(lake_root, "group_robustness").height > 0
    assert "group classification on frozen convae vectors" in out and "robustness" in out
    stages = read_stage_config(DagsterSettings.from_env(home).stage_config)  # what automated runs in this home train
    options = DemoOptions.from_args(build_parser().parse_args(["demo", *SMALL_DEMO]))
    assert stages == demo_stage_config(options) and stages["group_cv"]["features"] == "embeddings:convae"


def test_the_demo_keeps_a_homes_own_stage_config(tmp_path: Path) -> None:
    settings = DagsterSettings.from_env(tmp_path)
    options = DemoOptions.from_args(build_parser().parse_args(["demo", "--group-epochs", "7"]))
    assert keep_stage_config(settings, options)
    assert read_stage_config(settings.stage_config)["group_cv"]["epochs"] == 7
    assert not keep_stage_config(settings, DemoOptions.from_args(build_parser().parse_args(["demo"])))
    assert read_stage_config(settings.stage_config)["group_cv"]["epochs"] == 7
