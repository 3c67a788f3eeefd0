"""The screen report through Dagster: written beside the lake, logged to MLflow, linked from the asset."""

from pathlib import Path

import dagster as dg
import mlflow

from phenodag.definitions import build_definitions
from phenodag.defs.embed import EMBED_JOB
from phenodag.defs.report import REPORT_JOB
from phenodag.defs.shared.partitions import embedding_key
from phenodag.defs.shared.settings import DagsterSettings
from phenodag.defs.temporal import GROWTH_JOB
from phenodag.runner import Runner
from phenodag_tests.toy_plate import write_toy_plate


def test_report_of_a_plate_with_growth_only(settings: DagsterSettings, instance: dg.DagsterInstance) -> None:
    defs = build_definitions(settings)
    runner = Runner(defs, instance)
    write_toy_plate(settings.inbox, "P1", sites=1)
    assert runner.ingest(settings.inbox / "P1").success
    assert runner.run(EMBED_JOB, embedding_key("classical", "P1")).success
    assert runner.run(GROWTH_JOB).success
    result = runner.run(REPORT_JOB)
    assert result.success
    meta = result.asset_materializations_for_node("screen_report")[0].metadata  # type: ignore[union-attr]
    assert meta["sections"].value == "growth, gr, responses, active, encoders, lens, groups"
    assert "materialise temporal_job" in str(meta["missing"].value)  # what is not there yet says how to get it
    assert "growth" not in str(meta["missing"].value).split(":")[0]
    page = Path(str(meta["path"].value)).read_text()
    assert "<section id='growth'>" in page and "data:image/png;base64," in page
    assert "#/experiments/" in str(meta["report"].value) and "/artifacts/screen_report.html" in str(
        meta["report"].value
    )
    mlflow.set_tracking_uri(settings.mlflow_tracking_uri)
    runs = mlflow.search_runs(experiment_names=["phenodag-report"], output_format="list")
    files = {a.path for a in mlflow.MlflowClient().list_artifacts(runs[0].info.run_id)}
    assert {"screen_report.html", "summary.png"} <= files
