"""The compare stage through Dagster: two encoders embedded, compared, summarised, one MLflow run each."""

import dagster as dg
import mlflow
import polars as pl
import pytest

from phenodag.core.shared import lake
from phenodag.core.simulate import simulate_screen, timelapse_design
from phenodag.defs.compare import COMPARE_JOB, ENCODER_COMPARISON_JOB
from phenodag.defs.embed import EMBED_JOB
from phenodag.defs.shared.partitions import embedding_key
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.runner import Runner
from phenodag_tests.defs.conftest import run_ingest

ENCODERS = ("convae-random", "resnet18")
FAST = {"ops": {"compare_encoder": {"config": {"cluster_grid": [5, 8], "null_size": 200}}}}


@pytest.mark.slow
def test_compare_two_encoders_end_to_end(settings: DagsterSettings, instance: dg.DagsterInstance) -> None:
    from phenodag.definitions import build_definitions
    from phenodag.defs.shared.resources import EncodersResource

    defs = build_definitions(settings, {"encoders": EncodersResource(allow_random=True)})
    design = timelapse_design(n_compounds=5, days=0.5, every_h=4, image_size=48, replicates=2, control_wells=2)
    plates = [f.name for f in simulate_screen(design, settings.inbox, seed=0)]
    runner = Runner(defs, instance)
    for plate in plates:
        assert run_ingest(defs, instance, plate).success
        for encoder in ENCODERS:
            assert runner.run(EMBED_JOB, embedding_key(encoder, plate)).success
    for encoder in ENCODERS:
        result = runner.run(COMPARE_JOB, encoder, FAST)
        assert result.success
    summary = runner.run(ENCODER_COMPARISON_JOB)
    assert summary.success

    for name in ("encoder_similarity", "encoder_clustering", "encoder_classification", "encoder_map"):
        table = lake.read_table(settings.lake, name)
        assert set(table["encoder"]) == set(ENCODERS), name
    clustering = lake.read_table(settings.lake, "encoder_clustering")
    assert clustering.group_by("encoder").len()["len"].to_list() == [2, 2]  # every sweep point kept
    maps = lake.read_table(settings.lake, "encoder_map")
    assert set(maps["kind"]) == {"activity", "consistency"}  # a simulated screen has truth
    table = lake.read_table(settings.lake, "encoder_comparison")
    assert table["encoder"].to_list() == sorted(ENCODERS)
    assert table.filter(pl.col("encoder") == "convae-random")["weights_id"].to_list() == ["random:seed0"]
    assert table["fraction_active"].is_not_null().all()
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    runs = mlflow.search_runs(experiment_names=["phenodag-encoder-comparison"], output_format="list")
    assert sorted(r.data.params["encoder"] for r in runs) == sorted(ENCODERS)
    assert runs[0].data.metrics.keys() == runs[1].data.metrics.keys()  # the compare view lines them up

    # re-comparing one encoder rewrites only its partition
    before = lake.read_table(settings.lake, "encoder_map").filter(pl.col("encoder") == "resnet18").sort("group", "kind")
    assert runner.run(COMPARE_JOB, "convae-random", FAST).success
    after = lake.read_table(settings.lake, "encoder_map").filter(pl.col("encoder") == "resnet18").sort("group", "kind")
    assert after.equals(before)
