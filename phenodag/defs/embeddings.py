"""Embeddings per encoder and plate, and their per-well means."""

import time
from collections.abc import Iterator

import dagster as dg

from phenodag.core.encoders import ENCODER_NAMES
from phenodag.core.tables import RAW_IMAGES_SCHEMA
from phenodag.defs.metadata import write_metadata
from phenodag.defs.partitions import plates_partitions
from phenodag.defs.resources import EncodersResource, LakeResource, MlflowResource, TorchResource

GROUP = "embeddings"
encoder_partitions = dg.StaticPartitionsDefinition(list(ENCODER_NAMES))
embedding_partitions = dg.MultiPartitionsDefinition({"encoder": encoder_partitions, "plate": plates_partitions})


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
    from phenodag.core.embedding import embed_rows

    encoder_name, plate = _keys(context)
    rows = lake.read_or_empty("raw_images", RAW_IMAGES_SCHEMA, {"plate_id": plate})
    mlflow.activate()
    encoder = encoders.load(encoder_name, device=torch.configure())
    start = time.perf_counter()
    df = embed_rows(rows, encoder, batch_size=torch.batch_size, threads=torch.loader_threads)
    seconds = time.perf_counter() - start
    info = lake.write_partition("embeddings", df, {"encoder": encoder_name, "plate_id": plate})
    yield dg.MaterializeResult(
        metadata={
            **write_metadata(info, df.drop("vector")),
            "weights_id": encoder.weights_id,
            "preprocess": encoder.preprocess.describe(),
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
    from phenodag.core.embedding import well_embeddings as mean_per_well

    encoder_name, plate = _keys(context)
    df = mean_per_well(lake.read("embeddings", {"encoder": encoder_name, "plate_id": plate}))
    info = lake.write_partition("well_embeddings", df, {"encoder": encoder_name, "plate_id": plate})
    return dg.MaterializeResult(metadata=write_metadata(info, df.drop("vector")))


def embedding_keys(encoder: str, plates: list[str]) -> list[dg.MultiPartitionKey]:
    """Partition keys of one encoder for the given plates."""
    return [dg.MultiPartitionKey({"encoder": encoder, "plate": p}) for p in plates]


embed_job = dg.define_asset_job(
    "embed_job",
    selection=dg.AssetSelection.assets(embeddings, well_embeddings),
    partitions_def=embedding_partitions,
    description="Embed one plate with one encoder and average per well.",
)
train_job = dg.define_asset_job(
    "train_convae_job", selection=["convae_model"], description="Train the ConvAE and register it in MLflow."
)
