"""Writing plate folders the way instruments export them (names, images, plate map, marker).

Used by the screen simulator, the demo and the tests, so that everything they make
goes through the same ingestion path as real exports.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import tifffile
import yaml
from PIL import Image

from phenodag.core.ingest.layouts import normalize_well


def incucyte_name(cell_line: str, plate_id: str, well: str, site: int, acquired_at: datetime, ext: str = "tif") -> str:
    """Incucyte absolute-time name, e.g. ``HCC 2279_CL3_P2_B3_1_2019y12m10d_14h00m.tif``."""
    row, col = normalize_well(well)[1:]
    stamp = acquired_at.strftime("%Yy%mm%dd_%Hh%Mm")
    return f"{cell_line}_{plate_id}_{row}{col}_{site}_{stamp}.{ext}"


def incucyte_elapsed_name(cell_line: str, well: str, site: int, elapsed_h: float, ext: str = "tif") -> str:
    """Incucyte elapsed-time name, e.g. ``MDA MB 231_B3_1_03d12h00m.tif``."""
    row, col = normalize_well(well)[1:]
    minutes = round(elapsed_h * 60)
    days, rest = divmod(minutes, 24 * 60)
    return f"{cell_line}_{row}{col}_{site}_{days:02d}d{rest // 60:02d}h{rest % 60:02d}m.{ext}"


def cv8000_name(plate_id: str, well: str, timepoint: int, field: int, channel: int = 1) -> str:
    """Yokogawa CV8000 name, e.g. ``CL3_P2_B03_T0001F001L01A01Z01C01.tif``."""
    canonical = normalize_well(well)[0]
    return f"{plate_id}_{canonical}_T{timepoint:04d}F{field:03d}L01A01Z01C{channel:02d}.tif"


def write_image(path: Path, image: np.ndarray) -> Path:
    """Write a 2-D uint8/uint16 image; TIFF through tifffile, PNG/JPEG through Pillow."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix in {".tif", ".tiff"}:
        tifffile.imwrite(path, image)
    elif suffix in {".jpg", ".jpeg"}:
        Image.fromarray(image).save(path, quality=95)
    else:
        Image.fromarray(image).save(path)
    return path


def write_platemap(folder: Path, platemap: pl.DataFrame, name: str = "platemap.csv") -> Path:
    """Write the plate map CSV (one row per well)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    platemap.write_csv(path)
    return path


def write_plate_yaml(folder: Path, config: dict[str, Any]) -> Path:
    """Write ``plate.yaml`` with the given keys."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "plate.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def mark_complete(folder: Path, marker: str = "COMPLETE") -> Path:
    """Create the completion marker that tells the inbox sensor the plate is whole."""
    path = folder / marker
    path.touch()
    return path
