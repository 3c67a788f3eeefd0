"""A plate's contact sheet: a few wells over time, so the UI shows cells, not only paths and hashes."""

from __future__ import annotations

import polars as pl

from phenodag.core.shared.thumbnails import SheetRow, sheet_png, spread
from phenodag.core.shared.units import hours_label


def condition_label(compound: str, concentration_um: float | None, is_control: bool) -> str:
    """Name a condition: the compound alone for a control, else ``<compound> <conc> uM``."""
    if is_control or concentration_um is None:
        return compound
    return f"{compound} {concentration_um:g} uM"


def well_over_time(images: pl.DataFrame, n_times: int) -> list[tuple[str, str]]:
    """Tiles of the first plate, well and site of ``raw_images`` rows at up to ``n_times`` spread time points."""
    first = images.sort("plate_id", "well", "site").row(0, named=True)
    mine = images.filter(
        (pl.col("plate_id") == first["plate_id"])
        & (pl.col("well") == first["well"])
        & (pl.col("site") == first["site"])
    )
    return [
        (str(mine.filter(pl.col("time_h") == t)["path"][0]), hours_label(t))
        for t in spread(mine["time_h"].to_list(), n_times)
    ]


def plate_sheet_rows(images: pl.DataFrame, n_wells: int = 4, n_times: int = 5) -> list[SheetRow]:
    """Pick the sheet of one plate's ``raw_images`` rows.

    Rows: the first control well, then the top concentration of up to ``n_wells - 1``
    compounds (in name order); columns: up to ``n_times`` time points spread from the
    well's first to its last; the first site of each well.
    """
    if images.height == 0:
        return []
    controls = images.filter(pl.col("is_control")).sort("well")
    treated = (
        images.filter(~pl.col("is_control"))
        .sort("compound", pl.col("concentration_um").fill_null(0.0), "well", descending=[False, True, False])
        .unique("compound", keep="first", maintain_order=True)
    )
    wells = pl.concat([controls.head(1), treated.head(n_wells - min(1, controls.height))]).select(
        "well", "compound", "concentration_um", "is_control"
    )
    return [
        SheetRow(
            f"{well}|{condition_label(compound, conc, is_control)}",
            well_over_time(images.filter(pl.col("well") == well), n_times),
        )
        for well, compound, conc, is_control in wells.iter_rows()
    ]


def plate_sheet(images: pl.DataFrame, n_wells: int = 4, n_times: int = 5, size: int = 96) -> bytes | None:
    """Render the PNG contact sheet of :func:`plate_sheet_rows`; None for a plate without images."""
    rows = plate_sheet_rows(images, n_wells, n_times)
    return sheet_png(rows, size=size) if rows else None
