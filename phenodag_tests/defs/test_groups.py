"""Image groups and group cross-validation through Dagster on a tiny simulated end-point screen."""

import dagster as dg
import mlflow
import polars as pl
import pytest

from phenodag.core.shared import lake
from phenodag.core.simulate import endpoint_design, simulate_screen
from phenodag.defs.groups import GROUP_CV_JOB, GROUP_REUSE_JOB, GROUPS_JOB
from phenodag.defs.shared.settings import DagsterSettings
from phenodag_tests.defs.conftest import run_ingest

CV_CONFIG = {"epochs": 1, "image_size": 32, "batch_groups": 4, "log_models": False}


@pytest.mark.slow
def test_groups_and_cv_end_to_end(
    settings: DagsterSettings, defs: dg.Definitions, instance: dg.DagsterInstance
) -> None:
    design = endpoint_design(n_compounds=3, image_size=48, replicates=2, sites=2, control_wells=2)
    for folder in simulate_screen(design, settings.inbox, seed=0):
        assert run_ingest(defs, instance, folder.name).success
    groups_run = defs.resolve_job_def(GROUPS_JOB).execute_in_process(
        instance=instance, run_config={"ops": {"image_groups": {"config": {"n_folds": 2}}}}
    )
    assert groups_run.success and all(c.passed for c in groups_run.get_asset_check_evaluations())
    groups = lake.read_table(settings.lake, "image_groups").filter(pl.col("group_set") == "screen")
    assert groups.height == 3 * 2 * 2  # compounds x replicates x sites
    assert set(groups["configurations"].list.len()) == {6}  # 3 concentrations x 2 times, one image each
    assert groups.group_by("compound", "fold").len()["len"].to_list() == [2] * 6

    cv = defs.resolve_job_def(GROUP_CV_JOB)
    for method in ("product", "baseline"):
        config = {**CV_CONFIG, "restricted_baselines": method == "baseline"}
        result = cv.execute_in_process(
            partition_key=method, instance=instance, run_config={"ops": {"group_cv": {"config": config}}}
        )
        assert result.success
    metrics = lake.read_table(settings.lake, "group_cv_metrics")
    assert set(metrics["method"]) == {"product", "baseline"}
    assert set(metrics.filter(pl.col("method") == "baseline")["variant"]) == {"all", "0.1uM", "1uM", "10uM"}
    assert metrics.filter(pl.col("variant") == "all")["n_groups"].sum() == 2 * groups.height  # held out once each
    preds = lake.read_table(settings.lake, "group_cv_predictions").filter(pl.col("variant") == "all")
    held = preds.join(groups.select("group_id", pl.col("fold").alias("group_fold")), on="group_id")
    assert held.height == preds.height  # every prediction is of a known group
    assert (held["fold"] == held["group_fold"]).all()  # ... made by the fold that held it out
    assert set(preds["predicted_classes"].list.len()) == {3}
    images = lake.read_table(settings.lake, "group_cv_images")
    assert images.filter(pl.col("variant") == "all").height == 2 * groups.height * 6
    subsets = lake.read_table(settings.lake, "group_cv_subsets")
    assert subsets.height > 0 and subsets["accuracy"].is_between(0, 1).all()
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    runs = mlflow.search_runs(experiment_names=["phenodag-group-cv"], output_format="list")
    parents = [r for r in runs if "mlflow.parentRunId" not in r.data.tags]
    assert sorted(r.info.run_name.split(" on ")[0] for r in parents) == ["Group CV: baseline", "Group CV: product"]
    assert len(runs) - len(parents) == 2 + 2 * 4  # product: 2 folds; baseline: 4 variants x 2 folds


@pytest.mark.slow
def test_frozen_embeddings_transfer_and_robustness_end_to_end(settings: DagsterSettings) -> None:
    """Frozen convae-random vectors feed group_cv; its saved models serve transfer and robustness."""
    from phenodag.runner import open_runner

    shape = {"image_size": 48, "replicates": 2, "sites": 2, "control_wells": 3}
    screen = endpoint_design(n_compounds=3, **shape)
    library = endpoint_design(name="LIB", n_compounds=2, seed=1, compound_prefix="LIB", **shape)
    folders = simulate_screen(screen, settings.inbox, seed=0) + simulate_screen(library, settings.inbox, seed=1)
    with open_runner(settings) as runner:
        for folder in folders:
            assert runner.ingest(folder).success
        assert runner.embed("convae-random", [f.name for f in folders])
        grouping = {"n_folds": 2, "library": "LIB", "time_points": [72.0]}
        assert runner.run(GROUPS_JOB, config={"ops": {"image_groups": {"config": grouping}}}).success
        groups = lake.read_table(settings.lake, "image_groups")
        assert set(groups["group_set"]) == {"screen", "control", "library"}
        assert set(groups.filter(pl.col("group_set") == "library")["compound"]) == {"LIB001", "LIB002"}
        assert set(groups["configurations"].list.len()) == {3}  # 3 concentrations at the one time point
        frozen = {**CV_CONFIG, "features": "embeddings:convae-random", "epochs": 5, "lr": 1e-3}
        for method in ("product", "amil"):
            run = runner.run(GROUP_CV_JOB, method, {"ops": {"group_cv": {"config": frozen}}})
            assert run.success
        reuse = {
            "group_transfer": {"config": {"epochs": 3}},
            "group_robustness": {"config": {"blur_kernels": [3], "noise_sds": [0.5], "max_copies": 2}},
        }
        assert runner.run(GROUP_REUSE_JOB, config={"ops": reuse}).success
    metrics = lake.read_table(settings.lake, "group_cv_metrics")
    assert set(metrics["features"]) == {"embeddings:convae-random"} and set(metrics["method"]) == {"product", "amil"}
    transfer = lake.read_table(settings.lake, "group_transfer")
    assert set(transfer["task"]) == {"moa", "treated_vs_control", "library"}
    assert set(transfer["method"]) == {"product", "amil"}
    aucs = transfer.filter(pl.col("metric") == "roc_auc")["value"]
    assert aucs.len() > 0 and aucs.drop_nans().is_between(0, 1).all()
    robust = lake.read_table(settings.lake, "group_robustness")
    got = set(zip(robust["perturbation"], robust["level"], strict=True))
    assert got == {("none", 0.0), ("blur", 3.0), ("noise", 0.5), ("duplicates", 1.0), ("duplicates", 2.0)}
    assert robust.height == 2 * 2 * len(got)  # methods x folds x levels
    clean = robust.filter(pl.col("perturbation") == "none")
    assert (
        clean.filter(pl.col("accuracy") > 0)["retained"].to_list()
        == [1.0] * clean.filter(pl.col("accuracy") > 0).height
    )
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    names = {
        r.info.run_name for r in mlflow.search_runs(experiment_names=["phenodag-group-transfer"], output_format="list")
    }
    assert {"Group transfer: new heads on frozen fold models", "product", "amil"} <= names
