"""Training variants of the ConvAE against the untrained network, on the held-out screen of convae_learning.py.

Usage:
  python benchmarks/convae_learning.py --home /tmp/bench3 --plates 3 --sites 2   # once: the two screens
  python benchmarks/convae_variants.py --home /tmp/bench3 '{"steps": 900}' '{"steps": 0}' \\
      '{"steps": 900, "native": 128, "crop_size": 64}' '{"steps": 900, "noise": 0.1}' '{"steps": 900, "mask": 0.5}'

Each argument is one variant (JSON): ``TrainConfig`` fields (``steps``, ``crop_size``, ``lr``
...) plus, beyond what ``convae_model`` offers,

- ``"steps": 0``: no training, the seeded He init (what ``convae-random`` embeds);
- ``"native": S``: images resized to the embedding size S first and views cut as plain
  ``crop_size`` patches without resizing (the scale the encoder sees when it embeds);
- ``"noise": sd`` / ``"mask": p``: denoising / masked-patch training (input corrupted,
  target clean);
- ``"readout": "pooled" | "latent"``: the embedding's readout (pooled, the default, or the
  published flattened latent);
- ``"normalisation": "robust_z" | "robust_z_sphere" | "none"``: how profiles are normalised
  to their plate's controls before scoring (robust_z, the default);
- ``"weights": PATH``: a ConvAE state dict instead of training (the published pheno-ml
  weights, with their own preprocessing);
- ``"encoder": "classical"``: the classical phase-contrast features instead of a ConvAE.

The variants replace the trainer's view function or model class for the run (module
attributes), so ``phenodag`` itself keeps one training path. Each variant trains on the
TRAIN plates (320 images, seed 0), embeds the EVAL plates and prints one JSON line: training
seconds, held-out MSE, dead ReLU channels on held-out TRAIN images (label-free), copairs
activity mAP, fraction_active (all, growth responses, morphology-only conditions), false-positive
rate and drug-vs-control ROC-AUC (held-out plates), all on EVAL, and how many of the vector's
values are constant over the EVAL wells (a ReLU channel that training switched off gives two).
"""

import argparse
import json
import logging
import time
from typing import Any

import numpy as np
import polars as pl
import torch
from torch.nn import functional as F

import phenodag.core.embed.trainer as trainer
from phenodag.core.compare.activity import phenotypic_activity
from phenodag.core.compare.classification import drug_vs_control
from phenodag.core.compare.profiles import late_profiles
from phenodag.core.compare.summary import activity_scores, column_mean
from phenodag.core.embed.config import TrainConfig
from phenodag.core.embed.convae import INPUT_SIZE, ConvAE, kaiming_init
from phenodag.core.embed.crops import CropStrategy
from phenodag.core.embed.heldout import dead_channels, full_views
from phenodag.core.embed.pipeline import embed_rows, well_embeddings
from phenodag.core.embed.registry import Encoder, load_encoder, trained_convae_encoder
from phenodag.core.embed.run import load_training_images
from phenodag.core.shared.schemas import CONDITION
from phenodag.core.shared.splits import holdout_split
from phenodag.core.temporal.evaluate import planted_types

logger = logging.getLogger("convae_variants")
ORIGINAL_VIEWS, ORIGINAL_MODEL = trainer.make_views, trainer.ConvAE


def native_views(image: torch.Tensor, strategy: CropStrategy, rng: np.random.Generator) -> torch.Tensor:
    """``n_views`` random ``size`` x ``size`` patches, no resizing, random flips."""
    _, h, w = image.shape
    k, out = strategy.size, []
    for _ in range(strategy.n_views):
        y, x = int(rng.integers(0, h - k + 1)), int(rng.integers(0, w - k + 1))
        v = image[:, y : y + k, x : x + k]
        v = v.flip(-1) if rng.uniform() < 0.5 else v
        out.append(v.flip(-2) if rng.uniform() < 0.5 else v)
    return torch.stack(out).clamp(0, 1)


def corrupting_model(noise: float, mask: float) -> type[ConvAE]:
    """A ConvAE whose training forward corrupts its input (Gaussian noise, grey 4x4 patches)."""

    class Corrupting(ConvAE):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            if self.training and noise:
                x = (x + noise * torch.randn_like(x)).clamp(0, 1)
            if self.training and mask:
                m = (torch.rand(x.shape[0], 1, x.shape[2] // 4, x.shape[3] // 4) < mask).float()
                m = F.interpolate(m, scale_factor=4, mode="nearest")
                x = x * (1 - m) + 0.5 * m
            return self.decoder(self.encoder(x))

    return Corrupting


def score(encoder: Encoder, eval_rows: pl.DataFrame, planted: pl.DataFrame, normalisation: str) -> dict[str, Any]:
    """The compare stage's headline metrics of ``encoder`` on the EVAL plates."""
    wells = well_embeddings(embed_rows(eval_rows, encoder))
    constant = int((np.asarray(wells["vector"].to_numpy()).std(axis=0) < 1e-6).sum())  # dead ReLU channels' values
    profiles = late_profiles(wells, eval_rows, 24.0, normalisation)
    activity = phenotypic_activity(profiles, "variant", 5000, 0.05, 0)
    scores = activity_scores(activity, planted)
    kinds = activity.drop("planted").join(planted, on=CONDITION)
    scores["map_morphology"] = column_mean(kinds.filter(pl.col("morphology")), "map")  # ties in fraction_active
    scores["roc_auc"] = float(np.nanmean(drug_vs_control(profiles, "variant")["roc_auc"].to_numpy()))
    keep = ("activity_map", "fraction_active", "fraction_active_growth", "fraction_active_morphology")
    keep += ("map_morphology", "false_positive_rate", "roc_auc")
    out = {k: round(v, 3) if isinstance(v, float) else v for k, v in scores.items() if k in keep}
    return {**out, "constant_features": constant, "dim": encoder.dim}


def run_variant(
    spec: dict[str, Any], train_rows: pl.DataFrame, eval_rows: pl.DataFrame, planted: pl.DataFrame
) -> dict[str, Any]:
    """Train one variant and score it on EVAL."""
    spec = dict(spec)
    readout, normalisation = spec.pop("readout", "pooled"), spec.pop("normalisation", "robust_z")
    if spec.get("encoder") == "classical":
        return {"train_s": 0, "val_mse": None, **score(load_encoder("classical"), eval_rows, planted, normalisation)}
    if "weights" in spec:
        encoder = load_encoder("convae-phenoml", spec["weights"], readout=readout)
        return {"train_s": 0, "val_mse": None, **score(encoder, eval_rows, planted, normalisation)}
    native, noise, mask = spec.pop("native", 0), spec.pop("noise", 0.0), spec.pop("mask", 0.0)
    setattr(trainer, "make_views", native_views if native else ORIGINAL_VIEWS)  # noqa: B010
    setattr(trainer, "ConvAE", corrupting_model(noise, mask) if noise or mask else ORIGINAL_MODEL)  # noqa: B010
    images, groups = load_training_images(train_rows, 320, 0)
    if native:
        images = [
            F.interpolate(torch.from_numpy(a)[None, None], size=(native, native), mode="bilinear")[0, 0].numpy()
            for a in images
        ]
    start = time.perf_counter()
    if spec.get("steps", 1) == 0:
        torch.manual_seed(0)
        model, val_mse = kaiming_init(ConvAE()).eval(), None
        _, held_out = holdout_split(groups, TrainConfig().val_fraction, 0)  # the wells training holds out
        dead = dead_channels(model, full_views([images[i] for i in held_out], INPUT_SIZE))
    else:
        result = trainer.train_convae(images, groups, TrainConfig(**spec))
        model, val_mse = result.model, round(result.history[-1].val_mse, 5)
        dead = result.history[-1].dead_channels
    seconds = round(time.perf_counter() - start)
    encoder = trained_convae_encoder(model, "variant", readout=readout)
    scores = score(encoder, eval_rows, planted, normalisation)
    return {"train_s": seconds, "val_mse": val_mse, "train_dead_channels": dead, **scores}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--home", default="/tmp/phenodag-convae-bench", help="home of a convae_learning.py run")
    p.add_argument("variants", nargs="+", help="JSON objects, one per variant")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    raw = pl.read_delta(f"{args.home}/lake/raw_images")
    planted = planted_types(pl.read_delta(f"{args.home}/lake/sim_truth"))
    train_rows = raw.filter(pl.col("plate_id").str.starts_with("TRAIN"))
    eval_rows = raw.filter(pl.col("plate_id").str.starts_with("EVAL"))
    for text in args.variants:
        print(
            json.dumps({"variant": json.loads(text), **run_variant(json.loads(text), train_rows, eval_rows, planted)}),
            flush=True,
        )


if __name__ == "__main__":
    main()
