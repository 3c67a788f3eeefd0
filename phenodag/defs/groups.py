"""Group-based compound classification: image groups, cross-validation partitioned by method, transfer, robustness."""

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from phenodag.core.groups.config import GroupCVConfig as CoreGroupCVConfig
from phenodag.core.groups.config import GroupingConfig, GroupRobustnessConfig, GroupTransferConfig
from phenodag.core.shared.vocab import EXPERIMENT_GROUP_CV, EXPERIMENT_GROUP_ROBUSTNESS, EXPERIMENT_GROUP_TRANSFER
from phenodag.defs.shared.metadata import markdown_table, write_metadata
from phenodag.defs.shared.partitions import method_partitions
from phenodag.defs.shared.resources import EncodersResource, LakeResource, MlflowResource, TorchResource
from phenodag.defs.shared.settings import DagsterSettings

GROUP = "groups"
GROUPS_JOB = "groups_job"
GROUP_CV_JOB = "group_cv_job"
GROUP_REUSE_JOB = "group_reuse_job"
MODELS_FOLDER = "groups"
"""Fold models live in ``<checkpoints>/groups/<method>/fold<k>.pt`` (:mod:`phenodag.core.groups.store`)."""
CV_PARTITIONS = dg.AllPartitionMapping()


def _model_dir(torch: TorchResource) -> Path:
    return Path(torch.checkpoint_dir) / MODELS_FOLDER


def _embeddings_reader(lake: LakeResource) -> Callable[[str], pl.DataFrame]:
    """Encoder name → its ``embeddings`` rows (path, weights_id, vector)."""

    def read(encoder: str) -> pl.DataFrame:
        return lake.read("embeddings", filters={"encoder": encoder}, columns=["path", "weights_id", "vector"])

    return read


class GroupsConfig(dg.Config, GroupingConfig):
    """How images become groups and folds."""


class GroupCVConfig(dg.Config, CoreGroupCVConfig):
    """How each fold's model is trained (CPU-sized defaults)."""


@dg.asset(
    deps=[dg.AssetDep("raw_images", partition_mapping=dg.AllPartitionMapping())],
    group_name=GROUP,
    kinds={"polars", "delta"},
    check_specs=[
        dg.AssetCheckSpec(
            "every_class_in_every_fold",
            asset="image_groups",
            description="Stratified folds: every fold holds screen groups of every class.",
        )
    ],
)
def image_groups(
    context: dg.AssetExecutionContext, config: GroupsConfig, lake: LakeResource
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """One row per group: a compound's images in one replicate and field, one per configuration; its fold."""
    from phenodag.core.groups.run import build_groups

    raw = lake.read_or_empty("raw_images")
    every, stats = build_groups(raw, config)
    info = lake.write_table("image_groups", every)
    groups = every.filter(pl.col("group_set") == "screen")
    per_class = groups.group_by("compound").agg(groups=pl.len()).sort("compound")
    per_set = every.group_by("group_set").agg(groups=pl.len(), classes=pl.col("compound").n_unique()).sort("group_set")
    yield dg.MaterializeResult(
        metadata={
            **write_metadata(info, every.drop("paths")),
            "sets": dg.MetadataValue.md(markdown_table(per_set, 10)),
            "classes": per_class.height,
            "configurations": len(groups["configurations"][0]) if groups.height else 0,
            "incomplete_groups_dropped": stats.incomplete_groups,
            "classes_dropped_too_few_groups": ", ".join(stats.compounds_too_few_groups) or "none",
            "groups_per_class": dg.MetadataValue.md(markdown_table(per_class, 50)),
        }
    )
    cells = groups.group_by("fold", "compound").len()
    missing = per_class.height * groups["fold"].n_unique() - cells.height
    yield dg.AssetCheckResult(
        passed=groups.height > 0 and missing == 0,
        description=f"{groups.height} groups; {missing} (fold, class) pair(s) without a group",
    )


CV_TABLES = {
    "group_cv_predictions": "Held-out group predictions: true class, ranked classes and probabilities.",
    "group_cv_metrics": "Per method and fold: top-1/5/10 accuracy and macro F1 of held-out groups.",
    "group_cv_images": "Held-out image-level predictions (each image on its own).",
    "group_cv_configurations": "Per-configuration accuracy and macro F1 of image-level predictions.",
    "group_cv_subsets": "Subset accuracies (classes grouped by the planted response type), from stored predictions.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            name,
            deps=["image_groups", dg.AssetDep("embeddings", partition_mapping=dg.AllPartitionMapping())],
            group_name=GROUP,
            kinds={"pytorch", "delta"},
            description=text,
        )
        for name, text in CV_TABLES.items()
    ],
    partitions_def=method_partitions,
    name="group_cv",
)
def group_cv(
    context: dg.AssetExecutionContext,
    config: GroupCVConfig,
    lake: LakeResource,
    mlflow: MlflowResource,
    torch: TorchResource,
) -> Iterator[dg.MaterializeResult]:
    """Cross-validate one method (the partition) over the screen's groups; compare with the methods stored so far.

    ``features: embeddings:<encoder>`` reads that encoder's vectors from ``embeddings``
    (frozen); the fold models are saved for ``group_transfer`` and ``group_robustness``.
    """
    from phenodag.core.groups.figures import f1_histogram, top_k_curves
    from phenodag.core.groups.run import (
        class_subsets,
        comparison_table,
        log_summary,
        mean_sd,
        pooled_class_f1,
        pooled_curves,
        prediction_examples,
        run_method_cv,
        summaries,
    )
    from phenodag.core.shared.thumbnails import sheet_png

    method = context.partition_key
    device = torch.configure()
    groups = lake.read("image_groups").filter(pl.col("group_set") == "screen")
    if groups.height == 0:
        raise ValueError("image_groups holds no screen groups: see its metadata for what was dropped and why")
    subsets = class_subsets(lake.read("sim_truth")) if lake.exists("sim_truth") else {}
    embeddings = _embeddings_reader(lake)(config.encoder) if config.encoder else None
    name = f"Group CV: {method} on {config.features}, {config.epochs} epochs"
    with mlflow.start_run(context, EXPERIMENT_GROUP_CV, run_name=name) as run:
        result = run_method_cv(groups, method, config, device, torch.loader_threads, embeddings, _model_dir(torch))
        tables = summaries(result, subsets)
        infos = {name: lake.write_partition(name, df, {"method": method}) for name, df in tables.items()}
        comparison = mean_sd(comparison_table(lake.read("group_cv_metrics")))
        mine = tables["group_cv_predictions"].filter(pl.col("variant") == "all")
        figures = {
            "per_class_f1": f1_histogram(pooled_class_f1(mine), method),
            "top_k_curves": top_k_curves(pooled_curves(lake.read("group_cv_predictions"))),
        }
        log_summary(comparison)
        examples = prediction_examples(mine, groups)
        extra: dict[str, dict[str, Any]] = {
            "group_cv_metrics": {
                **mlflow.figure(run, figures["top_k_curves"], "top_k_curves", "held-out top-k accuracy"),
                "comparison": dg.MetadataValue.md(markdown_table(comparison, 50)),
                **mlflow.figure(run, figures["per_class_f1"], "per_class_f1", f"{method} per-class F1"),
                "mlflow_run": mlflow.run_link(run),
            },
            "group_cv_predictions": mlflow.figure(run, sheet_png(examples), "examples", "held-out groups")
            if examples
            else {},
            "group_cv_subsets": {"subsets": ", ".join(sorted(set(subsets.values()))) or "none (no class attribute)"},
        }
    for name, df in tables.items():  # the asset's own figures first, then the write's row count and preview
        yield dg.MaterializeResult(asset_key=name, metadata={**extra.get(name, {}), **write_metadata(infos[name], df)})


class GroupTransferRunConfig(dg.Config, GroupTransferConfig):
    """How each new head is trained."""


class GroupRobustnessRunConfig(dg.Config, GroupRobustnessConfig):
    """Which perturbations, at which levels."""


REUSE_DEPS = [dg.AssetDep("group_cv_metrics", partition_mapping=CV_PARTITIONS), dg.AssetDep("image_groups")]


def _methods(lake: LakeResource) -> list[str]:
    return sorted(set(lake.read("group_cv_metrics", columns=["method"])["method"]))


def _reuse_result(
    figures: dict[str, Any], summary: pl.DataFrame, link: dg.UrlMetadataValue, written: dict[str, Any]
) -> dg.MaterializeResult:
    """Metadata of a reuse stage: its figures first, the mean over folds, the MLflow run, then the write."""
    table = dg.MetadataValue.md(markdown_table(summary, 200))
    return dg.MaterializeResult(metadata={**figures, "mean_over_folds": table, "mlflow_run": link, **written})


@dg.asset(deps=[*REUSE_DEPS, dg.AssetDep("sim_truth")], group_name=GROUP, kinds={"pytorch", "delta"})
def group_transfer(
    context: dg.AssetExecutionContext,
    config: GroupTransferRunConfig,
    lake: LakeResource,
    mlflow: MlflowResource,
    torch: TorchResource,
) -> dg.MaterializeResult:
    """Each method's frozen fold models with a new head: mechanism of action, treated vs control, a new library."""
    from phenodag.core.groups.run import class_subsets, run_transfer

    device = torch.configure()
    groups = lake.read("image_groups")
    subsets = class_subsets(lake.read("sim_truth")) if lake.exists("sim_truth") else {}
    name = "Group transfer: new heads on frozen fold models"
    with mlflow.start_run(context, EXPERIMENT_GROUP_TRANSFER, run_name=name) as run:
        rows, figures = run_transfer(
            groups,
            subsets,
            _model_dir(torch),
            _methods(lake),
            config,
            _embeddings_reader(lake),
            device,
            torch.loader_threads,
        )
        shown = mlflow.figures(run, figures)
    info = lake.write_table("group_transfer", rows)
    summary = rows.group_by("method", "task", "metric").agg(pl.col("value").mean().round(3)).sort(pl.all())
    return _reuse_result(shown, summary, mlflow.run_link(run), write_metadata(info, rows))


@dg.asset(deps=REUSE_DEPS, group_name=GROUP, kinds={"pytorch", "delta"})
def group_robustness(
    context: dg.AssetExecutionContext,
    config: GroupRobustnessRunConfig,
    lake: LakeResource,
    mlflow: MlflowResource,
    torch: TorchResource,
    encoders: EncodersResource,
) -> dg.MaterializeResult:
    """Held-out top-1 of each method under test-time blur, noise and duplicated images."""
    from phenodag.core.groups.run import run_robustness

    device = torch.configure()

    def encoder_for(name: str) -> Any:
        return encoders.load(name, device=device)

    name = "Group robustness: blur, noise and duplicated images at test time"
    with mlflow.start_run(context, EXPERIMENT_GROUP_ROBUSTNESS, run_name=name) as run:
        rows, figures = run_robustness(
            lake.read("image_groups"),
            _model_dir(torch),
            _methods(lake),
            config,
            _embeddings_reader(lake),
            encoder_for,
            torch.loader_threads,
        )
        shown = mlflow.figures(run, figures)
    info = lake.write_table("group_robustness", rows)
    summary = (
        rows.group_by("method", "perturbation", "level")
        .agg(pl.col("accuracy").mean().round(3), pl.col("retained").mean().round(3))
        .sort("perturbation", "level", "method")
    )
    return _reuse_result(shown, summary, mlflow.run_link(run), write_metadata(info, rows))


groups_job = dg.define_asset_job(
    GROUPS_JOB, selection=dg.AssetSelection.assets(image_groups), description="Build image groups and folds."
)
group_cv_job = dg.define_asset_job(
    GROUP_CV_JOB,
    selection=dg.AssetSelection.assets(group_cv),
    partitions_def=method_partitions,
    description="Cross-validate one method.",
)
group_reuse_job = dg.define_asset_job(
    GROUP_REUSE_JOB,
    selection=dg.AssetSelection.assets(group_transfer, group_robustness),
    description="Transfer and robustness of the saved group models of every method.",
)


def definitions(settings: DagsterSettings) -> dg.Definitions:
    """Return the groups stage's assets, jobs, sensors and schedules for the home ``settings``."""
    return dg.Definitions(
        assets=[image_groups, group_cv, group_transfer, group_robustness],
        jobs=[groups_job, group_cv_job, group_reuse_job],
    )
