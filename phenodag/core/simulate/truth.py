"""A simulated plate's ground truth: the planted conditions, and the per-image masks of cells and signature.

Masks are stored beside their image as ``sim_masks/<image file name>.npz`` (one
compressed uint8 array ``mask``: 0 background, 1 cell, 2 cell expressing the
compound's signature; see :func:`.render.render`). NumPy's compressed format, not an
image format, so that ingestion, which collects image files recursively, never takes
a mask for a frame; a 256 x 256 mask compresses to a few kB.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from phenodag.core.shared.schemas import CONDITION, SIM_MASKS_SCHEMA, SIM_TRUTH_SCHEMA
from phenodag.core.simulate.render import MASK_CELL, MASK_SIGNATURE

MASK_DIR = "sim_masks"


def mask_path(image: Path) -> Path:
    """Where the truth mask of the simulated image ``image`` lives."""
    return image.parent / MASK_DIR / f"{image.name}.npz"


def write_mask(path: Path, mask: np.ndarray) -> Path:
    """Write one truth mask (uint8 labels) compressed; return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, mask=mask.astype(np.uint8))
    return path


def read_mask(path: Path) -> np.ndarray:
    """Read a truth mask written by :func:`write_mask`.

    Raises
    ------
    ValueError
        If the file is missing or holds no ``mask`` array.
    """
    try:
        with np.load(path) as data:
            return np.asarray(data["mask"], dtype=np.uint8)
    except (OSError, KeyError, ValueError) as exc:
        raise ValueError(f"{path}: not a simulation mask ({exc})") from exc


def mask_rows(images: pl.DataFrame) -> pl.DataFrame:
    """One ``sim_masks`` row per ``raw_images`` row whose mask file exists (real plates have none).

    ``cell_fraction`` and ``signature_fraction`` are the shares of the frame's pixels
    labelled cell (either label) and signature-expressing cell.
    """
    rows = []
    for r in images.select("plate_id", "well", "site", "time_h", "path").iter_rows(named=True):
        path = mask_path(Path(r["path"]))
        if not path.exists():
            continue
        mask = read_mask(path)
        rows.append(
            {
                **r,
                "mask_path": str(path),
                "cell_fraction": float(np.mean(mask >= MASK_CELL)),
                "signature_fraction": float(np.mean(mask == MASK_SIGNATURE)),
            }
        )
    return pl.DataFrame(rows, schema=SIM_MASKS_SCHEMA)


def read_truth(path: Path, plate_id: str) -> pl.DataFrame:
    """Read ``sim_truth.csv`` of a plate folder; an absent file reads as an empty table.

    Raises
    ------
    ValueError
        If the file is not a truth table of this plate (columns, plate id).
    """
    if not path.exists():
        return pl.DataFrame(schema=SIM_TRUTH_SCHEMA)
    try:
        df = pl.read_csv(path, schema_overrides=SIM_TRUTH_SCHEMA).select(list(SIM_TRUTH_SCHEMA))
    except Exception as exc:
        raise ValueError(f"{path}: not a simulation truth table ({exc})") from exc
    other = set(df["plate_id"]) - {plate_id}
    if other:
        raise ValueError(f"{path}: truth rows of other plates {sorted(other)} in plate {plate_id!r}")
    return df


def uncovered_conditions(images: pl.DataFrame, truth: pl.DataFrame) -> pl.DataFrame:
    """Return the imaged (cell_line, compound, concentration_um) conditions that have no truth row."""
    return images.select(CONDITION).unique().join(truth.select(CONDITION), on=CONDITION, how="anti").sort(CONDITION)
