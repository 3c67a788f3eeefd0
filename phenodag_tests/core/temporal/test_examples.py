import polars as pl

from phenodag.core.temporal.examples import cluster_examples


def _raw() -> pl.DataFrame:
    rows = []
    for well, compound, conc, control in [
        ("B02", "DMSO", None, True),
        ("C02", "A", 1.0, False),
        ("C03", "A", 10.0, False),
    ]:
        for t in (0.0, 12.0, 24.0):
            rows.append(("P1", well, 1, "HCT 15", compound, conc, control, t, f"/img/{well}_{t:g}.tif"))
    cols = ["plate_id", "well", "site", "cell_line", "compound", "concentration_um", "is_control", "time_h", "path"]
    return pl.DataFrame(rows, schema=cols, orient="row")


def test_one_example_per_response_type_with_its_largest_effect_and_a_control() -> None:
    clusters = pl.DataFrame(
        {
            "cell_line": ["HCT 15"] * 2,
            "compound": ["A", "A"],
            "concentration_um": [1.0, 10.0],
            "response_type": ["cytostatic", "cytostatic"],
            "effect_size": [0.8, 2.5],
        }
    )
    rows = cluster_examples(clusters, _raw(), n_times=2)
    assert [r.label.split("|")[0] for r in rows] == ["control", "cytostatic"]
    assert "A 10 uM" in rows[1].label and "effect 2.50" in rows[1].label  # the strongest condition
    assert [c for _, c in rows[1].tiles] == ["0 h", "24 h"]
    assert all(str(p).startswith("/img/C03") for p, _ in rows[1].tiles)
    assert cluster_examples(clusters.clear(), _raw()) == []
