from pathlib import Path

import polars as pl
import pytest

from phenodag.core.shared.settings import REPO_SQL_DIR
from phenodag.core.sql.run import SqlModelError, load_models, parse_model, render, run_model

REPO_SQL = REPO_SQL_DIR


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.sql"
    path.write_text(text)
    return path


def test_refs_sources_lines_and_description(tmp_path: Path) -> None:
    m = parse_model(
        write(
            tmp_path,
            "m",
            "-- Counts.\n-- Per plate.\nselect *\nfrom {{ source('raw_images') }}\n"
            'join {{ref( "other" )}} using (x)\n',
        )
    )
    assert m.dependencies == ["raw_images", "other"]
    assert [(r.kind, r.line) for r in m.refs] == [("source", 4), ("ref", 5)]
    assert m.description == "Counts.\nPer plate."
    assert render(m).splitlines()[3:] == ["from raw_images", "join other using (x)"]


def test_unknown_ref_names_file_and_line(tmp_path: Path) -> None:
    m = parse_model(write(tmp_path, "m", "select *\nfrom\n  {{ ref('nope') }}\n"))
    with pytest.raises(SqlModelError, match=r"m\.sql:3: ref\('nope'\) names no known table"):
        run_model(m, {"raw_images": pl.LazyFrame({"a": [1]})})


def test_parser_error_line(tmp_path: Path) -> None:
    m = parse_model(write(tmp_path, "m", "select a\nfrom {{ source('t') }}\nwhre a > 1\n"))
    with pytest.raises(SqlModelError, match=r"m\.sql:3: sql parser error"):
        run_model(m, {"t": pl.LazyFrame({"a": [1]})})


def test_unknown_column_line(tmp_path: Path) -> None:
    m = parse_model(write(tmp_path, "m", "select a,\n  bogus\nfrom {{ source('t') }}\n"))
    with pytest.raises(SqlModelError, match=r"m\.sql:2: unable to find column \"bogus\""):
        run_model(m, {"t": pl.LazyFrame({"a": [1]})})


def test_unsupported_template(tmp_path: Path) -> None:
    with pytest.raises(SqlModelError, match=r"m\.sql:2: unsupported template"):
        parse_model(write(tmp_path, "m", "select 1\n{{ config(materialized='table') }}\n"))


def test_shipped_models_run_over_toy_tables() -> None:
    models = {m.name: m for m in load_models(REPO_SQL)}
    assert {"plate_summary", "well_timecourse"} <= set(models)
    raw = pl.LazyFrame(
        {
            "plate_id": ["P1"] * 3,
            "well": ["B02", "B02", "B03"],
            "site": [1, 2, 1],
            "cell_line": ["x"] * 3,
            "compound": ["DMSO", "DMSO", "t"],
            "concentration_um": [0.0, 0.0, 1.0],
            "is_control": [True, True, False],
            "replicate": [1, 1, 1],
            "time_h": [0.0, 0.0, 0.0],
        }
    )
    quarantine = pl.LazyFrame({"plate_id": ["P1", "P2"], "path": ["a", "b"]})
    plates = pl.LazyFrame({"plate_id": ["P1", "P2"], "layout": ["incucyte", None], "status": ["ingested", "rejected"]})
    summary = run_model(models["plate_summary"], {"raw_images": raw, "quarantine": quarantine, "plates": plates})
    assert summary.select("plate_id", "n_images", "n_wells", "n_quarantined").rows() == [
        ("P1", 3, 2, 1),
        ("P2", 0, 0, 1),
    ]
    course = run_model(models["well_timecourse"], {"raw_images": raw})
    assert course.select("well", "n_images", "n_sites").rows() == [("B02", 2, 2), ("B03", 1, 1)]
