"""Preprocessing that belongs to an encoder: field handling, scaling, resize, normalisation.

A :class:`Preprocess` turns decoded grey images (any bit depth) into the tensor batch an
encoder expects, and describes itself as a JSON string that is stored with every
embedding. Field handling for images larger than the encoder wants:

``whole``        resize the whole image (the pheno-ml default for 256x256 Incucyte crops);
``center_crop``  take the central ``field_px`` square, then resize;
``tile``         cut non-overlapping ``field_px`` tiles (row-major, remainder dropped), one
                 embedding per tile.
"""

from __future__ import annotations

import functools
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from phenodag.core.shared.images import contrast_stretch, decode_image, stretch, to_unit_float, unit_stats
from phenodag.core.shared.vocab import FIELD_MODES

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
CONTRASTS = ("none", "stretch")


@dataclass(frozen=True)
class Preprocess:
    """How images become an encoder's input.

    Parameters
    ----------
    size
        Side of the square input, in pixels.
    antialias
        Antialiasing of the bilinear resize (the published pheno-ml features used none).
    channels
        1, or 3 to repeat the grey channel for ImageNet-style networks.
    mean, std
        Per-channel normalisation after scaling to [0, 1]; empty for none.
    field
        ``whole``, ``center_crop`` or ``tile`` (see module docstring).
    field_px
        Crop or tile side in source pixels (``center_crop`` and ``tile``).
    contrast
        ``none`` (the published pheno-ml features) or ``stretch``: each field centred on
        0.5 with ±2 sd spanning [0, 1] (:func:`~phenodag.core.shared.images.contrast_stretch`),
        the input the ConvAE trained here learns from.
    jpeg_draft
        Opt-in: decode JPEGs at the smallest DCT scale (1/2 to 1/8) that keeps both sides
        at least ``size`` (whole fields only). Several times cheaper to decode, but the
        pixels are block averages, not the full-resolution samples the published
        features used; recorded in the ``preprocess`` JSON, and its cosine to the full
        decode is measured by ``benchmarks/embed_throughput.py``.
    """

    size: int = 128
    antialias: bool = False
    channels: int = 1
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    field: str = "whole"
    field_px: int = 256
    contrast: str = "none"
    jpeg_draft: bool = False

    def __post_init__(self) -> None:
        if self.contrast not in CONTRASTS:
            raise ValueError(f"contrast {self.contrast!r}; expected one of {CONTRASTS}")
        if self.field not in FIELD_MODES:
            raise ValueError(f"field {self.field!r}; expected one of {FIELD_MODES}")
        if self.channels not in (1, 3):
            raise ValueError(f"channels {self.channels}; expected 1 or 3")

    def with_field(self, field: str, field_px: int | None = None) -> Preprocess:
        """Return a copy with another field handling."""
        return replace(self, field=field, field_px=field_px or self.field_px)

    def describe(self, **extra: str) -> str:
        """Return this preprocessing as a compact JSON string (stored with the vectors).

        ``contrast`` appears only when it is not ``none`` and ``jpeg_draft`` only when
        set, so the descriptions of the published preprocessing stay what they were.
        ``extra`` keys (the encoder's ``readout``) are added as given.
        """
        d: dict[str, object] = {**asdict(self), **extra}
        if d["contrast"] == "none":
            del d["contrast"]
        if not d["jpeg_draft"]:
            del d["jpeg_draft"]
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

    def decode(self, path: str | Path) -> np.ndarray:
        """Decode an image file for this preprocessing (reduced-scale JPEG with ``jpeg_draft``)."""
        reduce = self.jpeg_draft and self.field == "whole"
        return decode_image(path, jpeg_min_side=self.size if reduce else None)

    def fields(self, image: np.ndarray) -> list[np.ndarray]:
        """Return the fields of one image to embed: the image, its centre crop, or its tiles.

        Raises
        ------
        ValueError
            If the image is smaller than ``field_px`` for ``center_crop`` or ``tile``.
        """
        if self.field == "whole":
            return [image]
        h, w = image.shape
        s = self.field_px
        if h < s or w < s:
            raise ValueError(f"image of {w}x{h} px is smaller than field_px={s} ({self.field})")
        if self.field == "center_crop":
            y0, x0 = (h - s) // 2, (w - s) // 2
            return [image[y0 : y0 + s, x0 : x0 + s]]
        return [image[y : y + s, x : x + s] for y in range(0, h - s + 1, s) for x in range(0, w - s + 1, s)]

    def tensor(self, images: list[np.ndarray]) -> torch.Tensor:
        """Turn fields (2-D arrays of any size and bit depth) into a (N, C, size, size) float tensor.

        Without antialiasing an integer field is resampled where it lies
        (:func:`resample_unit`: only the four source pixels of each output pixel are
        scaled, never the whole field); otherwise the field is scaled to [0, 1] and
        resized by ``torch.nn.functional.interpolate``. Both give the same values.
        """
        batch = torch.from_numpy(np.stack([self._one(img) for img in images])[:, None]) if images else None
        if batch is None:
            batch = torch.zeros(0, 1, self.size, self.size)
        if self.channels == 3:
            batch = batch.expand(-1, 3, -1, -1)
        if self.mean:
            mean = torch.tensor(self.mean, dtype=batch.dtype).view(1, -1, 1, 1)
            std = torch.tensor(self.std, dtype=batch.dtype).view(1, -1, 1, 1)
            batch = (batch - mean) / std
        return batch.contiguous()

    def _one(self, img: np.ndarray) -> np.ndarray:
        """One field as a (size, size) float32 array in [0, 1], stretched when ``contrast`` says so."""
        if not self.antialias and np.issubdtype(img.dtype, np.integer) and img.shape != (self.size, self.size):
            stats = unit_stats(img) if self.contrast == "stretch" else None
            return resample_unit(img, self.size, stats)
        unit = to_unit_float(img)
        x = torch.from_numpy(contrast_stretch(unit) if self.contrast == "stretch" else unit)[None, None]
        if x.shape[-2:] != (self.size, self.size):
            x = F.interpolate(
                x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=self.antialias
            )
        return x[0, 0].numpy()


@functools.lru_cache(maxsize=64)
def _taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices and weight of the second index along one axis of a bilinear resize.

    Torch's rule without antialias (``align_corners=False``): output pixel ``i`` samples
    ``(i + 0.5) * n_in / n_out - 0.5``, clamped at 0, between its two neighbours.
    """
    src = np.maximum((np.arange(n_out, dtype=np.float32) + np.float32(0.5)) * np.float32(n_in / n_out) - 0.5, 0.0)
    i0 = np.minimum(src.astype(np.intp), n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, np.clip(src - i0, 0.0, 1.0).astype(np.float32)


def resample_unit(img: np.ndarray, size: int, stats: tuple[float, float] | None = None) -> np.ndarray:
    """Bilinear resize (no antialias) of an integer field to ``size`` x ``size``, scaled to [0, 1] on the way.

    Only the four source pixels of each output pixel are read and scaled
    (:func:`~phenodag.core.shared.images.to_unit_float`, then
    :func:`~phenodag.core.shared.images.stretch` with ``stats``, the field's mean and
    sd in [0, 1], when given), so a 1408x1040 frame costs the same as a 128 px one. Both
    steps are pointwise, so this equals scaling the whole field and resizing it with
    ``torch.nn.functional.interpolate`` (to float32 rounding).
    """
    (y0, y1, wy), (x0, x1, wx) = _taps(img.shape[0], size), _taps(img.shape[1], size)
    top, bottom = img[y0], img[y1]

    def unit(v: np.ndarray) -> np.ndarray:
        u = to_unit_float(v)
        return stretch(u, *stats) if stats is not None else u

    a, b, c, d = unit(top[:, x0]), unit(top[:, x1]), unit(bottom[:, x0]), unit(bottom[:, x1])
    wx, wy = wx[None, :], wy[:, None]
    return ((1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * c + wx * d)).astype(np.float32, copy=False)
