import polars as pl

from phenodag.core.compare.activity import consistency, phenotypic_activity
from phenodag_tests.core.compare.synthetic import profiles


def test_planted_active_compound_is_called_active_and_inactive_is_not() -> None:
    df = profiles({"ACTIVE": 4.0, "INERT": 0.0}, plates=3, controls=4, noise=1.0)
    rows = phenotypic_activity(df, "e", null_size=2000, threshold=0.05).sort("compound")
    assert rows["compound"].to_list() == ["ACTIVE", "INERT"] and set(rows["kind"]) == {"activity"}
    active, inert = rows.row(0, named=True), rows.row(1, named=True)
    assert active["significant"] and active["corrected_p_value"] < 0.05 and active["map"] > 0.9
    assert not inert["significant"] and inert["map"] < active["map"]


def test_consistency_groups_conditions_by_planted_type() -> None:
    mechanism = {"A1": "a", "A2": "a", "B1": "b", "B2": "b"}  # A1 and A2 act alike, as do B1 and B2
    df = profiles(dict.fromkeys(mechanism, 4.0), plates=2, noise=0.5, seed=1, mechanism=mechanism)
    planted = pl.DataFrame(
        {
            "cell_line": "HCT 15",
            "compound": ["A1", "A2", "B1", "B2"],
            "concentration_um": 10.0,
            "planted": ["cytostatic", "cytostatic", "cytotoxic", "cytotoxic"],
        }
    )
    rows = consistency(df, planted, "e", null_size=1000)
    assert sorted(rows["group"]) == ["cytostatic", "cytotoxic"] and (rows["map"] == 1.0).all()


def test_no_positive_pairs_gives_no_rows_not_an_error() -> None:
    df = profiles({"A": 4.0, "B": 4.0}, plates=1, wells=1, noise=0.5)  # one well per condition: nothing to pair
    assert phenotypic_activity(df, "e", null_size=200).height == 0
