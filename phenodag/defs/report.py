"""The report stage: ``screen_report``, what a biologist looks at first, built from every stage's tables."""

import dagster as dg
import polars as pl

from phenodag.core.shared.vocab import EXPERIMENT_REPORT
from phenodag.defs.shared.resources import LakeResource, MlflowResource
from phenodag.defs.shared.settings import DagsterSettings

GROUP = "report"
REPORT_JOB = "report_job"
INPUTS = (
    "raw_images",
    "growth_curves",
    "growth_gr",
    "response_calls",
    "encoder_map",
    "encoder_comparison",
    "lens_maps",
    "group_cv_metrics",
    "group_cv_predictions",
)


@dg.asset(
    deps=[dg.AssetDep(name, partition_mapping=dg.AllPartitionMapping()) for name in INPUTS],
    group_name=GROUP,
    kinds={"html", "mlflow"},
)
def screen_report(
    context: dg.AssetExecutionContext, lake: LakeResource, mlflow: MlflowResource
) -> dg.MaterializeResult:
    """The screen report as one HTML page (opened from ``report``) and a PNG summary.

    Growth curves, GR per dose, response types, active compounds, the encoder comparison's
    winner, lens maps and the group classifier's confusion. The page is logged to MLflow
    (the ``report`` link opens it in the MLflow UI) and, for a lake on disk, written to
    ``<lake>/reports/screen_report.html``. A section whose tables are missing names the
    job that makes them.
    """
    from phenodag.core.report.run import REPORT_FILE, build_report, log_report, save_report

    def read(name: str) -> pl.DataFrame:
        return lake.read_or_empty(name)

    report = build_report(read)
    metadata: dict[str, dg.MetadataValue | str | int] = {
        "sections": ", ".join(s.anchor for s in report.sections),
        "missing": "; ".join(s.missing for s in report.sections if s.missing) or "none",
        "encoder": report.encoder or "none",
    }
    with mlflow.start_run(context, EXPERIMENT_REPORT, run_name="screen report") as run:
        log_report(report)
        metadata["report"] = mlflow.artifact_page(run, REPORT_FILE)
        metadata["mlflow_run"] = mlflow.run_link(run)
        if report.png:
            metadata.update(mlflow.figure(run, report.png, "summary", "screen report summary"))
    if (path := save_report(report, lake.root)) is not None:  # written last: the file means the report is done
        metadata["path"] = dg.MetadataValue.path(str(path))
    context.log.info(f"screen report: {metadata['sections']}; missing: {metadata['missing']}")
    return dg.MaterializeResult(metadata=metadata)


report_job = dg.define_asset_job(REPORT_JOB, selection=[screen_report], description="Build the screen report.")


def definitions(settings: DagsterSettings) -> dg.Definitions:
    """Return the report stage's assets, jobs, sensors and schedules for the home ``settings``."""
    return dg.Definitions(assets=[screen_report], jobs=[report_job])
