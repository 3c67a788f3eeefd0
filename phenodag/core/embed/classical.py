"""Classical phase-contrast features: what an Incucyte user reads, computed per image without a network.

The ``classical`` encoder is the baseline every learned encoder must beat. Per image
(grey, scaled to [0, 1] by its dtype's range, resized to :data:`CLASSICAL_SIZE` px):

- **confluence**, the share of the field covered by cells. In phase contrast the
  background is smooth and cells are textured (edges, halos, granules), so a pixel is
  cell where the standard deviation of its ``window`` x ``window`` neighbourhood exceeds
  ``threshold`` of full scale; small gaps are closed, holes filled and specks opened
  away. It is a simple estimator, not Incucyte's trained mask.
- a **cell-count proxy**: bright blobs at cell scale (local maxima of a Gaussian-smoothed
  image inside the mask) per 10,000 px, and the mask's connected objects per 10,000 px
  with their mean area;
- **intensity** statistics: mean, standard deviation, 5th / 50th / 95th percentiles,
  skewness and kurtosis;
- **texture**: mean local standard deviation (field and inside cells), mean gradient
  magnitude, the mask's edge density, grey-level co-occurrence (scikit-image's
  ``graycomatrix``: contrast, dissimilarity, homogeneity, energy, correlation at
  distances 1, 2 and 4 px, averaged over four angles) and the ten-bin histogram of
  uniform local binary patterns (P=8, R=1).

Computed with numpy, scipy and scikit-image; no torch. Each feature's name is in
:data:`CLASSICAL_FEATURES`, in vector order; confluence is first.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage, stats
from skimage.feature import graycomatrix, graycoprops, local_binary_pattern

from phenodag.core.shared.images import to_unit_float

CLASSICAL_SIZE = 256
"""Side the image is resized to before the features are computed (the simulated fields' size)."""
CONFLUENCE_THRESHOLD = 0.02
"""Local standard deviation, as a fraction of full scale, above which a pixel is cell (~5 grey levels of 8 bits)."""
WINDOW = 5
GLCM_DISTANCES = (1, 2, 4)
GLCM_PROPS = ("contrast", "dissimilarity", "homogeneity", "energy", "correlation")
GLCM_LEVELS = 32
LBP_BINS = 10  # uniform patterns of P=8 neighbours: 9 uniform codes and one for the rest

CLASSICAL_FEATURES: tuple[str, ...] = (
    "confluence",
    "blobs_per_10k_px",
    "objects_per_10k_px",
    "object_mean_area_px",
    "intensity_mean",
    "intensity_std",
    "intensity_p05",
    "intensity_p50",
    "intensity_p95",
    "intensity_skew",
    "intensity_kurtosis",
    "local_std_mean",
    "local_std_in_cells",
    "gradient_mean",
    "edge_density",
    *(f"glcm_{prop}_d{d}" for d in GLCM_DISTANCES for prop in GLCM_PROPS),
    *(f"lbp_{i}" for i in range(LBP_BINS)),
)
"""Names of the features, in vector order."""


def local_std(image: np.ndarray, window: int = WINDOW) -> np.ndarray:
    """Return the standard deviation in a ``window`` x ``window`` neighbourhood of every pixel (unit-scaled image)."""
    x = to_unit_float(image).astype(np.float64)
    mean = ndimage.uniform_filter(x, window)
    sq = ndimage.uniform_filter(x * x, window)
    return np.sqrt(np.clip(sq - mean * mean, 0.0, None))


def cell_mask(image: np.ndarray, threshold: float = CONFLUENCE_THRESHOLD, window: int = WINDOW) -> np.ndarray:
    """Return the boolean mask of pixels covered by cells (local std above ``threshold`` of full scale).

    The morphology (closing, hole filling, opening) runs on a reflect-padded mask, so
    the field's border is not eroded.
    """
    return _mask_of(local_std(image, window), threshold)


def _mask_of(lstd: np.ndarray, threshold: float = CONFLUENCE_THRESHOLD) -> np.ndarray:
    """Return the cell mask of :func:`cell_mask` from an image's local standard deviation."""
    pad = 4
    mask = np.pad(lstd > threshold, pad, mode="reflect")
    mask = ndimage.binary_closing(mask, iterations=2)
    mask = ndimage.binary_fill_holes(mask)
    mask = ndimage.binary_opening(mask, iterations=1)
    return np.asarray(mask[pad:-pad, pad:-pad], dtype=bool)


def confluence(image: np.ndarray, threshold: float = CONFLUENCE_THRESHOLD, window: int = WINDOW) -> float:
    """Fraction of the field covered by cells, in [0, 1].

    Parameters
    ----------
    image
        A decoded grey image (any bit depth; scaled by its dtype's range).
    threshold
        Local standard deviation, as a fraction of full scale, above which a pixel is
        textured (cell).
    window
        Side of the neighbourhood in pixels.
    """
    return float(cell_mask(image, threshold, window).mean())


def _glcm(x: np.ndarray) -> list[float]:
    levels = np.clip((x * GLCM_LEVELS).astype(np.int64), 0, GLCM_LEVELS - 1).astype(np.uint8)
    angles = [0.0, np.pi / 4, np.pi / 2, 3 * np.pi / 4]
    glcm = graycomatrix(levels, GLCM_DISTANCES, angles, levels=GLCM_LEVELS, symmetric=True, normed=True)
    out = []
    for d in range(len(GLCM_DISTANCES)):
        for prop in GLCM_PROPS:
            value = graycoprops(glcm[:, :, d : d + 1, :], prop).mean()
            out.append(float(np.nan_to_num(value, nan=1.0)))  # correlation of a flat field is undefined: 1
    return out


def _lbp(x: np.ndarray) -> list[float]:
    codes = local_binary_pattern((x * 255).astype(np.uint8), P=8, R=1, method="uniform")
    hist = np.bincount(codes.astype(np.int64).ravel(), minlength=LBP_BINS)[:LBP_BINS]
    return [float(v) for v in hist / max(1, codes.size)]


def classical_features(image: np.ndarray) -> np.ndarray:
    """Return the :data:`CLASSICAL_FEATURES` of one grey image, float32 (one value per name)."""
    x = to_unit_float(np.asarray(image)).astype(np.float64)
    if x.ndim != 2:
        raise ValueError(f"classical features take one grey image (2 dimensions), got shape {x.shape}")
    lstd = local_std(x)
    mask = _mask_of(lstd)
    area = x.size / 10_000
    smooth = ndimage.gaussian_filter(x, 2.0)
    peaks = (smooth == ndimage.maximum_filter(smooth, size=7)) & mask & (smooth > np.median(smooth))
    _, n_objects = ndimage.label(mask)
    gradient = np.hypot(ndimage.sobel(x, 0), ndimage.sobel(x, 1))
    edges = mask ^ ndimage.binary_erosion(mask)
    flat = x.ravel()
    spread = float(flat.std())
    values = [
        float(mask.mean()),
        float(peaks.sum()) / area,
        n_objects / area,
        float(mask.sum()) / n_objects if n_objects else 0.0,
        float(flat.mean()),
        spread,
        *(float(v) for v in np.percentile(flat, [5, 50, 95])),
        float(stats.skew(flat)) if spread > 0 else 0.0,
        float(stats.kurtosis(flat)) if spread > 0 else 0.0,
        float(lstd.mean()),
        float(lstd[mask].mean()) if mask.any() else 0.0,
        float(gradient.mean()),
        float(edges.mean()),
        *_glcm(x),
        *_lbp(x),
    ]
    return np.asarray(values, dtype=np.float32)
