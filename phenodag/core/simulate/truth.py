"""Reading a simulated plate's ground truth and checking that it covers the imaged conditions."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from phenodag.core.shared.tables import CONDITION, SIM_TRUTH_SCHEMA


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
