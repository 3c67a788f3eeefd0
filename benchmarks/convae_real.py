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
- per encoder (trained here, untrained He init, published weights if given): the Spearman ρ
  between time and the distance of each frame's mean held-out tile vector to the first
  frame's (the trend a time-lapse embedding should show; the cells elongate and align).
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
from phenodag.core.embed.registry import load_encoder, trained_convae_encoder
from phenodag.core.embed.trainer import flat_mse, full_views, psnr, reconstruction_metrics, train_convae
from phenodag.core.shared.images import contrast_stretch, decode_image, to_unit_float

HELD_OUT = (5, 6, 9, 10)  # four central positions of the 3 x 4 tile grid (row * 4 + column)
TILE = 256


def tiles(frame: np.ndarray) -> list[np.ndarray]:
    """The full 256 px tiles of a frame."""
    h, w = frame.shape
    return [
        frame[y : y + TILE, x : x + TILE] for y in range(0, h - TILE + 1, TILE) for x in range(0, w - TILE + 1, TILE)
    ]


def trend(encoder: object, frames: list[Path]) -> float:
    """Spearman ρ of time against the distance of each frame's mean held-out tile vector to frame 0's."""
    vectors = []
    for path in frames:
        parts = [t for k, t in enumerate(tiles(decode_image(path))) if k in HELD_OUT]
        vectors.append(embed_images(parts, encoder).mean(axis=0))  # type: ignore[arg-type]
    v = np.stack(vectors)
    return float(spearmanr(np.arange(len(v)), np.linalg.norm(v - v[0], axis=1)).statistic)


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
    encoders = {
        "convae (trained on T98G)": trained_convae_encoder(result.model, "t98g"),
        "convae-random": trained_convae_encoder(kaiming_init(ConvAE()).eval(), "random:seed0"),
    }
    if args.phenoml:
        encoders["convae-phenoml"] = load_encoder("convae-phenoml", args.phenoml)
    for name, encoder in encoders.items():
        print(f"{name}: Spearman rho(time, distance to frame 0) = {trend(encoder, frames):.2f}")


if __name__ == "__main__":
    main()
