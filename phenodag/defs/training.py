"""ConvAE training: ``convae_model`` trains on the chosen plates, logs to MLflow, registers and promotes."""

from pathlib import Path

import dagster as dg
import polars as pl
from pydantic import Field

from phenodag.core.tables import RAW_IMAGES_SCHEMA
from phenodag.defs.metadata import markdown_table
from phenodag.defs.resources import LakeResource, MlflowResource, TorchResource

EXPERIMENT = "phenodag-convae"


class ConvAEConfig(dg.Config):
    """Run config of ``convae_model``; several ``strategies`` make a crop-strategy sweep."""

    plates: list[str] = Field(default_factory=list, description="Plates to train on; empty = every ingested plate.")
    strategies: list[str] = Field(default_factory=lambda: ["1f+1l+3s"], description="One MLflow run each.")
    epochs: int = 3
    batch_size: int = Field(default=64, description="Crops per optimisation step.")
    lr: float = 1e-3
    seed: int = 0
    val_fraction: float = Field(default=0.2, description="Fraction of wells held out.")
    crop_size: int = 128
    max_images: int = Field(default=2000, description="Images sampled (seeded) from the plates.")
    workers: int = Field(default=0, description="Spawned data-loading processes (0 = in the training process).")


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
    alias moves when a version's held-out loss beats the champion's. A crashed run
    resumes from its last epoch checkpoint.
    """
    from phenodag.core.training.convae_trainer import TrainConfig
    from phenodag.core.training.run import load_training_images, train_and_register

    torch.configure()
    rows = lake.read_or_empty("raw_images", RAW_IMAGES_SCHEMA, {"plate_id": config.plates} if config.plates else None)
    if rows.height == 0:
        raise ValueError(f"no images to train on (plates {config.plates or 'all'}): ingest plates first")
    images, groups = load_training_images(rows, config.max_images, config.seed)
    runs = []
    for strategy in config.strategies:
        tc = TrainConfig(
            strategy=strategy,
            epochs=config.epochs,
            batch_size=config.batch_size,
            lr=config.lr,
            seed=config.seed,
            val_fraction=config.val_fraction,
            crop_size=config.crop_size,
            workers=config.workers,
        )
        with mlflow.start_run(context, EXPERIMENT, run_name=strategy) as run:
            summary = train_and_register(images, groups, tc, Path(torch.checkpoint_dir))
        context.log.info(
            f"{strategy}: held-out BCE {summary['initial_val_loss']} → {summary['val_loss']}, "
            f"version {summary['version']}, champion: {summary['champion']}"
        )
        runs.append({**summary, "mlflow_run": run.info.run_id})
    table = pl.DataFrame(runs)
    return dg.MaterializeResult(
        metadata={
            "runs": dg.MetadataValue.md(markdown_table(table)),
            "images": len(images),
            "best_val_loss": float(table["val_loss"].min()),  # type: ignore[arg-type]
            "versions": ", ".join(str(v) for v in table["version"]),
        }
    )
