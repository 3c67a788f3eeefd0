from datetime import datetime

import pytest

from phenodag.core.ingest.layouts import (
    LayoutError,
    compile_pattern,
    detect_layout,
    layout_regex,
    normalize_well,
    parse_name,
)


def test_incucyte_absolute_with_spaces_and_underscores() -> None:
    p = parse_name("HCC 2279_CL3_P2_B3_1_2019y12m10d_14h05m.jpg", layout_regex("incucyte"))
    assert p is not None
    assert (p.cell_line, p.plate, p.well, p.row, p.col, p.site) == ("HCC 2279", "CL3_P2", "B03", "B", 3, 1)
    assert p.acquired_at == datetime(2019, 12, 10, 14, 5)


def test_incucyte_absolute_plain_names() -> None:
    p = parse_name("MDA MB 231_P1_M12_3_2020y01m02d_00h00m.tif", layout_regex("incucyte"))
    assert p is not None and (p.cell_line, p.plate, p.well, p.site) == ("MDA MB 231", "P1", "M12", 3)


def test_incucyte_elapsed() -> None:
    p = parse_name("MDA MB 231_B3_2_03d12h30m.png", layout_regex("incucyte_elapsed"))
    assert p is not None
    assert (p.cell_line, p.well, p.site, p.elapsed_h) == ("MDA MB 231", "B03", 2, 84.5)
    assert p.acquired_at is None


def test_cv8000() -> None:
    p = parse_name("CL3_P2_B03_T0012F004L01A01Z01C02.tif", layout_regex("cv8000"))
    assert p is not None
    assert (p.plate, p.well, p.timepoint, p.site, p.channel) == ("CL3_P2", "B03", 12, 4, 2)


def test_generic_regex() -> None:
    rx = layout_regex("regex", r"^(?P<plate>\w+)-(?P<well>[A-H]\d+)-s(?P<site>\d+)-(?P<time_h>-?\d+(\.\d+)?)h\.tif$")
    p = parse_name("plateA-C7-s2--2.5h.tif", rx)
    assert p is not None and (p.plate, p.well, p.site, p.time_h) == ("plateA", "C07", 2, -2.5)
    assert parse_name("other.tif", rx) is None


def test_regex_pattern_needs_well_and_time() -> None:
    with pytest.raises(LayoutError, match="well"):
        compile_pattern(r"(?P<site>\d+)")
    with pytest.raises(LayoutError, match="time"):
        compile_pattern(r"(?P<well>\w+)")
    with pytest.raises(LayoutError, match="compile"):
        compile_pattern(r"(?P<well>")
    with pytest.raises(LayoutError, match="pattern"):
        layout_regex("regex")
    with pytest.raises(LayoutError, match="unknown layout"):
        layout_regex("operetta")


def test_non_matching_and_invalid_fields() -> None:
    rx = layout_regex("incucyte")
    assert parse_name("HCT15_B3_1_03d12h00m.tif", rx) is None
    with pytest.raises(ValueError, match="month"):
        parse_name("HCT15_P1_B3_1_2019y13m10d_14h00m.tif", rx)
    with pytest.raises(ValueError, match="B00"):
        parse_name("CL3_B00_T0001F001L01A01Z01C01.tif", layout_regex("cv8000"))


def test_detect_layout() -> None:
    assert detect_layout(["HCT15_P1_B3_1_2019y12m10d_14h00m.tif", "junk.tif"]) == "incucyte"
    assert detect_layout(["HCT15_B3_1_00d02h00m.tif"]) == "incucyte_elapsed"
    assert detect_layout(["P1_B03_T0001F001L01A01Z01C01.tif"]) == "cv8000"
    with pytest.raises(LayoutError, match="no built-in layout"):
        detect_layout(["IMG_0001.tif"])


def test_detect_layout_ambiguous() -> None:
    names = ["HCT15_P1_B3_1_2019y12m10d_14h00m.tif", "P1_B03_T0001F001L01A01Z01C01.tif"]
    with pytest.raises(LayoutError, match="equally many"):
        detect_layout(names)


@pytest.mark.parametrize(("raw", "expected"), [("b3", "B03"), ("B03", "B03"), ("AF48", "AF48"), (" H12 ", "H12")])
def test_normalize_well(raw: str, expected: str) -> None:
    assert normalize_well(raw)[0] == expected


@pytest.mark.parametrize("raw", ["", "3B", "B", "B0", "ABC1"])
def test_normalize_well_rejects(raw: str) -> None:
    with pytest.raises(ValueError, match="well"):
        normalize_well(raw)
