"""The compare stage: per-encoder comparison blocks, and one summary across encoders (with MLflow runs)."""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from phenodag.core.compare.config import CompareConfig as CoreCompareConfig
from phenodag.core.shared.vocab import EXPERIMENT_COMPARISON
from phenodag.defs.shared.metadata import markdown_table, write_metadata
from phenodag.defs.shared.partitions import encoder_partitions
from phenodag.defs.shared.resources import LakeResource, MlflowResource
from phenodag.defs.shared.settings import DagsterSettings

GROUP = "compare"
COMPARE_JOB = "compare_job"
ENCODER_COMPARISON_JOB = "encoder_comparison_job"
BLOCKS = {
    "encoder_similarity": "Replicate similarity: inverse median distance between replicate wells (top dose, late).",
    "encoder_clustering": "UMAP + HDBSCAN sweep: silhouette, Davies-Bouldin, Calinski-Harabasz, noise, ARI.",
    "encoder_classification": "Drug vs control on held-out plates (or wells): accuracy, F1, ROC-AUC.",
    "encoder_map": "copairs mAP: phenotypic activity per condition, consistency per planted response type.",
}


class CompareConfig(dg.Config, CoreCompareConfig):
    """How encoders are compared."""


def _planted(lake: LakeResource) -> pl.DataFrame | None:
    from phenodag.core.temporal.run import planted_types

    truth = lake.read_or_empty("sim_truth")
    return planted_types(truth) if truth.height else None


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            name,
            deps=[
                dg.AssetDep("well_embeddings", partition_mapping=dg.MultiToSingleDimensionPartitionMapping("encoder")),
                dg.AssetDep("raw_images", partition_mapping=dg.AllPartitionMapping()),
                dg.AssetDep("sim_truth", partition_mapping=dg.AllPartitionMapping()),
            ],
            group_name=GROUP,
            kinds={"delta", "scikitlearn"},
            description=text,
        )
        for name, text in BLOCKS.items()
    ],
    partitions_def=encoder_partitions,
    name="compare_encoder",
)
def compare_encoder(
    context: dg.AssetExecutionContext, config: CompareConfig, lake: LakeResource
) -> Iterator[dg.MaterializeResult]:
    """Every comparison block of one encoder (the partition), on the late profiles of every plate."""
    from phenodag.core.compare.figures import umap_scatter
    from phenodag.core.compare.run import compare_blocks
    from phenodag.defs.shared.metadata import markdown_image

    encoder = context.partition_key
    wells = lake.read("well_embeddings", {"encoder": encoder})
    raw = lake.read_or_empty("raw_images")
    result = compare_blocks(wells, raw, _planted(lake), encoder, config)
    figures = {
        f"umap_{line}": dg.MetadataValue.md(markdown_image(umap_scatter(xy, meta, f"{encoder}, {line}"), line))
        for line, (xy, meta) in result.coordinates.items()
    }
    for name, df in result.tables.items():
        info = lake.write_partition(name, df, {"encoder": encoder})
        extra = figures if name == "encoder_clustering" else {}
        recorded = {"normalisation": config.normalisation}  # how the profiles were normalised to their controls
        yield dg.MaterializeResult(asset_key=name, metadata={**extra, **recorded, **write_metadata(info, df)})


@dg.asset(
    deps=list(BLOCKS),
    group_name=GROUP,
    kinds={"delta", "mlflow"},
    description="One row per encoder: the headline of every comparison block; one MLflow run per encoder.",
)
def encoder_comparison(
    context: dg.AssetExecutionContext, lake: LakeResource, mlflow: MlflowResource
) -> dg.MaterializeResult:
    """Summarise every encoder that has comparison rows, and log one MLflow run each with the same metric names."""
    from phenodag.core.compare.run import comparison_table, encoder_row, log_encoder_run

    blocks = {name: lake.read(name) for name in BLOCKS}
    planted = _planted(lake)
    rows, links = [], {}
    for encoder in sorted(set(blocks["encoder_map"]["encoder"]) | set(blocks["encoder_classification"]["encoder"])):
        source = lake.read("embeddings", {"encoder": encoder}, ["weights_id", "preprocess"]).unique()
        mine = {name: df.filter(pl.col("encoder") == encoder) for name, df in blocks.items()}
        row = encoder_row(encoder, ", ".join(source["weights_id"]), ", ".join(source["preprocess"]), mine, planted)
        rows.append(row)
        name = f"Encoder comparison: {encoder} ({row['weights_id']})"
        with mlflow.start_run(context, EXPERIMENT_COMPARISON, run_name=name) as run:
            links[f"mlflow_run {encoder}"] = mlflow.run_link(run)
            log_encoder_run(row)
    table = comparison_table(rows)
    info = lake.write_table("encoder_comparison", table)
    context.log.info(f"encoder comparison:\n{markdown_table(table.drop('preprocess'), 50)}")
    return dg.MaterializeResult(
        metadata={
            **write_metadata(info, table),
            "comparison": dg.MetadataValue.md(markdown_table(table.drop("preprocess"), 50)),
            **links,
        }
    )


compare_job = dg.define_asset_job(
    COMPARE_JOB,
    selection=dg.AssetSelection.assets(compare_encoder),
    partitions_def=encoder_partitions,
    description="Every comparison block of one encoder.",
)
encoder_comparison_job = dg.define_asset_job(
    ENCODER_COMPARISON_JOB,
    selection=dg.AssetSelection.assets(encoder_comparison),
    description="The summary across encoders, with one MLflow run per encoder.",
)


def definitions(settings: DagsterSettings) -> dg.Definitions:
    """Return the compare stage's assets, jobs, sensors and schedules for the home ``settings``."""
    return dg.Definitions(assets=[compare_encoder, encoder_comparison], jobs=[compare_job, encoder_comparison_job])
