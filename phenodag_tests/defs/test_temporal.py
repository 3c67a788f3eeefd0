"""Trajectories and clusters through Dagster on a tiny simulated screen."""

from pathlib import Path

import dagster as dg
import mlflow
import polars as pl
import pytest
import torch

from phenodag.core.embed.convae import ConvAE
from phenodag.core.shared import lake
from phenodag.core.simulate import simulate_screen, timelapse_design
from phenodag.definitions import build_definitions
from phenodag.defs.embed import EMBED_JOB
from phenodag.defs.shared.partitions import embedding_key
from phenodag.defs.shared.resources import EncodersResource
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.defs.temporal import GROWTH_JOB, TEMPORAL_JOB
from phenodag_tests.defs.conftest import run_ingest


@pytest.mark.slow
def test_temporal_assets_end_to_end(settings: DagsterSettings, instance: dg.DagsterInstance, tmp_path: Path) -> None:
    torch.manual_seed(0)
    weights = tmp_path / "ae.pt"
    torch.save(ConvAE().state_dict(), weights)
    defs = build_definitions(settings, {"encoders": EncodersResource(convae_model=str(weights))})
    design = timelapse_design(n_compounds=2, days=0.5, every_h=4, image_size=48, replicates=2, control_wells=2)
    plates = [f.name for f in simulate_screen(design, settings.inbox, seed=0)]
    embed = defs.resolve_job_def(EMBED_JOB)
    for plate in plates:
        assert run_ingest(defs, instance, plate).success
        assert embed.execute_in_process(partition_key=embedding_key("convae", plate), instance=instance).success
    result = defs.resolve_job_def(TEMPORAL_JOB).execute_in_process(partition_key="convae", instance=instance)
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    traj = lake.read_table(settings.lake, "temporal_trajectories")
    assert traj.select("compound", "concentration_um").n_unique() == 2 * 3  # every treated condition
    assert traj.group_by("compound", "concentration_um").len()["len"].to_list() == [len(design.times_h)] * 6
    assert set(traj["n_wells"]) == {2}  # the two replicate plates averaged
    clusters = lake.read_table(settings.lake, "temporal_clusters")
    assert clusters.height == 6 and set(clusters["response_type"]) <= {"no_effect", "cytostatic", "cytotoxic", "mixed"}
    scan = lake.read_table(settings.lake, "temporal_k_scan")
    assert scan.filter(pl.col("chosen")).height == (1 if scan.height else 0)  # no scan with < 3 responders
    meta = {
        e.materialization.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    clusters_meta = meta["temporal_clusters"]
    assert next(iter(clusters_meta)) == "clusters"  # the most telling figure first
    assert "/get-artifact?path=clusters.png&run_uuid=" in clusters_meta["clusters"].value  # drawn inline by the UI
    assert len(clusters_meta["clusters"].value) < 1000  # Dagster draws markdown inline only below 1000 characters
    assert clusters_meta["clusters (embedded)"].value.startswith("![DTW clusters")
    calls = lake.read_table(settings.lake, "response_calls")
    assert calls.height == 6 and calls["growth_type"].null_count() == 6  # growth_job has not run: no growth call
    assert not calls["active"].any()  # compare_job has not run: no activity, so nothing is called morphological
    assert {"agreement_with_sim_truth", "confusion_combined", "confusion_growth"} <= set(meta["response_calls"])
    assert "data:image/png;base64," in clusters_meta["examples (embedded)"].value  # example wells beside the plot
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    (run,) = mlflow.search_runs(experiment_names=["phenodag-temporal"], output_format="list")
    assert run.data.metrics["chosen_k"] == clusters.filter(pl.col("cluster") >= 0)["cluster"].n_unique()
    assert run.data.tags["dagster.partition"] == "convae"


@pytest.mark.slow
def test_growth_assets_read_the_classical_confluence(settings: DagsterSettings, instance: dg.DagsterInstance) -> None:
    defs = build_definitions(settings)
    design = timelapse_design(n_compounds=3, days=2, every_h=8, image_size=96, replicates=1, control_wells=3)
    (plate,) = [f.name for f in simulate_screen(design, settings.inbox, seed=0)]
    assert run_ingest(defs, instance, plate).success
    growth = defs.resolve_job_def(GROWTH_JOB)
    assert not growth.execute_in_process(instance=instance, raise_on_error=False).success  # no classical vectors yet
    embed = defs.resolve_job_def(EMBED_JOB)
    assert embed.execute_in_process(partition_key=embedding_key("classical", plate), instance=instance).success
    result = growth.execute_in_process(instance=instance)
    assert result.success
    curves = lake.read_table(settings.lake, "growth_curves")
    assert curves.height == curves.select("well", "time_h").n_unique() and curves["confluence"].is_between(0, 1).all()
    controls = curves.filter(pl.col("is_control")).group_by("time_h").agg(pl.col("confluence").mean()).sort("time_h")
    assert controls["confluence"][-1] > controls["confluence"][0]  # controls grow
    gr = lake.read_table(settings.lake, "growth_gr")
    last = gr.filter(pl.col("time_h") == gr["time_h"].max())
    top = last.filter(pl.col("concentration_um") == pl.col("concentration_um").max().over("compound"))
    by_profile = {c.name: c.profile for c in design.compounds}
    final = {by_profile[r["compound"]]: r["gr"] for r in top.iter_rows(named=True)}
    assert final["cytotoxic"] < 0 < final["inactive"]  # the planted kill reads as GR < 0, the inactive as growth
    metrics = lake.read_table(settings.lake, "growth_metrics")
    assert set(metrics["compound"]) == set(by_profile) and (metrics["n_doses"] == 3).all()
    meta = {
        e.materialization.asset_key.to_user_string(): e.materialization.metadata
        for e in result.get_asset_materialization_events()
    }
    assert "growth" in meta["growth_curves"] and "metrics" in meta["growth_metrics"]
