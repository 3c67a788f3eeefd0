from pathlib import Path

import numpy as np
import polars as pl
import pytest
import torch
from scipy.stats import spearmanr

from phenodag.core.embed.convae import ConvAE
from phenodag.core.embed.pipeline import embed_images, embed_rows, well_embeddings
from phenodag.core.embed.registry import load_encoder
from phenodag.core.shared.vectors import read_embeddings
from phenodag.core.simulate.plate_writer import write_image


@pytest.fixture
def encoder_file(tmp_path: Path) -> Path:
    torch.manual_seed(0)
    path = tmp_path / "ae.pt"
    torch.save(ConvAE().state_dict(), path)
    return path


def rows_for(tmp_path: Path, n: int = 5, size: int = 64) -> pl.DataFrame:
    paths = []
    for i in range(n):
        paths.append(
            str(
                write_image(
                    tmp_path / f"img{i}.tif", np.random.default_rng(i).integers(0, 255, (size, size), dtype=np.uint8)
                )
            )
        )
    return pl.DataFrame(
        {
            "plate_id": ["P1"] * n,
            "well": ["B02", "B02", "B03", "B03", "B03"][:n],
            "site": [1] * n,
            "time_h": [0.0, 2.0, 0.0, 0.0, 2.0][:n],
            "sha256": [f"h{i}" for i in range(n)],
            "path": paths,
        }
    )


def test_embed_rows_and_paths_equal_arrays(tmp_path: Path, encoder_file: Path) -> None:
    enc = load_encoder("convae", encoder_file)
    rows = rows_for(tmp_path)
    df = embed_rows(rows, enc, batch_size=2, threads=2)
    assert df.height == 5 and df["tile"].to_list() == [0] * 5
    assert df.schema["vector"] == pl.Array(pl.Float32, 456)  # the pooled readout, the default
    assert df["sha256"].to_list() == rows["sha256"].to_list()  # order kept across batches and threads
    assert set(df["weights_id"]) == {enc.weights_id} and set(df["encoder"]) == {"convae"}
    from phenodag.core.shared.images import decode_image

    arrays = [decode_image(p) for p in rows["path"]]
    assert np.allclose(embed_images(arrays, enc), df["vector"].to_numpy(), atol=1e-6)


def test_tiles_give_one_row_each(tmp_path: Path, encoder_file: Path) -> None:
    enc = load_encoder("convae", encoder_file, field="tile", field_px=32)
    df = embed_rows(rows_for(tmp_path, n=2, size=64), enc)
    assert df.height == 8 and df["tile"].to_list() == [0, 1, 2, 3] * 2
    assert '"field":"tile"' in df["preprocess"][0]


def test_well_embeddings_average_fields(tmp_path: Path, encoder_file: Path) -> None:
    df = embed_rows(rows_for(tmp_path), load_encoder("convae", encoder_file))
    stored = df.with_columns(pl.col("vector").cast(pl.List(pl.Float32)))  # as Delta returns it
    wells = well_embeddings(stored)
    assert wells.select("well", "time_h", "n_fields").rows() == [
        ("B02", 0.0, 1),
        ("B02", 2.0, 1),
        ("B03", 0.0, 2),
        ("B03", 2.0, 1),
    ]
    b03 = read_embeddings(stored).filter((pl.col("well") == "B03") & (pl.col("time_h") == 0.0))["vector"].to_numpy()
    assert np.allclose(wells["vector"].to_numpy()[2], b03.mean(axis=0), atol=1e-6)


def test_t98g_distance_to_first_frame_grows(t98g_frames: list[Path], phenoml_weights: Path) -> None:
    vectors = embed_images(t98g_frames, load_encoder("convae-phenoml", phenoml_weights))
    distance = np.linalg.norm(vectors - vectors[0], axis=1)
    rho = spearmanr(np.arange(len(distance)), distance).statistic
    assert rho > 0.8, (rho, distance)


def test_parallel_workers_give_the_sequential_vectors_and_restore_torch_threads() -> None:
    images = [np.random.default_rng(i).integers(0, 255, (300, 200), dtype=np.uint8) for i in range(7)]
    encoder = load_encoder("convae-random", "random")
    threads = torch.get_num_threads()
    parallel = embed_images(images, encoder, batch_size=3, threads=2)
    assert torch.get_num_threads() == threads
    sequential = embed_images(images, encoder, batch_size=64, threads=1)
    assert parallel.shape == (7, encoder.dim)
    assert np.allclose(parallel, sequential, atol=1e-5)
