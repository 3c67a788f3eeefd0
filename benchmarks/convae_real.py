"""Train the ConvAE on real phase-contrast frames (T98G, ../shared) and compare what its features see over time.

Usage:
  python benchmarks/convae_real.py [--frames ../shared/data/usiigaci-t98g-phase-contrast/frames]
      [--steps 900] [--seed 0] [--phenoml ../shared/reference/pheno-ml/convae_trained_model.torch]

The ten 1022 x 1024 frames (40.8 min apart; the cells elongate and align over the series)
are cut into 256 px tiles (a 3 x 4 grid per frame) and contrast-stretched like the
``convae`` encoder's input. Training is cross-fitted: the tile positions are split into two
checkerboard halves, one ConvAE trains on each half (``TrainConfig`` defaults, ``--steps``
steps of 20 views of 32 px) and embeds the other half, so every tile of the field is
embedded by a network that never saw that position. The script prints:

- per fold, held-out MSE and PSNR against the flat reconstruction (mean grey per image);
- per encoder (trained here, untrained He init, published weights if given), with each
  readout (pooled, latent), and for the classical features: the Spearman ρ between time
  and the distance of each frame's mean tile vector to the first frame's (the trend a
  time-lapse embedding should show), on the raw vectors and in units of the between-tile
  spread within a frame (each feature divided by its standard deviation over the tiles of
  one frame, pooled over frames: the field's own noise, since a drug-free time-lapse has
  no control wells);
- the same on the four central tiles alone (the split earlier versions of this script
  used): a quarter of the field, whose cells move in and out of view.
"""

import argparse
import logging
import time
from pathlib import Path

import numpy as np
import torch
from scipy.stats import spearmanr

from phenodag.core.embed.config import TrainConfig
from phenodag.core.embed.convae import ConvAE, kaiming_init
from phenodag.core.embed.heldout import flat_mse, full_views, psnr, reconstruction_metrics
from phenodag.core.embed.pipeline import embed_images
from phenodag.core.embed.registry import Encoder, load_encoder, trained_convae_encoder
from phenodag.core.embed.trainer import train_convae
from phenodag.core.shared.images import contrast_stretch, decode_image, to_unit_float
from phenodag.core.shared.vocab import READOUTS

TILE = 256
GRID = (3, 4)
CENTRAL = (5, 6)  # row 1, columns 1-2: with row 1's neighbours below, the four central tiles
FOLDS = tuple(tuple(k for k in range(GRID[0] * GRID[1]) if (k // GRID[1] + k % GRID[1]) % 2 == f) for f in (0, 1))
"""Tile positions of the two checkerboard halves (row * 4 + column)."""


def tiles(frame: np.ndarray) -> list[np.ndarray]:
    """The full 256 px tiles of a frame, row by row."""
    h, w = frame.shape
    return [
        frame[y : y + TILE, x : x + TILE] for y in range(0, h - TILE + 1, TILE) for x in range(0, w - TILE + 1, TILE)
    ]


def trend(parts: list[list[np.ndarray]]) -> tuple[float, float]:
    """Spearman ρ of time against each frame's mean tile vector's distance to frame 0's: raw, within-frame z.

    ``parts`` holds, per network, the (tiles, d) vectors of each frame: the cross-fitted
    ConvAE has two (one per half of the field, in two feature spaces that must not be
    averaged together), so each part is averaged on its own and the parts' means are
    concatenated.
    """
    means, spreads = [], []
    for per_frame in parts:
        means.append(np.stack([v.mean(axis=0) for v in per_frame]))
        within = np.sqrt(np.mean([v.var(axis=0) for v in per_frame], axis=0))
        positive = within[within > 0]
        floor = 1e-3 * float(np.median(positive)) if positive.size else 0.0
        spreads.append(np.where(within > floor, within, np.inf))  # constant within frames: no scale, dropped
    mean, spread = np.hstack(means), np.hstack(spreads)
    order = np.arange(len(mean))
    raw = spearmanr(order, np.linalg.norm(mean - mean[0], axis=1)).statistic
    return float(raw), float(spearmanr(order, np.linalg.norm((mean - mean[0]) / spread, axis=1)).statistic)


def embed_parts(frames: list[np.ndarray], parts: list[tuple[Encoder, tuple[int, ...]]]) -> list[list[np.ndarray]]:
    """Per (encoder, tile positions) part, the vectors of each frame's tiles at those positions."""
    cut = [tiles(frame) for frame in frames]
    return [[embed_images([t[k] for k in positions], encoder) for t in cut] for encoder, positions in parts]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frames", default="../shared/data/usiigaci-t98g-phase-contrast/frames")
    p.add_argument("--steps", type=int, default=900)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--phenoml", help="published pheno-ml weights, compared as a third encoder")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    paths = sorted(Path(args.frames).glob("*.tif"))
    if not paths:
        raise SystemExit(f"no .tif frames in {args.frames}")
    frames = [decode_image(path) for path in paths]
    stretched = [[contrast_stretch(to_unit_float(t)) for t in tiles(f)] for f in frames]
    config = TrainConfig(steps=args.steps, seed=args.seed)
    models: dict[int, ConvAE] = {}
    for fold, held_out in enumerate(FOLDS):
        start = time.perf_counter()
        train = [t for f in stretched for k, t in enumerate(f) if k not in held_out]
        groups = [f"tile{k}" for _ in stretched for k in range(len(_)) if k not in held_out]
        result = train_convae(train, groups, config)  # it holds out its own share of tile positions as well
        batch = full_views([f[k] for f in stretched for k in held_out], config.crop_size)
        _, mse = reconstruction_metrics(result.model, batch)
        print(
            f"fold {fold}: trained {args.steps} steps on {len(train)} tiles in {time.perf_counter() - start:.0f} s; "
            f"its held-out tiles: MSE {mse:.5f} (flat {flat_mse(batch):.5f}), PSNR {psnr(mse):.2f} dB, "
            f"{result.history[-1].dead_channels} dead ReLU channels"
        )
        models[fold] = result.model
    torch.manual_seed(0)
    untrained = kaiming_init(ConvAE()).eval()
    every = tuple(range(GRID[0] * GRID[1]))
    encoders: dict[str, list[tuple[Encoder, tuple[int, ...]]]] = {"classical": [(load_encoder("classical"), every)]}
    for readout in READOUTS:
        encoders[f"convae (trained here, cross-fitted), {readout}"] = [
            (trained_convae_encoder(models[f], f"t98g-fold{f}", readout=readout), FOLDS[f]) for f in (0, 1)
        ]
        encoders[f"convae-random, {readout}"] = [
            (trained_convae_encoder(untrained, "random:seed0", readout=readout), every)
        ]
        if args.phenoml:
            published = load_encoder("convae-phenoml", args.phenoml, readout=readout)
            encoders[f"convae-phenoml, {readout}"] = [(published, every)]
    central = (*CENTRAL, CENTRAL[0] + GRID[1], CENTRAL[1] + GRID[1])
    print("encoder | Spearman rho(time, distance to frame 0), whole field: raw | within-frame z | central 4 tiles: raw")
    for name, parts in encoders.items():
        raw, z = trend(embed_parts(frames, parts))
        central_parts = [(enc, tuple(k for k in positions if k in central)) for enc, positions in parts]
        central_raw, _ = trend(embed_parts(frames, central_parts))
        print(f"{name} | {raw:.2f} | {z:.2f} | {central_raw:.2f}")


if __name__ == "__main__":
    main()
