"""Shared figure plumbing: matplotlib (Agg) figures to PNG bytes and PIL images."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from PIL import Image


def png_bytes(fig: matplotlib.figure.Figure, dpi: int = 80) -> bytes:
    """Render ``fig`` to PNG bytes and close it."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def png_image(png: bytes) -> Image.Image:
    """Open PNG bytes as a PIL image (for ``mlflow.log_image``)."""
    return Image.open(io.BytesIO(png)).convert("RGB")
