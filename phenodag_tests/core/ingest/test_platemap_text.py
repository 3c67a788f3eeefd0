"""Plate maps as spreadsheets and instruments write them, each read into the same rows."""

from pathlib import Path

import pytest

from phenodag.core.ingest.platemap_text import (
    PlatemapTextError,
    find_platemap,
    read_platemap_text,
    split_header,
    to_um,
)

EXPECTED = {"well": "B02", "cell_line": "HCT 15", "compound": "DRUG", "concentration_um": "0.5", "replicate": "1"}

FORMS = {
    "utf8_bom_crlf": "\ufeffwell,cell_line,compound,concentration_um,replicate\r\nB02,HCT 15,DRUG,0.5,1\r\n".encode(),
    "semicolon_decimal_comma": b"well;cell_line;compound;concentration_um;replicate\nB02;HCT 15;DRUG;0,5;1\n",
    "spreadsheet_headers": b"Well,Cell Line,Compound,Concentration (uM),Replicate\nB02,HCT 15,DRUG,0.5,1\n",
    "units_in_values": b"well,cell line,drug,conc,rep\nB02,HCT 15,DRUG,500 nM,1\n",
    "micro_sign": "well,cell_line,compound,dose,replicate\nB02,HCT 15,DRUG,0.5 µM,1\n".encode(),
    "header_unit_nm_tab": b"Well\tCell line\tCompound\tConcentration [nM]\tReplicate\nB02\tHCT 15\tDRUG\t500\t1\n",
    "windows_1252_classic_mac_lines": "Well;Cell Line;Compound;Dose (µM);Replicate\rB02;HCT 15;DRUG;0,5;1\r".encode(
        "cp1252"
    ),
}


@pytest.mark.parametrize("form", FORMS)
def test_every_form_reads_into_the_same_row(tmp_path: Path, form: str) -> None:
    path = tmp_path / "platemap.csv"
    path.write_bytes(FORMS[form])
    table = read_platemap_text(path)
    row = {k: v for k, v in table.row(0, named=True).items() if k in EXPECTED}
    assert table.height == 1 and row == EXPECTED


def test_headers_and_units() -> None:
    assert split_header("Concentration (nM)") == ("concentration_um", "nm")
    assert split_header("dose_uM") == ("concentration_um", "um")
    assert split_header("  CELL_LINE ") == ("cell_line", None)
    assert split_header("Plate Barcode") == ("plate_barcode", None)
    assert to_um("1e-6 M", None, False) == pytest.approx(1.0)
    assert to_um("10", "mm", False) == 10_000.0


def test_a_bad_concentration_names_file_line_column_and_what_was_expected(tmp_path: Path) -> None:
    path = tmp_path / "platemap.csv"
    path.write_text("well,cell_line,compound,concentration_um,replicate\nB02,L,D,0.5,1\nB03,L,D,ten,1\n")
    with pytest.raises(PlatemapTextError, match=r"platemap.csv line 3, column 'concentration_um': concentration 'ten'"):
        read_platemap_text(path)
    path.write_text('well,cell_line,compound,concentration_um,replicate\nB02,L,D,"0,5",1\n')
    with pytest.raises(PlatemapTextError, match="decimal comma in a comma-delimited file"):
        read_platemap_text(path)


def test_two_columns_meaning_one_thing_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "platemap.csv"
    path.write_text("well,conc,dose,cell_line,compound,replicate\nB02,1,1,L,D,1\n")
    with pytest.raises(PlatemapTextError, match="'conc' and 'dose' both mean 'concentration_um'"):
        read_platemap_text(path)


def test_the_plate_map_is_found_whatever_its_case(tmp_path: Path) -> None:
    (tmp_path / "PlateMap.CSV").write_text("x")
    assert find_platemap(tmp_path, "platemap.csv") == tmp_path / "PlateMap.CSV"
    assert find_platemap(tmp_path, "other.csv") is None


GRID = """Compound,1,2,3
A,DMSO,DRUG,
B,DMSO,DRUG,DRUG

Concentration (nM),1,2,3
A,0,500,
B,0,1000,2000

Cell Line,1,2,3
A,HCT 15,HCT 15,
B,HCT 15,HCT 15,HCT 15
Replicate,1,2,3
A,1,1,
B,1,1,1
"""


def test_a_grid_form_map_reads_one_row_per_filled_well(tmp_path: Path) -> None:
    path = tmp_path / "platemap.csv"
    path.write_text(GRID)
    table = read_platemap_text(path)
    assert table["well"].to_list() == ["A01", "A02", "B01", "B02", "B03"]  # A03 is empty in every block
    assert table["concentration_um"].to_list() == ["0.0", "0.5", "0.0", "1.0", "2.0"]
    assert set(table["cell_line"]) == {"HCT 15"} and table["compound"][1] == "DRUG"


def test_a_stray_line_in_a_grid_is_named(tmp_path: Path) -> None:
    path = tmp_path / "platemap.csv"
    path.write_text("Compound,1,2\nA,DMSO,DRUG\nnotes: thawed twice,,\n")
    with pytest.raises(PlatemapTextError, match=r"line 3: expected a row letter A-P .* found 'notes: thawed twice'"):
        read_platemap_text(path)


def test_rows_say_where_they_came_from_so_refusals_can(tmp_path: Path) -> None:
    path = tmp_path / "platemap.csv"
    path.write_text("well,cell_line,compound,concentration_um,replicate\n\nB02,x,A,1,1\n")
    assert read_platemap_text(path)["_where"].to_list() == ["line 3"]  # the blank line counted
    path.write_text("Replicate,1,2\nA,,one\n")
    assert read_platemap_text(path)["_where"].to_list() == ["well A02"]
