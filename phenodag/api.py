"""The feature-extraction API: ``phenodag.embed(images, encoder=..., weights=...)``."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np


def embed(
    images: Sequence[str | Path | np.ndarray] | str | Path | np.ndarray,
    encoder: str = "convae-phenoml",
    weights: str | Path | None = None,
    device: str = "cpu",
    batch_size: int = 64,
    field: str | None = None,
    field_px: int | None = None,
    readout: str | None = None,
) -> np.ndarray:
    """Embed images with a named encoder; the same registry and preprocessing as the assets.

    Parameters
    ----------
    images
        Image files (TIFF, PNG, JPEG) or decoded 2-D arrays, or a single one of them.
    encoder
        ``convae``, ``convae-phenoml``, ``convae-random``, ``resnet18``, ``resnet50``,
        ``vit_b_16`` or ``classical``.
    weights
        Weights file, MLflow model URI (``convae``), or ``"random"``; see
        :func:`phenodag.core.embed.registry.load_encoder` for the defaults.
    device
        Torch device.
    batch_size
        Images per forward pass.
    field, field_px
        ``whole`` (default), ``center_crop`` or ``tile`` with the crop/tile side; tiles
        of one image are averaged.
    readout
        ConvAE family: ``pooled`` (None: the default, 456 values) or ``latent`` (the
        published flattened latent, 4,096 values).

    Returns
    -------
    numpy.ndarray
        float32, shape (n_images, dim).

    Examples
    --------
    >>> vectors = phenodag.embed(["a.tif", "b.tif"], encoder="convae-phenoml", weights="trained_model.torch")
    >>> published = phenodag.embed("a.tif", encoder="convae-phenoml", weights="trained_model.torch", readout="latent")
    """
    from phenodag.core.embed.pipeline import embed_images
    from phenodag.core.embed.registry import load_encoder

    items: list[str | Path | np.ndarray]
    if isinstance(images, str | Path) or (isinstance(images, np.ndarray) and images.ndim == 2):
        items = [images]
    else:
        items = list(images)
    enc = load_encoder(encoder, weights, device=device, field=field, field_px=field_px, readout=readout)
    return embed_images(items, enc, batch_size=batch_size)
