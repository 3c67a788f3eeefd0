"""Image statistics measured from pixels alone (no simulator state): confluence, texture.

Confluence follows the usual label-free approach: in phase contrast the background
is smooth and cells are textured (edges, halos, granules), so a pixel belongs to a
cell when the local standard deviation around it exceeds a threshold; small gaps are
closed and holes filled. It is a simple estimator, not Incucyte's trained mask.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from phenodag.core.shared.images import to_unit_float


def local_std(image: np.ndarray, window: int = 5) -> np.ndarray:
    """Return the standard deviation in a ``window`` x ``window`` neighbourhood of every pixel (unit-scaled image)."""
    x = to_unit_float(image).astype(np.float64)
    mean = ndimage.uniform_filter(x, window)
    sq = ndimage.uniform_filter(x * x, window)
    return np.sqrt(np.clip(sq - mean * mean, 0.0, None))


def cell_mask(image: np.ndarray, threshold: float = 0.02, window: int = 5) -> np.ndarray:
    """Return the boolean mask of pixels covered by cells (local std above ``threshold`` of full scale).

    The morphology (closing, hole filling, opening) runs on a reflect-padded mask, so
    the field's border is not eroded.
    """
    pad = 4
    mask = np.pad(local_std(image, window) > threshold, pad, mode="reflect")
    mask = ndimage.binary_closing(mask, iterations=2)
    mask = ndimage.binary_fill_holes(mask)
    mask = ndimage.binary_opening(mask, iterations=1)
    return mask[pad:-pad, pad:-pad]


def confluence(image: np.ndarray, threshold: float = 0.02, window: int = 5) -> float:
    """Fraction of the field covered by cells, in [0, 1].

    Parameters
    ----------
    image
        A decoded grey image (any bit depth; scaled by its dtype's range).
    threshold
        Local standard deviation, as a fraction of full scale, above which a pixel is
        textured (cell). 0.02 is about 5 grey levels of an 8-bit image.
    window
        Side of the neighbourhood in pixels.
    """
    return float(cell_mask(image, threshold, window).mean())
