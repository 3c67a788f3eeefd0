"""The lens stage through Dagster on a tiny simulated screen: classifier, two α, maps against the masks."""

from pathlib import Path

import dagster as dg
import mlflow
import polars as pl
import pytest
import torch

from phenodag.core.embed.convae import ConvAE, kaiming_init
from phenodag.core.shared import lake
from phenodag.core.simulate import simulate_screen, timelapse_design
from phenodag.defs.lens import LENS_CLASSIFIER_JOB, LENS_JOB
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import Runner
from phenodag_tests.defs.conftest import run_ingest

LENS = {"steps": 2, "batch_size": 4, "classifier_epochs": 20, "max_corrections": 2}


@pytest.mark.slow
def test_lens_end_to_end(settings: DagsterSettings, instance: dg.DagsterInstance, tmp_path: Path) -> None:
    from phenodag.definitions import build_definitions
    from phenodag.defs.shared.resources import EncodersResource

    torch.manual_seed(0)
    weights = tmp_path / "convae.pt"
    torch.save(kaiming_init(ConvAE()).state_dict(), weights)
    defs = build_definitions(settings, {"encoders": EncodersResource(convae_model=str(weights))})
    design = timelapse_design(n_compounds=3, days=0.5, every_h=6, image_size=64, replicates=2, control_wells=2)
    plates = [f.name for f in simulate_screen(design, settings.inbox, seed=0)]
    for plate in plates:
        assert run_ingest(defs, instance, plate).success
    masks = lake.read_table(settings.lake, "sim_masks")
    assert masks.height == lake.read_table(settings.lake, "raw_images").height  # one mask per simulated image

    runner = Runner(defs, instance)
    config = {"ops": {"lens_classifier": {"config": LENS}}}
    assert runner.run(LENS_CLASSIFIER_JOB, config=config).success
    for key in ("0", "-20"):
        assert runner.run(LENS_JOB, key, {"ops": {"lens": {"config": LENS}}}).success

    metrics = lake.read_table(settings.lake, "lens_metrics").sort("alpha")
    assert metrics["alpha"].to_list() == [-20.0, 0.0]
    assert metrics["top1_original"].n_unique() == 1  # the same classifier and held-out images for every α
    assert metrics["map_mass_in_cells"].is_not_null().all()
    maps = lake.read_table(settings.lake, "lens_maps")
    assert maps.group_by("alpha_key").len().sort("alpha_key")["len"].to_list() == [metrics["n_held_out_images"][0]] * 2
    assert maps["map"].list.len().unique().to_list() == [64 * 64]
    held = set(maps.select("plate_id", "well").iter_rows())
    assert held and held < set(lake.read_table(settings.lake, "raw_images").select("plate_id", "well").iter_rows())

    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    runs = mlflow.search_runs(experiment_names=["phenodag-lens"], output_format="list")
    assert sorted(r.info.run_name for r in runs) == ["Lens: alpha -20", "Lens: alpha 0", "Lens: drug classifier"]
    lensed = next(r for r in runs if r.info.run_name == "Lens: alpha -20")
    assert {"L_rec", "L_disc", "L_total", "top1_lensed"} <= lensed.data.metrics.keys()

    # re-running one α rewrites only its partition
    before = lake.read_table(settings.lake, "lens_maps").filter(pl.col("alpha_key") == "0").drop("map")
    assert runner.run(LENS_JOB, "-20", {"ops": {"lens": {"config": LENS}}}).success
    after = lake.read_table(settings.lake, "lens_maps").filter(pl.col("alpha_key") == "0").drop("map")
    assert after.sort("path").equals(before.sort("path"))
