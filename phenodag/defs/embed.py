"""The embed stage: ``convae_model`` trains the ConvAE; ``embeddings`` and ``well_embeddings`` per encoder and plate."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import polars as pl

from phenodag.core.embed.config import ConvAETrainingConfig, ExportConfig
from phenodag.core.shared.vocab import EXPERIMENT_CONVAE, encoder_needs_markdown
from phenodag.defs.shared.metadata import markdown_table, write_metadata
from phenodag.defs.shared.partitions import embedding_partitions, encoder_partitions
from phenodag.defs.shared.resources import EncodersResource, LakeResource, MlflowResource, TorchResource
from phenodag.defs.shared.settings import DagsterSettings

GROUP = "embed"
EMBED_JOB = "embed_job"
EXPORT_JOB = "export_job"
TRAIN_CONVAE_JOB = "train_convae_job"


class ConvAEConfig(dg.Config, ConvAETrainingConfig):
    """Run config of ``convae_model``; several ``strategies`` make a crop-strategy sweep."""


def _judge(
    context: dg.AssetExecutionContext, lake: LakeResource, config: ConvAEConfig, training_rows: pl.DataFrame
) -> tuple[Callable[[Any], dict[str, float]], str]:
    """The compare stage's scores of a trained version on the judge plates, and which plates those are.

    Without ``judge_plates``, the version is judged on the ingested plates it did not
    train on; where it trained on every plate, on those, and the run says so.
    """
    from phenodag.core.compare.run import judge_scores
    from phenodag.core.temporal.run import planted_types

    trained = sorted(set(training_rows["plate_id"]))
    plates = config.judge_plates
    if not plates:
        ingested = lake.scan("raw_images").select("plate_id").unique().collect()["plate_id"]
        plates = sorted(set(ingested) - set(trained))
    judged_on = f"held-out plates {plates}" if plates else f"the training plates {trained} (none held out)"
    if not plates:
        context.log.warning(f"every plate was trained on: versions are judged on {judged_on}")
    rows = lake.read("raw_images", {"plate_id": plates}) if plates else training_rows
    truth = lake.read_or_empty("sim_truth")
    planted = planted_types(truth) if truth.height else None
    if config.judge == "fraction_active" and planted is None:
        raise ValueError("judge 'fraction_active' needs a simulated screen (sim_truth); use activity_map")
    return (lambda model: judge_scores(model, rows, planted)), judged_on


@dg.asset(deps=["raw_images"], group_name=GROUP, kinds={"pytorch", "mlflow"})
def convae_model(
    context: dg.AssetExecutionContext,
    config: ConvAEConfig,
    lake: LakeResource,
    mlflow: MlflowResource,
    torch: TorchResource,
) -> dg.MaterializeResult:
    """The pheno-ml ConvAE, trained self-supervised on multi-crops of plate images.

    One MLflow run per crop strategy (params, per-epoch losses, reconstruction previews,
    the model). Each run registers a version of ``phenodag-convae``; the ``champion``
    alias moves on ``judge``: by default the copairs activity mAP of the version's
    embeddings of the judge plates (what its features see), or ``fraction_active`` on a
    simulated screen; never on the reconstruction loss, which is logged (against
    ``flat_val_mse``, the MSE of a flat grey reconstruction) with the count of dead ReLU
    channels.
    A crashed run resumes from its last epoch checkpoint.
    """
    from pathlib import Path

    from phenodag.core.embed.run import CropStrategy, load_training_images, train_and_register

    torch.configure()
    rows = lake.read_or_empty("raw_images", {"plate_id": config.plates} if config.plates else None)
    if rows.height == 0:
        raise ValueError(f"no images to train on (plates {config.plates or 'all'}): ingest plates first")
    images, groups = load_training_images(rows, config.max_images, config.seed)
    score, judged_on = _judge(context, lake, config, rows)
    runs, links = [], {}
    for strategy in config.strategies:
        name = f"ConvAE: {CropStrategy.parse(strategy).label}, {len(images)} images"
        with mlflow.start_run(context, EXPERIMENT_CONVAE, run_name=name) as run:
            links[f"mlflow_run {strategy}"] = mlflow.run_link(run)
            summary = train_and_register(
                images, groups, config, strategy, Path(torch.checkpoint_dir), config.judge, score
            )
        context.log.info(
            f"{strategy}: held-out MSE {summary['val_mse']} (flat reconstruction {summary['flat_val_mse']}), "
            f"PSNR {summary['val_psnr']} dB after {summary['steps']} steps; {config.judge} {summary['score']}; "
            f"version {summary['version']}, champion: {summary['champion']}"
        )
        runs.append({**summary, "judged_on": judged_on, "mlflow_run": run.info.run_id})
    table = pl.DataFrame(runs)
    return dg.MaterializeResult(
        metadata={
            "runs": dg.MetadataValue.md(markdown_table(table)),
            "images": len(images),
            "best_val_mse": float(table["val_mse"].min()),  # type: ignore[arg-type]
            "flat_val_mse": float(table["flat_val_mse"].min()),  # type: ignore[arg-type]
            "best_val_loss": float(table["val_loss"].min()),  # type: ignore[arg-type]
            "untrained_val_loss": float(table["initial_val_loss"].min()),  # type: ignore[arg-type]
            "versions": ", ".join(str(v) for v in table["version"]),
            **links,
        }
    )


def _keys(context: dg.AssetExecutionContext) -> tuple[str, str]:
    key = context.partition_key
    assert isinstance(key, dg.MultiPartitionKey)
    return key.keys_by_dimension["encoder"], key.keys_by_dimension["plate"]


@dg.asset(
    partitions_def=embedding_partitions,
    deps=[
        dg.AssetDep("raw_images", partition_mapping=dg.MultiToSingleDimensionPartitionMapping("plate")),
        dg.AssetDep("convae_model"),
    ],
    group_name=GROUP,
    kinds={"pytorch", "delta"},
    description="One vector per image (or tile) of a plate from one encoder, with the weights and preprocessing "
    "that made it. A partition of an encoder whose weights are missing fails with the file or model it "
    "looked for.\n\n" + encoder_needs_markdown(),
    check_specs=[
        dg.AssetCheckSpec(
            "every_image_embedded", asset="embeddings", description="Every image of the plate has at least one vector."
        )
    ],
)
def embeddings(
    context: dg.AssetExecutionContext,
    lake: LakeResource,
    encoders: EncodersResource,
    torch: TorchResource,
    mlflow: MlflowResource,
) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
    """One vector per image (or tile) of a plate from one encoder, with the weights and preprocessing that made it."""
    from phenodag.core.embed.run import embed_rows

    encoder_name, plate = _keys(context)
    rows = lake.read_or_empty("raw_images", {"plate_id": plate})
    mlflow.activate()
    encoder = encoders.load(encoder_name, device=torch.configure())
    start = time.perf_counter()
    df = embed_rows(rows, encoder, batch_size=torch.batch_size)  # one worker per torch thread
    seconds = time.perf_counter() - start
    info = lake.write_partition("embeddings", df, {"encoder": encoder_name, "plate_id": plate})
    yield dg.MaterializeResult(
        metadata={
            **write_metadata(info, df.drop("vector")),
            "weights_id": encoder.weights_id,
            "preprocess": encoder.describe(),
            "dim": encoder.dim,
            "images_per_s": round(rows.height / seconds, 1) if seconds > 0 else 0.0,
        }
    )
    missing = rows.height - df["sha256"].n_unique()
    yield dg.AssetCheckResult(passed=missing == 0, description=f"{missing} image(s) without a vector")


@dg.asset(
    partitions_def=embedding_partitions,
    deps=["embeddings"],
    group_name=GROUP,
    kinds={"polars", "delta"},
)
def well_embeddings(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    """Mean vector per plate, well and time point (over sites and tiles), per encoder."""
    from phenodag.core.embed.run import well_embeddings as mean_per_well

    encoder_name, plate = _keys(context)
    df = mean_per_well(lake.read("embeddings", {"encoder": encoder_name, "plate_id": plate}))
    info = lake.write_partition("well_embeddings", df, {"encoder": encoder_name, "plate_id": plate})
    return dg.MaterializeResult(metadata=write_metadata(info, df.drop("vector")))


class ProfileExportConfig(dg.Config, ExportConfig):
    """How ``profile_export`` normalises the profiles it writes."""


@dg.asset(
    partitions_def=encoder_partitions,
    deps=[
        dg.AssetDep("well_embeddings", partition_mapping=dg.MultiToSingleDimensionPartitionMapping("encoder")),
        dg.AssetDep("raw_images", partition_mapping=dg.AllPartitionMapping()),
    ],
    group_name=GROUP,
    kinds={"parquet"},
)
def profile_export(
    context: dg.AssetExecutionContext, config: ProfileExportConfig, lake: LakeResource
) -> dg.MaterializeResult:
    """One encoder's well profiles as Parquet with ``Metadata_*`` columns, for pycytominer, copairs and CytoTable.

    Written to ``<lake>/exports/profiles_<encoder>_<normalisation>.parquet``; ``phenodag export``
    writes the same table as CSV or AnnData.
    """
    from phenodag.core.embed.run import export_profiles, export_uri, write_profiles_uri

    encoder = context.partition_key
    profiles = export_profiles(
        lake.read("well_embeddings", {"encoder": encoder}),
        lake.read_or_empty("raw_images"),
        config.normalisation,
    )
    uri = write_profiles_uri(profiles, export_uri(lake.root, encoder, config.normalisation), lake.storage_options)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(uri),
            "profiles": profiles.height,
            "features": sum(not c.startswith("Metadata_") for c in profiles.columns),
            "normalisation": config.normalisation,
            "preview": dg.MetadataValue.md(markdown_table(profiles.head(5).select(profiles.columns[:14]))),
        }
    )


embed_job = dg.define_asset_job(
    EMBED_JOB,
    selection=dg.AssetSelection.assets(embeddings, well_embeddings),
    partitions_def=embedding_partitions,
    description="Embed one plate with one encoder and average per well.",
)
export_job = dg.define_asset_job(
    EXPORT_JOB,
    selection=[profile_export],
    partitions_def=encoder_partitions,
    description="Write one encoder's well profiles as Parquet with Metadata_* columns.",
)
train_convae_job = dg.define_asset_job(
    TRAIN_CONVAE_JOB, selection=[convae_model], description="Train the ConvAE and register it in MLflow."
)

TRAINING_SENSOR = "convae_training_policy"
ACTIVE_RUN_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]


def build_training_sensor(settings: DagsterSettings) -> dg.SensorDefinition:
    """The sensor that trains the ConvAE by the home's training policy (``DagsterSettings.train_min_images``...).

    Each tick counts the ingested images and plates, asks the registry for a champion and
    applies :func:`~phenodag.core.embed.readiness.training_decision`; a skipped tick says
    why in the UI (``no ConvAE champion yet; 73 of 500 images needed``). The cursor keeps
    the plate count of the last training asked for, so a training that made no champion
    is not asked for again until a plate lands. Runs use ``train_convae_job``'s defaults
    (the home's ``stage_config.yaml`` included).
    """
    policy = settings.training_policy

    @dg.sensor(
        name=TRAINING_SENSOR,
        job=train_convae_job,
        minimum_interval_seconds=settings.sensor_interval_s,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Training policy: {policy.describe()}. Until a champion exists, `convae` embeddings wait "
        "and the untrained encoders (classical, convae-random) embed every plate.",
    )
    def convae_training_policy(context: dg.SensorEvaluationContext, lake: LakeResource) -> dg.SensorResult:
        """Request a ConvAE training when the policy says so; otherwise say why not."""
        from phenodag.core.embed.run import has_champion, training_decision

        last = int(context.cursor) if context.cursor else None
        if context.instance.get_runs(
            dg.RunsFilter(job_name=train_convae_job.name, statuses=ACTIVE_RUN_STATUSES), limit=1
        ):
            return dg.SensorResult(skip_reason="a ConvAE training is queued or running", cursor=context.cursor)
        counts = (
            lake.scan("raw_images").select(pl.len().alias("images"), pl.col("plate_id").n_unique().alias("plates"))
            if lake.exists("raw_images")
            else None
        )
        images, plates = counts.collect().row(0) if counts is not None else (0, 0)
        decision = training_decision(policy, images, plates, has_champion(settings), last)
        cursor = None if decision.plates_seen is None else str(decision.plates_seen)
        if not decision.train:
            return dg.SensorResult(skip_reason=decision.reason, cursor=cursor)
        context.log.info(f"training the ConvAE: {decision.reason}")
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"policy-{plates}-{images}", tags={"phenodag/why": decision.reason})],
            cursor=cursor,
        )

    return convae_training_policy


def definitions(settings: DagsterSettings) -> dg.Definitions:
    """Return the embed stage's assets, jobs, sensors and schedules for the home ``settings``."""
    return dg.Definitions(
        assets=[convae_model, embeddings, well_embeddings, profile_export],
        jobs=[train_convae_job, embed_job, export_job],
        sensors=[build_training_sensor(settings)],
    )
