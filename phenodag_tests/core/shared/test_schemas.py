import polars as pl

from phenodag.core.shared.schemas import EMBEDDINGS_SCHEMA, VECTOR, with_dim


def test_vector_column_takes_the_encoder_dimension() -> None:
    schema = with_dim(EMBEDDINGS_SCHEMA, 8)
    assert schema["vector"] == pl.Array(pl.Float32, 8) and VECTOR not in schema.values()
    assert [c for c in schema if c != "vector"] == [c for c in EMBEDDINGS_SCHEMA if c != "vector"]
