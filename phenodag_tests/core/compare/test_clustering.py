import numpy as np
import polars as pl
import pytest

from phenodag.core.compare.clustering import cluster_sweep


@pytest.mark.slow
def test_two_separated_blobs_cluster_apart() -> None:
    rng = np.random.default_rng(0)
    x = np.r_[rng.normal(0, 0.1, (40, 8)), rng.normal(10, 0.1, (40, 8))].astype(np.float32)
    df = pl.DataFrame(
        {
            "cell_line": "L",
            "compound": ["A"] * 40 + ["B"] * 40,
            "planted": ["cytotoxic"] * 40 + ["no_effect"] * 40,
            "vector": pl.Series(x, dtype=pl.Array(pl.Float32, 8)),
        }
    )
    sweep = cluster_sweep(df, "e", [10, 15, 100])
    assert sweep.rows["n_neighbors"].to_list() == [10, 15]  # 100 >= the 80 profiles: skipped, not failed
    assert (sweep.rows["silhouette"] > 0.9).all()
    assert (sweep.rows["ari_compound"] > 0.99).all() and (sweep.rows["ari_response"] > 0.99).all()
    xy, meta = sweep.coordinates["L"]
    assert xy.shape == (80, 2) and meta.height == 80
