from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from phenodag.core.ingest import plate as ingest_mod
from phenodag.core.ingest import reading as reading_mod
from phenodag.core.ingest.outcome import missing_timepoints
from phenodag.core.ingest.plate import ingest_plate
from phenodag.core.shared.schemas import RAW_IMAGES_SCHEMA
from phenodag.core.simulate.plate_writer import cv8000_name, incucyte_elapsed_name, incucyte_name, write_plate_yaml
from phenodag_tests.helpers import noise, plate_folder, platemap

T0 = datetime(2024, 3, 1, 9, 0)


def incucyte(well: str, site: int, hours: float, ext: str = "tif", plate: str = "CL3_P2") -> str:
    return incucyte_name("HCC 2279", plate, well, site, T0 + timedelta(hours=hours), ext)


def treated_map(wells: list[str]) -> pl.DataFrame:
    return platemap(wells, treatment_time=[T0.isoformat()] * len(wells))


def test_incucyte_absolute_times_relative_to_treatment(tmp_path: Path) -> None:
    images = {incucyte("B3", s, t): noise(10 * s + int(t) + 5) for s in (1, 2) for t in (-2, 0, 24)}
    folder = plate_folder(tmp_path, "CL3_P2", images, treated_map(["B03"]))
    r = ingest_plate(folder)
    assert not r.rejected and r.images is not None and r.quarantine.height == 0
    assert r.layout == "incucyte"
    assert r.images.schema == pl.Schema(RAW_IMAGES_SCHEMA)
    assert sorted(set(r.images["time_h"].to_list())) == [-2.0, 0.0, 24.0]
    row = r.images.row(0, named=True)
    assert (row["well"], row["row"], row["col"], row["cell_line"], row["bit_depth"]) == ("B03", "B", 3, "HCC 2279", 8)
    assert row["is_control"] and row["status"] == "ok" and len(row["sha256"]) == 64
    assert r.plate["n_images"][0] == 6 and r.plate["n_timepoints"][0] == 3 and r.plate["n_sites"][0] == 2
    assert missing_timepoints(r.images).height == 0


def test_incucyte_elapsed_with_plate_level_treatment_hours(tmp_path: Path) -> None:
    images = {incucyte_elapsed_name("MDA MB 231", "C4", 1, h): noise(int(h) + 1) for h in (0, 6, 30)}
    folder = plate_folder(tmp_path, "P7", images, platemap(["C04"], compound="Cladribine"))
    write_plate_yaml(folder, {"treatment_time": 6})
    r = ingest_plate(folder)
    assert r.images is not None and r.layout == "incucyte_elapsed"
    assert r.images["time_h"].to_list() == [-6.0, 0.0, 24.0]
    assert r.images["acquired_at"].null_count() == 3
    assert r.images["is_control"].to_list() == [False] * 3


def test_cv8000_timepoints_and_channels(tmp_path: Path) -> None:
    images = {
        cv8000_name("CL3_P2", "B3", t, f, c): noise(100 * t + 10 * f + c)
        for t in (1, 2)
        for f in (1, 2)
        for c in (1, 2)
    }
    folder = plate_folder(tmp_path, "CL3_P2", images, platemap(["B03"]))
    (folder / "timepoints.csv").write_text("timepoint,time_h\n1,24\n2,72\n")
    r = ingest_plate(folder)
    assert r.images is not None and r.layout == "cv8000"
    assert r.images.height == 4 and r.plate["n_skipped"][0] == 4
    assert sorted(set(r.images["time_h"].to_list())) == [24.0, 72.0]
    assert sorted(set(r.images["site"].to_list())) == [1, 2]


def test_cv8000_end_point_time_from_platemap(tmp_path: Path) -> None:
    images = {cv8000_name("EP", w, 1, 1): noise(i) for i, w in enumerate(["B3", "B4"])}
    folder = plate_folder(tmp_path, "EP", images, platemap(["B03", "B04"], time_h=[24.0, 72.0]))
    r = ingest_plate(folder)
    assert r.images is not None and r.images["time_h"].to_list() == [24.0, 72.0]


def test_generic_regex_layout(tmp_path: Path) -> None:
    images = {
        f"scan_{w}_f{s}_t{t}h.png": noise(s * 10 + t + ord(w[1])) for w in ("D5", "D6") for s in (1,) for t in (0, 8)
    }
    folder = plate_folder(tmp_path, "R1", images, platemap(["D05", "D06"]))
    write_plate_yaml(
        folder, {"layout": "regex", "pattern": r"^scan_(?P<well>[A-P]\d+)_f(?P<site>\d+)_t(?P<time_h>\d+)h\.png$"}
    )
    r = ingest_plate(folder)
    assert r.images is not None and r.images.height == 4 and r.layout == "regex"


def test_bad_inputs_are_quarantined_and_good_images_land(tmp_path: Path) -> None:
    good = {incucyte("B3", 1, t): noise(t + 50) for t in (0, 2, 4)}
    bad = {
        incucyte("B3", 2, 0): noise(1, shape=(16, 16)),  # wrong size
        incucyte("B9", 1, 0): noise(2),  # well missing from the plate map
        incucyte("B3", 3, 0): noise(50),  # same content as B3/1/0h
        incucyte("B3", 1, 2, ext="png"): noise(3),  # same well, site and time as a TIFF; sorts first
        "HCC 2279_CL3_P2_B3_1_20240301_0900.tif": noise(4),  # name matches no layout
    }
    folder = plate_folder(tmp_path, "CL3_P2", {**good, **bad}, treated_map(["B03"]))
    truncated = folder / incucyte("B3", 4, 0)
    full = folder / incucyte("B3", 1, 4)
    truncated.write_bytes(full.read_bytes()[:300])
    r = ingest_plate(folder)
    assert r.images is not None
    landed = {*good, incucyte("B3", 1, 2, ext="png")} - {incucyte("B3", 1, 2)}  # first in path order wins
    assert sorted(Path(p).name for p in r.images["path"]) == sorted(landed)
    kinds = dict(zip((Path(p).name for p in r.quarantine["path"]), r.quarantine["kind"], strict=True))
    assert kinds == {
        incucyte("B3", 2, 0): "size",
        incucyte("B9", 1, 0): "unmapped_well",
        incucyte("B3", 3, 0): "duplicate",
        incucyte("B3", 1, 2): "duplicate",
        "HCC 2279_CL3_P2_B3_1_20240301_0900.tif": "name",
        truncated.name: "decode",
    }
    reasons = dict(zip(r.quarantine["kind"], r.quarantine["reason"], strict=False))
    assert "16x16" in reasons["size"] and "B09" in reasons["unmapped_well"] and truncated.name in reasons["decode"]
    assert set(r.quarantine["plate_id"]) == {"CL3_P2"}
    assert r.plate["n_quarantined"][0] == 6


def test_absolute_times_without_treatment_time_are_quarantined(tmp_path: Path) -> None:
    folder = plate_folder(tmp_path, "P1", {incucyte("B3", 1, 0): noise(1)}, platemap(["B03"]))
    r = ingest_plate(folder)
    assert r.images is not None and r.images.height == 0
    assert r.quarantine["kind"].to_list() == ["time"] and "treatment_time" in r.quarantine["reason"][0]


@pytest.mark.parametrize(
    ("setup", "reason"),
    [
        (lambda f: (f / "platemap.csv").unlink(), "plate map not found"),
        (lambda f: (f / "plate.yaml").write_text("plate_id: ../x\n"), "not allowed"),
        (lambda f: (f / "plate.yaml").write_text("layout: operetta\n"), "unknown layout"),
    ],
)
def test_plate_level_problems_reject_the_plate(tmp_path: Path, setup: object, reason: str) -> None:
    folder = plate_folder(tmp_path, "P1", {incucyte("B3", 1, 0): noise(1)}, treated_map(["B03"]))
    setup(folder)  # type: ignore[operator]
    r = ingest_plate(folder, plate_id="P1")
    assert r.rejected and r.images is None
    assert r.quarantine.height == 1 and reason in r.quarantine["reason"][0]
    assert r.quarantine["plate_id"][0] == "P1" and r.quarantine["kind"][0] == "plate"
    assert r.plate["status"][0] == "rejected"


def test_missing_folder_and_unknown_layout(tmp_path: Path) -> None:
    assert ingest_plate(tmp_path / "nope").rejected
    folder = plate_folder(tmp_path, "P1", {"IMG_0001.tif": noise(1)}, platemap(["B03"]))
    r = ingest_plate(folder)
    assert r.rejected and "no built-in layout" in r.quarantine["reason"][0]


def test_reingest_is_idempotent(tmp_path: Path) -> None:
    images = {incucyte("B3", 1, t): noise(t + 1) for t in (0, 2)} | {incucyte("B9", 1, 0): noise(9)}
    folder = plate_folder(tmp_path, "CL3_P2", images, treated_map(["B03"]))
    first = ingest_plate(folder, now=datetime(2024, 1, 1, tzinfo=ingest_mod.UTC))
    second = ingest_plate(
        folder, previous=first.images, previous_quarantine=first.quarantine, since=first.plate["ingested_at"][0]
    )
    assert first.images is not None and second.images is not None
    assert second.images.equals(first.images)
    assert second.quarantine.equals(first.quarantine)  # detected_at is the first sighting
    assert second.plate["n_new"][0] == 0


def test_growing_plate_decodes_only_new_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = plate_folder(
        tmp_path, "CL3_P2", {incucyte("B3", 1, t): noise(t + 1) for t in (0, 2)}, treated_map(["B03"])
    )
    first = ingest_plate(folder)
    plate_folder(tmp_path, "CL3_P2", {incucyte("B3", 1, 4): noise(99)}, treated_map(["B03"]))
    decoded: list[str] = []
    real = reading_mod.decode_image
    monkeypatch.setattr(reading_mod, "decode_image", lambda p, *a: decoded.append(Path(p).name) or real(p, *a))
    grown = ingest_plate(folder, previous=first.images, since=first.plate["ingested_at"][0])
    assert first.images is not None and grown.images is not None
    assert decoded == [incucyte("B3", 1, 4)]
    assert grown.images.height == 3 and grown.plate["n_new"][0] == 1
    assert grown.images.filter(pl.col("time_h") < 4).equals(first.images)


def test_changed_file_is_decoded_again(tmp_path: Path) -> None:
    folder = plate_folder(tmp_path, "P1", {incucyte("B3", 1, 0): noise(1)}, treated_map(["B03"]))
    first = ingest_plate(folder)
    (folder / incucyte("B3", 1, 0)).write_bytes(b"corrupted later")
    again = ingest_plate(folder, previous=first.images)
    assert again.images is not None and again.images.height == 0 and again.quarantine["kind"].to_list() == ["decode"]


def test_real_t98g_frames_end_to_end(tmp_path: Path, t98g_frames: list[Path]) -> None:
    folder = tmp_path / "USII_T98G"
    folder.mkdir()
    for frame in t98g_frames:
        t = int(frame.stem[-2:])  # tNN: one original frame every 10.2 min
        when = T0 + timedelta(minutes=round(10.2 * (t - 1)))
        (folder / incucyte_name("T98G", "USII_T98G", "A1", 1, when)).symlink_to(frame)
    treated_map(["A01"]).with_columns(cell_line=pl.lit("T98G")).write_csv(folder / "platemap.csv")
    (folder / "plate.yaml").write_text("allow_outside_links: true\n")  # the frames are links into ../shared
    r = ingest_plate(folder)
    assert r.images is not None and r.quarantine.height == 0
    assert r.images.height == len(t98g_frames)
    assert set(r.images["bit_depth"]) == {16}
    assert set(zip(r.images["width"], r.images["height"], strict=True)) == {(1024, 1022)}
    times = r.images["time_h"].to_list()
    assert times == sorted(times) and times[0] == 0.0 and abs(times[-1] - 367 / 60) < 0.02
    assert np.unique(r.images["sha256"]).size == len(t98g_frames)


def _list_rows(wells: list[str]) -> list[list[str]]:
    """The toy plate map as a spreadsheet's rows: headers as people write them, units in the values."""
    rows = [["Well", "Cell Line", "Drug", "Concentration (nM)", "Replicate", "Treatment time"]]
    for i, w in enumerate(wells):
        rows.append([w, "HCC 2279", "toxin" if i % 2 else "DMSO", "10000" if i % 2 else "0", "1", T0.isoformat()])
    return rows


def _grid_rows(wells: list[str]) -> list[list[str]]:
    """The toy plate map in grid form: one 8 x 12 block per variable, its name in the corner cell."""
    values = {row[0]: row[1:] for row in _list_rows(wells)[1:]}
    rows: list[list[str]] = []
    for v, name in enumerate(["Cell Line", "Compound", "Concentration (µM)", "Replicate", "Treatment time"]):
        rows.append([name, *(str(c) for c in range(1, 13))])
        for letter in "ABCDEFGH":
            cells = [values.get(f"{letter}{c:02d}") for c in range(1, 13)]
            rows.append([letter, *("" if x is None else (str(float(x[v]) / 1000) if v == 2 else x[v]) for x in cells)])
        rows.append([])
    return rows


def _write_xlsx(path: Path, rows: list[list[str]]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    for row in rows:
        book.active.append([float(c) if c.replace(".", "", 1).isdigit() else (c or None) for c in row])
    book.save(path)


def _write_text(path: Path, rows: list[list[str]], delimiter: str, encoding: str = "utf-8-sig") -> None:
    path.write_bytes("\r\n".join(delimiter.join(r) for r in rows).encode(encoding))


PLATEMAP_FORMS = {
    "semicolon_bom_crlf": lambda f, w: _write_text(f / "platemap.csv", _list_rows(w), ";"),
    "upper_case_name_tab": lambda f, w: _write_text(f / "PlateMap.CSV", _list_rows(w), "\t", "cp1252"),
    "grid_csv": lambda f, w: _write_text(f / "platemap.csv", _grid_rows(w), ","),
    "list_xlsx": lambda f, w: _write_xlsx(f / "PlateMap.xlsx", _list_rows(w)),
    "grid_xlsx": lambda f, w: _write_xlsx(f / "platemap.xlsx", _grid_rows(w)),
}


@pytest.mark.parametrize("form", PLATEMAP_FORMS)
def test_plate_maps_as_labs_write_them_land_through_ingestion(tmp_path: Path, form: str) -> None:
    wells = ["B02", "B03", "C02", "C03"]
    images = {incucyte(w, 1, h): noise(10 * i + h) for i, w in enumerate(wells) for h in (0, 12)}
    folder = plate_folder(tmp_path, "P1", images, treated_map(wells))
    (folder / "platemap.csv").unlink()
    PLATEMAP_FORMS[form](folder, wells)
    r = ingest_plate(folder, plate_id="P1")
    assert not r.rejected, r.quarantine
    assert r.images is not None and r.images.height == 8 and r.quarantine.height == 0
    got = r.images.group_by("well").agg(pl.col("compound").first(), pl.col("concentration_um").first()).sort("well")
    assert got.rows() == [("B02", "DMSO", 0.0), ("B03", "toxin", 10.0), ("C02", "DMSO", 0.0), ("C03", "toxin", 10.0)]


def test_a_bad_cell_rejects_the_plate_with_a_reason_in_words(tmp_path: Path) -> None:
    wells = ["B02", "B03"]
    folder = plate_folder(tmp_path, "P1", {incucyte("B02", 1, 0): noise(1)}, treated_map(wells))
    rows = _list_rows(wells)
    rows[2][3] = "ten"
    _write_xlsx(folder / "platemap.xlsx", rows)
    (folder / "platemap.csv").unlink()
    r = ingest_plate(folder, plate_id="P1")
    assert r.rejected and r.quarantine.height == 1
    reason = r.quarantine["reason"][0]
    assert "platemap.xlsx line 3, column 'Concentration (nM)': concentration 'ten'" in reason
    assert "expected a number" in reason and "col(" not in reason
