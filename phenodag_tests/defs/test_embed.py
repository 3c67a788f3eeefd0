"""convae_model, embeddings and well_embeddings through Dagster on a tiny simulated plate."""

from pathlib import Path

import dagster as dg
import mlflow
import pytest

from phenodag.core.shared import lake
from phenodag.core.simulate import simulate_screen, timelapse_design
from phenodag.definitions import build_definitions
from phenodag.defs.embed import EMBED_JOB, EXPORT_JOB, TRAIN_CONVAE_JOB
from phenodag.defs.shared.partitions import embedding_key
from phenodag.defs.shared.resources import EncodersResource
from phenodag.defs.shared.settings import DagsterSettings
from phenodag_tests.defs.conftest import run_ingest

TINY_TRAINING = {
    "ops": {
        "convae_model": {
            "config": {
                "epochs": 1,
                "max_images": 12,
                "crop_size": 32,
                "batch_size": 16,
                "strategies": ["1f+1l+1s", "1f+0l+2s"],
            }
        }
    }
}


@pytest.fixture
def screen(settings: DagsterSettings, instance: dg.DagsterInstance, defs: dg.Definitions) -> list[str]:
    design = timelapse_design(n_compounds=1, days=0.25, every_h=6, image_size=48, replicates=2, control_wells=2)
    plates = [f.name for f in simulate_screen(design, settings.inbox, seed=0)]
    for plate in plates:
        assert run_ingest(defs, instance, plate).success
    return plates


@pytest.mark.slow
def test_train_register_then_embed(
    settings: DagsterSettings, instance: dg.DagsterInstance, defs: dg.Definitions, screen: list[str]
) -> None:
    trained = defs.resolve_job_def(TRAIN_CONVAE_JOB).execute_in_process(run_config=TINY_TRAINING, instance=instance)
    meta = trained.asset_materializations_for_node("convae_model")[0].metadata
    assert meta["versions"].value == "1, 2"  # a sweep: one registered version per crop strategy
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    runs = mlflow.search_runs(experiment_names=["phenodag-convae"], output_format="list")
    assert len(runs) == 2 and all(r.data.tags["dagster.run_id"] == trained.run_id for r in runs)
    assert all({"val_loss", "val_mse", "val_psnr", "flat_val_mse"} <= r.data.metrics.keys() for r in runs)
    assert all("judge_activity_map" in r.data.metrics for r in runs)  # judged by what its features see

    embed = defs.resolve_job_def(EMBED_JOB)
    first = embed.execute_in_process(partition_key=embedding_key("convae", screen[0]), instance=instance)
    assert first.success
    check = first.get_asset_check_evaluations()[0]
    assert check.check_name == "every_image_embedded" and check.passed
    table = lake.read_table(settings.lake, "embeddings")
    raw = lake.read_table(settings.lake, "raw_images", filters={"plate_id": screen[0]})
    assert table.height == raw.height and set(table["plate_id"]) == {screen[0]}
    assert len(set(table["weights_id"])) == 1 and table["weights_id"][0].startswith("mlflow:phenodag-convae/")
    assert {len(v) for v in table["vector"]} == {456}  # the pooled readout, recorded with every vector
    assert all('"readout":"pooled"' in d for d in table["preprocess"])
    before = table.sort("sha256")
    embed.execute_in_process(partition_key=embedding_key("convae", screen[1]), instance=instance)
    after = lake.read_table(settings.lake, "embeddings")
    assert after.filter(after["plate_id"] == screen[0]).sort("sha256").equals(before)  # untouched
    wells = lake.read_table(settings.lake, "well_embeddings")
    assert set(wells["plate_id"]) == set(screen)
    assert wells.height == lake.read_table(settings.lake, "raw_images").select("plate_id", "well", "time_h").n_unique()


def test_missing_weights_fail_the_partition_clearly(
    settings: DagsterSettings, instance: dg.DagsterInstance, screen: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PHENODAG_WEIGHTS_DIR", raising=False)
    defs = build_definitions(settings, {"encoders": EncodersResource(weights_dir=None)})
    result = defs.resolve_job_def(EMBED_JOB).execute_in_process(
        partition_key=embedding_key("resnet18", screen[0]), instance=instance, raise_on_error=False
    )
    assert not result.success
    error = result.get_step_failure_events()[0].step_failure_data.error
    assert error is not None
    messages = [error.message, *([error.cause.message] if error.cause else [])]
    assert any("weights='random'" in m for m in messages), messages


def test_phenoml_weights_partition(
    settings: DagsterSettings, instance: dg.DagsterInstance, screen: list[str], phenoml_weights: Path
) -> None:
    defs = build_definitions(settings, {"encoders": EncodersResource(phenoml_weights=str(phenoml_weights))})
    key = embedding_key("convae-phenoml", screen[0])
    assert defs.resolve_job_def(EMBED_JOB).execute_in_process(partition_key=key, instance=instance).success
    table = lake.read_table(settings.lake, "embeddings")
    assert set(table["weights_id"]) == {"sha256:d914f05d6f5663f9842041d9d32afc932cf0010a8b09493f2b98a2f3a9b61885"}


def test_embeddings_asset_says_what_each_encoder_needs(defs: dg.Definitions) -> None:
    description = defs.resolve_asset_graph().get(dg.AssetKey("embeddings")).description or ""
    assert "PHENODAG_PHENOML_WEIGHTS" in description and "| `convae-random` |" in description


def test_profile_export_writes_parquet_beside_the_lake(settings: DagsterSettings, instance: dg.DagsterInstance) -> None:
    import polars as pl

    from phenodag.runner import Runner
    from phenodag_tests.toy_plate import write_toy_plate

    defs = build_definitions(settings)
    runner = Runner(defs, instance)
    write_toy_plate(settings.inbox, "P1", sites=1)
    assert runner.ingest(settings.inbox / "P1").success
    assert runner.run(EMBED_JOB, embedding_key("classical", "P1")).success
    config = {"ops": {"profile_export": {"config": {"normalisation": "none"}}}}
    result = runner.run(EXPORT_JOB, "classical", config)
    assert result.success
    meta = result.asset_materializations_for_node("profile_export")[0].metadata  # type: ignore[union-attr]
    path = Path(str(meta["path"].value))
    assert path == Path(settings.lake) / "exports" / "profiles_classical_none.parquet"
    profiles = pl.read_parquet(path)
    assert profiles.height == meta["profiles"].value == 4 * 4  # four wells at four time points
    assert "classical_confluence" in profiles.columns and profiles["Metadata_Normalisation"][0] == "none"
