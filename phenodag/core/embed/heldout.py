"""What a ConvAE is measured by on held-out images: reconstruction error, dead channels, previews.

Training (:mod:`.trainer`) calls these after every epoch on the images of its held-out
wells; benchmarks call them on their own held-out tiles. ``flat_mse`` is the baseline any
learning must beat (each image replaced by its mean grey); ``dead_channels`` needs no
labels, which is how the learning rate was chosen (``docs/guide/embed.md``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from phenodag.core.embed.convae import ConvAE


def _device(model: nn.Module) -> torch.device:
    """Return the device of ``model``'s parameters (held-out batches are moved there chunk by chunk)."""
    return next(model.parameters()).device


def full_views(images: Sequence[np.ndarray], size: int) -> torch.Tensor:
    """Deterministic full views (whole image resized), for the held-out loss and previews."""
    if not images:
        return torch.zeros(0, 1, size, size)
    return torch.cat(
        [
            F.interpolate(
                torch.from_numpy(img)[None, None],
                size=(size, size),
                mode="bilinear",
                antialias=True,
                align_corners=False,
            )
            for img in images
        ]
    ).clamp_(0, 1)


def reconstruction_loss(model: ConvAE, batch: torch.Tensor, chunk: int = 64) -> float:
    """Mean BCE of the model's reconstruction of ``batch`` (no gradient)."""
    return reconstruction_metrics(model, batch, chunk)[0]


def reconstruction_metrics(model: ConvAE, batch: torch.Tensor, chunk: int = 64) -> tuple[float, float]:
    """Mean BCE and mean squared error of the model's reconstruction of ``batch`` (no gradient)."""
    if batch.shape[0] == 0:
        return float("nan"), float("nan")
    model.eval()
    bce = mse = 0.0
    device = _device(model)
    with torch.inference_mode():
        for i in range(0, batch.shape[0], chunk):
            x = batch[i : i + chunk].to(device)
            rec = model(x)
            bce += F.binary_cross_entropy(rec, x, reduction="sum").item()
            mse += F.mse_loss(rec, x, reduction="sum").item()
    return bce / batch.numel(), mse / batch.numel()


def dead_channels(model: ConvAE, batch: torch.Tensor, chunk: int = 8) -> int:
    """Count the encoder's ReLU channels that are zero at every pixel of every image in ``batch``.

    A dead channel carries nothing into any readout (its pooled mean and spread are 0 for
    every image), so it is capacity that training has thrown away. It needs no labels,
    which makes it a fair signal for choosing the learning rate on training images: on
    the held-out screen of ``benchmarks/convae_variants.py``, the runs that lost the most
    channels were the ones whose vectors called the fewest drug effects.
    """
    model.eval()
    peaks: dict[int, torch.Tensor] = {}
    device = _device(model)
    with torch.inference_mode():
        for i in range(0, batch.shape[0], chunk):
            x = batch[i : i + chunk].to(device)
            for k, layer in enumerate(model.encoder):
                x = layer(x)
                if isinstance(layer, nn.ReLU):
                    peak = x.amax((0, 2, 3))
                    peaks[k] = torch.maximum(peaks[k], peak) if k in peaks else peak
    return int(sum(int((p <= 0).sum()) for p in peaks.values()))


def flat_mse(batch: torch.Tensor) -> float:
    """Mean squared error of the best flat reconstruction: each image replaced by its mean."""
    if batch.shape[0] == 0:
        return float("nan")
    return float(((batch - batch.mean(dim=(2, 3), keepdim=True)) ** 2).mean())


def psnr(mse: float) -> float:
    """Peak signal-to-noise ratio in dB of images in [0, 1]."""
    return 10.0 * math.log10(1.0 / mse) if mse > 0 else float("inf")


def reconstruction_sheet(model: ConvAE, batch: torch.Tensor, n: int = 6) -> np.ndarray:
    """Return a uint8 image: ``n`` inputs on the top row, their reconstructions below."""
    x = batch[:n].cpu()
    if x.shape[0] == 0:
        return np.zeros((2, 2), np.uint8)
    model.eval()
    with torch.inference_mode():
        rec = model(x.to(_device(model))).float().cpu()
    top = torch.cat(list(x[:, 0]), dim=1)
    bottom = torch.cat(list(rec[:, 0]), dim=1)
    return (torch.cat([top, bottom], dim=0).clamp(0, 1) * 255).round().to(torch.uint8).numpy()
