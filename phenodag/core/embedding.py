"""Embedding images with a named encoder: pipelined decode → fields → tensor → encoder.

Decoding and preprocessing of the next batch run in a thread pool while the encoder
works on the current one (tifffile, Pillow and torch release the GIL), so I/O does not
starve the model. The table ``embeddings`` holds one row per embedded field: plate_id,
well, site, time_h, tile (0 for whole images and centre crops, the row-major tile index
otherwise), sha256, path, encoder, weights_id, preprocess (JSON) and vector. Delta
stores the vector as ``list<float32>`` of constant length (it has no fixed-size list);
:func:`read_embeddings` returns it as ``pl.Array(pl.Float32, dim)``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl
import torch

from phenodag.core.encoders.registry import Encoder
from phenodag.core.images import decode_image

logger = logging.getLogger("phenodag.embedding")

ID_COLUMNS = ["plate_id", "well", "site", "time_h"]


def embeddings_schema(dim: int) -> dict[str, Any]:
    """Return the schema of the ``embeddings`` table for vectors of length ``dim``."""
    return {
        "plate_id": pl.String,
        "well": pl.String,
        "site": pl.Int32,
        "time_h": pl.Float64,
        "tile": pl.Int32,
        "sha256": pl.String,
        "path": pl.String,
        "encoder": pl.String,
        "weights_id": pl.String,
        "preprocess": pl.String,
        "vector": pl.Array(pl.Float32, dim),
    }


Source = str | Path | np.ndarray


def _prepare(encoder: Encoder, sources: Sequence[Source], start: int) -> tuple[torch.Tensor, list[tuple[int, int]]]:
    """Decode (paths) or take (arrays) images, cut their fields and build the input tensor."""
    fields, owners = [], []
    for i, src in enumerate(sources):
        image = decode_image(src) if isinstance(src, str | Path) else np.asarray(src)
        for t, f in enumerate(encoder.preprocess.fields(image)):
            fields.append(f)
            owners.append((start + i, t))
    return encoder.preprocess.tensor(fields), owners


def iter_embeddings(
    encoder: Encoder, sources: Sequence[Source], batch_size: int = 64, threads: int = 2
) -> Iterator[tuple[np.ndarray, list[tuple[int, int]]]]:
    """Yield (vectors, [(image index, tile index), ...]) batch by batch, preparing one batch ahead.

    Parameters
    ----------
    encoder
        A loaded encoder.
    sources
        Image files or decoded 2-D arrays.
    batch_size
        Images per batch (the tiles of an image stay in its batch).
    threads
        Threads that decode and preprocess; each batch is split across them.
    """
    step = max(1, -(-batch_size // max(1, threads)))
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:

        def submit(b: int) -> list[Future[tuple[torch.Tensor, list[tuple[int, int]]]]]:
            end = min(b + batch_size, len(sources))
            return [pool.submit(_prepare, encoder, sources[j : min(j + step, end)], j) for j in range(b, end, step)]

        starts = list(range(0, len(sources), batch_size))
        pending = submit(starts[0]) if starts else []
        for k in range(len(starts)):
            parts = [f.result() for f in pending]
            pending = submit(starts[k + 1]) if k + 1 < len(starts) else []
            vectors = encoder.forward(torch.cat([p[0] for p in parts])).float().cpu().numpy()
            yield vectors, [o for p in parts for o in p[1]]


def embed_images(images: Sequence[Source], encoder: Encoder, batch_size: int = 64, threads: int = 2) -> np.ndarray:
    """Embed images given as paths or 2-D arrays; one row per image (tiles averaged).

    Returns
    -------
    numpy.ndarray
        float32, shape (n, encoder.dim).
    """
    out = np.zeros((len(images), encoder.dim), np.float64)
    counts = np.zeros(len(images))
    for vectors, owners in iter_embeddings(encoder, images, batch_size, threads):
        index = [i for i, _ in owners]
        np.add.at(out, index, vectors)
        np.add.at(counts, index, 1)
    return (out / np.maximum(counts, 1)[:, None]).astype(np.float32)


def embed_rows(rows: pl.DataFrame, encoder: Encoder, batch_size: int = 64, threads: int = 2) -> pl.DataFrame:
    """Embed the images of ``raw_images`` rows; one output row per field (see module docstring)."""
    vectors, owners = [], []
    for vec, own in iter_embeddings(encoder, rows["path"].to_list(), batch_size, threads):
        vectors.append(vec)
        owners.extend(own)
    matrix = np.concatenate(vectors) if vectors else np.zeros((0, encoder.dim), np.float32)
    index = [i for i, _ in owners]
    ids = (
        rows.select([*ID_COLUMNS, "sha256", "path"])[index]
        if index
        else rows.select([*ID_COLUMNS, "sha256", "path"]).clear()
    )
    return (
        ids.with_columns(
            tile=pl.Series([t for _, t in owners], dtype=pl.Int32),
            encoder=pl.lit(encoder.name),
            weights_id=pl.lit(encoder.weights_id),
            preprocess=pl.lit(encoder.preprocess.describe()),
            vector=pl.Series(matrix, dtype=pl.Array(pl.Float32, encoder.dim)),
        )
        .select(list(embeddings_schema(encoder.dim)))
        .cast(pl.Schema(embeddings_schema(encoder.dim)))
    )


def read_embeddings(df: pl.DataFrame) -> pl.DataFrame:
    """Cast the stored ``vector`` list column back to a fixed-size ``pl.Array`` (length of the first row)."""
    if df.height == 0 or isinstance(df.schema["vector"], pl.Array):
        return df
    dim = len(df["vector"][0])
    return df.with_columns(pl.col("vector").list.to_array(dim))


def well_embeddings(df: pl.DataFrame) -> pl.DataFrame:
    """Mean vector per encoder, weights, plate, well and time point (over sites and tiles).

    Returns
    -------
    polars.DataFrame
        encoder, weights_id, plate_id, well, time_h, n_fields, vector.
    """
    df = read_embeddings(df)
    keys = ["encoder", "weights_id", "plate_id", "well", "time_h"]
    if df.height == 0:
        return pl.DataFrame(
            schema={**{k: df.schema[k] for k in keys}, "n_fields": pl.UInt32, "vector": df.schema["vector"]}
        )
    dim = len(df["vector"][0])
    groups = df.select(keys).with_row_index("row").group_by(keys, maintain_order=True).agg(pl.col("row"))
    matrix = df["vector"].to_numpy()
    means = np.stack([matrix[np.asarray(r)].mean(axis=0) for r in groups["row"].to_list()]).astype(np.float32)
    return (
        groups.select(keys)
        .with_columns(
            n_fields=groups["row"].list.len(),
            vector=pl.Series(means, dtype=pl.Array(pl.Float32, dim)),
        )
        .sort(keys)
    )
