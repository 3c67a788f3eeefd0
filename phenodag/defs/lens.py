"""The lens stage: the drug classifier once, then one lens per α (MLflow run, maps, metrics, corrections)."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
import polars as pl

from phenodag.core.lens import config as core_config
from phenodag.core.shared.vocab import EXPERIMENT_LENS
from phenodag.defs.shared.metadata import markdown_table, write_metadata
from phenodag.defs.shared.partitions import lens_partitions
from phenodag.defs.shared.resources import EncodersResource, LakeResource, MlflowResource, TorchResource
from phenodag.defs.shared.settings import DagsterSettings

GROUP = "lens"
LENS_CLASSIFIER_JOB = "lens_classifier_job"
LENS_JOB = "lens_job"
CLASSIFIER_FILE = "lens/classifier.pt"


class LensConfig(dg.Config, core_config.LensConfig):
    """What the lens trains on and how (the same config for the classifier and every α)."""


def _inputs(config: LensConfig, lake: LakeResource, encoders: EncodersResource) -> tuple[pl.DataFrame, Any, str]:
    from phenodag.core.lens.run import load_autoencoder

    ref = encoders.weights_for(config.encoder)
    if ref is None:
        raise FileNotFoundError(f"encoder {config.encoder!r} has no weights: set the encoders resource")
    rows = lake.read_or_empty("raw_images", {"plate_id": config.plates} if config.plates else None)
    convae, convae_id = load_autoencoder(ref)
    return rows, convae, convae_id


def _classifier_path(torch: TorchResource) -> Path:
    return Path(torch.checkpoint_dir) / CLASSIFIER_FILE


@dg.asset(
    deps=[dg.AssetDep("raw_images", partition_mapping=dg.AllPartitionMapping()), "convae_model"],
    group_name=GROUP,
    kinds={"pytorch", "mlflow"},
)
def lens_classifier(
    context: dg.AssetExecutionContext,
    config: LensConfig,
    lake: LakeResource,
    mlflow: MlflowResource,
    torch: TorchResource,
    encoders: EncodersResource,
) -> dg.MaterializeResult:
    """The drug classifier (MLP 4096→256→K) on frozen ConvAE features of un-lensed images, scored on held-out wells.

    Classes: each compound at its top concentration and DMSO, at the latest time
    points. Saved as one torch file (classifier, classes, held-out wells) under the
    checkpoints folder, which every α of ``lens_models`` reads.
    """
    from phenodag.core.lens.run import fit_classifier, log_classifier

    torch.configure()
    rows, convae, convae_id = _inputs(config, lake, encoders)
    bundle = fit_classifier(rows, convae, convae_id, config)
    path = bundle.save(_classifier_path(torch))
    with mlflow.start_run(context, EXPERIMENT_LENS, run_name="Lens: drug classifier") as run:
        log_classifier(bundle, config.model_dump())
    return dg.MaterializeResult(
        metadata={
            "path_in_home": dg.MetadataValue.path(str(path.relative_to(Path(torch.checkpoint_dir).parent))),
            "convae_id": convae_id,
            "classes": ", ".join(bundle.classes),
            "held_out_wells": len(bundle.held_out_wells),
            **{f"held_out_{k}": round(v, 4) for k, v in bundle.metrics.items()},
            "chance_top1": round(1 / len(bundle.classes), 4),
            "mlflow_run": mlflow.run_link(run),
        }
    )


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            "lens_models",
            deps=[
                "lens_classifier",
                dg.AssetDep("raw_images", partition_mapping=dg.AllPartitionMapping()),
                dg.AssetDep("sim_masks", partition_mapping=dg.AllPartitionMapping()),
            ],
            group_name=GROUP,
            kinds={"pytorch", "mlflow"},
            description="One lens per α, trained from the same ConvAE state (an MLflow run in phenodag-lens).",
        ),
        dg.AssetSpec("lens_maps", deps=["lens_models"], group_name=GROUP, kinds={"delta"}),
        dg.AssetSpec("lens_metrics", deps=["lens_models"], group_name=GROUP, kinds={"delta"}),
        dg.AssetSpec("lens_corrections", deps=["lens_models"], group_name=GROUP, kinds={"delta"}),
    ],
    partitions_def=lens_partitions,
)
def lens(
    context: dg.AssetExecutionContext,
    config: LensConfig,
    lake: LakeResource,
    mlflow: MlflowResource,
    torch: TorchResource,
    encoders: EncodersResource,
) -> Iterator[dg.MaterializeResult]:
    """Train the lens of this partition's α, then write its maps, metrics and mined corrections.

    ``lens_maps``: one row per held-out image (map as a fixed-size array, see
    :mod:`phenodag.core.lens.maps`); ``lens_metrics``: held-out accuracy with and without
    the lens and the map-truth scores; ``lens_corrections``: the paper's mined cases.
    The metrics' metadata carries the accuracy-vs-α curve over every α materialised so far.
    """
    from phenodag.core.lens.figures import accuracy_curve, correction_triptychs
    from phenodag.core.lens.run import ClassifierBundle, log_lens, log_losses, metrics_frame, run_alpha
    from phenodag.defs.shared.metadata import markdown_image

    torch.configure()
    key = context.partition_key
    alpha = float(key)
    rows, convae, _ = _inputs(config, lake, encoders)
    bundle = ClassifierBundle.load(_classifier_path(torch))
    masks = lake.read_or_empty("sim_masks")

    with mlflow.start_run(context, EXPERIMENT_LENS, run_name=f"Lens: alpha {alpha:g}") as run:
        result = run_alpha(rows, masks, convae, bundle, alpha, config, on_log=log_losses)
        png = correction_triptychs(result)
        log_lens(result, {**config.model_dump(), "alpha": alpha, "convae_id": bundle.convae_id}, png)
        metrics = {**result.metrics, "mlflow_run": run.info.run_id}
    part = {"alpha_key": key}
    yield dg.MaterializeResult(
        asset_key="lens_models",
        metadata={
            "mlflow_run": mlflow.run_link(run),
            "alpha": alpha,
            "steps": config.steps,
            "convae_id": bundle.convae_id,
        },
    )
    info = lake.write_partition("lens_maps", result.maps, part)
    yield dg.MaterializeResult(asset_key="lens_maps", metadata=write_metadata(info, result.maps))
    table = metrics_frame([metrics])
    info = lake.write_partition("lens_metrics", table, part)
    curve = accuracy_curve(lake.read_or_empty("lens_metrics"))
    shown = table.drop("convae_id", "mlflow_run").transpose(include_header=True, header_name="metric")
    yield dg.MaterializeResult(
        asset_key="lens_metrics",
        metadata={
            **write_metadata(info, table),
            "metrics": dg.MetadataValue.md(markdown_table(shown)),
            "accuracy_vs_alpha": dg.MetadataValue.md(markdown_image(curve, "held-out accuracy against alpha")),
        },
    )
    info = lake.write_partition("lens_corrections", result.corrections, part)
    yield dg.MaterializeResult(
        asset_key="lens_corrections",
        metadata={
            **write_metadata(info, result.corrections),
            "cases": dg.MetadataValue.md(markdown_table(result.corrections.group_by("case").len().sort("case"))),
            "triptychs": dg.MetadataValue.md(markdown_image(png, "image | lensed | map")),
        },
    )


lens_classifier_job = dg.define_asset_job(LENS_CLASSIFIER_JOB, selection=dg.AssetSelection.assets(lens_classifier))
lens_job = dg.define_asset_job(LENS_JOB, selection=dg.AssetSelection.assets(lens), partitions_def=lens_partitions)


def definitions(settings: DagsterSettings) -> dg.Definitions:
    """Return the lens stage's assets, jobs, sensors and schedules for the home ``settings``."""
    return dg.Definitions(assets=[lens_classifier, lens], jobs=[lens_classifier_job, lens_job])
