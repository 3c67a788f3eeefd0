"""The lens stage's driver, without Dagster: fit the drug classifier once, then one run per α.

Both steps read the same ``lens_rows`` (:mod:`.data`). The classifier bundle records the
held-out wells, and every α splits the rows with that record, so the wells the
classifier was evaluated on are the wells every lens is evaluated on and never trains on.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl
import torch

from phenodag.core.compare.summary import column_mean
from phenodag.core.embed.convae import ConvAE
from phenodag.core.embed.registry import CONVAE_PREPROCESS, load_autoencoder
from phenodag.core.embed.tracking import log_torch_model
from phenodag.core.lens.classifier import ClassifierBundle, freeze, probabilities, train_classifier
from phenodag.core.lens.config import LensConfig, alpha_key
from phenodag.core.lens.corrections import mine_corrections
from phenodag.core.lens.data import LensData, class_names, held_out_wells, lens_rows, load_images, split_rows
from phenodag.core.lens.lens import LensResult, LensStats, apply_lens, train_lens
from phenodag.core.lens.maps import downsample, importance_maps, mass_in_cells, resize_mask, signature_auroc
from phenodag.core.lens.metrics import classification_metrics
from phenodag.core.shared.schemas import LENS_CORRECTIONS_SCHEMA, LENS_MAPS_SCHEMA, LENS_METRICS_SCHEMA
from phenodag.core.simulate.truth import read_mask

logger = logging.getLogger(__name__)

__all__ = [
    "AlphaResult",
    "ClassifierBundle",
    "fit_classifier",
    "lens_data",
    "load_autoencoder",
    "log_classifier",
    "log_lens",
    "log_losses",
    "metrics_frame",
    "run_alpha",
]
PREPROCESS = CONVAE_PREPROCESS
"""The lens sees what the published ConvAE sees: the image resized to 128 px, grey levels in [0, 1]."""


@dataclass
class AlphaResult:
    """One α: the trained lens, and its rows of ``lens_maps``, ``lens_metrics`` and ``lens_corrections``."""

    lens: LensResult
    maps: pl.DataFrame
    metrics: dict[str, object]
    corrections: pl.DataFrame
    images: torch.Tensor
    lensed: torch.Tensor
    importance: np.ndarray


def features(encoder: torch.nn.Module, images: torch.Tensor, batch_size: int = 64) -> torch.Tensor:
    """Frozen encoder features (N, 4096) of a batch of images."""
    with torch.inference_mode():
        return torch.cat([encoder(images[i : i + batch_size]).flatten(1) for i in range(0, len(images), batch_size)])


def fit_classifier(raw_images: pl.DataFrame, convae: ConvAE, convae_id: str, config: LensConfig) -> ClassifierBundle:
    """Choose the held-out wells, train the classifier on the other wells' images and score it on the held-out ones."""
    rows = lens_rows(raw_images, config.late_window_h)
    classes = class_names(rows)
    data = split_rows(
        rows, classes, held_out_wells(rows, config.val_fraction, config.seed), config.max_images, config.seed
    )
    encoder = freeze(convae).encoder
    x = features(encoder, load_images(data.train, PREPROCESS))
    y = torch.tensor(data.train["label"].to_list())
    classifier = train_classifier(x, y, len(classes), config)
    probs = probabilities(classifier, features(encoder, load_images(data.held_out, PREPROCESS)))
    metrics = classification_metrics(data.held_out["label"].to_numpy(), probs)
    logger.info(
        "lens classifier: %d classes, %d training / %d held-out images, %s", len(classes), len(x), len(probs), metrics
    )
    held = sorted(set(data.held_out.select("plate_id", "well").iter_rows()))
    return ClassifierBundle(classifier, classes, held, convae_id, metrics)


def lens_data(raw_images: pl.DataFrame, bundle: ClassifierBundle, config: LensConfig) -> LensData:
    """Return the classifier's split, re-applied to ``raw_images``."""
    rows = lens_rows(raw_images, config.late_window_h)
    return split_rows(rows, bundle.classes, bundle.held_out_wells, config.max_images, config.seed)


def _map_scores(
    importance: np.ndarray, held: pl.DataFrame, masks: pl.DataFrame | None
) -> list[tuple[float | None, ...]]:
    paths = dict(zip(masks["path"], masks["mask_path"], strict=True)) if masks is not None and masks.height else {}
    out: list[tuple[float | None, ...]] = []
    for m, path in zip(importance, held["path"], strict=True):
        if path not in paths:
            out.append((None, None))
            continue
        mask = resize_mask(read_mask(Path(paths[path])), m.shape[0])
        out.append((mass_in_cells(m, mask), signature_auroc(m, mask)))
    return out


def run_alpha(
    raw_images: pl.DataFrame,
    masks: pl.DataFrame | None,
    convae: ConvAE,
    bundle: ClassifierBundle,
    alpha: float,
    config: LensConfig,
    on_log: Callable[[LensStats], None] | None = None,
) -> AlphaResult:
    """Train the lens for ``alpha`` on the training wells and score it on the held-out wells.

    Parameters
    ----------
    raw_images
        ``raw_images`` rows of the plates the classifier was fitted on.
    masks
        ``sim_masks`` rows (simulated screens), or None: the map-truth scores are then null.
    convae
        The ConvAE the lens starts from (its encoder is frozen and feeds the classifier).
    bundle
        The fitted classifier and its held-out wells.
    alpha
        The weight of the classifier term (L = L_rec − α·L_disc).
    config
        Steps, batch, learning rate, map size, seed.
    """
    data = lens_data(raw_images, bundle, config)
    convae = freeze(convae)
    train_x = load_images(data.train, PREPROCESS)
    train_y = torch.tensor(data.train["label"].to_list())
    result = train_lens(convae, convae.encoder, bundle.classifier, train_x, train_y, alpha, config, on_log)
    held_x = load_images(data.held_out, PREPROCESS)
    lensed = apply_lens(result.lens, held_x)
    importance = importance_maps(apply_lens(convae, held_x), lensed, config.map_sigma_px)
    p0 = probabilities(bundle.classifier, features(convae.encoder, held_x))
    p1 = probabilities(bundle.classifier, features(convae.encoder, lensed))
    labels = data.held_out["label"].to_numpy()
    scores = _map_scores(importance, data.held_out, masks)
    small = downsample(importance, config.map_size)
    key, classes = alpha_key(alpha), np.array(bundle.classes)
    rows = data.held_out.select("plate_id", "well", "site", "time_h", "path", "class_name").with_columns(
        alpha_key=pl.lit(key),
        alpha=pl.lit(float(alpha)),
        pred_original=pl.Series(classes[p0.argmax(1)]),
        p_true_original=pl.Series(p0[np.arange(len(labels)), labels]),
        pred_lensed=pl.Series(classes[p1.argmax(1)]),
        p_true_lensed=pl.Series(p1[np.arange(len(labels)), labels]),
        map_size=pl.lit(config.map_size, pl.Int32),
        map=pl.Series(small.reshape(len(small), -1), dtype=pl.Array(pl.Float32, config.map_size**2)),
        map_mean=pl.Series(importance.reshape(len(importance), -1).mean(1).astype(np.float64)),
        map_max=pl.Series(importance.reshape(len(importance), -1).max(1).astype(np.float64)),
        map_mass_in_cells=pl.Series([s[0] for s in scores], dtype=pl.Float64),
        map_signature_auroc=pl.Series([s[1] for s in scores], dtype=pl.Float64),
    )
    maps = rows.select(list(LENS_MAPS_SCHEMA)).cast({c: t for c, t in LENS_MAPS_SCHEMA.items() if c != "map"})
    original, with_lens = classification_metrics(labels, p0), classification_metrics(labels, p1)
    last = result.history[-1] if result.history else None
    metrics: dict[str, object] = {
        "alpha_key": key,
        "alpha": float(alpha),
        "convae_id": bundle.convae_id,
        "steps": config.steps,
        "n_classes": len(bundle.classes),
        "n_train_images": len(train_x),
        "n_held_out_images": len(held_x),
        **{f"{k}_original": v for k, v in original.items()},
        **{f"{k}_lensed": v for k, v in with_lens.items()},
        "map_signature_auroc": column_mean(maps, "map_signature_auroc"),
        "map_mass_in_cells": column_mean(maps, "map_mass_in_cells"),
        "rec_loss": last.rec if last else None,
        "disc_loss": last.disc if last else None,
        "mlflow_run": None,
    }
    control = bundle.classes[0]
    mined = mine_corrections(maps.drop("map"), control, config.max_corrections)
    corrections = (
        mined.select(list(LENS_CORRECTIONS_SCHEMA)) if mined.height else pl.DataFrame(schema=LENS_CORRECTIONS_SCHEMA)
    )
    return AlphaResult(result, maps, metrics, corrections, held_x, lensed, importance)


def metrics_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    """``lens_metrics`` rows as a frame of the table's schema."""
    return pl.DataFrame(rows, schema=LENS_METRICS_SCHEMA)


def log_classifier(bundle: ClassifierBundle, params: dict[str, object]) -> None:
    """Record the drug classifier in the active MLflow run: ``params``, its classes and held-out metrics."""
    import mlflow

    mlflow.log_params({**params, "convae_id": bundle.convae_id, "classes": ",".join(bundle.classes)})
    mlflow.log_metrics({f"held_out_{k}": v for k, v in bundle.metrics.items()})


def log_losses(stats: LensStats) -> None:
    """Record one logged lens step in the active MLflow run (``run_alpha``'s ``on_log``)."""
    import mlflow

    mlflow.log_metrics({"L_rec": stats.rec, "L_disc": stats.disc, "L_total": stats.total}, step=stats.step)


def log_lens(result: AlphaResult, params: dict[str, object], corrections_png: bytes) -> None:
    """Record one α's lens in the active MLflow run: ``params``, its scalar metrics, the network, the corrections.

    ``corrections_png`` is :func:`~phenodag.core.lens.figures.correction_triptychs` of ``result``
    (drawn once by the caller, which also shows it).
    """
    import mlflow

    from phenodag.core.shared.figures import png_image

    mlflow.log_params(params)
    mlflow.log_metrics({k: float(v) for k, v in result.metrics.items() if isinstance(v, float) and k != "alpha"})
    log_torch_model(result.lens.lens)
    mlflow.log_image(png_image(corrections_png), "corrections.png")
