from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from phenodag.defs.shared.resources import LakeResource, MlflowResource, TorchResource


def test_mlflow_runs_are_tagged_with_dagster_run_and_partition(tmp_path: Path) -> None:
    import mlflow

    tracking = f"sqlite:///{tmp_path / 'mlflow.db'}"
    parts = dg.StaticPartitionsDefinition(["P1"])

    @dg.asset(partitions_def=parts)
    def trained(context: dg.AssetExecutionContext, mlflow_res: MlflowResource) -> None:
        with mlflow_res.start_run(context, "phenodag-test", run_name="t") as run:
            mlflow.log_metric("loss", 0.5)
            context.add_output_metadata({"mlflow_run_id": run.info.run_id, "link": mlflow_res.run_link(run)})

    res = MlflowResource(tracking_uri=tracking, artifact_root=str(tmp_path / "art"))
    with dg.instance_for_test() as instance:
        result = dg.materialize([trained], partition_key="P1", resources={"mlflow_res": res}, instance=instance)
    assert result.success
    metadata = result.asset_materializations_for_node("trained")[0].metadata
    run_id = metadata["mlflow_run_id"].value
    assert isinstance(metadata["link"], dg.UrlMetadataValue)
    assert metadata["link"].value.startswith("http://127.0.0.1:5000/#/experiments/")
    assert metadata["link"].value.endswith(f"/runs/{run_id}")
    mlflow.set_tracking_uri(tracking)
    run = mlflow.get_run(str(run_id))
    assert run.data.tags["dagster.run_id"] == result.run_id
    assert run.data.tags["dagster.partition"] == "P1"
    assert run.data.metrics["loss"] == 0.5
    assert Path(tmp_path / "art").is_dir()


def test_lake_resource_roundtrip(tmp_path: Path) -> None:
    res = LakeResource(root=str(tmp_path / "lake"))
    assert not res.exists("t")
    res.write_partition("t", pl.DataFrame({"plate_id": ["A"], "v": [1]}), {"plate_id": "A"})
    assert res.read("t", {"plate_id": "A"}).height == 1
    assert res.scan("t").collect().height == 1
    with pytest.raises(FileNotFoundError, match="nope"):
        res.scan("nope")


def test_torch_resource() -> None:
    import torch

    before = torch.get_num_threads()
    try:
        assert TorchResource(threads=1).configure() == "cpu"
        assert torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            TorchResource(device="cuda").configure()


def test_experiments_open_on_model_training_and_default_artifacts_stay_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mlflow

    from phenodag.core.shared.mlflow_store import EXPERIMENT_KIND, KIND_TAG

    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    tracking = f"sqlite:///{tmp_path / 'home' / 'mlflow.db'}"
    (tmp_path / "home").mkdir()
    res = MlflowResource(tracking_uri=tracking, artifact_root=str(tmp_path / "home" / "art"))

    @dg.asset
    def trained(context: dg.AssetExecutionContext, mlflow_res: MlflowResource) -> None:
        with mlflow_res.start_run(context, "phenodag-kind"):
            mlflow.log_metric("loss", 0.5)

    with dg.instance_for_test() as instance:
        assert dg.materialize([trained], resources={"mlflow_res": res}, instance=instance).success
    mlflow.set_tracking_uri(tracking)
    exp = mlflow.get_experiment_by_name("phenodag-kind")
    assert exp is not None and exp.tags[KIND_TAG] == EXPERIMENT_KIND
    default = mlflow.get_experiment("0")
    assert default.artifact_location.startswith((tmp_path / "home" / "art").as_uri())
    assert list(elsewhere.iterdir()) == []


def test_encoders_resolve_registered_models_in_the_homes_store(tmp_path: Path) -> None:
    import mlflow

    from phenodag.defs.shared.resources import EncodersResource

    home_uri = f"sqlite:///{tmp_path / 'home.db'}"
    saved = mlflow.get_tracking_uri()
    try:
        mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'elsewhere.db'}")  # a run process's default, not the home
        encoders = EncodersResource(tracking_uri=home_uri, artifact_root=str(tmp_path / "mlartifacts"))
        assert encoders.weights_for("convae") == "models:/phenodag-convae@champion"
        assert mlflow.get_tracking_uri() == mlflow.get_registry_uri() == home_uri
    finally:
        mlflow.set_tracking_uri(saved)
        mlflow.set_registry_uri(saved)
