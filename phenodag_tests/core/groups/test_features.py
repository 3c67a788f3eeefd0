from pathlib import Path

import numpy as np
import polars as pl
import pytest
import torch
from PIL import Image

from phenodag.core.embed.registry import load_encoder
from phenodag.core.groups.features import embed_perturbed, image_vectors, load_inputs


def embeddings_rows(paths: list[str], tiles: int = 2, dim: int = 4, weights: str = "w1") -> pl.DataFrame:
    rng = np.random.default_rng(0)
    rows = [
        {"path": p, "tile": t, "weights_id": weights, "vector": rng.normal(size=dim).astype(np.float32).tolist()}
        for p in paths
        for t in range(tiles)
    ]
    return pl.DataFrame(rows)


def test_vectors_are_the_tile_means_of_their_rows_in_group_order() -> None:
    emb = embeddings_rows(["a", "b", "c"])
    groups = pl.DataFrame({"paths": [["c", "a"], ["b", "c", "a"]]})
    inputs = load_inputs(groups, "embeddings:toy", image_size=16, embeddings=emb)
    assert inputs.x.shape == (2, 3, 4) and inputs.mask.tolist() == [[True, True, False], [True, True, True]]
    assert inputs.weights_id == "w1" and inputs.features == "embeddings:toy"
    for g, paths in enumerate(groups["paths"]):
        for n, path in enumerate(paths):
            rows = np.asarray(emb.filter(pl.col("path") == path)["vector"].to_list())
            assert np.allclose(inputs.x[g, n].numpy(), rows.mean(axis=0))
    assert torch.all(inputs.x[0, 2] == 0)  # padding stays zero


def test_missing_vectors_and_mixed_weights_are_named() -> None:
    emb = embeddings_rows(["a", "b"])
    with pytest.raises(ValueError, match=r"1 image\(s\) have no vector.*'z'"):
        image_vectors(emb, ["a", "z"])
    mixed = pl.concat([emb, embeddings_rows(["c"], weights="w2")])
    with pytest.raises(ValueError, match="2 sets of weights"):
        image_vectors(mixed, ["a", "c"])
    with pytest.raises(ValueError, match="need the rows of the embeddings table"):
        load_inputs(pl.DataFrame({"paths": [["a"]]}), "embeddings:toy", 16)


def test_perturbed_embedding_without_perturbation_is_the_embedding(tmp_path: Path) -> None:
    from phenodag.core.embed.pipeline import embed_images

    rng = np.random.default_rng(0)
    paths = []
    for i in range(3):
        paths.append(str(tmp_path / f"{i}.png"))
        Image.fromarray(rng.integers(0, 255, (64, 64), dtype=np.uint8)).save(paths[-1])
    encoder = load_encoder("convae-random", "random")
    same = embed_perturbed(paths, encoder, lambda x: x, batch_size=2)
    assert np.allclose(same, embed_images(paths, encoder), atol=1e-5)
    noisy = embed_perturbed(paths, encoder, lambda x: x + 0.5 * torch.randn_like(x), batch_size=2)
    assert not np.allclose(noisy, same, atol=1e-3)
