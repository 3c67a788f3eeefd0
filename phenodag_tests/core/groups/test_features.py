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


def test_frozen_vectors_are_normalised_to_their_plates_dmso_images_and_the_transform_is_kept() -> None:
    paths = [f"{plate}{i}" for plate in ("p", "q") for i in range(6)]
    plain = embeddings_rows(paths, tiles=1, dim=3)
    offset = np.where(plain["path"].str.starts_with("q").to_numpy()[:, None], 100.0, 0.0)  # plate q reads 100 higher
    emb = plain.with_columns(pl.Series("vector", (np.asarray(plain["vector"].to_list()) + offset).tolist()))
    groups = pl.DataFrame(
        {
            "plate_id": ["p", "p", "q", "q"],
            "compound": ["DMSO", "A", "DMSO", "A"],
            "paths": [["p0", "p1", "p2"], ["p3", "p4", "p5"], ["q0", "q1", "q2"], ["q3", "q4", "q5"]],
        }
    )
    inputs = load_inputs(groups, "embeddings:toy", 16, emb, normalisation="robust_z")
    controls = inputs.x[[0, 2]].numpy()  # each plate's DMSO group
    assert np.allclose(np.median(controls, axis=1), 0.0, atol=1e-5)  # per plate, whatever its offset
    same = load_inputs(groups, "embeddings:toy", 16, plain, normalisation="robust_z").x
    assert np.allclose(same.numpy(), inputs.x.numpy(), atol=1e-4)  # the plate offset is gone
    raw, _ = image_vectors(emb, [p for g in groups["paths"] for p in g])
    assert inputs.normalise is not None
    again = inputs.normalise(raw).reshape(4, 3, 3)
    assert np.allclose(again, inputs.x.numpy(), atol=1e-5)  # the same transform for re-embedded vectors
    assert not np.allclose(load_inputs(groups, "embeddings:toy", 16, emb).x.numpy(), inputs.x.numpy())
