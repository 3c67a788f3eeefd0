"""Well profiles exported with Metadata_* columns and one column per feature."""

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from phenodag.core.embed.classical import CLASSICAL_FEATURES
from phenodag.core.embed.export import export_profiles, feature_names, write_profiles


def wells(encoder: str, dim: int) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "encoder": encoder,
            "weights_id": "w",
            "plate_id": ["P1", "P1"],
            "well": ["B02", "B03"],
            "time_h": [24.0, 24.0],
            "n_fields": pl.Series([2, 2], dtype=pl.UInt32),
            "vector": [np.arange(dim, dtype=np.float32).tolist(), (np.arange(dim, dtype=np.float32) + 1).tolist()],
        }
    )


RAW = pl.DataFrame(
    {
        "plate_id": ["P1", "P1", "P1"],
        "well": ["B02", "B02", "B03"],
        "cell_line": "HCT 15",
        "compound": ["DMSO", "DMSO", "DRUG"],
        "concentration_um": [0.0, 0.0, 1.0],
        "is_control": [True, True, False],
    }
)


def test_profiles_spread_the_vector_and_carry_the_treatment(tmp_path: Path) -> None:
    out = export_profiles(wells("convae", 3), RAW, normalisation="none")
    assert out.columns[:11] == [
        "Metadata_Plate",
        "Metadata_Well",
        "Metadata_TimeH",
        "Metadata_CellLine",
        "Metadata_Compound",
        "Metadata_ConcentrationUM",
        "Metadata_IsControl",
        "Metadata_Encoder",
        "Metadata_WeightsId",
        "Metadata_NFields",
        "Metadata_Normalisation",
    ]
    assert out.columns[11:] == ["convae_0000", "convae_0001", "convae_0002"]
    assert out["Metadata_Compound"].to_list() == ["DMSO", "DRUG"] and out["convae_0002"].to_list() == [2.0, 3.0]
    for suffix in (".parquet", ".csv"):
        path = write_profiles(out, tmp_path / f"profiles{suffix}")
        back = pl.read_parquet(path) if suffix == ".parquet" else pl.read_csv(path)
        assert back.columns == out.columns and back.height == 2
    with pytest.raises(ValueError, match=r"as \.parquet, \.csv, \.h5ad, not '\.xlsx'"):
        write_profiles(out, tmp_path / "profiles.xlsx")


def test_classical_features_keep_their_names_and_encoders_do_not_mix() -> None:
    assert feature_names("classical", len(CLASSICAL_FEATURES))[0] == "classical_confluence"
    mixed = pl.concat([wells("convae", 3), wells("convae-random", 3)])
    with pytest.raises(ValueError, match="one encoder at a time"):
        export_profiles(mixed, RAW)


def _screen() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Sixteen wells of one plate: twelve DMSO, two of each of two compounds with their own direction."""
    rng = np.random.default_rng(0)
    names = [f"{r}{c:02d}" for r in "BC" for c in range(2, 10)]
    compounds = ["DMSO"] * 12 + ["A", "A", "B", "B"]
    shift = {"DMSO": np.zeros(6), "A": np.r_[4.0, 0, 0, 0, 0, 0], "B": np.r_[0, 0, 0, 4.0, 0, 0]}
    vectors = [(rng.normal(0, 0.3, 6) + shift[c]).astype(np.float32).tolist() for c in compounds]
    embedded = (
        wells("classical", 6)
        .clear()
        .vstack(
            pl.DataFrame(
                {
                    "encoder": "convae",
                    "weights_id": "w",
                    "plate_id": "P1",
                    "well": names,
                    "time_h": 48.0,
                    "n_fields": pl.Series([1] * 16, dtype=pl.UInt32),
                    "vector": vectors,
                },
                schema=wells("classical", 6).schema,
            )
        )
    )
    raw = pl.DataFrame(
        {
            "plate_id": "P1",
            "well": names,
            "cell_line": "HCT 15",
            "compound": compounds,
            "concentration_um": [0.0] * 12 + [1.0] * 4,
            "is_control": [c == "DMSO" for c in compounds],
        }
    )
    return embedded, raw


def test_parquet_reads_back_by_the_profiling_tools_conventions(tmp_path: Path) -> None:
    from copairs.map import average_precision

    embedded, raw = _screen()
    path = write_profiles(export_profiles(embedded, raw), tmp_path / "profiles.parquet")
    back = pl.read_parquet(path)
    meta = [c for c in back.columns if c.startswith("Metadata_")]  # pycytominer's infer_cp_features split
    features = [c for c in back.columns if c not in meta]
    assert back["Metadata_Normalisation"].unique().to_list() == ["robust_z"]
    controls = back.filter(pl.col("Metadata_IsControl")).select(features).to_numpy()
    assert np.allclose(np.median(controls, axis=0), 0.0, atol=1e-5)  # robust z to the plate's DMSO wells
    treated = back.filter(~pl.col("Metadata_IsControl"))
    ap = average_precision(
        treated.select(meta).to_pandas(),
        treated.select(features).to_numpy(),
        pos_sameby=["Metadata_Compound"],
        pos_diffby=[],
        neg_sameby=[],
        neg_diffby=["Metadata_Compound"],
        progress_bar=False,
    )
    assert ap["average_precision"].min() == 1.0  # each compound's replicate is its nearest profile


def test_h5ad_keeps_features_in_x_and_metadata_in_obs(tmp_path: Path) -> None:
    anndata = pytest.importorskip("anndata", reason="the anndata extra is not installed")
    embedded, raw = _screen()
    profiles = export_profiles(embedded, raw, normalisation="none")
    adata = anndata.read_h5ad(write_profiles(profiles, tmp_path / "profiles.h5ad"))
    assert adata.shape == (16, 6) and list(adata.var_names) == [f"convae_{i:04d}" for i in range(6)]
    assert adata.obs["Metadata_Compound"].tolist() == profiles["Metadata_Compound"].to_list()
    assert adata.obs_names[0] == "P1:B02:48"
    assert np.allclose(adata.X, profiles.select(adata.var_names.tolist()).to_numpy())
