"""Vector columns: group means, shared by the per-well embeddings and the temporal trajectories."""

from __future__ import annotations

import numpy as np
import polars as pl


def mean_vectors(df: pl.DataFrame, keys: list[str], count: str) -> pl.DataFrame:
    """Mean of the ``vector`` column per group of ``keys``, in first-appearance order.

    Parameters
    ----------
    df
        Rows with the ``keys`` columns and a fixed-size ``vector`` column (``pl.Array``).
    keys
        Group columns.
    count
        Name of the output column that counts the rows of each group (UInt32).

    Returns
    -------
    polars.DataFrame
        ``keys``, ``count`` and ``vector`` (the mean, in the input's float type).
    """
    dtype = df.schema["vector"]
    groups = df.select(keys).with_row_index("_row").group_by(keys, maintain_order=True).agg(pl.col("_row"))
    matrix = df["vector"].to_numpy()
    means = [matrix[np.asarray(rows)].mean(axis=0) for rows in groups["_row"].to_list()]
    vectors = np.stack(means) if means else np.zeros((0, matrix.shape[1] if matrix.ndim == 2 else 0), matrix.dtype)
    return groups.select(keys).with_columns(
        groups["_row"].list.len().cast(pl.UInt32).alias(count),
        pl.Series("vector", vectors, dtype=dtype),
    )


def read_embeddings(df: pl.DataFrame) -> pl.DataFrame:
    """Cast the stored ``vector`` list column back to a fixed-size ``pl.Array`` (length of the first row)."""
    if df.height == 0 or isinstance(df.schema["vector"], pl.Array):
        return df
    dim = len(df["vector"][0])
    return df.with_columns(pl.col("vector").list.to_array(dim))
