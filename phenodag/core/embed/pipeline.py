"""Embedding images with a named encoder: decode → fields → tensor → encoder, in parallel workers.

Each worker thread decodes, preprocesses and encodes its own chunk of images
(tifffile, Pillow, numpy and torch release the GIL), with torch on one intra-op thread,
so decoding never waits for the model nor competes with it for the cores
(:func:`iter_embeddings`). The table ``embeddings`` holds one row per embedded field: plate_id,
well, site, time_h, tile (0 for whole images and centre crops, the row-major tile index
otherwise), sha256, path, encoder, weights_id, preprocess (JSON) and vector. Delta
stores the vector as ``list<float32>`` of constant length (it has no fixed-size list);
:func:`read_embeddings` returns it as ``pl.Array(pl.Float32, dim)``.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
import polars as pl
import torch

from phenodag.core.embed.registry import Encoder
from phenodag.core.shared.files import sha256_file
from phenodag.core.shared.images import ImageDecodeError, read_header
from phenodag.core.shared.progress import Progress
from phenodag.core.shared.schemas import EMBEDDINGS_SCHEMA, with_dim
from phenodag.core.shared.vectors import mean_vectors, read_embeddings

logger = logging.getLogger(__name__)

ID_COLUMNS = ["plate_id", "well", "site", "time_h"]
FILE_COLUMNS = {"path": pl.String, "sha256": pl.String}


Source = str | Path | np.ndarray
Chunk = tuple[np.ndarray | None, list[tuple[int, int]]]
"""A worker's result: the vectors of its chunk (None when nothing in it was readable) and their owners."""


def _prepare(
    encoder: Encoder, sources: Sequence[Source], start: int, skip_unreadable: bool = False
) -> tuple[torch.Tensor | None, list[tuple[int, int]]]:
    """Decode (paths) or take (arrays) images, cut their fields and build the input tensor.

    With ``skip_unreadable`` an image that cannot be decoded is logged and left out
    (it owns no row); the tensor is None when no image of the slice was readable.
    """
    fields, owners = [], []
    for i, src in enumerate(sources):
        try:
            image = encoder.preprocess.decode(src) if isinstance(src, str | Path) else np.asarray(src)
        except ImageDecodeError as exc:
            if not skip_unreadable:
                raise
            logger.warning("skipped unreadable image: %s", exc)
            continue
        for t, f in enumerate(encoder.preprocess.fields(image)):
            fields.append(f)
            owners.append((start + i, t))
    return (encoder.preprocess.tensor(fields) if fields else None), owners


Transform = Callable[[torch.Tensor], torch.Tensor]
"""A change applied to an encoder's input batch before the forward (e.g. a test-time perturbation)."""


def _embed_chunk(
    encoder: Encoder, sources: Sequence[Source], start: int, skip_unreadable: bool, transform: Transform | None
) -> Chunk:
    """Decode, preprocess (then ``transform``) and encode one chunk of images in the calling worker thread."""
    tensor, owners = _prepare(encoder, sources, start, skip_unreadable)
    if tensor is None:
        return None, owners
    return encoder.forward(transform(tensor) if transform else tensor).float().cpu().numpy(), owners


@contextlib.contextmanager
def _one_intra_op_thread(workers: int, device: str) -> Iterator[None]:
    """Run torch's CPU ops on the calling thread while ``workers`` > 1 threads each run a model."""
    saved = torch.get_num_threads()
    if workers > 1 and device == "cpu":
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def iter_embeddings(
    encoder: Encoder,
    sources: Sequence[Source],
    batch_size: int = 64,
    threads: int = 0,
    skip_unreadable: bool = False,
    transform: Transform | None = None,
) -> Iterator[tuple[np.ndarray, list[tuple[int, int]]]]:
    """Yield (vectors, [(image index, tile index), ...]) batch by batch.

    ``threads`` workers each take a chunk of ``encoder.chunk`` images and decode,
    preprocess and encode it; torch runs one intra-op thread meanwhile (restored
    after), so workers never outnumber the cores. On 2 cores this ran the ConvAE
    path 1.4x faster than decoding in 2 threads ahead of a model on 2 intra-op
    threads, which oversubscribes the cores (``benchmarks/embed_throughput.py``). The
    next batch is submitted before the current one is collected, so no worker idles at
    a batch boundary.

    Parameters
    ----------
    encoder
        A loaded encoder.
    sources
        Image files or decoded 2-D arrays.
    batch_size
        Images per yielded batch (the tiles of an image stay in its batch).
    threads
        Workers; 0: torch's intra-op thread count (the cores torch would use).
    skip_unreadable
        Leave out (and log) images that cannot be decoded instead of raising.
    transform
        Applied to each chunk's input tensor before the forward. With one worker the
        chunks run in image order, which a transform drawing from a seeded stream needs.
    """
    workers = max(1, threads or torch.get_num_threads())
    chunk = max(1, encoder.chunk)
    with _one_intra_op_thread(workers, encoder.device), ThreadPoolExecutor(max_workers=workers) as pool:

        def submit(b: int) -> list[Future[Chunk]]:
            end = min(b + batch_size, len(sources))
            return [
                pool.submit(_embed_chunk, encoder, sources[j : min(j + chunk, end)], j, skip_unreadable, transform)
                for j in range(b, end, chunk)
            ]

        starts = list(range(0, len(sources), batch_size))
        pending = submit(starts[0]) if starts else []
        for k in range(len(starts)):
            following = submit(starts[k + 1]) if k + 1 < len(starts) else []
            parts = [f.result() for f in pending]
            pending = following
            vectors = [p[0] for p in parts if p[0] is not None]
            if vectors:
                yield np.concatenate(vectors), [o for p in parts for o in p[1]]


def embed_images(
    images: Sequence[Source],
    encoder: Encoder,
    batch_size: int = 64,
    threads: int = 0,
    transform: Transform | None = None,
) -> np.ndarray:
    """Embed images given as paths or 2-D arrays; one row per image (tiles averaged).

    ``transform`` changes each input batch before the forward (:func:`iter_embeddings`).

    Returns
    -------
    numpy.ndarray
        float32, shape (n, encoder.dim).
    """
    out = np.zeros((len(images), encoder.dim), np.float64)
    counts = np.zeros(len(images))
    for vectors, owners in iter_embeddings(encoder, images, batch_size, threads, transform=transform):
        index = [i for i, _ in owners]
        np.add.at(out, index, vectors)
        np.add.at(counts, index, 1)
    return (out / np.maximum(counts, 1)[:, None]).astype(np.float32)


def embed_table(
    rows: pl.DataFrame, encoder: Encoder, batch_size: int = 64, threads: int = 0, skip_unreadable: bool = False
) -> pl.DataFrame:
    """Embed the images named in ``rows["path"]``; one output row per field (none for a skipped image).

    Returns
    -------
    polars.DataFrame
        The columns of ``rows`` (repeated for each tile of an image), then ``tile``,
        ``encoder``, ``weights_id``, ``preprocess`` and ``vector``.
    """
    vectors, owners = [], []
    progress = Progress(f"embedding with {encoder.name}", rows.height, logger, unit="img")
    for vec, own in iter_embeddings(encoder, rows["path"].to_list(), batch_size, threads, skip_unreadable):
        vectors.append(vec)
        owners.extend(own)
        progress.advance(len({i for i, _ in own}))
    matrix = np.concatenate(vectors) if vectors else np.zeros((0, encoder.dim), np.float32)
    index = [i for i, _ in owners]
    ids = rows[index] if index else rows.clear()
    return ids.with_columns(
        tile=pl.Series([t for _, t in owners], dtype=pl.Int32),
        encoder=pl.lit(encoder.name),
        weights_id=pl.lit(encoder.weights_id),
        preprocess=pl.lit(encoder.describe()),
        vector=pl.Series(matrix, dtype=pl.Array(pl.Float32, encoder.dim)),
    )


def embed_rows(rows: pl.DataFrame, encoder: Encoder, batch_size: int = 64, threads: int = 0) -> pl.DataFrame:
    """Embed the images of ``raw_images`` rows into rows of the ``embeddings`` table (module docstring)."""
    schema = with_dim(EMBEDDINGS_SCHEMA, encoder.dim)
    ids = rows.select([*ID_COLUMNS, "sha256", "path"])
    return embed_table(ids, encoder, batch_size, threads).select(list(schema)).cast(pl.Schema(schema))


def embed_files(paths: Sequence[str | Path], encoder: Encoder, batch_size: int = 64, threads: int = 0) -> pl.DataFrame:
    """Embed image files: path (absolute), sha256, tile, encoder, weights_id, preprocess, vector (the CLI's output).

    A file that is not a readable image (not a regular file, unreadable header,
    truncated data) is skipped with a warning and has no row; the caller compares
    paths to report it.
    """
    readable = []
    for p in paths:
        try:
            read_header(p)
            readable.append(str(Path(p).resolve()))
        except ImageDecodeError as exc:
            logger.warning("skipped unreadable image: %s", exc)
    rows = pl.DataFrame({"path": readable, "sha256": [sha256_file(p) for p in readable]}, schema=FILE_COLUMNS)
    return embed_table(rows, encoder, batch_size, threads, skip_unreadable=True)


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
    return mean_vectors(df, keys, "n_fields").sort(keys)
