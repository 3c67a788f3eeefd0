"""Thumbnail sheets: rows of labelled image tiles as one PNG (for Dagster metadata and MLflow).

A sheet is a list of :class:`SheetRow`; each row has a label (drawn at its left) and its
tiles, each a file path (or an array) with a caption. Images are decoded with
:func:`~phenodag.core.shared.images.decode_image` and stretched per tile between their
0.5 and 99.5 percentiles, so a dim phase-contrast field and a bright one are both
readable; a file that cannot be decoded becomes a grey tile captioned ``unreadable``.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from phenodag.core.shared.images import decode_image, safe_reason

logger = logging.getLogger(__name__)

CAPTION_H = 14
"""Height of the caption strip above each tile (pixels)."""


@dataclass(frozen=True)
class SheetRow:
    """One row of a sheet: its label and ``(image, caption)`` tiles (a path or a 2-D array)."""

    label: str
    tiles: Sequence[tuple[str | Path | np.ndarray, str]] = field(default_factory=list)


def stretch8(img: np.ndarray) -> np.ndarray:
    """Stretch a grey image to uint8 between its 0.5 and 99.5 percentiles."""
    lo, hi = np.percentile(img, [0.5, 99.5])
    return (np.clip((img.astype(np.float64) - lo) / max(hi - lo, 1e-9), 0, 1) * 255).astype(np.uint8)


def tile(img: np.ndarray | None, size: int, caption: str, stretch: bool = True) -> Image.Image:
    """Return a ``size`` square of ``img`` (grey when None) under a one-line caption.

    ``stretch=False`` shows a uint8 image at its true grey levels.
    """
    out = Image.new("L", (size, size + CAPTION_H), 0)
    if img is None:
        out.paste(96, (0, CAPTION_H, size, size + CAPTION_H))
    else:
        shown = stretch8(img) if stretch or img.dtype != np.uint8 else img
        out.paste(Image.fromarray(shown).resize((size, size), Image.Resampling.BILINEAR), (0, CAPTION_H))
    ImageDraw.Draw(out).text((3, 1), caption, fill=255)
    return out


def _load(source: str | Path | np.ndarray) -> np.ndarray | None:
    if isinstance(source, np.ndarray):
        return source
    try:
        return decode_image(source)
    except (OSError, ValueError) as exc:
        logger.warning("thumbnail of %s skipped: %s", source, safe_reason(exc))
        return None


def sheet_png(rows: list[SheetRow], size: int = 96, label_w: int = 150, gap: int = 4) -> bytes:
    """Render ``rows`` as one PNG: labels on the left, tiles in columns.

    Parameters
    ----------
    rows
        The rows, top to bottom; rows may have different numbers of tiles.
    size
        Side of each tile in pixels.
    label_w
        Width of the label column (labels are wrapped at ``|``).
    gap
        Pixels between tiles.
    """
    if not rows:
        raise ValueError("a sheet needs at least one row")
    n_cols = max(len(r.tiles) for r in rows) or 1
    row_h = size + CAPTION_H + gap
    sheet = Image.new("L", (label_w + n_cols * (size + gap), len(rows) * row_h), 24)
    draw = ImageDraw.Draw(sheet)
    for i, row in enumerate(rows):
        y = i * row_h
        for j, line in enumerate(row.label.split("|")):
            draw.text((4, y + CAPTION_H + 4 + 12 * j), line.strip(), fill=255)
        for j, (source, caption) in enumerate(row.tiles):
            img = _load(source)
            sheet.paste(tile(img, size, caption if img is not None else "unreadable"), (label_w + j * (size + gap), y))
    buf = io.BytesIO()
    sheet.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def spread(values: list[float], n: int) -> list[float]:
    """Return up to ``n`` of the sorted distinct ``values``, evenly spread, first and last included."""
    distinct = sorted(set(values))
    if len(distinct) <= n:
        return distinct
    idx = np.linspace(0, len(distinct) - 1, n).round().astype(int)
    return [distinct[i] for i in sorted(set(idx.tolist()))]
