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

import json
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
import torch.nn.functional as F

from phenodag.core.shared.images import contrast_stretch, to_unit_float
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
    """

    size: int = 128
    antialias: bool = False
    channels: int = 1
    mean: tuple[float, ...] = ()
    std: tuple[float, ...] = ()
    field: str = "whole"
    field_px: int = 256
    contrast: str = "none"

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

    def describe(self) -> str:
        """Return this preprocessing as a compact JSON string (stored with the vectors).

        ``contrast`` appears only when it is not ``none``, so the descriptions of the
        published preprocessing stay what they were.
        """
        d = asdict(self)
        if d["contrast"] == "none":
            del d["contrast"]
        return json.dumps(d, sort_keys=True, separators=(",", ":"))

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
        """Turn fields (2-D arrays of any size and bit depth) into a (N, C, size, size) float tensor."""
        out = []
        for img in images:
            unit = to_unit_float(img)
            x = torch.from_numpy(contrast_stretch(unit) if self.contrast == "stretch" else unit)[None, None]
            if x.shape[-2:] != (self.size, self.size):
                x = F.interpolate(
                    x, size=(self.size, self.size), mode="bilinear", align_corners=False, antialias=self.antialias
                )
            out.append(x)
        batch = torch.cat(out) if out else torch.zeros(0, 1, self.size, self.size)
        if self.channels == 3:
            batch = batch.expand(-1, 3, -1, -1)
        if self.mean:
            mean = torch.tensor(self.mean, dtype=batch.dtype).view(1, -1, 1, 1)
            std = torch.tensor(self.std, dtype=batch.dtype).view(1, -1, 1, 1)
            batch = (batch - mean) / std
        return batch.contiguous()
