"""The screen report from stage tables: each section drawn from its rows, or naming the job that makes them."""

import polars as pl

from phenodag.core.report.run import SECTIONS, build_report, report_encoder
from phenodag.core.shared.tables import TABLES
from phenodag_tests.core.report.test_figures import curves


def reader(tables: dict[str, pl.DataFrame]):  # type: ignore[no-untyped-def]
    def read(name: str) -> pl.DataFrame:
        empty = pl.DataFrame(schema=TABLES[name].schema)
        return pl.concat([empty, tables[name]], how="diagonal_relaxed") if name in tables else empty

    return read


CALLS = pl.DataFrame(
    {
        "encoder": ["convae", "convae", "classical"],
        "compound": ["A", "A", "A"],
        "concentration_um": [1.0, 10.0, 1.0],
        "combined_type": ["no_effect", "cytotoxic", "no_effect"],
        "growth_type": ["no_effect", "cytotoxic", "no_effect"],
        "active": [False, True, False],
    }
)


def test_an_empty_lake_names_the_job_for_every_section() -> None:
    report = build_report(reader({}))
    assert [s.anchor for s in report.sections] == list(SECTIONS)
    assert all(s.missing and "materialise" in s.missing for s in report.sections)
    assert report.png is None and "no images ingested" in report.html


def test_sections_follow_the_tables_and_the_comparison_winner() -> None:
    comparison = pl.DataFrame({"encoder": ["classical", "convae"], "drug_control_roc_auc": [0.7, 0.9]})
    tables = {
        "growth_curves": curves(),
        "response_calls": CALLS,
        "encoder_comparison": comparison,
        "encoder_map": pl.DataFrame(
            {
                "encoder": "convae",
                "kind": "activity",
                "compound": "A",
                "concentration_um": [10.0],
                "map": [0.9],
                "corrected_p_value": [0.01],
                "significant": [True],
            }
        ),
    }
    read = reader(tables)
    assert report_encoder(read) == "convae"
    report = build_report(read)
    by = {s.anchor: s for s in report.sections}
    assert by["growth"].png and by["responses"].png and not by["growth"].missing
    assert by["responses"].table is not None and by["responses"].table.height == 2  # the winner's calls only
    assert "1 of 1 conditions" in by["active"].caption
    assert "Winner: convae" in by["encoders"].caption and "chance level 0.5" in by["encoders"].caption
    assert by["gr"].missing and "growth_job" in by["gr"].missing
    assert report.png is not None
