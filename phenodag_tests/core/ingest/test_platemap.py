from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from phenodag.core.ingest.platemap import PlateError, read_plate_config, read_platemap, validate_plate_id

HEADER = "well,cell_line,compound,concentration_um,replicate\n"


def plate(tmp_path: Path, csv: str, yaml: str | None = None) -> Path:
    folder = tmp_path / "P1"
    folder.mkdir()
    (folder / "platemap.csv").write_text(csv)
    if yaml is not None:
        (folder / "plate.yaml").write_text(yaml)
    return folder


def test_platemap_canonical_wells_and_controls(tmp_path: Path) -> None:
    folder = plate(tmp_path, HEADER + "b3,HCC 2279,DMSO,0,1\nB4,HCC 2279,Cladribine,1.5,2\n")
    df = read_platemap(read_plate_config(folder))
    assert df["well"].to_list() == ["B03", "B04"]
    assert df["is_control"].to_list() == [True, False]
    assert df["concentration_um"].to_list() == [0.0, 1.5]
    assert df["cell_line"][0] == "HCC 2279"


def test_explicit_is_control_column(tmp_path: Path) -> None:
    folder = plate(tmp_path, "well,cell_line,compound,concentration_um,replicate,is_control\nB3,x,vehicle,0,1,true\n")
    assert read_platemap(read_plate_config(folder))["is_control"].to_list() == [True]


@pytest.mark.parametrize(
    ("csv", "message"),
    [
        ("well,cell_line,compound\nB3,x,y\n", "lacks column"),
        (HEADER + "B3,x,DMSO,0,1\nb03,x,DMSO,0,1\n", "well B03 appears on line 2 and line 3"),
        (HEADER + "Z,x,DMSO,0,1\n", "line 2"),
        (HEADER + "B3,x,DMSO,lots,1\n", "line 2, column .concentration_um.: concentration .lots.: expected a number"),
    ],
)
def test_bad_platemaps(tmp_path: Path, csv: str, message: str) -> None:
    folder = plate(tmp_path, csv)
    with pytest.raises(PlateError, match=message) as err:
        read_platemap(read_plate_config(folder))
    assert "platemap.csv" in str(err.value)


def test_missing_platemap_and_other_name(tmp_path: Path) -> None:
    folder = plate(tmp_path, HEADER + "B3,x,DMSO,0,1\n", yaml="platemap: layout.csv\n")
    with pytest.raises(PlateError, match=r"layout\.csv: plate map not found"):
        read_platemap(read_plate_config(folder))
    (folder / "layout.csv").write_text(HEADER + "C3,x,DMSO,0,1\n")
    assert read_platemap(read_plate_config(folder))["well"].to_list() == ["C03"]


def test_plate_yaml_fields(tmp_path: Path) -> None:
    folder = plate(
        tmp_path, HEADER, yaml="plate_id: CL3_P2\nlayout: cv8000\ntimepoints: {1: 24, 2: 72}\nimage_size: [64, 32]\n"
    )
    config = read_plate_config(folder)
    assert (config.plate_id, config.layout, config.timepoints, config.image_size) == (
        "CL3_P2",
        "cv8000",
        {1: 24.0, 2: 72.0},
        (64, 32),
    )


@pytest.mark.parametrize(
    ("yaml", "message"),
    [
        ("layout: operetta\n", "unknown layout"),
        ("plate_id: ../x\n", "not allowed"),
        ("- a\n- b\n", "mapping"),
        ("layout: [unclosed\n", "invalid YAML"),
        ("timepoints_file: nope.csv\n", "does not exist"),
        ("plate_id: P9\n", "requested"),
    ],
)
def test_bad_plate_yaml(tmp_path: Path, yaml: str, message: str) -> None:
    folder = plate(tmp_path, HEADER, yaml=yaml)
    with pytest.raises(PlateError, match=message):
        read_plate_config(folder, "P1" if "P9" in yaml else None)


def test_timepoints_csv(tmp_path: Path) -> None:
    folder = plate(tmp_path, HEADER)
    (folder / "timepoints.csv").write_text("timepoint,time_h\n1,-2\n2,24\n")
    assert read_plate_config(folder).timepoints == {1: -2.0, 2: 24.0}


@pytest.mark.parametrize("bad", ["../x", "a/b", "..", "", "/abs", "x\\y", ".hidden", "a..b"])
def test_unsafe_plate_ids(bad: str) -> None:
    with pytest.raises(PlateError, match="not allowed"):
        validate_plate_id(bad, "src")


@given(st.text(max_size=30))
def test_accepted_plate_ids_never_name_another_path(text: str) -> None:
    try:
        validate_plate_id(text, "src")
    except PlateError:
        return
    assert "/" not in text and "\\" not in text and ".." not in text and not text.startswith(".")
    assert Path("/lake", text).resolve().parent == Path("/lake")


def test_plate_yaml_schema_names_the_bad_key(tmp_path: Path) -> None:
    (tmp_path / "plate.yaml").write_text("channel: abc\nimage_size: [128, 128]\n")
    with pytest.raises(PlateError, match=r"channel.*abc"):
        read_plate_config(tmp_path)
    (tmp_path / "plate.yaml").write_text("image_size: [128, 96]\nallow_outside_links: true\n")
    config = read_plate_config(tmp_path)
    assert config.image_size == (128, 96) and config.allow_outside_links


def test_long_plate_id_is_refused_with_its_length() -> None:
    from phenodag.core.ingest.platemap import MAX_PLATE_ID

    assert validate_plate_id("P" * MAX_PLATE_ID, "x") == "P" * MAX_PLATE_ID
    with pytest.raises(PlateError, match=r"\(129 characters\).*at most 128"):
        validate_plate_id("P" * (MAX_PLATE_ID + 1), "x")


def test_a_bad_number_is_named_in_words_not_as_a_cast_expression(tmp_path: Path) -> None:
    folder = plate(tmp_path, HEADER + "B3,x,DMSO,0,1\nB4,x,DRUG,1,first\n")
    with pytest.raises(PlateError, match=r"line 3, column 'replicate': 'first' is not a whole number") as err:
        read_platemap(read_plate_config(folder))
    assert "strict_cast" not in str(err.value) and "col(" not in str(err.value)
