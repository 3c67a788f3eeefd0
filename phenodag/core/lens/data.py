"""The lens's images: each compound at its top concentration and DMSO, at the latest time points, split by well.

Classes are the compounds at their top concentration plus the control (``DMSO``,
first). Held-out wells are drawn per class (a seeded share, at least one well of
every class that has two), so no well has images on both sides: frames of one well
are near-duplicates, and the published code's random split over frames put them on
both sides.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
import torch

from phenodag.core.compare.profiles import at_top_concentration
from phenodag.core.embed.preprocess import Preprocess
from phenodag.core.shared.images import decode_image
from phenodag.core.shared.schemas import IMAGE_KEY_SCHEMA
from phenodag.core.shared.splits import holdout_split

IMAGE_KEYS = list(IMAGE_KEY_SCHEMA)


@dataclass(frozen=True)
class LensData:
    """The classes and the two sides of the split (``raw_images`` rows with a ``label`` index)."""

    classes: list[str]
    train: pl.DataFrame
    held_out: pl.DataFrame


def lens_rows(raw_images: pl.DataFrame, late_window_h: float) -> pl.DataFrame:
    """Rows of the controls and of each compound at its top concentration, in each plate's late window.

    Column ``class_name`` is the compound (the control's compound is its class too).
    """
    last = pl.col("time_h").max().over("plate_id")
    rows = at_top_concentration(raw_images).filter(pl.col("time_h") >= last - late_window_h)
    return rows.with_columns(pl.col("compound").alias("class_name")).sort(IMAGE_KEYS)


def class_names(rows: pl.DataFrame) -> list[str]:
    """Return the classes of ``lens_rows``: the control(s) first, then the compounds, sorted.

    Raises
    ------
    ValueError
        If fewer than two classes have images.
    """
    controls = sorted(set(rows.filter(pl.col("is_control"))["class_name"]))
    classes = controls + sorted(set(rows["class_name"]) - set(controls))
    if len(classes) < 2:
        raise ValueError(f"the lens needs a control and a compound at the latest time points; found {classes}")
    return classes


def held_out_wells(rows: pl.DataFrame, val_fraction: float, seed: int) -> list[tuple[str, str]]:
    """Draw each class's held-out wells: a seeded share, at least one where the class has two wells or more.

    The split is :func:`phenodag.core.shared.splits.holdout_split`, per class (stratified by hand:
    every class keeps training and held-out wells).
    """
    held: list[tuple[str, str]] = []
    state = np.random.RandomState(seed)  # one stream over the classes: each class draws its own positions
    for name in class_names(rows):
        wells = sorted(set(rows.filter(pl.col("class_name") == name).select("plate_id", "well").iter_rows()))
        _, picked = holdout_split([f"{plate}/{well}" for plate, well in wells], val_fraction, state)
        held += [wells[i] for i in picked]
    return sorted(held)


def split_rows(
    rows: pl.DataFrame, classes: list[str], held: list[tuple[str, str]], max_images: int = 0, seed: int = 0
) -> LensData:
    """Split ``lens_rows`` into training and held-out wells and add the class index ``label``.

    ``max_images`` > 0 caps each side with a seeded sample (a budget for the demo).
    """
    index = {c: i for i, c in enumerate(classes)}
    rows = rows.filter(pl.col("class_name").is_in(classes))
    rows = rows.with_columns(pl.col("class_name").replace_strict(index, return_dtype=pl.Int64).alias("label"))
    marks = pl.DataFrame(held, schema={"plate_id": pl.String, "well": pl.String}, orient="row")
    rows = rows.join(marks.with_columns(held_out=pl.lit(True)), on=["plate_id", "well"], how="left")
    rows = rows.with_columns(pl.col("held_out").fill_null(False))
    train, held_out = rows.filter(~pl.col("held_out")), rows.filter(pl.col("held_out"))
    if max_images:
        train = train.sample(min(max_images, train.height), seed=seed).sort(IMAGE_KEYS)
        held_out = held_out.sample(min(max_images, held_out.height), seed=seed).sort(IMAGE_KEYS)
    return LensData(classes, train.drop("held_out"), held_out.drop("held_out"))


def load_images(rows: pl.DataFrame, preprocess: Preprocess) -> torch.Tensor:
    """Decode and preprocess the rows' images into one (N, 1, size, size) tensor in [0, 1]."""
    return preprocess.tensor([decode_image(p) for p in rows["path"]])
