"""The embed stage: ``convae_model`` trains the ConvAE; ``embeddings`` and ``well_embeddings`` per encoder and plate."""

import time
from collections.abc import Callable, Iterator
from typing import Any

import dagster as dg
import polars as pl

from phenodag.core.embed.config import ConvAETrainingConfig
from phenodag.core.shared.schemas import RAW_IMAGES_SCHEMA, SIM_TRUTH_SCHEMA
from phenodag.core.shared.vocab import EXPERIMENT_CONVAE, encoder_needs_markdown
from phenodag.defs.shared.metadata import markdown_table, write_metadata
from phenodag.defs.shared.partitions import embedding_partitions
from phenodag.defs.shared.resources import EncodersResource, LakeResource, MlflowResource, TorchResource

GROUP = "embeddings"
JOB = "embed_job"


class ConvAEConfig(dg.Config, ConvAETrainingConfig):
    """Run config of ``convae_model``; several ``strategies`` make a crop-strategy sweep."""


def _judge(
    context: dg.AssetExecutionContext, lake: LakeResource, config: ConvAEConfig, training_rows: pl.DataFrame
) -> tuple[Callable[[Any], dict[str, float]], str]:
    """The compare stage's scores of a trained version on the judge plates, and which plates those are.

    Without ``judge_plates``, the version is judged on the ingested plates it did not
    train on; where it trained on every plate, on those, and the run says so.
    """
    from phenodag.core.compare.judge import judge_scores
    from phenodag.core.temporal.evaluate import planted_types

    trained = sorted(set(training_rows["plate_id"]))
    plates = config.judge_plates
    if not plates:
        ingested = lake.scan("raw_images").select("plate_id").unique().collect()["plate_id"]
        plates = sorted(set(ingested) - set(trained))
    judged_on = f"held-out plates {plates}" if plates else f"the training plates {trained} (none held out)"
    if not plates:
        context.log.warning(f"every plate was trained on: versions are judged on {judged_on}")
    rows = lake.read("raw_images", {"plate_id": plates}) if plates else training_rows
    truth = lake.read_or_empty("sim_truth", SIM_TRUTH_SCHEMA)
    planted = planted_types(truth) if truth.height else None
    if config.judge == "fraction_active" and planted is None:
        raise ValueError("judge 'fraction_active' needs a simulated screen (sim_truth); use activity_map")
    return (lambda model: judge_scores(model, rows, planted)), judged_on


@dg.asset(deps=["raw_images"], group_name="models", kinds={"pytorch", "mlflow"})
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

    from phenodag.core.embed.crops import CropStrategy
    from phenodag.core.embed.training import load_training_images, train_and_register

    torch.configure()
    rows = lake.read_or_empty("raw_images", RAW_IMAGES_SCHEMA, {"plate_id": config.plates} if config.plates else None)
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
    from phenodag.core.embed.pipeline import embed_rows

    encoder_name, plate = _keys(context)
    rows = lake.read_or_empty("raw_images", RAW_IMAGES_SCHEMA, {"plate_id": plate})
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
    from phenodag.core.embed.pipeline import well_embeddings as mean_per_well

    encoder_name, plate = _keys(context)
    df = mean_per_well(lake.read("embeddings", {"encoder": encoder_name, "plate_id": plate}))
    info = lake.write_partition("well_embeddings", df, {"encoder": encoder_name, "plate_id": plate})
    return dg.MaterializeResult(metadata=write_metadata(info, df.drop("vector")))


embed_job = dg.define_asset_job(
    JOB,
    selection=dg.AssetSelection.assets(embeddings, well_embeddings),
    partitions_def=embedding_partitions,
    description="Embed one plate with one encoder and average per well.",
)
train_job = dg.define_asset_job(
    "train_convae_job", selection=[convae_model], description="Train the ConvAE and register it in MLflow."
)
