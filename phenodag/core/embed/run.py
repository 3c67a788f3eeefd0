"""The embed stage's driver: one tracked ConvAE training run, and the verbs the ``embed`` assets call.

Training (defined here): images from ``raw_images`` rows, MLflow logging, registration.
The caller opens the MLflow run (so that it carries the orchestrator's tags); this
module logs params, per-epoch metrics and reconstruction previews into it, registers
the model and moves the ``champion`` alias when the held-out loss improves. Embedding
(:mod:`.pipeline`), encoders (:mod:`.registry`), readiness and the training policy
(:mod:`.readiness`) and export (:mod:`.export`) are imported from the modules that do the work.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import mlflow
import numpy as np
import polars as pl
import torch

from phenodag.core.embed.config import TrainConfig
from phenodag.core.embed.convae import ConvAE
from phenodag.core.embed.crops import CropStrategy
from phenodag.core.embed.export import export_profiles, export_uri, write_profiles, write_profiles_uri
from phenodag.core.embed.heldout import reconstruction_sheet
from phenodag.core.embed.pipeline import embed_files, embed_images, embed_rows, well_embeddings
from phenodag.core.embed.readiness import encoder_readiness, has_champion, training_decision
from phenodag.core.embed.registry import TRAINED_CONVAE_PREPROCESS, default_weights, load_autoencoder, load_encoder
from phenodag.core.embed.tracking import log_convae, promote_if_better, promote_if_first
from phenodag.core.embed.trainer import EpochStats, train_convae
from phenodag.core.shared.images import contrast_stretch, decode_image, to_unit_float
from phenodag.core.shared.vocab import JUDGE_METRICS

__all__ = [
    "CropStrategy",
    "default_weights",
    "embed_files",
    "embed_images",
    "embed_rows",
    "encoder_readiness",
    "export_profiles",
    "export_uri",
    "has_champion",
    "load_autoencoder",
    "load_encoder",
    "load_training_images",
    "train_and_register",
    "training_decision",
    "well_embeddings",
    "write_profiles",
    "write_profiles_uri",
]
logger = logging.getLogger(__name__)


def load_training_images(rows: pl.DataFrame, max_images: int, seed: int) -> tuple[list[np.ndarray], list[str]]:
    """Sample up to ``max_images`` ``raw_images`` rows (seeded), decode them and apply the ``convae`` contrast.

    The contrast is the one the ``convae`` encoder applies when it embeds
    (:data:`~phenodag.core.embed.registry.TRAINED_CONVAE_PREPROCESS`), so the model sees
    the same kind of input in training and in use.

    Returns
    -------
    images, groups
        The images, and one ``plate/well`` group per image (held out as wholes).
    """
    if rows.height > max_images:
        rows = rows.sample(max_images, seed=seed)
    rows = rows.sort("plate_id", "well", "site", "time_h")
    stretch = TRAINED_CONVAE_PREPROCESS.contrast == "stretch"
    images = [to_unit_float(decode_image(p)) for p in rows["path"]]
    images = [contrast_stretch(a) for a in images] if stretch else images
    groups = [f"{p}/{w}" for p, w in zip(rows["plate_id"], rows["well"], strict=True)]
    return images, groups


def _log_epoch(stats: EpochStats, model: ConvAE, val_batch: torch.Tensor) -> None:
    metrics = {
        "train_loss": stats.train_loss,
        "val_loss": stats.val_loss,
        "val_mse": stats.val_mse,
        "val_psnr": stats.val_psnr,
        "epoch": stats.epoch,
        "epoch_seconds": stats.seconds,
        "data_wait_s": stats.data_wait_s,
    }
    if stats.dead_channels is not None:  # measured after the last epoch only
        metrics["dead_channels"] = stats.dead_channels
    mlflow.log_metrics(metrics, step=stats.step)
    mlflow.log_image(reconstruction_sheet(model, val_batch), f"previews/epoch_{stats.epoch:03d}.png")


def train_and_register(
    images: Sequence[np.ndarray],
    groups: Sequence[str],
    config: TrainConfig,
    strategy: str,
    checkpoint_dir: Path,
    judge: str = JUDGE_METRICS[0],
    score: Callable[[ConvAE], dict[str, float]] | None = None,
) -> dict[str, Any]:
    """Train in the active MLflow run, register the model, promote it if it beats the champion.

    ``score`` computes the judge metrics of the trained model (the compare stage's
    activity mAP on the judge plates); the ``champion`` alias moves on ``judge`` only,
    never on the reconstruction loss. A version that cannot be scored (no ``score``, or
    no condition with replicate wells to call active) becomes the champion only where
    there is none yet, so that a new home has a model to embed with.

    The epoch checkpoint lives in ``checkpoint_dir`` while the run is under way (a
    restarted run resumes from it) and is removed once the model is registered.

    Returns
    -------
    dict
        strategy, version, steps, initial_val_loss, val_loss (BCE), flat_val_mse, val_mse,
        val_psnr, judge, score (the judge metric's value), champion (promoted?), resumed_from.
    """
    mlflow.log_params(
        {**config.model_dump(), "strategy": strategy, "n_images": len(images), "n_groups": len(set(groups))}
    )
    checkpoint = checkpoint_dir / f"convae-{strategy}-seed{config.seed}.pt"
    result = train_convae(images, groups, config, strategy, checkpoint=checkpoint, on_epoch=_log_epoch)
    last = result.history[-1]
    mlflow.log_metrics({"initial_val_loss": result.initial_val_loss, "flat_val_mse": result.flat_val_mse})
    mlflow.log_param("precision_used", result.precision)
    scores = score(result.model) if score is not None else {}
    mlflow.log_metrics({f"judge_{k}": v for k, v in scores.items()})
    version = log_convae(result.model, {"val_mse": last.val_mse, **scores})
    if judge in scores:
        promoted = promote_if_better(version, judge, scores[judge])
    else:  # e.g. no condition with replicate wells on the judge plates: nothing to call active
        logger.warning("%s could not be scored (scores: %s)", judge, sorted(scores))
        promoted = promote_if_first(version)
    checkpoint.unlink(missing_ok=True)
    return {
        "strategy": strategy,
        "version": version,
        "steps": last.step,
        "initial_val_loss": round(result.initial_val_loss, 6),
        "val_loss": round(result.val_loss, 6),
        "flat_val_mse": round(result.flat_val_mse, 6),
        "val_mse": round(last.val_mse, 6),
        "val_psnr": round(last.val_psnr, 2),
        "dead_channels": last.dead_channels,
        "judge": judge,
        "score": round(scores[judge], 6) if judge in scores else None,
        "champion": promoted,
        "resumed_from": result.resumed_from,
    }
