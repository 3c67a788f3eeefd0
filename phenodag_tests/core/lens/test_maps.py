"""Importance maps against a hand-made truth mask."""

import numpy as np
import torch

from phenodag.core.lens.maps import downsample, importance_maps, mass_in_cells, resize_mask, signature_auroc
from phenodag.core.simulate.render import MASK_CELL, MASK_SIGNATURE


def test_a_map_on_the_signature_scores_auroc_one_and_all_mass_in_cells() -> None:
    mask = np.zeros((8, 8), np.uint8)
    mask[2:4, 2:4] = MASK_SIGNATURE
    mask[5:7, 5:7] = MASK_CELL
    good = (mask == MASK_SIGNATURE).astype(np.float32)
    assert signature_auroc(good, mask) == 1.0
    assert mass_in_cells(good, mask) == 1.0
    flat = np.ones((8, 8), np.float32)
    assert signature_auroc(flat, mask) == 0.5
    assert mass_in_cells(flat, mask) == 8 / 64
    assert signature_auroc(good, np.zeros_like(mask)) is None  # no signature pixel: undefined
    assert mass_in_cells(np.zeros_like(good), mask) is None


def test_maps_are_absolute_differences_and_downsample_by_area() -> None:
    rec, lensed = torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 4)
    lensed[0, 0, :2, :2] = -1.0
    maps = importance_maps(rec, lensed)
    assert maps.shape == (1, 4, 4) and maps.max() == 1.0 and maps.min() == 0.0
    assert downsample(maps, 2)[0].tolist() == [[1.0, 0.0], [0.0, 0.0]]
    assert resize_mask(np.array([[0, 2], [1, 0]], np.uint8), 4)[0].tolist() == [0, 0, 2, 2]


def test_smoothing_scores_a_changed_cell_above_the_decoders_speckle() -> None:
    rng = np.random.default_rng(0)
    mask = np.zeros((32, 32), np.uint8)
    mask[8:16, 8:16] = MASK_SIGNATURE  # one changed cell
    rec = torch.zeros(1, 1, 32, 32)
    lensed = torch.from_numpy(rng.uniform(0, 1, (1, 1, 32, 32)).astype(np.float32))  # speckle everywhere
    lensed[0, 0, 8:16, 8:16] += 0.5 * torch.from_numpy((rng.uniform(0, 1, (8, 8)) > 0.5).astype(np.float32))
    raw = signature_auroc(importance_maps(rec, lensed)[0], mask)
    smooth = signature_auroc(importance_maps(rec, lensed, sigma_px=2.0)[0], mask)
    assert raw is not None and smooth is not None and smooth > raw
    assert importance_maps(rec, lensed, 2.0).dtype == np.float32
