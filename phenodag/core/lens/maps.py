"""Importance maps (|reconstruction − lensed image|) and how well they find the planted signature.

The map of an image is the absolute difference between the frozen ConvAE's
reconstruction and the lens's output: where the lens changed the image beyond what
the autoencoder changes anyway, smoothed by a Gaussian of ``sigma_px`` pixels
(``LensConfig.map_sigma_px``, 2 px of the 128 px lens input: half the radius of a
simulated HCT 15 cell, 5 px there). A drug changes whole cells, while the raw difference
is speckled by the decoder's pixel noise; the smoothing makes a map score regions of
cells, not single pixels (without it the demo's screen scored 0.59 at α = 0 on 64 px
maps, with σ = 1 px there 0.70; the held-out figures are in docs/results.md).

Maps are stored downsampled to ``map_size`` (area average) as a fixed-size float32
array in the ``lens_maps`` row, not as files: a 64 x 64 map is 16 kB, a held-out set
holds hundreds of images, and a row that carries its map can be read, filtered and
plotted with the table alone (no orphaned files when a partition is rewritten). Scores
against truth use the full-resolution map.
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from torch.nn import functional as F

from phenodag.core.simulate.render import MASK_CELL, MASK_SIGNATURE


def importance_maps(reconstructions: torch.Tensor, lensed: torch.Tensor, sigma_px: float = 0.0) -> np.ndarray:
    """|reconstruction − lensed| smoothed by a Gaussian of ``sigma_px`` pixels (0: raw), (N, H, W) float32."""
    maps = (reconstructions - lensed).abs()[:, 0].float().numpy()
    if sigma_px <= 0:
        return maps
    from scipy.ndimage import gaussian_filter

    return gaussian_filter(maps, sigma=(0.0, sigma_px, sigma_px)).astype(np.float32)


def downsample(maps: np.ndarray, size: int) -> np.ndarray:
    """Area-average (N, H, W) maps to (N, size, size)."""
    t = torch.from_numpy(np.ascontiguousarray(maps, dtype=np.float32))[:, None]
    return F.adaptive_avg_pool2d(t, size)[:, 0].numpy()


def resize_mask(mask: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour resize of a label mask to (size, size)."""
    t = torch.from_numpy(mask.astype(np.float32))[None, None]
    return F.interpolate(t, size=(size, size), mode="nearest")[0, 0].numpy().astype(np.uint8)


def signature_auroc(importance: np.ndarray, mask: np.ndarray) -> float | None:
    """AUROC of the map's pixels against the signature label (None without both classes)."""
    target = (mask == MASK_SIGNATURE).ravel()
    if target.all() or not target.any():
        return None
    return float(roc_auc_score(target, importance.ravel()))


def mass_in_cells(importance: np.ndarray, mask: np.ndarray) -> float | None:
    """Share of the map's total mass on cell pixels (None for an all-zero map)."""
    total = float(importance.sum())
    if total <= 0:
        return None
    return float(importance[mask >= MASK_CELL].sum()) / total
