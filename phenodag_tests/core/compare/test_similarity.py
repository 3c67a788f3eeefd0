import math

import polars as pl
import pytest

from phenodag.core.compare.similarity import replicate_similarity
from phenodag_tests.core.compare.synthetic import profiles


def test_identical_replicates_are_maximally_similar() -> None:
    df = profiles({"SAME": 2.0, "NOISY": 2.0}, noise=1.0)
    first = df.filter(pl.col("compound") == "SAME")["vector"].to_list()[0]
    vectors = [first if c == "SAME" else v for c, v in zip(df["compound"], df["vector"].to_list(), strict=True)]
    df = df.with_columns(pl.Series("vector", vectors, dtype=pl.Array(pl.Float32, 16)))
    rows = replicate_similarity(df, "e", ["euclidean", "cosine"])
    by = {(r["compound"], r["metric"]): r for r in rows.iter_rows(named=True)}
    assert by[("SAME", "euclidean")]["median_distance"] == 0 and math.isinf(by[("SAME", "euclidean")]["similarity"])
    assert by[("NOISY", "euclidean")]["similarity"] < by[("SAME", "euclidean")]["similarity"]
    assert by[("NOISY", "cosine")]["n_wells"] == 4  # 2 wells x 2 plates, controls never compared
    with pytest.raises(ValueError, match="metrics"):
        replicate_similarity(df, "e", ["manhattan"])
