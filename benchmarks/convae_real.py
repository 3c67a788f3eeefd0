"""Train the ConvAE once on real phase-contrast frames (T98G, ../shared) and compare what its features see.

Usage:
  python benchmarks/convae_real.py [--frames ../shared/data/usiigaci-t98g-phase-contrast/frames]
      [--steps 900] [--phenoml ../shared/reference/pheno-ml/convae_trained_model.torch]

The ten 1022 x 1024 frames (40.8 min apart; the cells elongate and align over the series)
are cut into 256 px tiles (a 3 x 4 grid per frame) and contrast-stretched like the
``convae`` encoder's input. Four central tile positions are held out of training at
every time point (other cells, the same series). The ConvAE trains with the demo's recipe
(``TrainConfig`` defaults, ``--steps`` steps of 20 views of 32 px) and the script prints:

- held-out MSE and PSNR against the flat reconstruction (mean grey per image);
- per encoder (trained here, untrained He init, published weights if given), with each
  readout (pooled, latent), and for the classical features: the Spearman ρ between time and
  the distance of each frame's mean held-out tile vector to the first frame's (the trend a
  time-lapse embedding should show; the cells elongate and align), on the raw vectors and
  after scaling each feature by its spread over the held-out tiles of the first frame
  (robust z against frame 0, the only "control" a drug-free time-lapse has).
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
from phenodag.core.embed.pipeline import embed_images
from phenodag.core.embed.registry import Encoder, load_encoder, trained_convae_encoder
from phenodag.core.embed.trainer import flat_mse, full_views, psnr, reconstruction_metrics, train_convae
from phenodag.core.shared.images import contrast_stretch, decode_image, to_unit_float
from phenodag.core.shared.normalise import robust_z
from phenodag.core.shared.vocab import READOUTS

HELD_OUT = (5, 6, 9, 10)  # four central positions of the 3 x 4 tile grid (row * 4 + column)
TILE = 256


def tiles(frame: np.ndarray) -> list[np.ndarray]:
    """The full 256 px tiles of a frame."""
    h, w = frame.shape
    return [
        frame[y : y + TILE, x : x + TILE] for y in range(0, h - TILE + 1, TILE) for x in range(0, w - TILE + 1, TILE)
    ]


def trend(encoder: Encoder, frames: list[Path]) -> tuple[float, float]:
    """Spearman ρ of time against the distance of each frame's mean held-out tile vector to frame 0's: raw, robust z.

    The robust z scales each feature by its spread over frame 0's held-out tiles (the only
    "control" a drug-free time-lapse has).
    """
    per_frame = [
        embed_images([t for k, t in enumerate(tiles(decode_image(path))) if k in HELD_OUT], encoder) for path in frames
    ]
    means = np.stack([v.mean(axis=0) for v in per_frame])
    z = robust_z(np.vstack([per_frame[0], means]), np.arange(len(per_frame[0]) + len(means)) < len(per_frame[0]))
    z = z[len(per_frame[0]) :]
    time_order = np.arange(len(means))
    raw = spearmanr(time_order, np.linalg.norm(means - means[0], axis=1)).statistic
    return float(raw), float(spearmanr(time_order, np.linalg.norm(z - z[0], axis=1)).statistic)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--frames", default="../shared/data/usiigaci-t98g-phase-contrast/frames")
    p.add_argument("--steps", type=int, default=900)
    p.add_argument("--phenoml", help="published pheno-ml weights, compared as a third encoder")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    frames = sorted(Path(args.frames).glob("*.tif"))
    if not frames:
        raise SystemExit(f"no .tif frames in {args.frames}")
    images: list[np.ndarray] = []
    positions: list[int] = []
    for path in frames:
        for k, t in enumerate(tiles(decode_image(path))):
            images.append(contrast_stretch(to_unit_float(t)))
            positions.append(k)
    start = time.perf_counter()
    config = TrainConfig(steps=args.steps)
    train = [im for im, k in zip(images, positions, strict=True) if k not in HELD_OUT]
    groups = [f"tile{k}" for k in positions if k not in HELD_OUT]
    test = [im for im, k in zip(images, positions, strict=True) if k in HELD_OUT]
    result = train_convae(train, groups, config)  # it holds out its own share of tile positions as well
    seconds = time.perf_counter() - start
    batch = full_views(test, config.crop_size)
    _, mse = reconstruction_metrics(result.model, batch)
    print(f"trained {args.steps} steps on {len(train)} tiles ({len(frames)} frames) in {seconds:.0f} s")
    print(f"held-out tiles: MSE {mse:.5f} (flat {flat_mse(batch):.5f}), PSNR {psnr(mse):.2f} dB")
    torch.manual_seed(0)
    untrained = kaiming_init(ConvAE()).eval()
    encoders = {"classical": load_encoder("classical")}
    for readout in READOUTS:
        encoders[f"convae (trained on T98G), {readout}"] = trained_convae_encoder(result.model, "t98g", readout=readout)
        encoders[f"convae-random, {readout}"] = trained_convae_encoder(untrained, "random:seed0", readout=readout)
        if args.phenoml:
            encoders[f"convae-phenoml, {readout}"] = load_encoder("convae-phenoml", args.phenoml, readout=readout)
    print("encoder | Spearman rho(time, distance to frame 0): raw vectors | robust z against frame 0")
    for name, encoder in encoders.items():
        raw, z = trend(encoder, frames)
        print(f"{name} | {raw:.2f} | {z:.2f}")


if __name__ == "__main__":
    main()
