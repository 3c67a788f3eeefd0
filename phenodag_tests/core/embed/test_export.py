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
    out = export_profiles(wells("convae", 3), RAW)
    assert out.columns[:10] == [
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
    ]
    assert out.columns[10:] == ["convae_0000", "convae_0001", "convae_0002"]
    assert out["Metadata_Compound"].to_list() == ["DMSO", "DRUG"] and out["convae_0002"].to_list() == [2.0, 3.0]
    for suffix in (".parquet", ".csv"):
        path = write_profiles(out, tmp_path / f"profiles{suffix}")
        back = pl.read_parquet(path) if suffix == ".parquet" else pl.read_csv(path)
        assert back.columns == out.columns and back.height == 2
    with pytest.raises(ValueError, match=r"as \.parquet or \.csv, not '\.h5ad'"):
        write_profiles(out, tmp_path / "profiles.h5ad")


def test_classical_features_keep_their_names_and_encoders_do_not_mix() -> None:
    assert feature_names("classical", len(CLASSICAL_FEATURES))[0] == "classical_confluence"
    mixed = pl.concat([wells("convae", 3), wells("convae-random", 3)])
    with pytest.raises(ValueError, match="one encoder at a time"):
        export_profiles(mixed, RAW)
