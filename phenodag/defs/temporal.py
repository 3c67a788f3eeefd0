"""Temporal analysis: trajectories, DTW clusters, response types and switches per encoder; growth curves and GR."""

from collections.abc import Iterator

import dagster as dg
import polars as pl

from phenodag.core.shared.schemas import (
    CONDITION,
    WELL_TREATMENT,
)
from phenodag.core.shared.vocab import CLASSICAL_ENCODERS, EXPERIMENT_TEMPORAL
from phenodag.core.temporal import config as core_config
from phenodag.defs.shared.metadata import markdown_table, write_metadata
from phenodag.defs.shared.partitions import encoder_partitions
from phenodag.defs.shared.resources import LakeResource, MlflowResource
from phenodag.defs.shared.settings import DagsterSettings

GROUP = "temporal"
GROWTH_JOB = "growth_job"
TEMPORAL_JOB = "temporal_job"


class TrajectoryConfig(dg.Config, core_config.TrajectoryConfig):
    """How trajectories are built."""


class ClusterConfig(dg.Config, core_config.ClusterConfig):
    """How trajectories are clustered and annotated."""


class GrowthTypingConfig(dg.Config, core_config.GrowthTypingConfig):
    """Growth typing thresholds of the combined call."""


@dg.asset(
    partitions_def=encoder_partitions,
    deps=[
        dg.AssetDep("well_embeddings", partition_mapping=dg.MultiToSingleDimensionPartitionMapping("encoder")),
        dg.AssetDep("raw_images", partition_mapping=dg.AllPartitionMapping()),  # metadata of every plate
    ],
    group_name=GROUP,
    kinds={"polars", "delta"},
    check_specs=[
        dg.AssetCheckSpec(
            "every_condition_with_controls",
            asset="temporal_trajectories",
            description="Every treated condition whose cell line has controls has a trajectory.",
        )
    ],
)
def temporal_trajectories(
    context: dg.AssetExecutionContext, config: TrajectoryConfig, lake: LakeResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """Distance of every cell line x compound x concentration to its controls at each time point."""
    from phenodag.core.temporal.run import trajectories

    encoder = context.partition_key
    wells = lake.read("well_embeddings", {"encoder": encoder})
    meta = lake.read_or_empty("raw_images").select(WELL_TREATMENT).unique()
    wells = wells.join(meta, on=["plate_id", "well"], how="inner")
    traj, stats = trajectories(wells, encoder, config)
    info = lake.write_partition("temporal_trajectories", traj, {"encoder": encoder})
    yield dg.MaterializeResult(
        metadata={
            **write_metadata(info, traj),
            "profile_normalisation": config.profile_normalisation,
            "conditions": traj.select(CONDITION).n_unique(),
            "unmatched_points": stats.unmatched_points,
            "conditions_without_controls": len(stats.conditions_without_controls),
        }
    )
    with_controls = wells.filter(~pl.col("is_control")).filter(
        pl.col("cell_line").is_in(wells.filter(pl.col("is_control"))["cell_line"].unique().to_list())
    )
    missing = with_controls.select(CONDITION).unique().join(traj.select(CONDITION).unique(), on=CONDITION, how="anti")
    yield dg.AssetCheckResult(
        passed=missing.height == 0,
        description=f"{missing.height} condition(s) with controls but no trajectory",
        metadata={"missing": dg.MetadataValue.md(markdown_table(missing))},
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "temporal_clusters",
            deps=["temporal_trajectories"],
            group_name=GROUP,
            kinds={"tslearn", "delta"},
            description="DTW k-means cluster and response type of every condition.",
        ),
        dg.AssetSpec(
            "temporal_k_scan",
            deps=["temporal_trajectories"],
            group_name=GROUP,
            kinds={"delta"},
            description="Inertia and DTW silhouette per k; the chosen k.",
        ),
        dg.AssetSpec(
            "temporal_switches",
            deps=["temporal_trajectories"],
            group_name=GROUP,
            kinds={"delta"},
            description="Compounds whose response type changes with concentration.",
        ),
    ],
    partitions_def=encoder_partitions,
    name="temporal_clustering",
)
def temporal_clustering(
    context: dg.AssetExecutionContext, config: ClusterConfig, lake: LakeResource, mlflow: MlflowResource
) -> Iterator[dg.MaterializeResult]:
    """Cluster one encoder's trajectories, annotate response types, find concentration switches."""
    from phenodag.core.shared.thumbnails import sheet_png
    from phenodag.core.temporal.figures import cluster_plot, dose_time_heatmaps
    from phenodag.core.temporal.run import EXAMPLE_COLUMNS, cluster_examples, cluster_trajectories, log_clustering

    encoder = context.partition_key
    traj = lake.read("temporal_trajectories", {"encoder": encoder})
    result = cluster_trajectories(traj, encoder, config)
    plot = cluster_plot(
        result.series.grid,
        result.normalised,
        result.clustering.labels,
        result.clustering.barycenters,
        result.cluster_types,
    )
    heat = dose_time_heatmaps(traj)
    examples = cluster_examples(result.clusters, lake.read("raw_images", columns=list(EXAMPLE_COLUMNS)))
    with mlflow.start_run(context, EXPERIMENT_TEMPORAL, run_name=f"Temporal DTW k-means: {encoder}") as run:
        log_clustering(result, {**config.model_dump(), "encoder": encoder})
        figures = {
            **mlflow.figure(run, plot, "clusters", "DTW clusters: member trajectories and barycentres"),
            **(mlflow.figure(run, sheet_png(examples), "examples", "example wells over time") if examples else {}),
            **mlflow.figure(run, heat, "dose_time", "dose x time distance to control"),
        }
    part = {"encoder": encoder}
    counts = result.clusters.group_by("response_type").agg(conditions=pl.len()).sort("response_type")
    info = lake.write_partition("temporal_clusters", result.clusters, part)
    yield dg.MaterializeResult(
        asset_key="temporal_clusters",
        metadata={
            **figures,
            "response_types": dg.MetadataValue.md(markdown_table(counts)),
            "k": result.clustering.k,
            "mlflow_run": mlflow.run_link(run),
            **write_metadata(info, result.clusters),
        },
    )
    info = lake.write_partition("temporal_k_scan", result.scan, part)
    yield dg.MaterializeResult(asset_key="temporal_k_scan", metadata=write_metadata(info, result.scan))
    info = lake.write_partition("temporal_switches", result.switches, part)
    yield dg.MaterializeResult(asset_key="temporal_switches", metadata=write_metadata(info, result.switches))


class GrowthConfig(dg.Config, core_config.GrowthConfig):
    """How GR over time is computed."""


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "growth_curves",
            deps=[dg.AssetDep("embeddings"), dg.AssetDep("raw_images")],
            group_name=GROUP,
            kinds={"polars", "delta"},
            description="Mean confluence and cell count of each well at each time point (the classical encoder's "
            "confluence and blob count).",
        ),
        dg.AssetSpec(
            "growth_gr",
            deps=["growth_curves"],
            group_name=GROUP,
            kinds={"delta"},
            description="Normalised growth-rate inhibition (GR) of every condition over time, against its plate's "
            "controls: from the first time point and over a moving window.",
        ),
        dg.AssetSpec(
            "growth_metrics",
            deps=["growth_gr"],
            group_name=GROUP,
            kinds={"scipy", "delta"},
            description="GR50, GRmax and GR_AOC per cell line and compound (Hafner et al. 2016).",
        ),
    ],
    name="growth",
)
def growth(
    context: dg.AssetExecutionContext, config: GrowthConfig, lake: LakeResource, mlflow: MlflowResource
) -> Iterator[dg.MaterializeResult]:
    """Growth curves from the classical encoder's confluence and blob count, GR over time, GR dose-response metrics."""
    from phenodag.core.temporal.figures import growth_plot
    from phenodag.core.temporal.run import gr_metrics, gr_over_time, growth_curves, log_growth

    embeddings = lake.read_or_empty("embeddings", {"encoder": CLASSICAL_ENCODERS[0]})
    if embeddings.height == 0:
        raise dg.Failure("no classical embeddings: materialise the embeddings partitions of encoder 'classical' first")
    curves = growth_curves(embeddings, lake.read_or_empty("raw_images"))
    gr = gr_over_time(curves, config.window_h, config.gr_from)
    metrics = gr_metrics(gr)
    with mlflow.start_run(context, EXPERIMENT_TEMPORAL, run_name="Growth curves and GR") as run:
        log_growth(gr, config.model_dump())
        figures = mlflow.figure(run, growth_plot(curves, gr), "growth", "confluence over time and GR per dose")
    info = lake.write_table("growth_curves", curves)
    yield dg.MaterializeResult(asset_key="growth_curves", metadata={**figures, **write_metadata(info, curves)})
    info = lake.write_table("growth_gr", gr)
    yield dg.MaterializeResult(asset_key="growth_gr", metadata=write_metadata(info, gr))
    info = lake.write_table("growth_metrics", metrics)
    yield dg.MaterializeResult(
        asset_key="growth_metrics",
        metadata={"metrics": dg.MetadataValue.md(markdown_table(metrics, 50)), **write_metadata(info, metrics)},
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "response_calls",
            deps=[
                "temporal_clusters",
                "growth_gr",
                "encoder_map",
                dg.AssetDep("sim_truth", partition_mapping=dg.AllPartitionMapping()),
            ],
            group_name=GROUP,
            kinds={"polars", "delta"},
            description="Three response calls per condition side by side: the embedding trajectory's, the growth "
            "curve's and the combined one (growth decides growth effects; the compare stage's activity adds "
            "morphological), with their evidence. On simulated screens the metadata shows each call against sim_truth.",
        ),
        dg.AssetSpec(
            "response_switches",
            deps=["temporal_clusters", "growth_gr", "encoder_map"],
            group_name=GROUP,
            kinds={"delta"},
            description="Compounds whose combined call changes with concentration.",
        ),
    ],
    partitions_def=encoder_partitions,
    name="response_calling",
)
def response_calling(
    context: dg.AssetExecutionContext, config: GrowthTypingConfig, lake: LakeResource
) -> Iterator[dg.MaterializeResult]:
    """Type growth from GR over time, join it with the embedding's call and activity, and add the combined call."""
    from phenodag.core.temporal.run import CALLS, call_agreement, call_confusion, morphology_detection, response_calls

    encoder = context.partition_key
    clusters = lake.read("temporal_clusters", {"encoder": encoder})
    gr = lake.read_or_empty("growth_gr")
    if gr.height == 0:
        context.log.warning(
            "no growth_gr rows (run growth_job first): the combined call is the embedding's where active"
        )
    activity = lake.read_or_empty("encoder_map", {"encoder": encoder})
    if activity.height == 0:
        context.log.warning(f"no encoder_map rows of {encoder}: run compare_job first; no condition is called active")
    calls, switches = response_calls(clusters, gr, activity, config)
    truth = lake.read_or_empty("sim_truth")
    checked: dict[str, dg.MetadataValue] = {}
    if truth.height:
        checked["agreement_with_sim_truth"] = dg.MetadataValue.md(markdown_table(call_agreement(calls, truth)))
        for call in CALLS:
            checked[f"confusion_{call}"] = dg.MetadataValue.md(markdown_table(call_confusion(calls, truth, call)))
        found = morphology_detection(calls, truth)
        checked.update({f"morphology_{k}": dg.MetadataValue.float(v) for k, v in found.items() if v is not None})
    counts = calls.group_by("combined_type").agg(conditions=pl.len()).sort("combined_type")
    info = lake.write_partition("response_calls", calls, {"encoder": encoder})
    yield dg.MaterializeResult(
        asset_key="response_calls",
        metadata={
            "combined_types": dg.MetadataValue.md(markdown_table(counts)),
            **checked,
            **write_metadata(info, calls),
        },
    )
    info = lake.write_partition("response_switches", switches, {"encoder": encoder})
    yield dg.MaterializeResult(asset_key="response_switches", metadata=write_metadata(info, switches))


growth_job = dg.define_asset_job(
    GROWTH_JOB,
    selection=dg.AssetSelection.assets(growth),
    description="Growth curves, GR over time and GR metrics from the classical encoder's confluence.",
)

temporal_job = dg.define_asset_job(
    TEMPORAL_JOB,
    selection=dg.AssetSelection.assets(temporal_trajectories, temporal_clustering, response_calling),
    partitions_def=encoder_partitions,
    description="Trajectories, clusters and the three response calls of one encoder (growth_job and compare_job "
    "first: GR and activity).",
)


def definitions(settings: DagsterSettings) -> dg.Definitions:
    """Return the temporal stage's assets, jobs, sensors and schedules for the home ``settings``."""
    return dg.Definitions(
        assets=[temporal_trajectories, temporal_clustering, growth, response_calling], jobs=[temporal_job, growth_job]
    )
