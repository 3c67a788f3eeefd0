import polars as pl

from phenodag.core.compare.profiles import at_top_concentration, late_profiles, well_means


def test_late_window_keeps_each_plates_last_hours_and_joins_treatment() -> None:
    wells = pl.DataFrame(
        {
            "encoder": "e",
            "weights_id": "w",
            "plate_id": ["A"] * 3 + ["B"] * 2,
            "well": ["B02"] * 5,
            "time_h": [0.0, 20.0, 48.0, 10.0, 12.0],
            "n_fields": 1,
            "vector": [[1.0, 0.0]] * 5,
        },
        schema_overrides={"vector": pl.List(pl.Float32)},  # as Delta stores it
    )
    raw = pl.DataFrame(
        {
            "plate_id": ["A", "B"],
            "well": ["B02", "B02"],
            "cell_line": "L",
            "compound": "X",
            "concentration_um": 1.0,
            "is_control": False,
            "replicate": [1, 2],
        }
    )
    late = late_profiles(wells, raw, 24.0)
    assert late.select("plate_id", "time_h").rows() == [("A", 48.0), ("B", 10.0), ("B", 12.0)]
    assert late["compound"].to_list() == ["X"] * 3 and late.schema["vector"] == pl.Array(pl.Float32, 2)


def test_top_concentration_and_well_means() -> None:
    df = pl.DataFrame(
        {
            "plate_id": "A",
            "well": ["1", "1", "2", "3"],
            "cell_line": "L",
            "compound": ["X", "X", "X", "DMSO"],
            "concentration_um": [10.0, 10.0, 1.0, 0.0],
            "is_control": [False, False, False, True],
            "replicate": 1,
            "time_h": [1.0, 2.0, 1.0, 1.0],
            "vector": [[0.0, 2.0], [2.0, 4.0], [9.0, 9.0], [5.0, 5.0]],
        }
    ).with_columns(pl.col("vector").cast(pl.Array(pl.Float32, 2)))
    top = at_top_concentration(df)
    assert sorted(set(top["well"])) == ["1", "3"]
    means = well_means(top).sort("well")
    assert means["vector"].to_list()[0] == [1.0, 3.0] and means["n_time_points"].to_list() == [2, 1]
